"""The robust counterpart of `uncertain` parameters, on the compiled (linopy) model.

Each constraint row is read as E(x; p) <= 0, affine in an uncertain parameter p:
E(x; p) = E(x; nominal) + Σ_u δ_u · D_u(x), with δ_u the deviation of entry u of p from its
nominal value and D_u(x) the row's change per unit of that entry (linear in x). D is found
in one evaluation: p is given an extra dimension `_u` holding nominal + unit step for each
entry (Instance.with_param), the row is evaluated over it, and the nominal row subtracted.
That the row is affine in p is checked (a step down must mirror the step up), since a
counterpart built on a secant would be wrong without saying so.

With δ_u in [-ρ·down_u, ρ·up_u] (the annotation's range, scaled by the level ρ):
- box (Soyster; Ben-Tal's form): E(nominal) + Σ_u v_u <= 0 with v_u >= ρ·up_u·D_u(x) and
  v_u >= -ρ·down_u·D_u(x). An entry that moves only the constant (right-hand side) adds its
  worst case to the constant, without variables.
- budget (Bertsimas and Sim, Γ): E(nominal) + Γ·z + Σ_u q_u <= 0, q_u >= ρ·up_u·D_u(x) - z,
  q_u >= -ρ·down_u·D_u(x) - z, z, q >= 0: at most Γ entries (per row) at their worst at once,
  the dual of that inner maximisation written as rows (still linear). A row whose entries move
  only its constant gets the exact worst case of Γ of them, without variables.
An uncertain objective goes through its epigraph: a new variable t with f(x; p) <= t (min)
robust as a row, and t the objective.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from milkrun.compiler.build.linopy_model import plan_vector
from milkrun.compiler.build.nonlinear import NonlinearBuilt
from milkrun.compiler.model.evaluate import Evaluator, Scope, broadcast, is_linear
from milkrun.compiler.model.linopy_setup import linopy
from milkrun.compiler.model.sets import entry_label
from milkrun.dsl import ast
from milkrun.dsl.diagnostics import MilkrunError

U = "_u"  # the dimension of an uncertain parameter's entries
AFFINE_TOL = 1e-7


@dataclass
class RobustOptions:
    method: str = "box"  # box | budget
    level: float = 1.0  # ρ: the share of each entry's range that may be used
    budget: float | None = None  # Γ: how many entries of a row may be at their worst at once


@dataclass
class FamilyChange:
    """One constraint family (or objective) made robust against one uncertain parameter."""

    family: str
    param: str
    rows: int  # rows the parameter touches
    rhs_only_rows: int  # of them, rows where it moves only the constant
    variables: int = 0  # auxiliary variables added
    added_rows: int = 0  # auxiliary rows added


@dataclass
class Deviation:
    """D_u(x) of one family and parameter, in <= 0 form, with each entry's range."""

    param: str
    expr: linopy.LinearExpression  # dims: the family's index + U
    up: xr.DataArray  # over U: ρ·(hi - nominal)
    down: xr.DataArray  # over U: ρ·(nominal - lo)
    labels: list  # entry of the parameter for each position of U


@dataclass
class RobustReport:
    options: RobustOptions
    changes: list[FamilyChange] = field(default_factory=list)
    epigraphs: dict[str, str] = field(default_factory=dict)  # objective -> its epigraph variable
    nominal_objectives: dict[str, linopy.LinearExpression] = field(default_factory=dict)  # as written
    deviations: dict[str, list[Deviation]] = field(default_factory=dict)  # family -> its deviations
    senses: dict[str, str] = field(default_factory=dict)  # family -> "<=" or ">=" as written
    labels: dict[str, str] = field(default_factory=dict)  # family -> how reports call it ("objective cost")
    names: dict[str, str] = field(default_factory=dict)  # variable or row this pass added -> how reports call it

    def label(self, family: str) -> str:
        return self.labels.get(family, family)

    def per_param(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for c in self.changes:
            d = out.setdefault(c.param, {"families": [], "rows": 0, "rhs_only_rows": 0, "variables": 0,
                                         "added_rows": 0})
            d["families"].append(self.label(c.family))
            for k in ("rows", "rhs_only_rows", "variables", "added_rows"):
                d[k] += getattr(c, k)
        return out


def robust_counterpart(compiled, options: RobustOptions) -> RobustReport:
    """Replace every row and objective an uncertain parameter touches by its robust counterpart."""
    ir, inst, built = compiled.ir, compiled.instance, compiled.built
    check_options(options)
    params = ir.uncertain_params
    if not params:
        raise MilkrunError("--robust needs parameters declared 'uncertain' (e.g. `param d[I] uncertain +- dev[I]`); "
                           "this model has none")
    m = built.linopy
    variables = {name: m.variables[name] for name in m.variables}
    nominal_ev = Evaluator(inst, variables)
    probes = {}
    for sym in params:
        probes[sym.name] = _Probe(sym.name, inst, variables, options.level)
    report = RobustReport(options)
    for sym in ir.of_kind("constraint"):
        if sym.decl.is_global:
            continue
        for name, op, scope, make in _row_parts(sym, nominal_ev):
            devs = []
            for probe in probes.values():
                dev = probe.deviation(sym, scope, make, op)
                if dev is not None:
                    devs.append(dev)
            if not devs:
                continue
            if op == "==":
                raise MilkrunError(f"constraint '{sym.name}' is an equation that uncertain '{devs[0].param}' "
                                   "changes; no plan can keep an equation for every value in a range. Write it as "
                                   "two inequalities, or make the parameter certain", sym.span)
            nominal_row = _le_form(make(nominal_ev), op)
            report.labels[name] = family_label(ir, name)
            _replace_rows(m, name, nominal_row, devs, options, report, scope)
            report.deviations[name] = devs
            report.senses[name] = op
    for sym in ir.objectives:
        _robust_objective(compiled, sym, nominal_ev, probes, options, report)
    built.added_names.update(report.names)
    return report


def family_label(ir, name: str) -> str:
    """A family the pass made robust as reports call it: a ranged constraint's sides (`use_lo`) are
    "use (lower side)", an objective's epigraph row (`cost_robust`) is "objective cost"."""
    if name in ir.symbols:
        return name
    base = name.rsplit("_", 1)[0]
    sym = ir.symbols.get(base)
    if sym is not None and sym.kind == "constraint" and name.endswith(("_lo", "_hi")):
        return f"{base} ({'lower' if name.endswith('_lo') else 'upper'} side)"
    if sym is not None and sym.kind == "objective" and name.endswith("_robust"):
        return f"objective {base}"
    return name


def added_names(family: str, param: str, label: str) -> dict[str, str]:
    """How reports call the variables and rows the pass adds for one family and parameter (the
    linopy and SCIP names stay short identifiers; the LP and MPS files need them so)."""
    return {f"{family}_{param}_dev": f"{label}: worst case per entry of {param}",  # box
            f"{family}_{param}_q": f"{label}: excess over the threshold per entry of {param}",  # budget
            f"{family}_{param}_up": f"{label}: {param} at the top of its range",
            f"{family}_{param}_down": f"{label}: {param} at the bottom of its range"}


def check_options(o: RobustOptions):
    if o.method not in ("box", "budget"):
        raise MilkrunError(f"--robust takes box or budget, not '{o.method}'")
    if not (o.level >= 0 and math.isfinite(o.level)):
        raise MilkrunError(f"--level must be a number >= 0, got {o.level}")
    if o.method == "budget" and (o.budget is None or not o.budget >= 0):
        raise MilkrunError("--robust budget needs --budget Γ >= 0 (how many uncertain entries of a row may be at "
                           "their worst at once)")
    if o.method == "box" and o.budget is not None:
        raise MilkrunError("--budget goes with --robust budget")


@dataclass
class EntryRanges:
    """An uncertain parameter entry by entry (flat, in the order of `labels`): its nominal value and
    how far it may move up and down at level ρ. Both the linear and the nonlinear pass start here."""

    base: xr.DataArray  # the nominal value, with the parameter's dims
    nominal: np.ndarray
    up: np.ndarray
    down: np.ndarray
    labels: list


def entry_ranges(inst, name: str, level: float) -> EntryRanges:
    nominal, lo, hi = inst.uncertainty(name)
    base = nominal if isinstance(nominal, xr.DataArray) else xr.DataArray(nominal)

    def flat(v):
        return np.nan_to_num(np.asarray(v.broadcast_like(base).values, float)).reshape(-1)

    return EntryRanges(base, flat(base), level * flat(hi - nominal), level * flat(nominal - lo),
                       _entry_labels(base))


class _Probe:
    """One uncertain parameter: its entries as unit steps along U, and evaluators over them."""

    def __init__(self, name, inst, variables, level):
        self.name = name
        r = entry_ranges(inst, name, level)
        base, n = r.base, int(r.base.size)
        self.labels = r.labels
        # each entry is named as the user writes it (price[p1, m2]), so that the variables this pass
        # adds along U show which parameter entry they stand for
        entries = [entry_label(name, k) for k in self.labels]
        eye = xr.DataArray(np.eye(n).reshape(base.shape + (n,)), dims=base.dims + (U,),
                           coords={**{d: base.coords[d] for d in base.dims}, U: entries})
        self.up = xr.DataArray(r.up, dims=[U], coords={U: entries})
        self.down = xr.DataArray(r.down, dims=[U], coords={U: entries})
        self.plus = Evaluator(inst.with_param(name, base + eye), variables)
        self.minus = Evaluator(inst.with_param(name, base - eye), variables)
        self.nominal = Evaluator(inst, variables)

    def deviation(self, sym, scope, make, op) -> Deviation | None:
        """D_u(x) of one row family, or None when the parameter does not reach it."""
        plus = make(self.plus)
        if U not in _dims(plus):
            return None
        nominal = make(self.nominal)
        minus = make(self.minus)
        step_up = _linexpr(plus - nominal).simplify()
        step_down = _linexpr(nominal - minus).simplify()
        mismatch = _linexpr(step_up - step_down).simplify()
        scale = max(1.0, float(np.nanmax(np.abs(step_up.coeffs.values), initial=0.0)),
                    float(np.nanmax(np.abs(step_up.const.values), initial=0.0)))
        worst = max(float(np.nanmax(np.abs(mismatch.coeffs.where(mismatch.vars >= 0, 0).values), initial=0.0)),
                    float(np.nanmax(np.abs(mismatch.const.values), initial=0.0)))
        if worst > AFFINE_TOL * scale:
            raise MilkrunError(f"constraint or objective '{sym.name}' does not depend linearly on uncertain "
                               f"'{self.name}' (a step up and a step down change it differently), so its robust "
                               "counterpart would not be exact; robust counterparts need rows affine in the "
                               "uncertain data", sym.span)
        dev = _le_form(step_up, op)
        if not _touched(dev).any():
            return None
        return Deviation(self.name, dev, self.up, self.down, self.labels)


def _row_parts(sym, ev):
    """(family name, op, scope, make(ev) -> lhs - rhs) for a constraint; a ranged one gives two."""
    d: ast.Constraint = sym.decl
    scope = ev.declaration_scope(sym)

    def diff(a, b):
        return lambda e: broadcast(_linexpr_of(e.expr(a, scope), e.expr(b, scope)), scope.coords)

    if len(d.terms) == 2:
        return [(sym.name, d.ops[0], scope, diff(d.terms[0], d.terms[1]))]
    low, high = (d.terms[0], d.terms[2]) if d.ops[0] == "<=" else (d.terms[2], d.terms[0])
    return [(f"{sym.name}_lo", ">=", scope, diff(d.terms[1], low)),
            (f"{sym.name}_hi", "<=", scope, diff(d.terms[1], high))]


def _linexpr_of(a, b):
    """a - b as a linear expression (either side may be data)."""
    if is_linear(a):
        return _linexpr(a) - b
    if is_linear(b):
        return -1 * _linexpr(b) + a
    raise TypeError("a row without variables")


def _linexpr(v):
    return v.to_linexpr() if isinstance(v, linopy.Variable) else v


def _le_form(expr, op):
    return -1 * expr if op == ">=" else expr


def _dims(v):
    return tuple(getattr(v, "dims", ()))


def _has_vars(dev: linopy.LinearExpression) -> xr.DataArray:
    return ((dev.vars >= 0) & (dev.coeffs != 0)).any("_term")


def _touched(dev: linopy.LinearExpression) -> xr.DataArray:
    return _has_vars(dev) | (np.abs(dev.const) > 0)


def _replace_rows(m, name, nominal_row, devs, o: RobustOptions, report: RobustReport, scope: Scope):
    """Swap the family's rows for their robust counterpart, keeping its name and mask."""
    old = m.constraints[name]
    live = old.labels >= 0
    m.remove_constraints(name)
    row = nominal_row
    extra_const = xr.zeros_like(live, dtype=float)
    with_vars = any(bool((_has_vars(d.expr) & live).any()) for d in devs)
    z = None
    if o.method == "budget" and with_vars:
        touched_rows = sum((_touched(d.expr) & live).any(U).astype(int) for d in devs) > 0
        z = m.add_variables(lower=0, coords=_coords(touched_rows), name=f"{name}_z",
                            mask=touched_rows if touched_rows.ndim else None)
        report.names[z.name] = f"{report.label(name)}: budget threshold"
        row = row + z * o.budget
    for d in devs:
        has_vars = _has_vars(d.expr) & live
        touched = _touched(d.expr) & live
        names = added_names(name, d.param, report.label(name))
        rows_touched = touched.any(U)
        change = FamilyChange(name, d.param, int(rows_touched.sum()),
                              int((rows_touched & ~has_vars.any(U)).sum()))
        if z is not None:  # budget: every touched entry through q, z shared by the row's entries
            q = m.add_variables(lower=0, coords=_coords(touched), name=f"{name}_{d.param}_q", mask=touched)
            m.add_constraints(q + z - d.expr * d.up >= 0, name=f"{name}_{d.param}_up", mask=touched)
            m.add_constraints(q + z + d.expr * d.down >= 0, name=f"{name}_{d.param}_down", mask=touched)
            report.names.update({k: names[k] for k in (q.name, f"{name}_{d.param}_up", f"{name}_{d.param}_down")})
            row = row + q.sum(U)
            change.variables, change.added_rows = int(touched.sum()), 2 * int(touched.sum())
            report.changes.append(change)
            continue
        const = d.expr.const
        rhs_only = touched & ~has_vars
        worst_const = np.maximum(d.up * const, -d.down * const).where(rhs_only, 0.0)
        if o.method == "budget":  # no entry of this family moves a coefficient: the exact Γ largest
            extra_const = extra_const + _largest(worst_const, o.budget)
        else:
            extra_const = extra_const + worst_const.sum(U)
            if bool(has_vars.any()):
                v = m.add_variables(lower=0, coords=_coords(has_vars), name=f"{name}_{d.param}_dev", mask=has_vars)
                m.add_constraints(v - d.expr * d.up >= 0, name=f"{name}_{d.param}_up", mask=has_vars)
                m.add_constraints(v + d.expr * d.down >= 0, name=f"{name}_{d.param}_down", mask=has_vars)
                report.names.update({k: names[k] for k in (v.name, f"{name}_{d.param}_up",
                                                           f"{name}_{d.param}_down")})
                row = row + v.sum(U)
                change.variables, change.added_rows = int(has_vars.sum()), 2 * int(has_vars.sum())
        report.changes.append(change)
    if z is not None:
        report.changes[-1].variables += int((z.labels >= 0).sum())
    row = row + extra_const
    m.add_constraints(row, "<=", 0, name=name, mask=live if live.ndim and not bool(live.all()) else None)


def _largest(worst: xr.DataArray, budget: float) -> xr.DataArray:
    """Per row, the sum of the ⌊Γ⌋ largest worst cases plus (Γ - ⌊Γ⌋) of the next one."""
    if worst.sizes.get(U, 0) == 0:
        return worst.sum(U)
    vals = -np.sort(-worst.transpose(..., U).values, axis=-1)
    k = int(math.floor(budget))
    total = vals[..., :k].sum(axis=-1)
    if k < vals.shape[-1]:
        total = total + (budget - k) * vals[..., k]
    dims = [d for d in worst.transpose(..., U).dims if d != U]
    return xr.DataArray(total, dims=dims, coords={d: worst.coords[d] for d in dims})


def _coords(like: xr.DataArray):
    return [like.indexes[d] for d in like.dims]


def _robust_objective(compiled, sym, nominal_ev, probes, o: RobustOptions, report: RobustReport):
    """An objective with uncertain data becomes a variable t bounded by a robust row (its epigraph)."""
    built = compiled.built
    m = built.linopy
    if sym.name not in built.objectives:
        return
    sense = built.senses[sym.name]
    op = "<=" if sense == "min" else ">="
    scope = Scope({})

    def make(ev):
        v = ev.expr(sym.decl.expr, scope)
        return _linexpr(v)

    devs = [d for p in probes.values() if (d := p.deviation(sym, scope, make, op)) is not None]
    if not devs:
        return
    t = m.add_variables(name=f"{sym.name}_epigraph")
    row_name = f"{sym.name}_robust"
    report.labels[row_name] = f"objective {sym.name}"
    report.names[t.name] = f"objective {sym.name}: worst case"
    nominal = _le_form(make(nominal_ev) - t, op)
    m.add_constraints(nominal, "<=", 0, name=row_name)  # placeholder, replaced by its robust form
    _replace_rows(m, row_name, nominal, devs, o, report, scope)
    report.deviations[row_name] = devs
    report.senses[row_name] = op
    report.epigraphs[sym.name] = t.name
    primary = built.primary
    report.nominal_objectives[sym.name] = built.objectives[sym.name]
    built.objectives[sym.name] = t.to_linexpr()
    built.constants[sym.name] = 0.0
    if primary == sym.name:
        m.add_objective(t.to_linexpr(), sense=sense, overwrite=True)


def _entry_labels(base: xr.DataArray) -> list:
    if not base.dims:
        return [()]
    index = pd.MultiIndex.from_product([base.indexes[d] for d in base.dims]) if len(base.dims) > 1 \
        else base.indexes[base.dims[0]]
    return [k if isinstance(k, tuple) else (k,) for k in index]


def expr_values(expr: linopy.LinearExpression, x: np.ndarray) -> xr.DataArray:
    """An expression's value at a plan given by linopy label (vectorised over its dims)."""
    vars_ = expr.vars
    safe = vars_.where(vars_ >= 0, 0).values.astype(np.int64)
    vals = np.where(vars_.values >= 0, x[safe], 0.0)
    coeffs = np.nan_to_num(expr.coeffs.values)
    out = (coeffs * vals).sum(axis=vars_.dims.index("_term")) + np.nan_to_num(expr.const.values)
    dims = [d for d in vars_.dims if d != "_term"]
    return xr.DataArray(out, dims=dims, coords={d: expr.const.coords[d] for d in dims if d in expr.const.coords})


def worst_case(report: RobustReport, x: np.ndarray, limit: int = 5) -> dict[str, list[dict]]:
    """For each robust family, its most binding row and the realisation that is worst for it there:
    each entry at the end of its range that pushes the row up (box), or the Γ such entries
    that push most (budget)."""
    out = {}
    for family, devs in report.deviations.items():
        effects = []
        for d in devs:
            g = expr_values(d.expr, x)
            push_up = d.up * g
            push_down = -d.down * g
            worst = np.maximum(push_up, push_down)
            effects.append((d, g, worst))
        total = sum(w.sum(U) for _, _, w in effects)
        if total.ndim:
            flat = total.stack(_row=total.dims) if total.ndim > 1 else total
            k = int(np.nanargmax(flat.values))
            at = {dim: (flat.indexes["_row"][k][i] if total.ndim > 1 else flat.indexes[total.dims[0]][k])
                  for i, dim in enumerate(total.dims)}
        else:
            at = {}
        entries = []
        for d, g, w in effects:
            wr = w.sel(at) if at else w
            gr = g.sel(at) if at else g
            order = np.argsort(-wr.values)
            for u in order[:limit]:
                if wr.values[u] <= 0:
                    break
                up = float(gr.values[u]) > 0
                entries.append({"param": d.param, "entry": list(d.labels[u]), "moves": "up" if up else "down",
                                "by": float(d.up.values[u] if up else -d.down.values[u]),
                                "row_change": float(wr.values[u])})
        entries.sort(key=lambda e: -e["row_change"])
        if report.options.method == "budget":
            entries = entries[:max(int(math.ceil(report.options.budget)), 0)]
        out[report.label(family)] = [{"row": {k: _plain(v) for k, v in at.items()}, "entries": entries[:limit]}]
    return out


def _plain(v):
    v = v.item() if hasattr(v, "item") else v
    return int(v) if isinstance(v, float) and v.is_integer() else v


def describe(compiled, result) -> dict:
    """What a robust solve reports: the options, what each uncertain parameter added, the
    objectives at the robust plan under nominal data, and the worst case per family."""
    rep: RobustReport = compiled.robust
    o = rep.options
    out = {"method": o.method, "level": o.level, "budget": o.budget, "parameters": rep.per_param(),
           "epigraphs": {obj: rep.names.get(t, t) for obj, t in rep.epigraphs.items()},
           "nominal_objectives": {}, "worst_case": {}}
    if not result.has_solution:
        return out
    if isinstance(compiled.built, NonlinearBuilt):
        return _describe_nonlinear(compiled.built, result, out)
    x = plan_vector(compiled.linopy, result.solution)
    for name, expr in rep.nominal_objectives.items():
        out["nominal_objectives"][name] = float(expr_values(expr, np.nan_to_num(x)))
    out["worst_case"] = worst_case(rep, np.nan_to_num(x))
    return out


def _describe_nonlinear(built, result, out: dict) -> dict:
    """The same report for a nonlinear model: D_u(x) evaluated by SCIP at the plan."""
    model = built.model
    sol = model.getBestSol()
    out["nominal_objectives"].update(result.extra.get("nominal_objectives", {}))  # set by the solve
    rep = built.robust_report
    o = rep.options
    for family, rows in built.robust_rows.items():
        best = None
        for label, devs in rows:
            pushes = []
            for (p, u), d in devs.items():
                g = float(model.getSolVal(sol, d)) if d.degree() > 0 else float(sum(d.terms.values()))
                pushes.append((p, u, g))
            total = sum(max(_up(built, p, u) * g, -_down(built, p, u) * g) for p, u, g in pushes)
            if best is None or total > best[0]:
                best = (total, label, pushes)
        if best is None:
            continue
        _, label, pushes = best
        entries = []
        for p, u, g in pushes:
            w = max(_up(built, p, u) * g, -_down(built, p, u) * g)
            if w <= 0:
                continue
            up = g > 0
            entries.append({"param": p, "entry": list(_labels(built, p)[u]), "moves": "up" if up else "down",
                            "by": float(_up(built, p, u) if up else -_down(built, p, u)), "row_change": float(w)})
        entries.sort(key=lambda e: -e["row_change"])
        if o.method == "budget":
            entries = entries[:max(int(math.ceil(o.budget)), 0)]
        out["worst_case"][rep.label(family)] = [{"row": {"at": label} if label else {}, "entries": entries[:5]}]
    return out


def _up(built, p, u):
    return built.robust_probe.up[p][u]


def _down(built, p, u):
    return built.robust_probe.down[p][u]


def _labels(built, p):
    return built.robust_probe.labels[p]
