"""Nonlinear models (products and ratios of variables, powers, exp, log, sqrt) built directly
as a PySCIPOpt model.

linopy holds linear (and quadratic) expressions only, so a nonlinear model skips it: the same
Evaluator runs over arrays whose entries are SCIP variables (numpy object arrays inside xarray),
so broadcasting, masks and index alignment are the linear backend's; sums reduce with
`quicksum`, never Python's `sum`; exp/log/sqrt map PySCIPOpt's functions over the array. SCIP
needs one `addVar` per variable and one `addCons` per row, so those two steps loop over the
entries; everything else is whole-array. A nonlinear objective goes through an auxiliary
variable (SCIP takes linear objectives only). The solution comes back as the same xarray
Dataset as a linear solve.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from milkrun.dsl import ast
from milkrun.dsl.diagnostics import MilkrunError

from milkrun.compiler.build.linopy_model import _INFINITE, _SCALE_HINT, SOLVER_INFINITY
from milkrun.compiler.model.evaluate import Evaluator, Scope, broadcast, reduction_domain
from milkrun.compiler.build.figures import check_kpis
from milkrun.compiler.data.instance import Instance, _full
from milkrun.compiler.model.ir import ModelIR, Symbol
from milkrun.compiler.solve.result import Result, interrupted_message


@dataclass
class NonlinearBuilt:
    """The counterpart of BuiltModel for a nonlinear model: a PySCIPOpt model and its variables."""

    model: object  # pyscipopt.Model
    variables: dict[str, xr.DataArray]  # name -> object array of SCIP variables (0.0 where masked)
    objectives: dict[str, object]  # name -> SCIP expression, primary first
    senses: dict[str, str]
    ir: ModelIR
    instance: Instance
    epigraph: object = None  # the auxiliary variable of a nonlinear primary objective
    robust_epigraphs: dict = field(default_factory=dict)  # objective -> variable bounding its worst case
    robust_rows: dict = field(default_factory=dict)  # family -> [(row label, {(param, u): D})] for reports
    robust_report: object = None
    robust_probe: object = None  # the marker probe: each uncertain entry's range
    constants: dict[str, float] = field(default_factory=dict)
    dropped_rows: dict[str, int] = field(default_factory=dict)
    tours: list = field(default_factory=list)
    lazy_tours: list = field(default_factory=list)

    @property
    def primary(self) -> str | None:
        return next(iter(self.objectives), None)

    @property
    def linopy(self):
        span, what = self.ir.nonlinear[0]
        raise MilkrunError(f"this step needs a linear model, and this one is nonlinear ({what})", span)

    @property
    def size(self) -> dict[str, int]:
        return {"variables": int(self.model.getNVars(False)), "constraints": int(self.model.getNConss(False))}


def nonlinear_error(ir: ModelIR, solver: str) -> MilkrunError:
    """`--solver highs` (or any linear solver) on a nonlinear model: located at the construct."""
    span, what = ir.nonlinear[0]
    more = f" (and {len(ir.nonlinear) - 1} more nonlinear term(s))" if len(ir.nonlinear) > 1 else ""
    return MilkrunError(f"{what} makes the model nonlinear{more}; solver '{solver}' solves linear models only",
                        span, hint="solve it with --solver scip (MINLP)")


class NonlinearEvaluator(Evaluator):
    """The Evaluator over object arrays of SCIP expressions."""

    def _e_Reduction(self, e, scope):
        if e.op != "sum" or e.index is None:
            return super()._e_Reduction(e, scope)
        inner = self.scope_of(e.index, scope, reduction_domain(e))
        body = self.expr(e.body, inner)
        if not _is_object(body):
            return super()._e_Reduction(e, scope)
        new = {d: c for d, c in inner.coords.items() if d not in scope.coords}
        body = broadcast(body, new)
        if inner.mask is not None:
            body = body.where(inner.full_mask().broadcast_like(body), 0.0)
        return quick_sum(body, list(new))

    def _e_Call(self, e, scope):
        if e.func in ("exp", "log", "sqrt"):
            arg = self.expr(e.args[0], scope)
            if _is_object(arg):
                import pyscipopt as scip

                fn = {"exp": scip.exp, "log": scip.log, "sqrt": scip.sqrt}[e.func]
                return _map(arg, lambda v: fn(v) if not isinstance(v, (int, float)) else _num_fn(e.func, v))
        return super()._e_Call(e, scope)

    def _e_Neg(self, e, scope):
        v = self.expr(e.operand, scope)
        return -1 * v if _is_object(v) else -v

    def _e_BinOp(self, e, scope):
        if e.op == "^":
            a, b = self.expr(e.left, scope), self.expr(e.right, scope)
            if _is_object(a):
                p = float(b)
                return _map(a, lambda v: v ** p if not isinstance(v, (int, float)) else float(v) ** p)
        return super()._e_BinOp(e, scope)


def _too_large(x):
    """The first number in a SCIP polynomial (or a plain number) that SCIP would read as infinite."""
    import pyscipopt as scip

    if isinstance(x, (int, float, np.number)):
        return float(x) if abs(float(x)) >= SOLVER_INFINITY else None
    if isinstance(x, scip.Expr):
        for c in x.terms.values():
            if abs(c) >= SOLVER_INFINITY:
                return float(c)
    return None


def _is_object(v) -> bool:
    return isinstance(v, xr.DataArray) and v.dtype == object


def _map(arr: xr.DataArray, fn) -> xr.DataArray:
    out = np.empty(arr.shape, dtype=object)
    flat_in, flat_out = arr.values.reshape(-1), out.reshape(-1)
    for k, v in enumerate(flat_in):
        flat_out[k] = fn(v)
    return xr.DataArray(out, dims=arr.dims, coords=arr.coords)


def _num_fn(name, v):
    return {"exp": math.exp, "log": math.log, "sqrt": math.sqrt}[name](v)


def quick_sum(arr: xr.DataArray, dims: list[str]) -> xr.DataArray:
    """Sum an object array over `dims` with quicksum, one call per remaining entry."""
    import pyscipopt as scip

    keep = [d for d in arr.dims if d not in dims]
    arr = arr.transpose(*keep, *dims)
    n_keep = int(np.prod([arr.sizes[d] for d in keep])) if keep else 1
    flat = arr.values.reshape(n_keep, -1)
    out = np.empty(n_keep, dtype=object)
    for k in range(n_keep):
        terms = [v for v in flat[k] if not (isinstance(v, (int, float)) and v == 0)]
        out[k] = scip.quicksum(terms) if terms else 0.0
    if not keep:
        return xr.DataArray(out[0])
    return xr.DataArray(out.reshape([arr.sizes[d] for d in keep]), dims=keep, coords={d: arr.coords[d] for d in keep})


def build_nonlinear(ir: ModelIR, instance: Instance, objective: str | None = None, quiet: bool = True,
                    robust=None) -> NonlinearBuilt:
    """`robust`: RobustOptions; rows and objectives the uncertain data touch get their robust
    counterpart (passes/robust_nl.py), reported in `built.robust_report`."""
    import pyscipopt as scip

    model = scip.Model()
    model.hideOutput(quiet)
    variables: dict[str, xr.DataArray] = {}
    ev = NonlinearEvaluator(instance, variables)
    for sym in ir.of_kind("var"):
        variables[sym.name] = _add_variables(model, sym, ev)
    probe = report = None
    if robust is not None:
        from milkrun.compiler.passes.robust import RobustReport
        from milkrun.compiler.passes.robust_nl import MarkerProbe

        if not ir.uncertain_params:
            raise MilkrunError("--robust needs parameters declared 'uncertain'; this model has none")
        probe = MarkerProbe(ir, instance, variables, NonlinearEvaluator, robust)
        report = RobustReport(robust)
    robust_rows: dict = {}
    for sym in ir.of_kind("constraint"):
        if sym.decl.is_global:
            raise MilkrunError(f"global constraints such as {sym.decl.terms[0].func}() are not supported in "
                               "nonlinear models yet", sym.span)
        _add_rows(model, sym, ev, probe, report, robust_rows)
    objectives, senses, epigraphs = {}, {}, {}
    for sym in ir.objectives:
        objectives[sym.name] = _scalar(ev.number(sym.decl.expr, Scope({}), "an objective"))
        big = _too_large(objectives[sym.name])
        if big is not None:
            raise MilkrunError(f"objective '{sym.name}' holds the number {big:g}: {_INFINITE}", sym.span,
                               hint=_SCALE_HINT)
        senses[sym.name] = "min" if sym.decl.sense == "minimize" else "max"
        if probe is not None:
            t = _robust_objective(model, sym, senses[sym.name], probe, report, robust_rows)
            if t is not None:
                epigraphs[sym.name] = t
                objectives[sym.name] = t
    if objective is not None:
        if objective not in objectives:
            from milkrun.dsl.diagnostics import did_you_mean
            raise MilkrunError(f"no objective named '{objective}'", hint=did_you_mean(objective, objectives))
        objectives = {objective: objectives[objective], **{k: v for k, v in objectives.items() if k != objective}}
    check_kpis(ir, instance, variables)  # their data-dependent mistakes now, not after the solve
    built = NonlinearBuilt(model, variables, objectives, senses, ir, instance, robust_epigraphs=epigraphs,
                           robust_rows=robust_rows, robust_report=report, robust_probe=probe)
    if objectives:
        name = next(iter(objectives))
        f, sense = objectives[name], senses[name]
        if _degree(f) <= 1:
            model.setObjective(f if not isinstance(f, (int, float)) else scip.Expr() + f, sense="minimize"
                               if sense == "min" else "maximize")
        else:  # SCIP's objective is linear: t >= f (min) or t <= f (max), optimise t
            t = model.addVar(name=f"{name}_epigraph", lb=None, ub=None)
            model.addCons(t >= f if sense == "min" else t <= f, name=f"{name}_epigraph")
            model.setObjective(t, sense="minimize" if sense == "min" else "maximize")
            built.epigraph = t
    return built


def _degree(f) -> float:
    import pyscipopt as scip

    if isinstance(f, (int, float)):
        return 0
    if isinstance(f, scip.Expr):
        return f.degree()
    return math.inf  # a general expression (exp, log, sqrt, fractional powers, ratios)


def _scalar(v):
    if isinstance(v, xr.DataArray):
        v = v.values.item() if v.dtype == object else float(v)
    return v


def _add_variables(model, sym: Symbol, ev: Evaluator) -> xr.DataArray:
    from milkrun.compiler.build.linopy_model import variable_domain

    d: ast.VarDecl = sym.decl
    scope, lower, upper = variable_domain(sym, ev)
    lo = _full(lower, scope).values if scope.coords else np.asarray(float(lower))
    hi = _full(upper, scope).values if scope.coords else np.asarray(float(upper))
    active = scope.full_mask().values if scope.coords else np.asarray(True)
    if np.any((lo > hi) & active):
        raise MilkrunError(f"variable '{sym.name}' has a lower bound above its upper bound", d.span)
    for values, op, wrong in ((lo, ">=", lo >= SOLVER_INFINITY), (hi, "<=", hi <= -SOLVER_INFINITY)):
        wrong = wrong & active
        if np.any(wrong):
            bound = next((b for b in d.bounds if b.op == op), None)
            raise MilkrunError(f"variable '{sym.name}' has the bound {op} {float(values[wrong].ravel()[0]):g}: "
                               f"{_INFINITE}", bound.span if bound is not None else d.span, hint=_SCALE_HINT)
    vtype = {"binary": "B", "integer": "I"}.get(d.kind, "C")
    out = np.empty(active.shape, dtype=object)
    keys = _keys(scope)
    for k, on in enumerate(active.reshape(-1)):
        if not on:
            out.reshape(-1)[k] = 0.0  # an absent entry counts as 0, as in the linear backend
            continue
        a, b = float(lo.reshape(-1)[k]), float(hi.reshape(-1)[k])
        out.reshape(-1)[k] = model.addVar(name=f"{sym.name}{keys(k)}", vtype=vtype,
                                          lb=a if np.isfinite(a) else None, ub=b if np.isfinite(b) else None)
    if not scope.coords:
        return xr.DataArray(out.reshape(()).item() if out.ndim else out, dims=())
    return xr.DataArray(out, dims=list(scope.coords), coords={n: c for n, c in scope.coords.items()})


def _keys(scope: Scope):
    coords = list(scope.coords.values())
    shape = [len(c) for c in coords]

    def label(k: int) -> str:
        if not coords:
            return ""
        idx = np.unravel_index(k, shape)
        return "[" + ",".join(str(c[i]) for c, i in zip(coords, idx)) + "]"

    return label


def _add_rows(model, sym: Symbol, ev: Evaluator, probe=None, report=None, robust_rows=None) -> None:
    d: ast.Constraint = sym.decl
    scope = ev.declaration_scope(sym)
    touched = False
    if probe is not None:
        from milkrun.compiler.passes.robust_nl import _refuse_unsafe, depends

        touched = any(depends(t, probe.tainted) for t in d.terms)
        if touched:
            for t in d.terms:
                _refuse_unsafe(t, probe.tainted, f"constraint '{sym.name}'")
    source = probe.ev if touched else ev
    terms = [source.number(t, scope, "each side of a constraint") for t in d.terms]
    if len(terms) == 2:
        parts = [(sym.name, terms[0], d.ops[0], terms[1])]
    else:
        low, high = (terms[0], terms[2]) if d.ops[0] == "<=" else (terms[2], terms[0])
        parts = [(f"{sym.name}_lo", terms[1], ">=", low), (f"{sym.name}_hi", terms[1], "<=", high)]
    active = scope.full_mask() if scope.coords else xr.DataArray(True)
    keys = _keys(scope)
    for name, lhs, op, rhs in parts:
        lhs, rhs = (_full(x, scope) if scope.coords else x for x in (lhs, rhs))
        L = np.asarray(lhs.values if isinstance(lhs, xr.DataArray) else lhs, dtype=object)
        R = np.asarray(rhs.values if isinstance(rhs, xr.DataArray) else rhs, dtype=object)
        L, R = np.broadcast_arrays(L, R)
        changes = None
        if touched:
            from milkrun.compiler.passes.robust_nl import new_changes

            changes = new_changes(probe)
        for k, on in enumerate(np.asarray(active.values).reshape(-1)):
            if not on:
                continue
            a, b = L.reshape(-1)[k], R.reshape(-1)[k]
            if touched:
                _robust_add(model, probe, name, keys(k), a, b, op, sym, changes, robust_rows)
                continue
            if isinstance(a, (int, float)) and isinstance(b, (int, float)):
                holds = {"<=": a <= b + 1e-9, ">=": a >= b - 1e-9, "==": abs(a - b) <= 1e-9}[op]
                if not holds:
                    raise MilkrunError(f"constraint '{sym.name}'{keys(k)} has no variable and reads {a:g} {op} "
                                       f"{b:g}, which is false: the model is infeasible as written", sym.span,
                                       kind="infeasible")
                continue
            for x in (a, b):
                big = _too_large(x)
                if big is not None:
                    raise MilkrunError(f"constraint '{sym.name}'{keys(k)} holds the number {big:g}: {_INFINITE}",
                                       sym.span, hint=_SCALE_HINT)
            row = {"<=": a <= b, ">=": a >= b, "==": a == b}[op] if not isinstance(a, (int, float)) else \
                {"<=": b >= a, ">=": b <= a, "==": b == a}[op]
            model.addCons(row, name=f"{name}{keys(k)}")
        if changes is not None:
            from milkrun.compiler.passes.robust_nl import record

            record(report, name, changes)


def _robust_add(model, probe, name, label, a, b, op, sym, changes, robust_rows) -> None:
    """One row of a family the uncertain data touch: E = a - b (<=) or b - a (>=), made robust."""
    from milkrun.compiler.passes.robust_nl import count_row, robust_row

    e = (a - b) if op != ">=" else (b - a)
    e0, devs = probe.split(e, f"constraint '{sym.name}'", sym.span)
    if not devs:
        row = e0
    elif op == "==":
        raise MilkrunError(f"constraint '{sym.name}' is an equation that uncertain data change; no plan keeps an "
                           "equation for every value in a range. Write it as two inequalities, or make the data "
                           "certain", sym.span)
    else:
        count_row(changes, devs)
        row = robust_row(model, probe, e0, devs, f"{name}{label}", changes)
        robust_rows.setdefault(name, []).append((label, devs))
    if isinstance(row, (int, float)) or row.degree() == 0:
        c = float(row) if isinstance(row, (int, float)) else float(sum(row.terms.values()))
        if c > 1e-9:
            raise MilkrunError(f"constraint '{sym.name}'{label} cannot hold for every value in the uncertainty "
                               "range (it has no variable)", sym.span, kind="infeasible")
        return
    if op == "==":
        model.addCons(row == 0, name=f"{name}{label}")
    else:
        model.addCons(row <= 0, name=f"{name}{label}")


def _robust_objective(model, sym, sense, probe, report, robust_rows):
    """An objective the uncertain data touch: t bounds its worst case, and t is optimised."""
    from milkrun.compiler.passes.robust_nl import _refuse_unsafe, depends, new_changes, record

    if not depends(sym.decl.expr, probe.tainted):
        return None
    _refuse_unsafe(sym.decl.expr, probe.tainted, f"objective '{sym.name}'")
    f = _scalar(probe.ev.expr(sym.decl.expr, Scope({})))
    t = model.addVar(name=f"{sym.name}_epigraph", lb=None, ub=None)
    changes = new_changes(probe)
    row_name = f"{sym.name}_robust"
    if sense == "min":  # f - t <= 0
        _robust_add(model, probe, row_name, "", f, t, "<=", sym, changes, robust_rows)
    else:  # t - f <= 0
        _robust_add(model, probe, row_name, "", f, t, ">=", sym, changes, robust_rows)
    record(report, row_name, changes)
    report.epigraphs[sym.name] = t.name
    return t


STATUS = {"optimal": "optimal", "infeasible": "infeasible", "unbounded": "unbounded", "inforunbd": "infeasible",
          "timelimit": "time_limit", "gaplimit": "optimal", "userinterrupt": "interrupted"}


def solve_nonlinear(built: NonlinearBuilt, solver: str, opts: dict, progress=None) -> Result:
    """Solve on SCIP and read the plan back as a Dataset like any solve."""
    from milkrun.compiler.solve.scip import watch_scip

    if solver != "scip":
        raise nonlinear_error(built.ir, solver)
    model = built.model
    t0 = time.perf_counter()
    watch_scip(model, progress)
    if opts:
        model.setParams(opts)
    model.optimize()
    condition = model.getStatus()
    has = model.getNSols() > 0
    status = STATUS.get(condition) or ("feasible" if has else "error")
    result = Result(status, "scip", termination=f"scip/{condition}", seconds={"solve": time.perf_counter() - t0})
    result.size = built.size
    if status == "interrupted":
        result.message = interrupted_message(has)
    if status == "infeasible":
        result.message = "no assignment satisfies all constraints (SCIP proved it on the nonlinear model)"
    if status == "unbounded":
        result.message = "the objective can improve without limit: a bound or constraint is missing"
    if not has or status in ("infeasible", "unbounded"):
        if status == "time_limit":
            result.message = "the time limit was reached before any feasible plan was found"
        return result
    sol = model.getBestSol()
    data = {}
    for name, arr in built.variables.items():
        flat = arr.values.reshape(-1)
        vals = np.array([sol[v] if not isinstance(v, (int, float)) else np.nan for v in flat],
                        dtype=float).reshape(arr.shape)
        # SCIP's nonlinear solutions carry residues within its feasibility tolerance (1e-6):
        # integral variables are rounded, and continuous values within 1e-7 of 0 are 0
        integral = np.array([not isinstance(v, (int, float)) and v.vtype() in ("BINARY", "INTEGER")
                             for v in flat], dtype=bool).reshape(arr.shape)
        vals = np.where(integral, np.round(vals), np.where(np.abs(vals) < 1e-7, 0.0, vals))
        data[name] = xr.DataArray(vals, dims=arr.dims, coords=arr.coords)
    result.solution = xr.Dataset(data)
    values = {n: da.fillna(0.0) for n, da in result.solution.data_vars.items()}
    ev = Evaluator(built.instance, values)
    for sym in built.ir.objectives:
        with np.errstate(divide="ignore", invalid="ignore"):
            result.objectives[sym.name] = float(ev.expr(sym.decl.expr, Scope({})))
    result.objectives = {k: result.objectives[k] for k in built.objectives}
    for name, t in built.robust_epigraphs.items():  # robust: the objective optimised is its worst case
        result.extra.setdefault("nominal_objectives", {})[name] = result.objectives[name]
        result.objectives[name] = float(sol[t])
    result.primary = built.primary
    result.sense = built.senses.get(result.primary) if result.primary else None
    result.objective = result.objectives.get(result.primary) if result.primary else None
    bound = float(model.getDualbound())
    result.bound = bound if np.isfinite(bound) and abs(bound) < 1e19 else None
    if status == "optimal" and result.bound is None:
        result.bound = result.objective
    if result.objective is not None and result.bound is not None:
        result.gap = abs(result.objective - result.bound) / max(abs(result.objective), 1e-9)
        result.gap = 0.0 if result.gap < 1e-9 else result.gap
    return result
