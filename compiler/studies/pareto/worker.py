"""The worker side of a parallel front: solve one ε grid point on a session kept per process.

`solve_grid_point` is a top-level function of a plain dict (the run as plain values, the
weights, the ε bounds, a start plan as a numpy array) and returns plain data, so the sweep's
executors can run it in worker processes. Each worker compiles the model and loads it into
its solver once, on its first point, and keeps that session for the points after it: a grid
point changes only costs and row bounds, as in the coordinator's own session. The model, its
includes and its data are the copies the coordinator shipped (`files`: sweep/shipping.py). It never
raises for a point's own trouble; the coordinator decides what an error means.
"""
from __future__ import annotations

import json
import time
import traceback
from pathlib import Path

from milkrun.compiler.passes.robust import RobustOptions
from milkrun.compiler.pipeline import RunOptions, compile_model
from milkrun.compiler.solve.session import Session
from milkrun.compiler.solve.stdout_guard import silenced
from milkrun.compiler.studies.sweep.shipping import place
from milkrun.dsl.diagnostics import MilkrunError

_kept: dict = {"key": None, "session": None}  # this process's session and the run it was made for


def plain_run(run: RunOptions) -> dict:
    """The run as plain values (what a worker may be sent); a run whose data or fixed values are
    Python objects cannot be sent and is refused with a sentence."""
    if run.data is not None and not isinstance(run.data, (str, Path)):
        raise MilkrunError("--workers: the data must be in files (a folder of CSV tables) to reach the workers; "
                           "data given as Python objects runs with one worker")
    if run.fixed:
        raise MilkrunError("--workers: a run with fixed variable values runs with one worker")
    robust = None
    if run.robust is not None:
        robust = {"method": run.robust.method, "level": float(run.robust.level),
                  "budget": None if run.robust.budget is None else float(run.robust.budget)}
    return {"model": str(run.model), "data": None if run.data is None else str(run.data),
            "overrides": list(run.overrides), "scenario": run.scenario, "perturb": list(run.perturb),
            "realisation": list(run.realisation) if run.realisation is not None else None,
            "include_path": [str(p) for p in run.include_path], "max_entries": run.max_entries,
            "objective": run.objective, "tour_method": run.tour_method, "robust": robust,
            "solver": run.solver, "solver_options": dict(run.solver_options),
            "time_limit": run.time_limit, "gap": run.gap}


def run_of_plain(plain: dict) -> RunOptions:
    fields = dict(plain)
    if fields.get("robust") is not None:
        fields["robust"] = RobustOptions(**fields["robust"])
    if fields.get("realisation") is not None:
        fields["realisation"] = tuple(fields["realisation"])
    return RunOptions(**fields)


def _session(plain: dict) -> Session:
    key = json.dumps(plain, sort_keys=True)
    if _kept["key"] != key:
        run = run_of_plain(plain)
        compiled = compile_model(run)
        _kept["session"] = Session(compiled.built, run.solver, dict(run.solver_options), run.time_limit, run.gap)
        _kept["key"] = key
    return _kept["session"]


def solve_grid_point(task: dict) -> dict:
    """task: token, run (plain_run), files (shipping.Bundle.ref, or None: the run's own paths),
    weights, eps, start (plan by label, or None).
    Returns token, status, objectives, values (by label, or None), seconds, error."""
    t0 = time.perf_counter()
    placed = None
    try:
        with silenced(True):
            run = task["run"]
            if task.get("files") is not None:
                placed = place(task["files"])
                run = {**run, **placed.fields}
            session = _session(run)
            out = session.solve(task["weights"], task["eps"], start=task.get("start"))
        return {"token": task["token"], "status": out.status, "objectives": out.objectives, "values": out.values,
                "seconds": out.seconds, "error": ""}
    except MilkrunError as e:
        error = str(e)
    except Exception as e:  # noqa: BLE001 - reported by the coordinator, with where it arose
        error = f"{type(e).__name__}: {e}\n" + "".join(traceback.format_exc(limit=-3))
    if placed is not None:
        error = placed.tell(error)
    return {"token": task["token"], "status": "error", "objectives": {}, "values": None,
            "seconds": time.perf_counter() - t0, "error": error}
