"""What a worker does with one point: compile, solve (or compute a Pareto front), and hand back
plain data.

`run_point` is a top-level function of a plain dict, so the standard library's process pool
and dask.distributed can both pickle it; what it returns is a dict of numbers, strings and
numpy arrays (an xarray Dataset as `Dataset.to_dict(data="array")`), never a linopy object.
It never raises for a point's own trouble: a MilkrunError (an infeasible `check`, a bad value)
or any exception becomes status `infeasible` / `failed` with the message, so one bad point
does not stop a sweep. It prints nothing: solver banners and progress bars are sent to
/dev/null, so the coordinator's progress bar stays readable. Its model, includes and data are the
copies the coordinator shipped (`files`: shipping.py), found on this worker by `shipping.place`.
"""
from __future__ import annotations

import contextlib
import logging
import math
import os
import socket
import threading
import time
import traceback
import warnings

import numpy as np
import xarray as xr

from milkrun.compiler.build.figures import evaluate_kpis
from milkrun.compiler.build.linopy_model import solution_dataset
from milkrun.compiler.passes.robust import RobustOptions
from milkrun.compiler.pipeline import RunOptions, compile_model, solve_compiled
from milkrun.compiler.studies.pareto.run import run_pareto
from milkrun.compiler.studies.sweep.shipping import place
from milkrun.dsl.diagnostics import MilkrunError

SOLVED = ("optimal", "feasible", "time_limit")


def run_point(task: dict) -> dict:
    """task: files (shipping.Bundle.ref: the model, data folder and include folders), overrides,
    scenario, realisation, mode, solver, options, time_limit, gap, tour, objective, pareto (dict),
    keep_variables (True/False/None = auto), auto_limit, index, key, coords. Without `files`: the
    paths `model`, `data`, `include_path` as given. Returns index, key, status, error, seconds,
    host, pid, dataset."""
    t0, c0 = time.perf_counter(), time.process_time()
    status, error, ds = "failed", "", None
    placed = None
    try:
        with quiet(task.get("quiet", True)):
            if task.get("files") is not None:
                placed = place(task["files"])
                task = {**task, **placed.fields}
            ds = _pareto(task) if task.get("mode") == "pareto" else _solve(task)
        status = str(ds["status"].item())
        error = str(ds["error"].item())
    except MilkrunError as e:
        status = "infeasible" if e.kind == "infeasible" else "failed"
        error = str(e)
    except Exception as e:  # noqa: BLE001 - any trouble of one point is that point's outcome
        status = "failed"
        error = f"{type(e).__name__}: {e}\n" + "".join(traceback.format_exc(limit=-3))
    seconds = time.perf_counter() - t0
    if placed is not None:  # the analyst's paths in messages, not this worker's copies
        error = placed.tell(error)
        if ds is not None:
            ds["error"] = ((), error)
    if ds is None:
        ds = xr.Dataset({"status": ((), status), "error": ((), error)})
    ds["seconds"] = ((), seconds)
    ds["cpu_seconds"] = ((), time.process_time() - c0)  # below `seconds` when the worker waited for a core
    return {"index": task["index"], "key": task["key"], "status": status, "error": error, "seconds": seconds,
            "host": socket.gethostname(), "pid": os.getpid(), "dataset": ds.to_dict(data="array")}


def run_of(task: dict) -> RunOptions:
    """The point's RunOptions: the sweep's model, data and solver with the point's --set changes,
    scenario, realisation and robust setting."""
    robust = None
    if task.get("robust"):
        r = task["robust"]
        robust = RobustOptions(r["method"], float(r.get("level", 1.0)),
                               None if r.get("budget") is None else float(r["budget"]))
    return RunOptions(model=task["model"], data=task.get("data"), overrides=tuple(task.get("overrides") or ()),
                      include_path=tuple(task.get("include_path") or ()),
                      scenario=task.get("scenario"),
                      realisation=tuple(task["realisation"]) if task.get("realisation") is not None else None,
                      objective=task.get("objective"), tour_method=task.get("tour"), robust=robust,
                      solver=task.get("solver") or "auto", solver_options=dict(task.get("options") or {}),
                      time_limit=task.get("time_limit"), gap=task.get("gap"))


def _solve(task: dict) -> xr.Dataset:
    run = run_of(task)
    compiled = compile_model(run)
    result = solve_compiled(compiled, run)
    error = "" if result.has_solution and not result.message else (result.message or "")
    if result.why:
        error += "".join(f"\n  {w}" for w in result.why)
    data = {"status": ((), result.status), "error": ((), error.strip()),
            "has_plan": ((), bool(result.has_solution)),
            "objective": ((), _f(result.objective)), "bound": ((), _f(result.bound)), "gap": ((), _f(result.gap)),
            "solve_seconds": ((), float(result.seconds.get("solve", math.nan))),
            "compile_seconds": ((), float(sum(compiled.seconds.values())))}
    for name, value in result.objectives.items():
        data[f"obj_{name}"] = ((), _f(value))
    ds = xr.Dataset(data)
    for name, da in result.kpis.items():
        ds[f"kpi_{name}"] = _plain_array(da)
    if result.has_solution and _keep(task, int(result.size.get("variables", 0))):
        for name, da in result.solution.data_vars.items():
            if name not in compiled.built.added_names:  # a robust counterpart's own variables are not the plan
                ds[f"var_{name}"] = _plain_array(da)
    ds.attrs["primary"] = result.primary or ""
    ds.attrs["sense"] = result.sense or ""
    return ds


def _pareto(task: dict) -> xr.Dataset:
    """A front per point along `front_point`; kpis evaluated on each front point's plan."""
    p = task.get("pareto") or {}
    t0 = time.perf_counter()
    compiled, front = run_pareto(run_of(task), primary=p.get("primary"), method=p.get("method") or "augmecon2",
                                 points=p.get("points", 10), weights=p.get("weights"), nadir=p.get("nadir") or None)
    t0 += float(sum(compiled.seconds.values()))  # the solves only, as for a single solve
    solve_seconds = time.perf_counter() - t0
    n = len(front.points)
    proven = all(s == "optimal" for s in front.statuses)
    status = ("optimal" if proven else "feasible") if n else "infeasible"
    data = {"status": ((), status), "error": ((), "" if n else "the front has no point"),
            "has_plan": ((), n > 0), "front_size": ((), n), "solve_seconds": ((), solve_seconds),
            "compile_seconds": ((), float(sum(compiled.seconds.values()))),
            "payoff": (("payoff_optimised", "payoff_objective"), np.asarray(front.payoff, dtype=float))}
    ds = xr.Dataset(data, coords={"payoff_optimised": front.objectives, "payoff_objective": front.objectives})
    if n:
        fp = np.arange(1, n + 1)
        for key in front.points[0]:
            name = f"obj_{key}" if key in front.objectives else key
            ds[name] = ("front_point", np.array([pt[key] for pt in front.points], dtype=float))
        ds["front_status"] = ("front_point", np.array(front.statuses, dtype=str))
        m = compiled.linopy
        plans = [solution_dataset(m, v) for v in front.plans]
        kpis = [evaluate_kpis(compiled.ir, compiled.instance, plan) for plan in plans]
        for name in kpis[0]:
            ds[f"kpi_{name}"] = _plain_array(xr.concat([k[name] for k in kpis], dim="front_point"))
        if _keep(task, int(m.nvars) * n):
            for name in plans[0].data_vars:
                if name not in compiled.built.added_names:
                    ds[f"var_{name}"] = _plain_array(xr.concat([pl[name] for pl in plans], dim="front_point"))
        ds = ds.assign_coords(front_point=fp)
    ds.attrs["method"] = front.method
    ds.attrs["solves"] = int(front.solves)
    return ds


def _keep(task: dict, values: int) -> bool:
    keep = task.get("keep_variables")
    return bool(keep) if keep is not None else values <= int(task.get("auto_limit", 100_000))


def _plain_array(da: xr.DataArray) -> xr.DataArray:
    """Only the array and its index labels (as numbers or text): what netCDF and a pickle carry."""
    da = xr.DataArray(np.asarray(da.values, dtype=float) if da.dtype != object else da.values,
                      dims=da.dims, coords={d: da.indexes[d] for d in da.dims if d in da.indexes})
    for d, idx in list(da.indexes.items()):
        if idx.dtype == object:
            da = da.assign_coords({d: np.array([str(v) for v in idx])})
    return da


def _f(v) -> float:
    return math.nan if v is None else float(v)


_QUIET_LOCK = threading.Lock()
_quiet_state = {"depth": 0, "saved": None}


@contextlib.contextmanager
def quiet(enabled: bool = True):
    """Solver banners go to file descriptor 1, progress bars and warnings to 2: both to /dev/null
    while a point runs, and linopy's logging down to errors. Counted, so that a dask worker
    running points in several threads restores the descriptors only when the last one ends."""
    logging.getLogger("linopy").setLevel(logging.ERROR)
    if not enabled:
        yield
        return
    _redirect(+1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        _redirect(-1)


def _redirect(step: int) -> None:
    import sys

    with _QUIET_LOCK:
        sys.stdout.flush()
        sys.stderr.flush()
        st = _quiet_state
        if step > 0 and st["depth"] == 0:
            st["saved"] = [os.dup(1), os.dup(2)]
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.close(devnull)
        st["depth"] += step
        if step < 0 and st["depth"] == 0:
            for fd, saved in zip((1, 2), st["saved"]):
                os.dup2(saved, fd)
                os.close(saved)
            st["saved"] = None


def warm_up() -> None:
    """Called when a worker starts: unpickling run_point has imported this module, and with it the
    pipeline, so the first point does not pay for the imports; nothing more to load."""
