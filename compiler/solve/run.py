"""Run a solver on a built model and read back what it found, incumbent included.

linopy's own result reading drops the incumbent on a time limit and reports
('ok', 'unknown') as success; milkrun reads the solver's primal values itself so a
time-limited run keeps its best plan, and an unknown outcome is an error.
"""
from __future__ import annotations

import contextlib
import time

import numpy as np

from milkrun.compiler.build.linopy_model import BuiltModel, expression_value, n_labels, solution_dataset
from milkrun.compiler.build.nonlinear import NonlinearBuilt
from milkrun.compiler.solve import lazy_tours
from milkrun.compiler.solve.diagnose import explain_infeasible
from milkrun.compiler.solve.highs import sigint_noted, solve_highs
from milkrun.compiler.solve.lazy_tours import SubtourSeparator
from milkrun.compiler.solve.nonlinear import solve_nonlinear_model
from milkrun.compiler.solve.progress import SolveProgress
from milkrun.compiler.solve.result import Result, interrupted_message
from milkrun.compiler.solve.scip import STATUS, add_start, to_scip, watch_scip
from milkrun.compiler.solve.scip import values as scip_values
from milkrun.compiler.solve.solvers import choose_solver, solver_options
from milkrun.compiler.solve.start import start_problems
from milkrun.compiler.solve.stdout_guard import silenced
from milkrun.dsl.diagnostics import MilkrunError, Span


def solve(built: BuiltModel, solver: str = "auto", options: dict[str, str] | None = None,
          time_limit: float | None = None, gap: float | None = None, quiet: bool = True, ir=None,
          progress: bool = False, start: np.ndarray | None = None) -> Result:
    """`solver`: a name, or `auto` (HiGHS for a linear model, SCIP for a nonlinear one; the
    result says why in `solver_choice`). `progress`: show incumbent, bound and gap on stderr while
    the solver runs. `start`: values by label (NaN: unknown) handed to the solver as a first plan
    (compiler/solve/start.py)."""
    if isinstance(built, NonlinearBuilt):
        return solve_nonlinear_model(built, solver, options, time_limit, gap, quiet, progress, start)
    if int(built.linopy.nvars) == 0:
        raise empty_model_error(ir)
    solver, chosen_because = choose_solver(solver, [], [t for t in built.tours if t.undirected])
    opts = solver_options(solver, options or {}, time_limit, gap, quiet=quiet)
    result = _solve_with(built, solver, opts, time_limit, quiet, ir, progress, start)
    result.solver_choice = chosen_because
    return result


def empty_model_error(ir, what: str = "solve") -> MilkrunError:
    """A model without a single variable (none declared, or every entry left out by `where`)."""
    declared = [s.name for s in ir.of_kind("var")] if ir is not None else []
    why = (f"every entry of {', '.join(declared)} is left out by its index sets or `where`" if declared
           else "it declares no variable")
    return MilkrunError(f"nothing to {what}: the model has no variables ({why})",
                        Span(ir.file, 1, 1) if ir is not None else None,
                        hint="declare decisions with `var NAME[...] >= 0`" if not declared else None)


def _solve_with(built, solver: str, opts: dict, time_limit, quiet: bool, ir, progress: bool, start) -> Result:
    m = built.linopy
    t0 = time.perf_counter()
    try:
        with silenced(quiet), SolveProgress(solver, enabled=progress) as prog:
            if start is not None and solver not in ("highs", "scip"):
                raise MilkrunError(f"--start needs HiGHS or SCIP; solver '{solver}' is run through linopy")
            if built.lazy_tours:
                values, status, bound, termination, extra = _solve_lazy(built, solver, opts, time_limit, quiet, prog,
                                                                        start)
            else:
                values, status, bound, termination, extra = _solve_plain(built, solver, opts, prog, start)
    except MilkrunError:
        raise
    except Exception as e:  # a solver crash is reported, not raised as a traceback
        return Result("error", solver, message=f"{type(e).__name__}: {e}",
                      seconds={"solve": time.perf_counter() - t0})
    if values is None and start is not None and status in ("time_limit", "feasible", "error"):
        if start_is_a_plan(built, start, ir):  # the solver found nothing better: the start is still a plan
            why = "in the time" if status == "time_limit" else f"({termination})"
            values, status = start, "feasible" if status == "error" else status
            extra["message"] = (f"the solver found no plan of its own {why}; the plan reported is the start "
                                "given (--start), checked against every constraint")
    result = Result(status, solver, termination=termination, seconds={"solve": time.perf_counter() - t0})
    result.size = {"variables": int(m.nvars), "constraints": int(m.ncons)}
    result.extra = extra
    if status == "error":
        result.message = f"the solver ended without a usable answer ({termination})"
    if extra.get("message") and status not in ("infeasible",):
        result.message = extra.pop("message")
    if status == "infeasible":
        result.message = extra.pop("message", None) or "no assignment satisfies all constraints"
        with silenced(True):
            result.why = explain_infeasible(m, ir, built.added_names)
    if status == "unbounded":
        result.message = "the objective can improve without limit: a bound or constraint is missing"
    if values is None or status in ("infeasible", "unbounded", "error"):
        if status == "time_limit":
            result.message = "the time limit was reached before any feasible plan was found"
            if bound is not None and built.primary:  # what was proven still counts
                result.bound = bound + built.constants.get(built.primary, 0.0)
        return result
    result.solution = solution_dataset(m, values)
    for name, expr in built.objectives.items():
        result.objectives[name] = expression_value(expr, values)
    result.primary = built.primary
    result.sense = built.senses.get(built.primary) if built.primary else None
    result.objective = result.objectives.get(built.primary) if built.primary else None
    const = built.constants.get(built.primary, 0.0) if built.primary else 0.0
    is_mip = any(v.attrs.get("integer") or v.attrs.get("binary") for v in m.variables.data.values())
    if status == "optimal" and (not is_mip or bound is None):
        result.bound = result.objective
    elif bound is not None:
        result.bound = bound + const
    if result.objective is not None and result.bound is not None:
        result.gap = abs(result.objective - result.bound) / max(abs(result.objective), 1e-9)
        if result.gap < 1e-9:
            result.gap = 0.0
    result.tours = {t.name: t.routes(values) for t in built.tours}
    return result


def _solve_plain(built, solver, opts, progress=None, start=None):
    """HiGHS through its own API (progress, Ctrl+C keeps the incumbent); SCIP through PySCIPOpt
    (backend_scip); other solvers through linopy. Each returns the solver's primal values."""
    m = built.linopy
    if solver == "highs":
        return solve_highs(built, opts, progress, start)
    if solver == "scip":
        return _solve_scip(built, opts, lazy=False, progress=progress, start=start)
    status, condition = m.solve(solver_name=solver, progress=False, **opts)
    values = _linopy_values(m)
    return values, _status(condition, values is not None), None, f"{status}/{condition}", {}


def start_is_a_plan(built, start: np.ndarray, ir) -> bool:
    """A start that sets every declared variable, breaks no row it fully sets, and whose tours have
    no subtour is a feasible plan (the rows it leaves unset belong to tour formulations only)."""
    if ir is None:
        return False
    m = built.linopy
    for sym in ir.of_kind("var"):
        lab = np.asarray(m.variables[sym.name].labels.values).ravel()
        lab = lab[lab >= 0]
        if np.isnan(start[lab]).any():
            return False
    if start_problems(m, start):
        return False
    families = [t for t in built.tours if t.visits is not None]
    return not any(True for _ in SubtourSeparator(families).subtours(start))


def _solve_scip(built, opts, lazy: bool, progress=None, start=None):
    extra = {}
    if lazy:
        model, by_label, report = lazy_tours.solve_scip(built, opts, progress=progress, start=start)
        extra["lazy"] = vars(report)
    else:
        model, by_label = to_scip(built.linopy)
        watch_scip(model, progress)
        if opts:
            model.setParams(opts)
        if start is not None:
            add_start(model, by_label, start)
        model.optimize()
    condition = model.getStatus()
    vals = scip_values(model, by_label)
    state = STATUS.get(condition) or ("feasible" if vals is not None else "error")
    if state == "time_limit" and vals is None:
        state = "time_limit"
    if state == "interrupted":  # SCIP caught Ctrl-C itself (misc/catchctrlc) and kept its best solution
        extra["message"] = interrupted_message(vals is not None)
    try:
        bound = float(model.getDualbound())
        bound = bound if np.isfinite(bound) and abs(bound) < 1e19 else None  # SCIP: ±1e20 is infinity
    except Exception:
        bound = None
    return vals, state, bound, f"scip/{condition}", extra


def _solve_lazy(built, solver, opts, time_limit, quiet, progress=None, start=None):
    if solver == "highs":
        import sys

        with sigint_noted() as ctrl_c, contextlib.redirect_stdout(sys.stderr):  # highspy print()s on Ctrl-C
            values, state, bound, report = lazy_tours.solve_highs(built, opts, time_limit, quiet, progress, start)
        extra = {"lazy": vars(report)}
        if ctrl_c and state in ("feasible", "error"):  # the round Ctrl-C stopped ended the loop
            state, extra["message"] = "interrupted", interrupted_message(values is not None)
        return values, state, bound, f"row generation/{state}", extra
    if solver == "scip":
        values, state, bound, termination, extra = _solve_scip(built, opts, lazy=True, progress=progress,
                                                               start=start)
        return values, state, bound, termination.replace("scip/", "constraint handler/"), extra
    raise MilkrunError(f"lazily enforced tours need HiGHS or SCIP; with solver '{solver}' use --tour mtz or flow")


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


def _linopy_values(m) -> np.ndarray | None:
    """Primal values by label as linopy read them (solvers without a milkrun driver), or None."""
    out = np.full(n_labels(m), np.nan)
    for var in m.variables.data.values():
        lab, val = var.labels.values.ravel(), var.solution.values.ravel()
        ok = lab >= 0
        out[lab[ok]] = val[ok]
    return None if np.isnan(out).all() else out
