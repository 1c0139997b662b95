"""milkrun pareto against pyaugmecon on the same knapsack, grid and machine, in one run.

    python benchmarks/pareto_vs_pyaugmecon.py [3kp40 | 2kp50] [--workers 2] [--timeout 600]
                                              [--venv DIR] [--only milkrun|pyaugmecon]
                                              [--pyaugmecon-first] [--json]

The instance's grid is the one benchmarks/pareto.py uses: each secondary objective from the
published front's worst value to the payoff table's best, max(range) + 1 points per objective
(3kp40: 455 x 455 from z2 = 1134, z3 = 1154, which gives the exact front). Both sides get it.

- milkrun: benchmarks/pareto.py's run (run_pareto on models/knapsack{2,3}.mcp, HiGHS), with
  `--workers` processes solving grid points; it runs to the end of the grid.
- pyaugmecon 1.0.8 (the release issue 15 measured), installed with highspy into its own
  virtual environment (`--venv`, made and filled by this script on first use with pip), run
  by benchmarks/pyaugmecon_side.py with `cpu_count` = `--workers` and `process_timeout` =
  `--timeout` seconds (it then finishes the grid lines its workers hold and stops; with a
  timeout, 1.0.8's workers cannot exit before it, since their results wait in a pipe it drains
  only afterwards, so give `--timeout 0` for an instance it finishes, such as 2kp50). HiGHS
  through Pyomo's appsi interface: pyaugmecon_side.py says what adapts 1.0.8, written for
  Gurobi, to it. Its workers are started with `spawn`: forked after HiGHS ran in the parent
  (the payoff table), they hang in HiGHS's thread pool on this machine.

Printed per side: Pareto points found (and whether they are the published front), solver
calls on the grid (pyaugmecon counts no others; milkrun's payoff table adds k²), calls per
point, points per second, seconds, and the load average (1 min) before and after; the sides
run one after the other, milkrun first unless --pyaugmecon-first. Exit 1 when milkrun does not
find the published front.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import pareto as bench  # noqa: E402  (benchmarks/pareto.py: the milkrun side and the instances)

PYAUGMECON = "pyaugmecon==1.0.8"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
DEFAULT_VENV = CACHE / "milkrun-benchmarks" / "pyaugmecon-1.0.8"


def ensure_venv(venv: Path) -> Path:
    """The virtual environment holding pyaugmecon and highspy; made and filled with pip when missing."""
    python = venv / "bin" / "python"
    if python.exists() and subprocess.run([str(python), "-c", "import pyaugmecon, highspy"],
                                          capture_output=True).returncode == 0:
        return python
    sys.stderr.write(f"installing {PYAUGMECON} and highspy into {venv} (once)\n")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", PYAUGMECON, "highspy"], check=True)
    return python


def grid_of(name: str) -> tuple[int, list[float]]:
    """max(range) + 1 points from the published front's worst values, as benchmarks/pareto.py."""
    front, payoff = bench.published(name)
    worst = front.min(axis=0)
    points = int(round((payoff.max(axis=0) - worst)[1:].max())) + 1
    return points, [float(v) for v in worst[1:]]


def run_pyaugmecon(python: Path, name: str, workers: int, timeout: float | None) -> dict:
    points, nadir = grid_of(name)
    cmd = [str(python), str(HERE / "pyaugmecon_side.py"), str(bench.BENCH / name), "--grid", str(points),
           "--nadir", *map(str, nadir), "--workers", str(workers)]
    if timeout:
        cmd += ["--timeout", str(timeout)]
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"pyaugmecon failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    r = json.loads(done.stdout.strip().splitlines()[-1])
    pub = {tuple(int(v) for v in row) for row in bench.published(name)[0]}
    found = {tuple(p) for p in r["front"]}
    return {"side": "pyaugmecon 1.0.8", "points": len(found), "published": len(pub), "match": found == pub,
            "not_published": len(found - pub), "grid_calls": r["models_solved"], "calls": None,
            "seconds": round(r["seconds"], 1), "wall_seconds": round(wall, 1), "workers": workers,
            "payoff_as_published": bool((pd.DataFrame(r["payoff"]).to_numpy() == bench.published(name)[1]).all()),
            "load_before": round(load_before[0], 2), "load_after": round(os.getloadavg()[0], 2),
            "timeout": timeout}


def run_milkrun(name: str, workers: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        r = bench.run(name, "highs", Path(tmp), nadir_from="published", workers=workers)
    return {"side": "milkrun", "points": r["found"], "published": r["published"], "match": r["match"],
            "not_published": r["extra"], "grid_calls": r["grid_solves"], "calls": r["solves"],
            "seconds": round(r["seconds"], 1), "wall_seconds": round(r["wall_seconds"], 1), "workers": workers,
            "payoff_as_published": r["payoff_matches"], "load_before": r["load_before"][0],
            "load_after": r["load_after"][0], "timeout": None, "found_again": r["found_again"]}


def rates(r: dict) -> dict:
    r["grid_calls_per_point"] = round(r["grid_calls"] / r["points"], 2) if r["points"] else None
    r["points_per_second"] = round(r["points"] / r["seconds"], 3) if r["seconds"] else None
    return r


def table(rows: list[dict], name: str, grid: int) -> str:
    head = ("| side | workers | points (of published) | front as published | grid solver calls | calls per point "
            "| points per second | seconds | load before → after |")
    lines = [f"{name}, grid {grid} x {grid}, {os.cpu_count()} CPUs", "", head,
             "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        calls = f"{r['grid_calls']}" + (f" (+{r['calls'] - r['grid_calls']} payoff)" if r["calls"] else "")
        secs = f"{r['seconds']}" + (f" (stopped at {r['timeout']:g} s)" if r["timeout"] and not r["match"] else "")
        lines.append(f"| {r['side']} | {r['workers']} | {r['points']} ({r['published']}) | "
                     f"{'yes' if r['match'] else 'no'} | {calls} | {r['grid_calls_per_point']} | "
                     f"{r['points_per_second']} | {secs} | {r['load_before']} → {r['load_after']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("instance", nargs="?", default="3kp40", choices=bench.INSTANCES)
    p.add_argument("--workers", type=int, default=2, help="processes per side (default 2)")
    p.add_argument("--timeout", type=float, default=600.0, help="pyaugmecon's process_timeout in seconds (0: none)")
    p.add_argument("--venv", type=Path, default=DEFAULT_VENV, help=f"pyaugmecon's environment (default {DEFAULT_VENV})")
    p.add_argument("--only", choices=["milkrun", "pyaugmecon"], help="run one side only")
    p.add_argument("--pyaugmecon-first", action="store_true", help="run pyaugmecon's side first")
    p.add_argument("--json", action="store_true", help="one JSON object per side instead of the table")
    args = p.parse_args(argv)
    if not (bench.BENCH / args.instance / "a.csv").exists():
        sys.stderr.write(f"benchmark instances not found in {bench.BENCH}\n")
        return 2
    python = ensure_venv(args.venv) if args.only != "milkrun" else None
    sides = {"milkrun": lambda: run_milkrun(args.instance, args.workers),
             "pyaugmecon": lambda: run_pyaugmecon(python, args.instance, args.workers, args.timeout or None)}
    order = ["pyaugmecon", "milkrun"] if args.pyaugmecon_first else ["milkrun", "pyaugmecon"]
    rows = []
    for side in order:
        if args.only in (None, side):
            rows.append(rates(sides[side]()))
            if args.json:
                print(json.dumps(rows[-1]), flush=True)
    if not args.json:
        print(table(rows, args.instance, grid_of(args.instance)[0]))
    return 0 if all(r["match"] for r in rows if r["side"] == "milkrun") else 1


if __name__ == "__main__":
    sys.exit(main())
