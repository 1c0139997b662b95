"""The coordinator: check everything it can before any worker starts, read the model's files once
(shipping.collect: what the workers compile from, and what the manifest hashes), hand points to the
executor, save each outcome as it arrives, and assemble the sweep at the end (also after Ctrl-C, from
whatever finished).
"""
from __future__ import annotations

import collections
import contextlib
import queue
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import xarray as xr

from milkrun.compiler.pipeline import bind_data, load_model, resolve_model_path
from milkrun.compiler.solve.solvers import choose_solver, solver_options
from milkrun.compiler.studies.sweep import manifest as mf
from milkrun.compiler.studies.sweep.executors import WorkerLost, make_executor, require_distributed
from milkrun.compiler.studies.sweep.points import Plan, Point, make_plan
from milkrun.compiler.studies.sweep.progress import SweepProgress
from milkrun.compiler.studies.sweep.shipping import Bundle, collect
from milkrun.compiler.studies.sweep.store import PointStore, write_outputs
from milkrun.compiler.studies.sweep.tasks import run_point, warm_up
from milkrun.dsl.diagnostics import MilkrunError, Span, did_you_mean

REBUILD_EVERY = 60.0    # seconds between rebuilds of sweep.nc while a sweep runs
MAX_CRASHES = 2         # a point whose worker died this often is recorded as failed
AUTO_VALUES = 5_000_000  # --keep-variables auto: keep them while points x values stays below this


@dataclass
class SweepSpec:
    model: str
    out: Path
    data: str | None = None
    overrides: list[str] = field(default_factory=list)
    include_path: list[str] = field(default_factory=list)  # besides MILKRUN_INCLUDE_PATH
    grids: list[str] = field(default_factory=list)
    scenarios: str | None = None
    realisations: int | None = None
    seed: int | None = None
    mode: str = "solve"                       # solve | pareto
    objective: str | None = None
    pareto: dict = field(default_factory=dict)  # primary, method, points, weights, nadir
    solver: str = "auto"
    options: dict = field(default_factory=dict)
    time_limit: float | None = None
    gap: float | None = None
    tour: str | None = None
    keep_variables: bool | None = None        # None: keep them when the sweep stays small
    workers: int = 1
    scheduler: str | None = None
    cluster: str | None = None
    resume: bool = False
    retry_failed: bool = False
    force: bool = False
    progress: bool = True
    record: dict = field(default_factory=dict)  # the command's options as given, for the manifest
    robust: dict | None = None  # method, level, budget of the robust pass at every point
    robust_axes: dict | None = None  # {"level": [...]} / {"budget": [...]}: the robust setting as a dimension

    def settings(self) -> dict:
        """What every point is solved with: resuming with other settings would mix two sweeps."""
        return {"mode": self.mode, "objective": self.objective, "pareto": self.pareto if self.mode == "pareto" else None,
                "solver": self.solver, "options": self.options, "time_limit": self.time_limit, "gap": self.gap,
                "tour": self.tour, "overrides": list(self.overrides), "robust": self.robust}


@dataclass
class SweepOutcome:
    plan: Plan
    dataset: xr.Dataset
    finished: dict[str, xr.Dataset]
    out: Path
    ran: int = 0                 # points run by this call
    skipped: int = 0             # points found finished in OUT/points (--resume)
    wall: float = 0.0
    task_seconds: float = 0.0    # sum over the points run of their time in the worker
    solve_seconds: float = 0.0   # of which in the solver
    executor: str = ""
    interrupted: bool = False
    attrs: dict = field(default_factory=dict)  # of the assembled Dataset

    def status_of(self, p: Point) -> str:
        ds = self.finished.get(p.key)
        return "pending" if ds is None else str(ds["status"].item())

    def solved(self, p: Point) -> bool:
        ds = self.finished.get(p.key)
        return ds is not None and _has_plan(ds)

    @property
    def counts(self) -> dict[str, int]:
        return dict(collections.Counter(self.status_of(p) for p in self.plan.points))

    @property
    def n_solved(self) -> int:
        return sum(self.solved(p) for p in self.plan.points)

    @property
    def exit_code(self) -> int:
        return 0 if self.n_solved == len(self.plan) else 1


def prepare(spec: SweepSpec):
    """Everything checked before a worker starts: the model, the plan, objective names, solver
    options, the data at its base values. Returns (model path, ir, plan, data folder, bundle)."""
    if spec.scheduler or spec.cluster:  # the extra they need, said before anything is run or written
        require_distributed("--scheduler" if spec.scheduler else f"--cluster {spec.cluster}")
    model = resolve_model_path(spec.model)
    if not model.exists():
        raise MilkrunError(f"model file '{spec.model}' not found")
    ir = load_model(model, spec.include_path)
    if not (spec.grids or spec.scenarios is not None or spec.realisations is not None or spec.robust_axes):
        raise MilkrunError("a sweep needs points: give --grid NAME=V1,V2,..., --scenarios all|A,B, "
                           "--realisations N, or --levels / --budgets with --robust")
    plan = make_plan(ir, spec.grids, spec.scenarios, spec.realisations, spec.seed, spec.overrides, spec.robust_axes)
    objectives = [s.name for s in ir.objectives]
    for flag, name in (("--objective", spec.objective), ("--primary", spec.pareto.get("primary"))):
        if name is not None and name not in objectives:
            raise MilkrunError(f"{flag}: the model has no objective '{name}'",
                               hint=did_you_mean(name, objectives) or f"its objectives: {', '.join(objectives)}")
    if spec.mode == "pareto" and len(objectives) < 2:
        raise MilkrunError(f"--pareto needs two or more objectives; the model declares {len(objectives)}",
                           Span(ir.file, 1, 1))
    spec.solver, _ = choose_solver(spec.solver, ir.nonlinear, ir.undirected_tours)  # auto: one choice for every point
    solver_options(spec.solver, dict(spec.options), spec.time_limit, spec.gap, quiet=True)  # refuses unknown options
    _, data_dir = bind_data(ir, spec.data, list(spec.overrides))  # a broken data folder fails every point
    return model, ir, plan, data_dir, collect(model, data_dir, spec.include_path)


def run_sweep(spec: SweepSpec) -> SweepOutcome:
    t0 = time.perf_counter()
    model, ir, plan, data_dir, bundle = prepare(spec)
    out = Path(spec.out)
    store = PointStore(out)
    manifest_path = out / "manifest.json"
    current = mf.new_manifest(model, data_dir, spec.settings(), plan, spec.record, bundle)
    forced = False
    if manifest_path.exists() or store.has_points():
        if not spec.resume:
            raise MilkrunError(f"{out} already holds a sweep", Span(str(manifest_path), 1, 1)
                               if manifest_path.exists() else None,
                               hint="give --resume to continue it, or another --out folder for a new sweep")
        if manifest_path.exists():
            old = mf.read(manifest_path)
            try:
                mf.check_resume(manifest_path, old, current)
            except MilkrunError:
                if not spec.force:
                    raise
                forced = True
            current["started"], current["runs"] = old.get("started", current["started"]), old.get("runs", [])
    keys = {p.key for p in plan.points}
    finished = {k: ds for k, ds in store.load().items() if k in keys} if spec.resume else {}
    todo = [p for p in plan.points
            if p.key not in finished or (spec.retry_failed and not _has_plan(finished[p.key]))]
    for p in todo:
        finished.pop(p.key, None)
    run = {"started": mf.now(), "finished": None, "command": current["command"], "points_run": 0,
           "points_skipped": len(plan) - len(todo), "forced": forced, "interrupted": False, "executor": None}
    current["runs"].append(run)
    executor = _connect(spec, bundle) if todo else None
    try:
        out.mkdir(parents=True, exist_ok=True)
        mf.write(manifest_path, current)
    except BaseException:
        if executor is not None:
            executor.abort()
        raise
    attrs = {"model": ir.name or model.stem, "model_file": str(model.resolve()), "dims": list(plan.dims),
             "settings": current["settings"], "created": current["started"]}
    outcome = SweepOutcome(plan, xr.Dataset(), finished, out, skipped=len(plan) - len(todo), attrs=attrs)
    try:
        if todo:
            _run(executor, spec, plan, todo, bundle, store, outcome)
    except KeyboardInterrupt:
        outcome.interrupted = run["interrupted"] = True
        raise
    finally:
        outcome.wall = time.perf_counter() - t0
        outcome.dataset = write_outputs(out, plan, outcome.finished, attrs)
        run.update(finished=mf.now(), points_run=outcome.ran, executor=outcome.executor,
                   counts=outcome.counts, wall_seconds=round(outcome.wall, 3),
                   task_seconds=round(outcome.task_seconds, 3))
        if not outcome.interrupted and len(outcome.finished) == len(plan):
            current["finished"] = run["finished"]
        mf.write(manifest_path, current)
        if outcome.interrupted:
            sys.stderr.write(f"{len(outcome.finished)} finished point(s) kept in {out}; the same command with "
                             f"--resume runs the other {len(plan) - len(outcome.finished)}\n")
    return outcome


def _has_plan(ds: xr.Dataset) -> bool:
    return "has_plan" in ds and bool(ds["has_plan"].item())


def _task(spec: SweepSpec, p: Point, bundle: Bundle, slots: int, n_points: int) -> dict:
    options = dict(spec.options)
    if spec.solver == "highs" and slots > 1 and "threads" not in options:
        options["threads"] = "1"  # the workers share the cores; HiGHS threads would compete with them
    return {"index": p.index, "key": p.key, "coords": p.as_json()["coords"], "files": bundle.ref(),
            "overrides": list(spec.overrides) + list(p.overrides), "scenario": p.scenario,
            "realisation": list(p.realisation) if p.realisation else None, "mode": spec.mode,
            "robust": {**spec.robust, **dict(p.robust)} if spec.robust else None,
            "objective": spec.objective, "pareto": dict(spec.pareto), "solver": spec.solver, "options": options,
            "time_limit": spec.time_limit, "gap": spec.gap, "tour": spec.tour,
            "keep_variables": spec.keep_variables, "auto_limit": max(1, AUTO_VALUES // max(1, n_points)),
            "quiet": True, "attempt": 1}


def _lost(p: Point, message: str) -> dict:
    ds = xr.Dataset({"status": ((), "failed"), "error": ((), message), "has_plan": ((), False),
                     "seconds": ((), float("nan"))})
    return {"index": p.index, "key": p.key, "status": "failed", "error": message, "seconds": 0.0,
            "dataset": ds.to_dict(data="array")}


def _connect(spec: SweepSpec, bundle: Bundle):
    """The workers, started (or the cluster connected and its workers' versions checked) before anything
    is written: a cluster that refuses the sweep leaves no half-made --out folder behind."""
    with _pipes_raise():
        return make_executor(run_point, spec.workers, spec.scheduler, spec.cluster, warm_up, bundle).start()


def _run(executor, spec: SweepSpec, plan: Plan, todo: list[Point], bundle: Bundle, store: PointStore,
         outcome: SweepOutcome) -> None:
    with _pipes_raise(), _terminate_as_interrupt():
        _run_on(executor, spec, plan, todo, bundle, store, outcome)


@contextlib.contextmanager
def _handling(signum: int, handler):
    """`handler` for signal `signum` while the block runs, the one before it afterwards (signals are
    handled in the main thread only; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signum, handler)
    try:
        yield
    finally:
        signal.signal(signum, before)


def _terminate_as_interrupt():
    """SIGTERM (`kill PID`, a batch scheduler ending a job) stops the sweep as Ctrl-C does: the
    workers are stopped, not left solving for no one, and the finished points are assembled
    (exit 130). A SIGKILL gives the coordinator no such chance: its workers notice it is gone
    themselves (executors.die_with)."""

    def stop(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    return _handling(signal.SIGTERM, stop)


@contextlib.contextmanager
def _signals_held():
    """Ctrl-C and SIGTERM wait until the block is done (they are acted on right after it)."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


@contextlib.contextmanager
def _pipes_raise():
    """`milkrun` lets SIGPIPE end the process (`milkrun solve ... | head`); once a pool of workers
    exists, a write to the pipe of a dead worker must be an error the pool handles, not the end of
    the coordinator. SIGPIPE stays ignored after the block, until the process ends: the pool's own
    clean-up after Ctrl-C may still write when the run is over (cli.main ends quietly on a closed
    stdout instead)."""
    if hasattr(signal, "SIGPIPE") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    yield


def _run_on(executor, spec: SweepSpec, plan: Plan, todo: list[Point], bundle: Bundle, store: PointStore,
            outcome: SweepOutcome) -> None:
    outcome.executor = executor.describe()
    done_q: queue.Queue = queue.Queue()
    waiting = collections.deque(todo)
    inflight: dict = {}
    attempts: collections.Counter = collections.Counter()
    crashes: collections.Counter = collections.Counter()
    failed = sum(1 for p in plan.points if p.key in outcome.finished and not _has_plan(outcome.finished[p.key]))
    last_rebuild = time.perf_counter()
    clean = False
    try:
        with SweepProgress(len(plan), len(outcome.finished), executor.slots, enabled=spec.progress) as prog:
            prog.update(failed=failed)
            while waiting or inflight:
                while waiting and len(inflight) < executor.capacity:
                    p = waiting.popleft()
                    attempts[p.key] += 1
                    task = _task(spec, p, bundle, executor.slots, len(plan))
                    task["attempt"] = attempts[p.key]
                    inflight[executor.submit(task, done_q.put)] = p
                prog.update(running=min(len(inflight), executor.slots))
                try:
                    handle = done_q.get(timeout=0.25)
                except queue.Empty:
                    prog.tick()
                    continue
                p = inflight.pop(handle)
                try:
                    result = executor.outcome(handle)
                except WorkerLost as e:
                    crashes[p.key] += 1
                    executor.recover()
                    if crashes[p.key] < MAX_CRASHES:
                        waiting.appendleft(p)
                        continue
                    result = _lost(p, f"{e}; it died {crashes[p.key]} times running it (or a point run beside it)")
                except Exception as e:  # noqa: BLE001 - e.g. milkrun missing on a Dask worker
                    result = _lost(p, f"{type(e).__name__}: {e}")
                result["attempt"] = attempts[p.key]
                with _signals_held():  # on disk and counted, or neither: "N finished point(s) kept" is exact
                    ds = store.save(p, result)
                    outcome.finished[p.key] = ds
                outcome.ran += 1
                outcome.task_seconds += float(result.get("seconds") or 0.0)
                if "solve_seconds" in ds:
                    outcome.solve_seconds += float(ds["solve_seconds"].fillna(0).item())
                if not _has_plan(ds):
                    failed += 1
                prog.update(done=len(outcome.finished), failed=failed)
                if time.perf_counter() - last_rebuild > REBUILD_EVERY:
                    write_outputs(outcome.out, plan, outcome.finished, outcome.attrs)
                    last_rebuild = time.perf_counter()
        clean = True
    finally:
        if clean:
            executor.close()
        else:
            executor.abort()
