"""The multi-objective pass on the AUGMECON2 knapsack benchmarks, against their published fronts.

2kp50 (2 objectives, 50 items, 35 Pareto points) and 3kp40 (3 objectives, 40 items, 389
published points) from shared/benchmarks/multiobjective/ (AUGMECON2 test set, as kept in
wouterbles/pyaugmecon) are converted with milkrun.models.knapsack_tables and run through
milkrun.compiler.studies.pareto.run.run_pareto on models/knapsack2.mcp / knapsack3.mcp.

The objectives are integers, so a grid with one point per integer value of every secondary
objective gives the exact front (within the grid's box). The payoff table is computed first
(one compile and k² solves, not timed) to get the ranges; the run then gets
points = max(range) + 1: the objective with the largest range steps by exactly 1, the others
by less than 1, which reaches every integer value too (g ≥ e is g ≥ ceil(e) for integer g).

    python benchmarks/pareto.py [2kp50 3kp40] [--solver highs|scip] [--grid-from published|payoff]
                                [--workers N] [--json] [--progress]

Per instance: points found vs published, whether the sets are equal, solves (and how many of
the grid's returned a point found before), grid points skipped by the bypass rule and after an
infeasible point, seconds of the run, solves per second, solver calls per point and points per
second, and the load average before and after the run. benchmarks/pareto_vs_pyaugmecon.py runs
pyaugmecon on the same instance and grid beside it.
When the sets differ it also says how many published points lie outside the grid's box
(worse than the payoff table's worst value in some secondary objective): AUGMECON2 cannot
reach them with a grid built from the payoff table.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BENCH = next((p for p in (ROOT.parent / "shared" / "benchmarks" / "multiobjective",
                          Path("/work/shared/benchmarks/multiobjective")) if (p / "2kp50" / "a.csv").exists()),
             ROOT.parent / "shared" / "benchmarks" / "multiobjective")
INSTANCES = ["2kp50", "3kp40"]


def published(name: str) -> tuple[np.ndarray, np.ndarray]:
    front = pd.read_csv(BENCH / name / "pareto_sols.csv", index_col=0).to_numpy()
    payoff = pd.read_csv(BENCH / name / "payoff_table.csv", index_col=0).to_numpy()
    return front, payoff


def payoff_first(model: Path, data: Path, solver: str) -> tuple[list[str], np.ndarray]:
    """The payoff table the run will compute (same session code), to size the grid."""
    from milkrun.compiler.studies.pareto.augmecon import order_objectives, payoff_table
    from milkrun.compiler.pipeline import compile_model
    from milkrun.compiler.solve.session import Session
    from milkrun.compiler.solve.stdout_guard import silenced

    compiled = compile_model(str(model), str(data))
    with silenced(True):
        session = Session(compiled.built, solver)
        order = order_objectives(session, None)
        table, _ = payoff_table(session, order)
    return order, table


def run(name: str, solver: str, tmp: Path, progress: bool = False, nadir_from: str = "published",
        workers: int = 1) -> dict:
    """nadir_from: 'published' starts each secondary objective's grid at the published front's
    worst value (what a user gives with --nadir; with 3+ objectives the payoff table's worst is
    above it); 'payoff' at the payoff table's worst, the default of milkrun pareto."""
    from milkrun.compiler.studies.pareto.run import run_pareto
    from milkrun.models.knapsack_tables import convert

    pub_front, pub_payoff = published(name)
    k = pub_front.shape[1]
    model = ROOT / "models" / f"knapsack{k}.mcp"
    data = convert(BENCH / name, tmp / name)
    order, table = payoff_first(model, data, solver)
    lowest = pub_front.min(axis=0) if nadir_from == "published" else table.min(axis=0)
    nadir = {o: float(lowest[j]) for j, o in enumerate(order) if j > 0} if nadir_from == "published" else None
    ranges = table.max(axis=0) - np.minimum(lowest, table.min(axis=0))  # all objectives are maximised here
    points = int(round(ranges[1:].max())) + 1
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    _, front = run_pareto(str(model), str(data), solver=solver, points=points, progress=progress, nadir=nadir,
                          workers=workers)
    wall = time.perf_counter() - t0
    load_after = os.getloadavg()
    found = {tuple(int(round(p[o])) for o in order) for p in front.points}
    pub = {tuple(int(v) for v in row) for row in pub_front}
    worst = np.minimum(lowest, table.min(axis=0))
    outside = {p for p in pub if any(p[j] < worst[j] for j in range(1, k))}
    return {
        "instance": name, "solver": solver, "objectives": k, "grid_from": nadir_from,
        "nadir": nadir,
        "grid": {o: points for o in order[1:]}, "grid_points": points ** (k - 1),
        "payoff_matches": bool(np.array_equal(np.round(table), pub_payoff)),
        "found": len(found), "published": len(pub), "match": found == pub,
        "missing": len(pub - found), "extra": len(found - pub),
        "published_outside_grid_box": len(outside),
        "missing_inside_grid_box": len((pub - found) - outside),
        "workers": workers, "solves": front.solves, "grid_solves": front.solves - k * k,
        "found_again": front.found_again, "skipped_by_bypass": front.skipped_bypass,
        "skipped_after_infeasible": front.skipped_infeasible,
        "not_proven_optimal": sum(s != "optimal" for s in front.statuses),
        "seconds": round(front.seconds, 2), "wall_seconds": round(wall, 2),
        "solves_per_second": round(front.solves / front.seconds, 2) if front.seconds else None,
        "calls_per_point": round(front.solves / len(found), 3) if found else None,
        "grid_calls_per_point": round((front.solves - k * k) / len(found), 3) if found else None,
        "points_per_second": round(len(found) / front.seconds, 3) if front.seconds else None,
        "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("instances", nargs="*", metavar="INSTANCE", help=f"any of {', '.join(INSTANCES)} (default: all)")
    p.add_argument("--solver", choices=["highs", "scip"], default="highs")
    p.add_argument("--json", action="store_true", help="one JSON object per instance instead of the text lines")
    p.add_argument("--progress", action="store_true", help="grid progress on stderr while a run goes")
    p.add_argument("--workers", type=int, default=1, help="processes solving grid points (milkrun pareto --workers)")
    p.add_argument("--grid-from", choices=["published", "payoff"], default="published",
                   help="start the grids at the published front's worst values (as --nadir) or the payoff table's")
    args = p.parse_args(argv)
    unknown = [n for n in args.instances if n not in INSTANCES]
    if unknown:
        p.error(f"unknown instance(s) {', '.join(unknown)}; choose from {', '.join(INSTANCES)}")
    if not (BENCH / "2kp50" / "a.csv").exists():
        sys.stderr.write(f"benchmark instances not found in {BENCH}\n")
        return 2
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.instances or INSTANCES:
            r = run(name, args.solver, Path(tmp), args.progress, args.grid_from, args.workers)
            ok &= r["match"]
            if args.json:
                print(json.dumps(r), flush=True)
                continue
            print(f"{name} ({r['solver']}, grid {' x '.join(map(str, r['grid'].values()))} = {r['grid_points']:,} points):"
                  f" {r['found']} points found, {r['published']} published, match {'yes' if r['match'] else 'no'}"
                  f" (payoff table {'as published' if r['payoff_matches'] else 'differs from the published one'};"
                  f" grids from the {r['grid_from']} worst values{': ' + str(r['nadir']) if r['nadir'] else ''})")
            if not r["match"]:
                print(f"  missing {r['missing']}, extra {r['extra']}; published points outside the grid's box "
                      f"(below the payoff table's worst value of a secondary objective): "
                      f"{r['published_outside_grid_box']}; missing inside the box: {r['missing_inside_grid_box']}")
            print(f"  {r['solves']} solves ({r['grid_solves']} on the grid, {r['found_again']} of them found a point "
                  f"again; {r['workers']} worker(s)), {r['skipped_by_bypass']:,} grid points skipped by the bypass "
                  f"rule, {r['skipped_after_infeasible']:,} after an infeasible point; {r['not_proven_optimal']} not "
                  f"proven optimal; {r['seconds']} s ({r['solves_per_second']} solves/s)", flush=True)
            print(f"  {r['calls_per_point']} solver calls per point ({r['grid_calls_per_point']} without the payoff "
                  f"table), {r['points_per_second']} points/s; load average {r['load_before'][0]} before, "
                  f"{r['load_after'][0]} after ({r['cpus']} CPUs)", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
