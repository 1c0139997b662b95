"""Figures declared in the model: `check`s on the data before a solve, `kpi`s after it.

A check states a condition every feasible plan needs ("each farm's round trip fits in
the day"); when the data breaks it, milkrun stops before solving and says which
element fails and why, in the modeller's own words. A kpi is an expression evaluated on
the solution, with variables standing for their values, so it may multiply or divide
them (utilisation, fill rates, cost per litre).
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from milkrun.dsl import ast
from milkrun.dsl.diagnostics import MilkrunError

from milkrun.compiler.model.evaluate import Evaluator, Scope, broadcast
from milkrun.compiler.data.instance import Instance
from milkrun.compiler.model.ir import ModelIR

MAX_REPORTED = 5


class ChecksFailed(MilkrunError):
    """The data makes the model infeasible for a reason a `check` names (exit 1)."""


def run_checks(ir: ModelIR, instance: Instance) -> None:
    ev = Evaluator(instance)
    failures: list[tuple[str, object]] = []
    for sym in ir.of_kind("check"):
        d: ast.Check = sym.decl
        scope = ev.declaration_scope(sym)
        ok = ev.cond(d.condition, scope)
        ok = broadcast(ok, scope.coords) if scope.coords else ok
        bad = ~ok if scope.mask is None else (~ok & scope.full_mask())
        if not bool(bad.any()):
            continue
        dims = list(scope.coords)
        positions = np.argwhere(np.asarray(bad.transpose(*dims).values)) if dims else [()]
        for pos in positions[:MAX_REPORTED]:
            at = {d_: scope.coords[d_][int(p)] for d_, p in zip(dims, pos)}
            failures.append((_message(ev, d, scope, at), sym.span))
        if len(positions) > MAX_REPORTED:
            failures.append((f"… and {len(positions) - MAX_REPORTED} more failures of check '{sym.name}'", None))
    if failures:
        (first, span), rest = failures[0], failures[1:]
        raise ChecksFailed(first, span, notes=[(m, None) for m, _ in rest], kind="infeasible",
                           hint="this data cannot give a feasible plan; change the data or the model")


def _message(ev: Evaluator, d: ast.Check, scope: Scope, at: dict) -> str:
    out = []
    for part in d.message:
        if isinstance(part, str):
            out.append(part)
            continue
        value = ev.expr(part.expr, scope)
        if isinstance(value, xr.DataArray):
            sel = {k: v for k, v in at.items() if k in value.dims}
            value = value.sel(sel).values
            value = value.item() if np.ndim(value) == 0 else value
        out.append(_show(value))
    return "".join(out)


def _show(v) -> str:
    if isinstance(v, (float, np.floating)):
        if float(v).is_integer():
            return f"{int(v):,}"
        return f"{v:,.1f}" if abs(v) >= 10 else f"{v:.3g}"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    return str(v)


def evaluate_kpis(ir: ModelIR, instance: Instance, solution: xr.Dataset) -> dict[str, xr.DataArray]:
    """Every kpi on the solution; variables that a `where` left out count as 0."""
    if not ir.of_kind("kpi"):
        return {}
    return _kpis(ir, instance, {name: solution[name].fillna(0.0) for name in solution.data_vars}, 0.0)


def check_kpis(ir: ModelIR, instance: Instance, variables: dict) -> None:
    """Every kpi evaluated once when the model is built, each variable an array of unknowns (NaN)
    over its domain: the mistakes that show only with the data (an index taking a value the item
    is not defined for, a parameter without a value, a division by a zero parameter) are then
    found by `milkrun check` and before a long solve, not after it. `variables`: the built
    families by name (linopy variables, or arrays of SCIP variables)."""
    if not ir.of_kind("kpi"):
        return
    values = {}
    for name, v in variables.items():
        like = getattr(v, "labels", v)  # a linopy.Variable's labels: its dims and coords
        values[name] = xr.DataArray(np.full(like.shape, np.nan), dims=like.dims, coords=like.coords)
    _kpis(ir, instance, values, np.nan, _Unknowns)


class _Unknowns(Evaluator):
    """An Evaluator over unknown variables: the checks on values (a zero divisor, log() of a
    number <= 0, an overflow) wait for the solution, where they mean something (a sum of
    unknowns is 0 here)."""

    check_values = False


def _kpis(ir: ModelIR, instance: Instance, values: dict, fill: float, evaluator=Evaluator) -> dict[str, xr.DataArray]:
    ev = evaluator(instance, values)
    out = {}
    for sym in ir.of_kind("kpi"):
        scope = ev.declaration_scope(sym)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = ev.number(sym.decl.expr, scope, "a kpi")
        v = v if isinstance(v, xr.DataArray) else xr.DataArray(float(v))
        v = broadcast(v, scope.coords)
        v = v.where(~(np.abs(v) < 1e-9), 0.0)  # solver residues (2.6e-15) are zeros
        if scope.mask is not None:
            v = v.where(scope.full_mask())
        out[sym.name] = v.transpose(*scope.coords.keys()) if scope.coords else v
        values[sym.name] = out[sym.name].fillna(fill)  # later kpis may use earlier ones
    return out
