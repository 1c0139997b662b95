"""Build a linopy model from a checked model and its bound data, in whole-array steps.

One `add_variables` per variable family (its `where` becomes a mask), one
`add_constraints` per constraint family. Rows that indexing leaves without any
variable are settled here: a satisfied one is dropped, a violated one (`0 >= 1`)
makes the model infeasible and is reported with its source line and index.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from milkrun.compiler.model.linopy_setup import linopy
from milkrun.dsl import ast
from milkrun.dsl.diagnostics import MilkrunError

from milkrun.compiler.model.evaluate import Evaluator, Scope, added, broadcast, is_linear
from milkrun.compiler.build.figures import check_kpis
from milkrun.compiler.build.solver_infinity import INFINITE, SCALE_HINT, SOLVER_INFINITY
from milkrun.compiler.build.variable_domain import variable_domain
from milkrun.compiler.data.instance import Instance, _full
from milkrun.compiler.model.ir import ModelIR, Symbol
from milkrun.dsl.diagnostics import did_you_mean


# The declaration behind each constraint family of a built model, for messages about rows found
# after building (backend_scip refuses numbers SCIP reads as infinite before handing rows over).
ORIGINS: "weakref.WeakKeyDictionary[linopy.Model, dict]" = weakref.WeakKeyDictionary()


def origin(m, family: str):
    """The span of the declaration a constraint family comes from (`name`, `name_lo`, `name_hi`)."""
    spans = ORIGINS.get(m, {})
    for name in (family, family.removesuffix("_lo"), family.removesuffix("_hi")):
        if name in spans:
            return spans[name]
    return None


class InfeasibleByConstruction(MilkrunError):
    """A constraint row without variables that cannot hold: the model is infeasible as written."""


@dataclass
class BuiltModel:
    linopy: linopy.Model
    objectives: dict[str, linopy.LinearExpression]  # every declared objective, primary first
    senses: dict[str, str]
    constants: dict[str, float]  # constant part of each objective
    dropped_rows: dict[str, int] = field(default_factory=dict)  # empty rows that always hold
    tours: list = field(default_factory=list)  # compiled `tour` families (passes/tour.py)
    added_names: dict[str, str] = field(default_factory=dict)  # a pass's variables and rows -> how reports call them

    @property
    def lazy_tours(self) -> list:
        return [t for t in self.tours if t.method == "lazy"]

    @property
    def primary(self) -> str | None:
        return next(iter(self.objectives), None)


def build(ir: ModelIR, instance: Instance, objective: str | None = None,
          global_constraints: dict | None = None) -> BuiltModel:
    """`global_constraints`: name → the function that expands such a constraint into rows (the
    pipeline gives passes/tour.py's, with the run's tour method); the build keeps the model's order."""
    m = linopy.Model()
    ORIGINS[m] = {s.name: s.span for s in ir.of_kind("constraint")}  # for backend_scip's last check
    variables: dict[str, linopy.Variable] = {}
    ev = Evaluator(instance, variables)
    for sym in ir.of_kind("var"):
        variables[sym.name] = _add_variable(m, sym, ev)
    dropped, tours = {}, []
    for sym in ir.of_kind("constraint"):
        if sym.decl.is_global:
            call = sym.decl.terms[0]
            scope = ev.declaration_scope(sym)
            tours.append((global_constraints or {})[call.func](m, sym, call, ev, scope))
            continue
        dropped.update(_add_constraint(m, sym, ev))
    objectives, senses, constants = {}, {}, {}
    for sym in ir.objectives:
        expr = ev.number(sym.decl.expr, Scope({}), "an objective")
        if not is_linear(expr):
            raise MilkrunError(f"objective '{sym.name}' has no variables", sym.span)
        if isinstance(expr, linopy.Variable):
            expr = expr.to_linexpr()
        _refuse_infinite_coefficients(m, expr, None, f"objective '{sym.name}'", sym.span)
        constants[sym.name] = float(expr.const.item()) if expr.const.ndim == 0 else 0.0
        objectives[sym.name] = expr
        senses[sym.name] = "min" if sym.decl.sense == "minimize" else "max"
    if objective is not None:
        if objective not in objectives:
            raise MilkrunError(f"no objective named '{objective}'", hint=did_you_mean(objective, objectives))
        objectives = {objective: objectives[objective], **{k: v for k, v in objectives.items() if k != objective}}
    if objectives:
        name = next(iter(objectives))
        obj = objectives[name] - constants[name] if constants[name] else objectives[name]
        m.add_objective(obj, sense=senses[name])
    elif variables:  # no objective: any feasible point will do (the solver needs some objective)
        first = next(iter(variables.values()))
        m.add_objective((0 * first).sum())
    check_kpis(ir, instance, variables)  # their data-dependent mistakes now, not after the solve
    return BuiltModel(m, objectives, senses, constants, dropped, tours)


def _add_variable(m: linopy.Model, sym: Symbol, ev: Evaluator) -> linopy.Variable:
    d: ast.VarDecl = sym.decl
    scope, lower, upper = variable_domain(sym, ev)
    coords = [scope.coords[k].rename(k) for k in scope.coords]
    mask = scope.full_mask() if scope.mask is not None else None
    kw = {}
    if coords:
        kw["coords"] = coords
        lower = _full(lower, scope) if isinstance(lower, xr.DataArray) else lower
        upper = _full(upper, scope) if isinstance(upper, xr.DataArray) else upper
    crossed = xr.DataArray(lower) > xr.DataArray(upper)
    if mask is not None and crossed.ndim:
        crossed = crossed & mask
    if bool(crossed.any()):
        at = crossed.where(crossed, drop=True) if crossed.ndim else crossed
        where = ", ".join(f"{dim}={at.coords[dim].values[0]}" for dim in at.dims) if crossed.ndim else ""
        raise MilkrunError(f"variable '{sym.name}' has a lower bound above its upper bound"
                           f"{' at ' + where if where else ''}", d.span)
    for value, op, wrong in ((lower, ">=", lambda v: v >= SOLVER_INFINITY),
                             (upper, "<=", lambda v: v <= -SOLVER_INFINITY)):
        bad = wrong(xr.DataArray(value))
        if mask is not None and bad.ndim:
            bad = bad & mask
        if bool(bad.any()):
            v = float(xr.DataArray(value).where(bad, drop=True).values.ravel()[0]) if bad.ndim else float(value)
            bound = next((b for b in d.bounds if b.op == op), None)
            raise MilkrunError(f"variable '{sym.name}' has the bound {op} {v:g}: {INFINITE}",
                               bound.span if bound is not None else d.span, hint=SCALE_HINT)
    if d.kind == "binary":
        return m.add_variables(name=sym.name, mask=mask, binary=True, **kw)
    return m.add_variables(lower=lower, upper=upper, name=sym.name, mask=mask, integer=d.kind == "integer", **kw)


def _add_constraint(m: linopy.Model, sym: Symbol, ev: Evaluator) -> dict[str, int]:
    d: ast.Constraint = sym.decl
    scope = ev.declaration_scope(sym)
    terms = [ev.number(t, scope, "each side of a constraint") for t in d.terms]
    if len(terms) == 2:
        parts = [(sym.name, terms[0], d.ops[0], terms[1])]
    else:  # low <= e <= high (or high >= e >= low)  →  two families, _lo the lower bound
        low, high = (terms[0], terms[2]) if d.ops[0] == "<=" else (terms[2], terms[0])
        parts = [(f"{sym.name}_lo", terms[1], ">=", low), (f"{sym.name}_hi", terms[1], "<=", high)]
    dropped = {}
    for name, lhs, op, rhs in parts:
        dropped[name] = _add_rows(m, sym, name, lhs, op, rhs, scope)
    return {k: v for k, v in dropped.items() if v}


def _add_rows(m, sym: Symbol, name: str, lhs, op: str, rhs, scope: Scope) -> int:
    """Add `lhs op rhs` over the scope; settle rows left without variables. Returns how many were dropped."""
    if is_linear(rhs) and not is_linear(lhs):  # 5 >= x  →  x <= 5
        lhs, rhs, op = rhs, lhs, {"<=": ">=", ">=": "<=", "==": "=="}[op]
    if is_linear(rhs):
        expr, rhs = added(lhs, rhs, -1.0), 0.0
    else:
        expr = lhs
    if isinstance(expr, linopy.Variable):
        expr = expr.to_linexpr()
    expr = broadcast(expr, scope.coords)
    const = expr.const - rhs  # a row reads: terms + const (op) 0
    term_axis = expr.vars.dims.index("_term")
    if scope.mask is None and bool((expr.vars.values != -1).any(axis=term_axis).all()):
        # every row is live (no mask, none left empty): the checks below on plain arrays, no xarray steps
        _check_rows_fast(name, sym, m, expr, op, const)
        m.add_constraints(_rows(m, expr, op, const), name=name)
        return 0
    has_vars = (expr.vars != -1).any("_term")
    active = scope.full_mask() if scope.mask is not None else xr.DataArray(True)
    active = active & xr.ones_like(has_vars, dtype=bool) if has_vars.ndim else active
    empty = active & ~has_vars
    n_empty = int(empty.sum())
    if n_empty:
        holds = {"<=": const <= 0, ">=": const >= 0, "==": abs(const) <= 1e-9}[op]
        broken = empty & ~holds
        if bool(broken.any()):
            where = broken.where(broken, drop=True)
            at = {dim: where.coords[dim].values[0] for dim in where.dims}
            idx = ", ".join(f"{k}={_plain(v)}" for k, v in at.items())
            row = const.sel(at) if at else const
            raise InfeasibleByConstruction(
                f"constraint '{sym.name}'{f' at {idx}' if idx else ''} has no variable left after indexing and "
                f"reads 0 {op} {_plain(-float(row))}, which is false: the model is infeasible as written",
                sym.span, hint="check the sets this constraint ranges over and its 'where' conditions",
                kind="infeasible")
    live = active & has_vars
    _check_rows(name, sym, m, expr, op, const, live)
    kwargs = {"name": name}
    if live.ndim and not bool(live.all()):  # a mask costs linopy a pass over every term: only when needed
        kwargs["mask"] = live
    m.add_constraints(_rows(m, expr, op, const), **kwargs)
    return n_empty


def _rows(m, expr, op: str, const):
    """The rows `expr op rhs` as a linopy Constraint, from the terms and `const` = expr.const - rhs
    already computed here (linopy's `to_constraint` would subtract the right-hand side again)."""
    side = -const if isinstance(const, xr.DataArray) else xr.DataArray(-const)
    data = expr.data[["coeffs", "vars"]].assign(sign={"<=": "<=", ">=": ">=", "==": "="}[op], rhs=side)
    return linopy.Constraint(data, m)


def _check_rows(name: str, sym: Symbol, m, expr, op: str, const, live) -> None:
    """The rows in use (`live`) have defined, finite coefficients and right-hand sides below the solvers' infinity."""
    if bool((const.isnull() & live).any()):
        raise MilkrunError(f"constraint '{name}' uses a value that is not defined on part of its domain", sym.span)
    coeffs = expr.coeffs.values
    bad_coeff = ~np.isfinite(coeffs) & (expr.vars.values != -1)
    if bad_coeff.any() and bool((xr.DataArray(bad_coeff, dims=expr.coeffs.dims).any("_term") & live).any()):
        raise MilkrunError(f"constraint '{name}' has a coefficient that is not a finite number", sym.span)
    _refuse_infinite_coefficients(m, expr, live, f"constraint '{sym.name}'", sym.span)
    side = -const if isinstance(const, xr.DataArray) else xr.DataArray(-const)
    # past the infinity, `>= 1e23` would silently hold for any plan (HiGHS) or for none (SCIP);
    # `>= -1e23` means no limit either way and is left alone
    big = {">=": side >= SOLVER_INFINITY, "<=": side <= -SOLVER_INFINITY, "==": np.abs(side) >= SOLVER_INFINITY}[op]
    big = big & live
    if bool(big.any()):
        at = big.where(big, drop=True) if big.ndim else big
        where = {dim: at.coords[dim].values[0] for dim in at.dims} if big.ndim else {}
        value = float(side.sel(where)) if where else float(side)
        idx = ", ".join(f"{k}={_plain(v)}" for k, v in where.items())
        raise MilkrunError(f"constraint '{sym.name}'{f' at {idx}' if idx else ''} has the right-hand side "
                           f"{value:g}: {INFINITE}", sym.span, hint=SCALE_HINT)


def _check_rows_fast(name: str, sym: Symbol, m, expr, op: str, const) -> None:
    """_check_rows when every row is live: the same questions asked of plain arrays first; only a row that
    fails one is looked at again, by _check_rows, to say where."""
    side = -np.asarray(const.values if isinstance(const, xr.DataArray) else const)
    # one pass over the terms: false for a coefficient that is nan, infinite or past the solvers' infinity
    # (on any term, used or not: a suspect row is only looked at again, never refused, here)
    suspect = (not np.all(np.abs(expr.coeffs.values) < SOLVER_INFINITY) or np.any(pd.isnull(side))
               or np.any({">=": side >= SOLVER_INFINITY, "<=": side <= -SOLVER_INFINITY,
                          "==": np.abs(side) >= SOLVER_INFINITY}[op]))
    if suspect:
        _check_rows(name, sym, m, expr, op, const, xr.DataArray(True))


def _refuse_infinite_coefficients(m, expr, live, what: str, span) -> None:
    """A coefficient of SOLVER_INFINITY or more: SCIP stops with a C error, HiGHS reads it as infinite."""
    coeffs, labels = expr.coeffs, expr.vars
    if np.all(np.abs(coeffs.values) < SOLVER_INFINITY):  # one pass over plain arrays: the usual case
        return
    big = (np.abs(coeffs) >= SOLVER_INFINITY) & (labels != -1)
    if not bool(big.values.any()):
        return
    if live is not None and getattr(live, "ndim", 0):
        big = big & live
        if not bool(big.values.any()):
            return
    pos = tuple(int(k[0]) for k in np.nonzero(big.transpose(*coeffs.dims).values))
    value = float(coeffs.transpose(*coeffs.dims).values[pos])
    label = int(labels.transpose(*coeffs.dims).values[pos])
    row = {d: coeffs.indexes[d][k] for d, k in zip(coeffs.dims, pos) if d != "_term" and d in coeffs.indexes}
    at = f" at {', '.join(f'{k}={_plain(v)}' for k, v in row.items())}" if row else ""
    raise MilkrunError(f"{what}{at} has the coefficient {value:g} on {_variable_name(m, label)}: {INFINITE}", span,
                       hint=SCALE_HINT)


def _variable_name(m, label: int) -> str:
    try:
        name, coords = m.variables.get_label_position(label)
    except Exception:  # pragma: no cover - a label linopy cannot place
        return "a variable"
    if not coords:
        return str(name)
    return f"{name}[{', '.join(str(_plain(v)) for v in coords.values())}]"


def _plain(v):
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def plan_vector(m, solution) -> np.ndarray:
    """A solved plan (Dataset of variable values) as values by linopy label: how a plan found on
    one compiled model is checked or used on another compiled from changed data."""
    out = np.full(n_labels(m), np.nan)
    for name in m.variables.data:
        if name not in solution:
            continue
        labels = m.variables[name].labels
        value = solution[name].reindex({d: labels.coords[d] for d in labels.dims}).transpose(*labels.dims)
        ok = labels.values >= 0
        out[labels.values[ok]] = np.nan_to_num(value.values[ok], nan=0.0)
    return out


def n_labels(m) -> int:
    """How many variable labels a linopy model has handed out (masked entries included)."""
    return max((int(v.labels.max()) for v in m.variables.data.values() if v.labels.size), default=-1) + 1


def solution_dataset(m, values: np.ndarray) -> xr.Dataset:
    """Values by label as one array per variable: the inverse of plan_vector."""
    data = {}
    for name, var in m.variables.data.items():
        lab = var.labels
        arr = np.where(lab.values >= 0, values[np.maximum(lab.values, 0)], np.nan)
        data[name] = xr.DataArray(arr, dims=lab.dims, coords=lab.coords)
    return xr.Dataset(data)


def expression_value(expr, values: np.ndarray) -> float:
    """A linear expression's value at values by label."""
    vars_ = expr.vars.values
    coeffs = expr.coeffs.values
    x = np.where(vars_ >= 0, values[np.maximum(vars_, 0)], 0.0)
    c = np.where(vars_ >= 0, coeffs, 0.0)
    const = float(np.nansum(expr.const.values))
    return float(np.nansum(c * x)) + const
