"""Run a solver on a built model and read back what it found, incumbent included.

linopy's own result reading drops the incumbent on a time limit and reports
('ok', 'unknown') as success; milkrun reads the solver's primal values itself so a
time-limited run keeps its best plan, and an unknown outcome is an error.
"""
from __future__ import annotations

import time

import numpy as np
import xarray as xr

import contextlib
import os
import sys

from .backend_linopy import BuiltModel
from .diagnose import explain_infeasible
from .result import Result
from .solvers import check_solver, solver_options


def solve(built: BuiltModel, solver: str = "highs", options: dict[str, str] | None = None,
          time_limit: float | None = None, gap: float | None = None, quiet: bool = True, ir=None) -> Result:
    solver = check_solver(solver)
    opts = solver_options(solver, options or {}, time_limit, gap, quiet=quiet)
    m = built.linopy
    io_api = "direct" if solver == "highs" else None
    t0 = time.perf_counter()
    try:
        with silenced(quiet):
            status, condition = m.solve(solver_name=solver, io_api=io_api, progress=False, **opts)
    except Exception as e:  # a solver crash is reported, not raised as a traceback
        return Result("error", solver, message=f"{type(e).__name__}: {e}",
                      seconds={"solve": time.perf_counter() - t0})
    seconds = time.perf_counter() - t0
    values = _primal_values(m, solver)
    result = Result(_status(condition, values is not None), solver, termination=f"{status}/{condition}",
                    seconds={"solve": seconds})
    if condition == "infeasible_or_unbounded" and solver == "highs":
        result.status, result.message = _disambiguate(m, opts)
    result.size = {"variables": int(m.nvars), "constraints": int(m.ncons)}
    if result.status == "error":
        result.message = result.message or f"the solver ended with status '{status}' and condition '{condition}'"
    if result.status == "infeasible":
        result.message = result.message or "no assignment satisfies all constraints"
        with silenced(True):
            result.why = explain_infeasible(m, ir)
    if result.status == "unbounded":
        result.message = result.message or "the objective can improve without limit: a bound or constraint is missing"
    if values is None or result.status in ("infeasible", "unbounded", "error"):
        if result.status == "time_limit":
            result.message = "the time limit was reached before any feasible plan was found"
        return result
    result.solution = _dataset(m, values)
    for name, expr in built.objectives.items():
        result.objectives[name] = _evaluate(expr, values)
    result.primary = built.primary
    result.sense = built.senses.get(built.primary) if built.primary else None
    result.objective = result.objectives.get(built.primary) if built.primary else 0.0
    result.bound = _bound(m, solver, result, built)
    if result.objective is not None and result.bound is not None:
        result.gap = abs(result.objective - result.bound) / max(abs(result.objective), 1e-9)
        if result.gap < 1e-12:
            result.gap = 0.0
    return result


@contextlib.contextmanager
def silenced(quiet: bool):
    """Keep solver banners (written by C code straight to file descriptor 1) off stdout."""
    if not quiet:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _status(condition: str, has_values: bool) -> str:
    if condition == "optimal":
        return "optimal"
    if condition == "infeasible":
        return "infeasible"
    if condition == "unbounded":
        return "unbounded"
    if condition == "infeasible_or_unbounded":
        return "infeasible"
    if condition == "time_limit":
        return "time_limit" if has_values else "time_limit"
    if condition in ("iteration_limit", "terminated_by_limit"):
        return "feasible" if has_values else "error"
    return "error"  # ('ok', 'unknown') included: not a solution


def _disambiguate(m, opts) -> tuple[str, str]:
    """HiGHS's presolve may only say 'infeasible or unbounded'; solving without presolve tells which."""
    h = m.solver.solver_model
    try:
        h.setOptionValue("presolve", "off")
        h.run()
        s = h.modelStatusToString(h.getModelStatus()).lower()
    except Exception:
        return "infeasible", "the solver found the model infeasible or unbounded"
    if "unbounded" in s and "infeasible" not in s:
        return "unbounded", "the objective can improve without limit"
    return "infeasible", "no assignment satisfies all constraints"


def _primal_values(m, solver: str) -> np.ndarray | None:
    """Primal values indexed by linopy variable label, or None when the solver has no incumbent."""
    s = getattr(m, "solver", None)
    model = getattr(s, "solver_model", None)
    n = max((int(v.labels.max()) for v in m.variables.data.values() if v.labels.size), default=-1) + 1
    out = np.full(n, np.nan)
    if solver == "highs" and model is not None:
        info = model.getInfo()
        if int(info.primal_solution_status) != 2:  # 2 = feasible
            return None
        col = np.asarray(model.getSolution().col_value, dtype=float)
        labels = np.asarray(s._vlabels)
        out[labels] = col
        return out
    if solver == "scip" and model is not None:
        if model.getNSols() == 0:
            return None
        sol = model.getBestSol()
        for v in model.getVars():
            name = v.name
            if name.startswith("x") and name[1:].isdigit():
                out[int(name[1:])] = sol[v]
        return out
    # any other solver: what linopy read
    for var in m.variables.data.values():
        lab, val = var.labels.values.ravel(), var.solution.values.ravel()
        ok = lab >= 0
        out[lab[ok]] = val[ok]
    return None if np.isnan(out).all() else out


def _dataset(m, values: np.ndarray) -> xr.Dataset:
    data = {}
    for name, var in m.variables.data.items():
        lab = var.labels
        arr = np.where(lab.values >= 0, values[np.maximum(lab.values, 0)], np.nan)
        data[name] = xr.DataArray(arr, dims=lab.dims, coords=lab.coords)
    return xr.Dataset(data)


def _evaluate(expr, values: np.ndarray) -> float:
    vars_ = expr.vars.values
    coeffs = expr.coeffs.values
    x = np.where(vars_ >= 0, values[np.maximum(vars_, 0)], 0.0)
    c = np.where(vars_ >= 0, coeffs, 0.0)
    const = float(np.nansum(expr.const.values))
    return float(np.nansum(c * x)) + const


def _bound(m, solver: str, result: Result, built: BuiltModel) -> float | None:
    const = built.constants.get(built.primary, 0.0) if built.primary else 0.0
    s = getattr(m, "solver", None)
    model = getattr(s, "solver_model", None)
    is_mip = any(v.attrs.get("integer") or v.attrs.get("binary") for v in m.variables.data.values())
    if not is_mip:
        return result.objective if result.status == "optimal" else None
    try:
        if solver == "highs":
            return float(model.getInfo().mip_dual_bound) + const
        if solver == "scip":
            return float(model.getDualbound()) + const
    except Exception:
        return None
    return result.objective if result.status == "optimal" else None
