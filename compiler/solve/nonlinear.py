"""Solve a nonlinear model (build/nonlinear.py) on SCIP and read its plan back as the same Result as a
linear solve: objectives recomputed from the plan, a robust objective's worst case, bound and gap."""
from __future__ import annotations

import time

import numpy as np
import xarray as xr

from milkrun.compiler.build.nonlinear import NonlinearBuilt
from milkrun.compiler.model.evaluate import Evaluator, Scope
from milkrun.compiler.model.ir import ModelIR
from milkrun.compiler.solve.progress import SolveProgress
from milkrun.compiler.solve.result import Result, interrupted_message
from milkrun.compiler.solve.scip import watch_scip
from milkrun.compiler.solve.solvers import choose_solver, solver_options
from milkrun.compiler.solve.stdout_guard import silenced
from milkrun.dsl.diagnostics import MilkrunError


def nonlinear_error(ir: ModelIR, solver: str) -> MilkrunError:
    """`--solver highs` (or any linear solver) on a nonlinear model: located at the construct."""
    span, what = ir.nonlinear[0]
    more = f" (and {len(ir.nonlinear) - 1} more nonlinear term(s))" if len(ir.nonlinear) > 1 else ""
    return MilkrunError(f"{what} makes the model nonlinear{more}; solver '{solver}' solves linear models only",
                        span, hint="solve it with --solver scip (MINLP)")


STATUS = {"optimal": "optimal", "infeasible": "infeasible", "unbounded": "unbounded", "inforunbd": "infeasible",
          "timelimit": "time_limit", "gaplimit": "optimal", "userinterrupt": "interrupted"}


def solve_nonlinear_model(built: NonlinearBuilt, solver: str = "auto", options: dict[str, str] | None = None,
                          time_limit: float | None = None, gap: float | None = None, quiet: bool = True,
                          progress: bool = False, start=None) -> Result:
    """compiler/solve/run.py's `solve` for a nonlinear model, without loading the linear path (linopy)."""
    solver, chosen_because = choose_solver(solver, built.ir.nonlinear)
    opts = solver_options(solver, options or {}, time_limit, gap, quiet=quiet)
    if solver != "scip":
        raise nonlinear_error(built.ir, solver)
    if start is not None:
        raise MilkrunError("--start is not supported for nonlinear models yet")
    with silenced(quiet), SolveProgress(solver, enabled=progress) as prog:
        result = solve_nonlinear(built, solver, opts, prog)
    result.solver_choice = chosen_because
    return result


def solve_nonlinear(built: NonlinearBuilt, solver: str, opts: dict, progress=None) -> Result:
    """Solve on SCIP (solve_nonlinear_model has refused any other solver) and read the plan back as a
    Dataset like any solve."""
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
