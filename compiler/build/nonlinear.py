"""Nonlinear models (products and ratios of variables, powers, exp, log, sqrt) built directly
as a PySCIPOpt model.

linopy holds linear (and quadratic) expressions only, so a nonlinear model skips it: the same
Evaluator runs over arrays whose entries are SCIP variables (numpy object arrays inside xarray),
so broadcasting, masks and index alignment are the linear backend's; sums reduce with
`quicksum`, never Python's `sum`; exp/log/sqrt map PySCIPOpt's functions over the array. SCIP
needs one `addVar` per variable and one `addCons` per row, so those two steps loop over the
entries; everything else is whole-array. A nonlinear objective goes through an auxiliary
variable (SCIP takes linear objectives only). solve/nonlinear.py solves it and reads the plan
back as the same xarray Dataset as a linear solve.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from milkrun.dsl import ast
from milkrun.dsl.diagnostics import MilkrunError

from milkrun.compiler.build.solver_infinity import INFINITE, SCALE_HINT, SOLVER_INFINITY
from milkrun.compiler.model.evaluate import Evaluator, Scope, broadcast, reduction_domain
from milkrun.compiler.build.figures import check_kpis
from milkrun.compiler.data.instance import Instance, _full
from milkrun.compiler.model.ir import ModelIR, Symbol
from milkrun.dsl.diagnostics import did_you_mean
from milkrun.compiler.build.variable_domain import variable_domain


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
    added_names: dict[str, str] = field(default_factory=dict)  # a pass's variables and rows -> how reports call them

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
                    rows=None) -> NonlinearBuilt:
    """`rows`: a pass that takes over the rows and objectives it claims while they are built (passes/
    robust_nl.py's RobustRows makes those the uncertain data touch robust); None: every row as written."""
    import pyscipopt as scip

    model = scip.Model()
    model.hideOutput(quiet)
    variables: dict[str, xr.DataArray] = {}
    ev = NonlinearEvaluator(instance, variables)
    for sym in ir.of_kind("var"):
        variables[sym.name] = _add_variables(model, sym, ev)
    if rows is not None:
        rows.start(ir, instance, variables, NonlinearEvaluator)
    for sym in ir.of_kind("constraint"):
        if sym.decl.is_global:
            raise MilkrunError(f"global constraints such as {sym.decl.terms[0].func}() are not supported in "
                               "nonlinear models yet", sym.span)
        _add_rows(model, sym, ev, rows)
    objectives, senses, epigraphs = {}, {}, {}
    for sym in ir.objectives:
        objectives[sym.name] = scalar(ev.number(sym.decl.expr, Scope({}), "an objective"))
        big = _too_large(objectives[sym.name])
        if big is not None:
            raise MilkrunError(f"objective '{sym.name}' holds the number {big:g}: {INFINITE}", sym.span,
                               hint=SCALE_HINT)
        senses[sym.name] = "min" if sym.decl.sense == "minimize" else "max"
        if rows is not None:
            t = rows.objective(model, sym, senses[sym.name])
            if t is not None:
                epigraphs[sym.name] = t
                objectives[sym.name] = t
    if objective is not None:
        if objective not in objectives:
            raise MilkrunError(f"no objective named '{objective}'", hint=did_you_mean(objective, objectives))
        objectives = {objective: objectives[objective], **{k: v for k, v in objectives.items() if k != objective}}
    check_kpis(ir, instance, variables)  # their data-dependent mistakes now, not after the solve
    built = NonlinearBuilt(model, variables, objectives, senses, ir, instance, robust_epigraphs=epigraphs)
    if rows is not None:
        rows.finish(built)
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


def scalar(v):
    if isinstance(v, xr.DataArray):
        v = v.values.item() if v.dtype == object else float(v)
    return v


def _add_variables(model, sym: Symbol, ev: Evaluator) -> xr.DataArray:
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
                               f"{INFINITE}", bound.span if bound is not None else d.span, hint=SCALE_HINT)
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


def _add_rows(model, sym: Symbol, ev: Evaluator, rows=None) -> None:
    d: ast.Constraint = sym.decl
    scope = ev.declaration_scope(sym)
    claimed = rows.evaluator_for(sym) if rows is not None else None  # the pass's evaluator, or None
    touched = claimed is not None
    source = claimed if touched else ev
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
        changes = rows.family() if touched else None
        for k, on in enumerate(np.asarray(active.values).reshape(-1)):
            if not on:
                continue
            a, b = L.reshape(-1)[k], R.reshape(-1)[k]
            if touched:
                rows.add(model, name, keys(k), a, b, op, sym, changes)
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
                    raise MilkrunError(f"constraint '{sym.name}'{keys(k)} holds the number {big:g}: {INFINITE}",
                                       sym.span, hint=SCALE_HINT)
            row = {"<=": a <= b, ">=": a >= b, "==": a == b}[op] if not isinstance(a, (int, float)) else \
                {"<=": b >= a, ">=": b <= a, "==": b == a}[op]
            model.addCons(row, name=f"{name}{keys(k)}")
        if changes is not None:
            rows.close(name, changes)
