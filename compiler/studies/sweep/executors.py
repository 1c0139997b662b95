"""Where the points run: a local process pool, or a dask.distributed cluster.

Both look the same to the coordinator: `submit(task, on_done)`, `outcome(handle)` (the worker's
dict, or WorkerLost when the process running it died), `abort()` on Ctrl-C, `close()`. What a
worker does with a task is the `work` function they are given (a top-level function of a plain
dict, returning plain data): a sweep's `run_point`, a Pareto front's `solve_grid_point`. This
module imports neither, so the studies that use it do not import each other. Given a `bundle`
(shipping.Bundle: the model, its includes and its data, read once by the coordinator), an executor
makes it available to every worker before the first task: on Dask by a worker plugin, after checking
that every worker runs the coordinator's versions (versions.py); on the local pool by writing it once
into a folder of its own that the workers share. Tasks then name their files by `bundle.ref()`.
The coordinator keeps only `capacity` points in flight, so
- the points a crashed worker was running are known (with one worker: exactly the one);
- Ctrl-C loses only the points that were running, and `--resume` runs them again;
- "running" in the progress bar is the truth, not a queue length.

Why a separate process even with `--workers 1`: a solver that crashes or leaks takes only its
worker with it; output written by C code cannot reach the progress bar; and one worker runs
exactly the code path of sixteen (pickled task in, plain dict out), so a sweep that works on a
laptop works on a cluster. The price is one interpreter start (about a second), paid once.
Workers start with the `spawn` method: the coordinator runs a progress thread, and forking a
process with threads is unsafe.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from milkrun.dsl.diagnostics import MilkrunError


class WorkerLost(Exception):
    """The process running a point died (a crash, the OOM killer, a lost dask worker)."""


PR_SET_PDEATHSIG = 1  # linux/prctl.h
PARENT_POLL = 0.5     # seconds between checks that the coordinator is alive, where prctl is not there


def _init_local_worker(coordinator: int | None = None, warm=None, files: tuple | None = None) -> None:
    # Ctrl-C is the coordinator's to handle: it stops the pool and keeps what is finished
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if coordinator is not None:
        die_with(coordinator)
    if files is not None:
        from milkrun.compiler.studies.sweep.shipping import adopt

        adopt(*files)
    if warm is not None:
        warm()


def die_with(coordinator: int) -> None:
    """End this worker when the coordinator process ends, however it ends: a SIGKILL gives it no
    chance to stop its pool, and a worker left behind would solve on, or wait forever for work.
    Linux: the kernel sends SIGKILL when the parent dies (prctl PR_SET_PDEATHSIG); elsewhere a
    thread notices that the parent changed (os.getppid()). Either way a parent already gone is
    noticed at once."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != coordinator:  # it died before prctl took effect
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == coordinator:
            threading.Event().wait(PARENT_POLL)
        os._exit(1)

    if os.getppid() != coordinator:
        os._exit(1)
    threading.Thread(target=watch, name="milkrun-parent-watch", daemon=True).start()


class LocalExecutor:
    """`work`: what a worker runs on each task; `warm`: run once when a worker starts; `bundle`:
    the files the tasks name, written once into a folder of the coordinator's, removed at the end."""

    kind = "local"

    def __init__(self, workers: int, work, warm=None, bundle=None):
        self.workers = max(1, int(workers))
        self.work, self.warm = work, warm
        self.bundle = bundle
        self.folder = None
        self.pool = None

    @property
    def capacity(self) -> int:
        return self.workers

    @property
    def files(self) -> dict | None:
        """What a task carries to find the bundle's files on a worker (shipping.place)."""
        return self.bundle.ref() if self.bundle is not None else None

    @property
    def slots(self) -> int:
        return self.workers

    def describe(self) -> str:
        return f"{self.workers} local worker process{'es' if self.workers > 1 else ''}"

    def start(self) -> LocalExecutor:
        files = None
        if self.bundle is not None:
            if self.folder is None:
                from milkrun.compiler.studies.sweep.shipping import materialise, purge_stale

                purge_stale()  # copies of coordinators that were killed before they could remove theirs
                self.folder = materialise(self.bundle)
            files = (self.bundle.digest, str(self.folder))
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_init_local_worker, initargs=(os.getpid(), self.warm, files))
        return self

    def submit(self, task: dict, on_done):
        try:
            fut = self.pool.submit(self.work, task)
        except BrokenProcessPool:  # a worker died between two points: the pool noticed first
            self.recover()
            fut = self.pool.submit(self.work, task)
        fut.add_done_callback(on_done)
        return fut

    def outcome(self, fut) -> dict:
        try:
            return fut.result()
        except BrokenProcessPool as e:
            raise WorkerLost(f"the worker process died while running this point ({e})") from None

    def recover(self) -> None:
        """A pool whose worker died is broken for good: start a fresh one."""
        if self.pool is not None and getattr(self.pool, "_broken", False):
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.start()

    def abort(self) -> None:
        if self.pool is None:
            self._remove_files()
            return
        pool, self.pool = self.pool, None
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:  # the points they run are lost anyway; do not wait for the solver
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)
        # The pool's manager thread then cleans up, writing to the dead workers' pipe (the
        # coordinator ignores SIGPIPE from the start of the run on: runner._pipes_raise).
        manager = getattr(pool, "_executor_manager_thread", None)
        if manager is not None:
            manager.join(timeout=10)
        self._remove_files()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None
        self._remove_files()

    def _remove_files(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


# A LocalCluster's workers are this sweep's own. Two of Dask's defaults cost them time, measured on
# the benchmark's points (docs/sweeps.md, "Performance"), and are left off:
# - the statistical profiler walks the solving thread's stack every 10 ms, for a dashboard nobody
#   watches here: 3-10 % of a worker's CPU on points of about a second;
# - MALLOC_TRIM_THRESHOLD_, which the nanny sets to give memory back to the system sooner: setting it
#   turns off glibc's adaptive mmap threshold, so every array over 128 KiB is a fresh mmap, zeroed
#   page by page; HiGHS and the build then took 6-11 % longer than in a plain process. (None: unset.)
LOCAL_WORKER_CONFIG = {"distributed.worker.profile.enabled": False,
                       "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


class DaskExecutor:
    """A dask.distributed cluster: an existing scheduler (`tcp://host:port`) or a LocalCluster of
    `workers` single-threaded worker processes started here. Workers need milkrun installed, at the
    coordinator's versions (checked on connecting); they need no access to the coordinator's files,
    which reach them with the `bundle` (a worker plugin, dask_files.py)."""

    kind = "dask"

    def __init__(self, scheduler: str | None, workers: int, work, warm=None, wait_seconds: float = 30.0,
                 bundle=None):
        self.address = scheduler
        self.workers = max(1, int(workers))
        self.work, self.warm = work, warm
        self.wait_seconds = wait_seconds
        self.bundle = bundle
        self.plugin = None
        self.client = self.cluster = None
        self._slots = self.workers
        self.futures: set = set()

    @property
    def slots(self) -> int:
        return self._slots

    @property
    def capacity(self) -> int:
        return 2 * self._slots  # keeps every worker fed across the scheduler's round trip

    files = LocalExecutor.files

    def describe(self) -> str:
        where = self.address if self.cluster is None else f"a local Dask cluster ({self.client.scheduler.address})"
        return f"{self._slots} Dask worker thread(s) on {where}"

    def start(self) -> DaskExecutor:
        require_distributed("--cluster local" if self.address is None else "--scheduler")
        import dask
        from distributed import Client, LocalCluster

        # Not the default client of this process: xarray would then take every netCDF write of the
        # coordinator (a point's file) under a lock held through the scheduler, a round trip or two
        # per file (0.2 s a point, measured; docs/sweeps.md "Performance").
        if self.address is None:
            # LOCAL_WORKER_CONFIG: what makes a Dask worker slower than a pool's process at a point
            with dask.config.set(LOCAL_WORKER_CONFIG):
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                            host="127.0.0.1", dashboard_address=":0", silence_logs=logging.ERROR)
            self.client = Client(self.cluster, set_as_default=False)
        else:
            try:
                self.client = Client(self.address, timeout=f"{int(self.wait_seconds)}s", set_as_default=False)
            except (OSError, TimeoutError) as e:
                raise MilkrunError(f"--scheduler {self.address}: cannot reach a Dask scheduler there ({e})",
                                   hint="start one with `dask scheduler` and workers with `dask worker ADDRESS`")
        try:
            self.client.wait_for_workers(1, timeout=self.wait_seconds)
        except (TimeoutError, OSError):
            self.close()
            raise MilkrunError(f"the Dask scheduler at {self.address} has no worker "
                               f"(waited {self.wait_seconds:g} s)", hint="start workers with `dask worker ADDRESS`")
        try:
            from milkrun.compiler.studies.sweep.versions import check_workers, installed

            check_workers(self.client)  # before anything is sent or run
            if self.bundle is not None:
                from milkrun.compiler.studies.sweep.dask_files import ShipFiles

                plugin = ShipFiles(self.bundle, installed())
                self.client.register_plugin(plugin, name=plugin.name)
                self.plugin = plugin.name
        except BaseException:
            self.close()
            raise
        self._slots = max(1, sum(self.client.nthreads().values()))
        if self.warm is not None:
            self.client.run(self.warm)
        return self

    def submit(self, task: dict, on_done):
        fut = self.client.submit(self.work, task, key=f"milkrun-point-{task['key']}-{task['attempt']}", pure=False)
        self.futures.add(fut)
        fut.add_done_callback(on_done)
        return fut

    def outcome(self, fut) -> dict:
        from distributed import KilledWorker

        self.futures.discard(fut)
        try:
            return fut.result()
        except KilledWorker as e:
            raise WorkerLost(f"the Dask worker running this point died ({e})") from None
        finally:
            fut.release()

    def recover(self) -> None:
        self._slots = max(1, sum(self.client.nthreads().values()))

    def abort(self) -> None:
        if self.client is not None and self.futures:
            self.client.cancel(list(self.futures))
        self.close()

    def close(self) -> None:
        if self.client is not None:
            if self.plugin is not None:  # each worker removes the files (the plugin's teardown)
                try:
                    self.client.unregister_worker_plugin(self.plugin)
                except Exception:  # noqa: BLE001 - a scheduler already gone took the plugin with it
                    pass
                self.plugin = None
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


def run_all(executor, tasks: list[dict], attempts: int = 2) -> list:
    """Run every task on a started executor (each on the executor's `work`) and return the results in
    the tasks' order. A task whose worker died runs again, `attempts` times in all; then WorkerLost is
    raised. Each task gets a `key` unique to this call (a Dask cluster keeps results by key) and its
    `attempt`."""
    import queue
    import uuid

    call = uuid.uuid4().hex[:12]
    done: queue.Queue = queue.Queue()
    results: dict[int, object] = {}
    waiting = list(range(len(tasks)))[::-1]
    tries = [0] * len(tasks)
    inflight = {}
    while waiting or inflight:
        while waiting and len(inflight) < executor.capacity:
            i = waiting.pop()
            tries[i] += 1
            inflight[executor.submit({**tasks[i], "key": f"{call}-{i}", "attempt": tries[i]}, done.put)] = i
        handle = done.get()
        i = inflight.pop(handle)
        try:
            results[i] = executor.outcome(handle)
        except WorkerLost:
            executor.recover()
            if tries[i] >= attempts:
                raise
            waiting.append(i)
    return [results[i] for i in range(len(tasks))]


CLUSTER_EXTRA = "pip install 'milkrun[cluster]'"


def require_distributed(flag: str = "--scheduler and --cluster") -> None:
    """dask.distributed is an extra (`cluster`): only --scheduler and --cluster use it. Without it
    installed, one line says what to install (exit 2), before anything is run or written."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise MilkrunError(f"{flag} needs dask.distributed, which is not installed: {CLUSTER_EXTRA}") from None


def make_executor(work, workers: int = 1, scheduler: str | None = None, cluster: str | None = None, warm=None,
                  bundle=None):
    """`work` runs each task in a worker (a top-level function of a plain dict); `warm` once per worker;
    `bundle` (shipping.Bundle): the files the tasks name by its `ref()`."""
    if scheduler and cluster:
        raise MilkrunError("give --scheduler or --cluster, not both")
    if cluster is not None and cluster != "local":
        raise MilkrunError(f"--cluster: only 'local' is known, got '{cluster}'",
                           hint="for another cluster start its scheduler and give --scheduler tcp://HOST:PORT")
    if scheduler is not None and "://" not in scheduler:
        raise MilkrunError(f"--scheduler expects an address like tcp://HOST:PORT, got '{scheduler}'")
    if scheduler or cluster:
        return DaskExecutor(scheduler, workers, work, warm, bundle=bundle)
    return LocalExecutor(workers, work, warm, bundle=bundle)
