"""Where ε grid points are solved: in this process's session, or on N worker processes.

Both look the same to the walk of the grid (augmecon.py): `room()` says whether another point
may be handed out now, `submit(token, weights, eps, start)` hands one out, `result()` waits for
the next answer (token, Outcome). In this process one point is in flight at most and it is
solved when its answer is asked for, so the walk is the sequential one. The workers are the
sweep's executors (compiler/studies/sweep/executors.py: the local process pool, or a Dask
cluster with --scheduler / --cluster local) running worker.solve_grid_point: each compiles the
model once, from the files the coordinator read and shipped (sweep/shipping.py), and keeps its
own solver session; only plain data crosses (the run's fields, weights, bounds, a start plan as
a numpy array).
"""
from __future__ import annotations

import queue

import numpy as np

from milkrun.compiler.pipeline import RunOptions, resolve_model_path
from milkrun.compiler.solve.session import Outcome, Session
from milkrun.compiler.studies.pareto.worker import plain_run, solve_grid_point
from milkrun.compiler.studies.sweep.executors import WorkerLost, make_executor
from milkrun.compiler.studies.sweep.shipping import collect
from milkrun.dsl.diagnostics import MilkrunError


class InProcess:
    """The coordinator's own session: the sequential walk."""

    workers = 1

    def __init__(self, session: Session):
        self.session = session
        self.pending = None

    def __enter__(self) -> "InProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.pending = None

    def room(self) -> bool:
        return self.pending is None

    def busy(self) -> bool:
        return self.pending is not None

    def submit(self, token: int, weights: dict, eps: dict, start: np.ndarray | None) -> None:
        self.pending = (token, weights, eps, start)

    def result(self) -> tuple[int, Outcome]:
        token, weights, eps, start = self.pending
        self.pending = None
        return token, self.session.solve(weights, eps, start=start)


class Workers:
    """N local worker processes (or a Dask cluster's workers), each with its own session of `run`'s
    model, compiled from the files `run` read (its model, includes and `data_dir`), shipped once.
    HiGHS gets one thread per worker unless --option threads says otherwise: the workers share the cores."""

    def __init__(self, run: RunOptions, session: Session, workers: int, data_dir=None,
                 scheduler: str | None = None, cluster: str | None = None):
        plain = plain_run(run)
        plain["solver"] = session.solver
        if session.solver == "highs" and "threads" not in plain["solver_options"]:
            plain["solver_options"] = {**plain["solver_options"], "threads": 1}
        self.plain = plain
        bundle = collect(resolve_model_path(plain["model"]), data_dir, plain["include_path"])
        self.files = bundle.ref()
        self.executor = make_executor(solve_grid_point, workers, scheduler, cluster, bundle=bundle)
        self.done: queue.Queue = queue.Queue()
        self.flying = 0
        self.solves = 0

    @property
    def workers(self) -> int:
        return self.executor.slots

    def __enter__(self) -> "Workers":
        self.executor.start()
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self.executor.close()
        else:  # Ctrl-C or an error: the points still running are of no use
            self.executor.abort()

    def room(self) -> bool:
        return self.flying < self.executor.capacity

    def busy(self) -> bool:
        return self.flying > 0

    def submit(self, token: int, weights: dict, eps: dict, start: np.ndarray | None) -> None:
        task = {"token": token, "key": f"pareto-{token}", "attempt": 1, "run": self.plain, "files": self.files,
                "weights": dict(weights), "eps": {k: float(v) for k, v in eps.items()}, "start": start}
        self.executor.submit(task, self.done.put)
        self.flying += 1

    def result(self) -> tuple[int, Outcome]:
        fut = self.done.get()
        self.flying -= 1
        try:
            r = self.executor.outcome(fut)
        except WorkerLost as e:
            raise MilkrunError(f"a worker process died while solving an ε grid point: {e}") from None
        if r["status"] == "error" and r["error"]:
            raise MilkrunError(f"a worker could not solve an ε grid point: {r['error']}")
        self.solves += 1
        return r["token"], Outcome(r["status"], r["values"], r["objectives"], r["seconds"])


def make_pool(session: Session, run: RunOptions | None = None, workers: int = 1, data_dir=None,
              scheduler: str | None = None, cluster: str | None = None):
    """This process's session (one worker, no cluster), or workers; `data_dir`: the folder `run` read."""
    if workers <= 1 and not scheduler and not cluster:
        return InProcess(session)
    if run is None:
        raise MilkrunError("parallel grid points need the run to rebuild the model in each worker")
    return Workers(run, session, workers, data_dir, scheduler, cluster)
