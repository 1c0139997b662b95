"""How well `milkrun sweep` uses its workers: one 16-point sweep run with 1 local worker, 2 local
workers, a Dask LocalCluster of 2 workers, and (with --remote) a `dask scheduler` with 2 `dask worker`
processes started beforehand, as a cluster is (its start is not timed; connecting, the version
check and sending the model's files are).

The case: the cooling-tank location model (models/location.mcp) on its first N producers
(default 22; the full 30 take about 12 s a solve), swept over yield_per_cow x price, 4 x 4 points.
Each point is a real MIP solve with HiGHS, no time limit, about 1-3 s including compilation.

Reported per run: wall time of the whole sweep (start of workers, every point, writing the
files), the sum of the points' times inside the workers (compile + solve) and of the solver
alone, the CPU time of the coordinator (this process: reading the model, the point files, and on
a LocalCluster the scheduler too; on two cores it is taken from the workers), speed-up T1 / Tn,
parallel efficiency T1 / (n Tn), and overhead per point (wall x workers - sum of point times) /
points: what the sweep machinery costs on top of the work.

    /tmp/venv/bin/python benchmarks/sweep.py                  # N = 22
    /tmp/venv/bin/python benchmarks/sweep.py --producers 18 --json
    /tmp/venv/bin/python benchmarks/sweep.py --remote           # also the scheduler + workers case
"""
from __future__ import annotations

import argparse
import json
import platform
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "models" / "location.mcp"
GRID = ["yield_per_cow=1800,2400,3000,3600", "price=1100,1200,1300,1400"]


def make_case(folder: Path, producers: int) -> Path:
    """The model's data with only its first `producers` producers."""
    src = REPO / "models" / "location"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(src / "Types.csv", folder / "Types.csv")
    lines = (src / "Producers.csv").read_text().splitlines()
    (folder / "Producers.csv").write_text("\n".join(lines[: producers + 1]) + "\n")
    return folder


def run(data: Path, out: Path, workers: int, cluster: str | None, scheduler: str | None = None) -> dict:
    from milkrun.compiler.studies.sweep import SweepSpec, run_sweep

    t0, c0 = time.perf_counter(), _cpu()
    o = run_sweep(SweepSpec(model=str(MODEL), data=str(data), grids=GRID, out=out, workers=workers,
                            cluster=cluster, scheduler=scheduler, keep_variables=False, progress=False))
    wall, coordinator = time.perf_counter() - t0, _cpu() - c0
    ds = o.dataset
    return {"workers": workers, "executor": o.executor, "wall": wall, "points": len(o.plan),
            "with_plan": o.n_solved, "task_seconds": float(ds.seconds.sum()),
            "solve_seconds": float(ds.solve_seconds.sum()), "cpu_seconds": float(ds.cpu_seconds.sum()),
            "coordinator_cpu_seconds": coordinator,
            "overhead_per_point": (wall * workers - float(ds.seconds.sum())) / len(o.plan),
            "objective": ds.obj_npv.values.tolist()}


WORKER_CONFIG = """\
distributed:
  worker:
    profile:
      enabled: false
  nanny:
    pre-spawn-environ:
      MALLOC_TRIM_THRESHOLD_: null
"""


def start_cluster(folder: Path, workers: int) -> tuple[str, list[subprocess.Popen]]:
    """`dask scheduler` and `workers` single-threaded `dask worker`s on 127.0.0.1, each in its own
    process group; the workers configured as docs/sweeps.md advises (WORKER_CONFIG)."""
    dask = str(Path(sys.executable).parent / "dask")
    (folder / "dask-config").mkdir(exist_ok=True)
    (folder / "dask-config" / "milkrun-worker.yaml").write_text(WORKER_CONFIG)
    env = {**os.environ, "DASK_CONFIG": str(folder / "dask-config"), "PYTHONWARNINGS": "ignore"}
    sched = folder / "scheduler.json"
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(sched)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=env, start_new_session=True)]
    try:
        deadline = time.monotonic() + 60
        while not sched.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(sched.read_text())["address"]
        for _ in range(workers):
            procs.append(subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                                           "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          env=env, start_new_session=True))
        from distributed import Client

        with Client(address, timeout="30s") as c:
            c.wait_for_workers(workers, timeout=60)
            c.run(lambda: None)  # every worker up and answering
    except BaseException:
        stop_cluster(procs)
        raise
    return address, procs


def stop_cluster(procs: list[subprocess.Popen]) -> None:
    for p in reversed(procs):
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--producers", type=int, default=22, help="first N producers of models/location (default 22)")
    ap.add_argument("--json", action="store_true", help="also print one line 'JSON {...}'")
    ap.add_argument("--remote", action="store_true",
                    help="also a dask scheduler with 2 dask worker processes (started before, not timed)")
    args = ap.parse_args()
    from milkrun.compiler.report.provenance import solver_versions, versions

    with tempfile.TemporaryDirectory(prefix="milkrun-sweep-bench-") as tmp:
        tmp = Path(tmp)
        data = make_case(tmp / "data", args.producers)
        runs = {}
        cases = [("1 local worker", 1, None), ("2 local workers", 2, None), ("Dask LocalCluster, 2 workers", 2, "local")]
        if args.remote:
            cases.append(("Dask scheduler, 2 workers", 2, "remote"))
        for name, workers, cluster in cases:
            folder = tmp / name.replace(" ", "_").replace(",", "")
            if cluster == "remote":
                address, procs = start_cluster(tmp, workers)
                try:
                    runs[name] = run(data, folder, workers, None, address)
                finally:
                    stop_cluster(procs)
            else:
                runs[name] = run(data, folder, workers, cluster)
            r = runs[name]
            print(f"{name:30s} wall {r['wall']:7.2f} s | points {r['with_plan']}/{r['points']} | "
                  f"in workers {r['task_seconds']:7.2f} s (solver {r['solve_seconds']:6.2f} s, "
                  f"CPU {r['cpu_seconds']:6.2f} s) | coordinator CPU {r['coordinator_cpu_seconds']:5.2f} s | "
                  f"overhead/point {r['overhead_per_point']:5.2f} s", flush=True)
    t1 = runs["1 local worker"]["wall"]
    print()
    print(f"{'run':30s} {'wall s':>8s} {'speed-up':>9s} {'efficiency':>11s} {'overhead/point s':>17s}")
    for name, r in runs.items():
        speed = t1 / r["wall"]
        eff = speed / r["workers"]
        r.update(speedup=speed, efficiency=eff)
        print(f"{name:30s} {r['wall']:8.2f} {speed:9.2f} {100 * eff:10.1f}% {r['overhead_per_point']:17.2f}")
    same = all(np.allclose(r["objective"], runs["1 local worker"]["objective"], rtol=1e-6) for r in runs.values())
    print(f"\nsame objective values in every run: {'yes' if same else 'NO'}")
    print(f"per point in the workers: mean {runs['1 local worker']['task_seconds'] / 16:.2f} s "
          f"(solver {runs['1 local worker']['solve_seconds'] / 16:.2f} s) with 1 worker")
    if args.json:
        print("JSON " + json.dumps({"producers": args.producers, "grid": GRID, "runs": runs,
                                    "python": sys.version.split()[0], "platform": platform.platform(),
                                    "versions": versions(), "solvers": solver_versions()}))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
