"""milkrun against a strong hand formulation on the seed's milk-collection cases.

The 16 cases are the seed's base case and its variants (more farms, more milk, a shorter day, more
vehicles; compiler/studies/routing/variants.py), two of them infeasible. On each case two whole
processes are timed, interleaved (the order alternates from one repeat to the next, so a drift of
the machine's load hits both sides alike):

- milkrun with default flags:   milkrun solve models/routing.mcp --data CASE --json
- the hand formulation:         python benchmarks/routing_reference.py CASE

Both must prove the same optimum (relative 1e-6), or both say infeasible. Printed per case: the
wall time of each process (median of the repeats), the ratio milkrun / reference, the CPU time
each process used, each side's own solve time, the status and the objective; then the geometric
mean of the ratios (wall, CPU, and the solves alone), the time each side spends outside its
solve, and the machine's load (os.getloadavg) before and after. Also timed, before and after the
cases: a process that only imports linopy and PySCIPOpt (and ends without the interpreter's
teardown, as milkrun does), what any run built through linopy and solved by SCIP imports before it
reads a model. A case whose reference process takes less than
1/1.5 of that plus milkrun's own solve cannot come within 1.5x by any change short of leaving
linopy: those cases are named. For each case over 1.5x the last lines say how much of the time
1.5x allows is left beside that import and milkrun's solve, and how much milkrun's own start-up,
parsing, data, build and report take now.

    python benchmarks/routing_vs_reference.py [--repeat 3] [--cases base farms ...] [--cap 600]

Both sides run as Python runs by default, caching compiled bytecode (an environment that sets
PYTHONDONTWRITEBYTECODE would make milkrun recompile its hundred-odd modules in every process while
the reference, one file, barely notices), and each side runs once untimed first, so the caches
are written before anything is timed.

Target (issue 15): every case within 1.5x of the reference in wall time, proven optimal.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "routing.mcp"
REFERENCE = Path(__file__).resolve().parent / "routing_reference.py"
TARGET = 1.5


def milkrun_command() -> list[str]:
    script = Path(sys.executable).parent / "milkrun"
    return [str(script)] if script.exists() else [sys.executable, "-m", "milkrun.compiler.cli.command"]


# the children's environment: Python's default bytecode caching, whatever this shell set
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str], cap: float) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system of the process) and stdout of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=cap, cwd=ROOT, env=CHILD_ENV)
        out = proc.stdout
    except subprocess.TimeoutExpired:
        out = ""
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out


def run_milkrun(case: Path, cap: float) -> dict:
    wall, cpu, out = timed(milkrun_command() + ["solve", str(MODEL), "--data", str(case), "--json"], cap)
    try:
        j = json.loads(out)
    except json.JSONDecodeError:
        return {"status": "error", "objective": None, "wall": wall, "cpu": cpu, "solve": None}
    return {"status": j["status"], "objective": j.get("objective"), "wall": wall, "cpu": cpu,
            "solve": (j.get("timings") or {}).get("solve")}


def run_reference(case: Path, cap: float) -> dict:
    wall, cpu, out = timed([sys.executable, str(REFERENCE), str(case)], cap)
    try:
        j = json.loads(out)
    except json.JSONDecodeError:
        return {"status": "error", "objective": None, "wall": wall, "cpu": cpu, "solve": None}
    return {"status": j["status"], "objective": j.get("objective"), "wall": wall, "cpu": cpu, "solve": j["seconds"]}


# what any run through linopy on SCIP imports before it reads a model; left as milkrun leaves, without
# the interpreter's teardown (compiler/cli/process_exit.py)
FLOOR = "import linopy, pyscipopt, os; os._exit(0)"


def run_floor(cap: float) -> float:
    """Wall seconds of a process that only imports the libraries milkrun's build and solve stand on."""
    return timed([sys.executable, "-c", FLOOR], cap)[0]


def same_answer(a: dict, b: dict) -> bool:
    if a["status"] != b["status"]:
        return False
    if a["status"] == "infeasible":
        return True
    return a["objective"] is not None and b["objective"] is not None and \
        abs(a["objective"] - b["objective"]) <= 1e-6 * max(1.0, abs(b["objective"]))


def median_of(runs: list[dict], key: str):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3, help="runs per side and case (median reported)")
    p.add_argument("--cases", nargs="*", default=None, help="only cases whose label contains one of these")
    p.add_argument("--cap", type=float, default=600, help="seconds before a process is stopped")
    args = p.parse_args(argv)
    from milkrun.compiler.studies.routing.variants import write_variants

    load_before = os.getloadavg()
    print(f"load before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} "
          f"({os.cpu_count()} cores)", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = write_variants(Path(tmp), args.cases)
        for warm in (run_reference, run_milkrun):  # untimed: writes the bytecode caches of both sides
            warm(cases[0][1], args.cap)
        floors = [run_floor(args.cap) for _ in range(args.repeat)]
        print(f"{'case':28s} {'reference':>10s} {'milkrun':>10s} {'ratio':>6s} {'cpu ratio':>9s} "
              f"{'solve ref/mr':>13s}  {'status':10s} {'objective':>10s}", flush=True)
        for variant, folder in cases:
            ref_runs, mr_runs = [], []
            for r in range(args.repeat):
                order = [(run_reference, ref_runs), (run_milkrun, mr_runs)]
                for fn, into in (order if r % 2 == 0 else order[::-1]):
                    into.append(fn(folder, args.cap))
            ref, mr = ref_runs[-1], mr_runs[-1]
            agree = all(same_answer(a, b) for a, b in zip(mr_runs, ref_runs))
            row = {"case": variant.label, "group": variant.group, "feasible": variant.feasible,
                   "reference": {k: median_of(ref_runs, k) for k in ("wall", "cpu", "solve")},
                   "milkrun": {k: median_of(mr_runs, k) for k in ("wall", "cpu", "solve")},
                   "status": mr["status"], "reference_status": ref["status"],
                   "objective": mr["objective"], "reference_objective": ref["objective"], "agree": agree,
                   "walls": {"reference": [x["wall"] for x in ref_runs], "milkrun": [x["wall"] for x in mr_runs]}}
            row["ratio"] = row["milkrun"]["wall"] / row["reference"]["wall"]
            row["cpu_ratio"] = row["milkrun"]["cpu"] / row["reference"]["cpu"]
            rows.append(row)
            status = "proven" if mr["status"] == "optimal" else mr["status"]
            obj = f"{mr['objective']:.3f}" if mr["objective"] is not None else "-"
            solve = (f"{row['reference']['solve']:.2f}/{row['milkrun']['solve']:.2f}"
                     if row["reference"]["solve"] is not None and row["milkrun"]["solve"] is not None else "-")
            print(f"{variant.label:28s} {row['reference']['wall']:9.2f}s {row['milkrun']['wall']:9.2f}s "
                  f"{row['ratio']:5.2f}x {row['cpu_ratio']:8.2f}x {solve:>13s}  {status:10s} {obj:>10s}"
                  + ("" if agree else "   DISAGREE with the reference"), flush=True)
        floors += [run_floor(args.cap) for _ in range(args.repeat)]  # before and after the cases: the load drifts
    floor = statistics.median(floors)
    load_after = os.getloadavg()
    ratios = [r["ratio"] for r in rows]
    cpu_ratios = [r["cpu_ratio"] for r in rows]
    print()
    solve_ratios = [r["milkrun"]["solve"] / r["reference"]["solve"] for r in rows
                    if r["milkrun"]["solve"] and r["reference"]["solve"]]
    outside = [r["milkrun"]["wall"] - (r["milkrun"]["solve"] or 0) for r in rows]
    outside_ref = [r["reference"]["wall"] - (r["reference"]["solve"] or 0) for r in rows]
    print(f"geometric mean of the ratios: {geomean(ratios):.2f}x wall, {geomean(cpu_ratios):.2f}x CPU "
          f"(max {max(ratios):.2f}x wall); the solves alone: {geomean(solve_ratios):.2f}x "
          f"({len(solve_ratios)} cases with a solve)")
    print(f"outside the solve (start-up, reading, building, report), median per process: milkrun "
          f"{statistics.median(outside):.2f} s, reference {statistics.median(outside_ref):.2f} s")
    below = [r["case"] for r in rows  # a case a `check` stops never imports linopy: not bound by that floor
             if r["milkrun"]["solve"] is not None and floor + r["milkrun"]["solve"] > TARGET * r["reference"]["wall"]]
    print(f"the libraries alone (python -c '{FLOOR}'): {floor:.2f} s, median of {len(floors)}; cases whose "
          f"reference process takes less than that plus milkrun's solve, over {TARGET}: "
          f"{', '.join(below) if below else 'none'}")
    for r in rows:  # what a case over the target leaves for milkrun's own work beside the libraries and the solve
        if r["ratio"] > TARGET and r["milkrun"]["solve"] is not None:
            allowed = TARGET * r["reference"]["wall"]
            left = allowed - floor - r["milkrun"]["solve"]
            spent = r["milkrun"]["wall"] - floor - r["milkrun"]["solve"]
            print(f"{r['case']}: within {TARGET}x means {allowed:.2f} s in all; the libraries' import and "
                  f"milkrun's solve take {floor + r['milkrun']['solve']:.2f} s of it, leaving {left:.2f} s for "
                  f"milkrun's own start-up, parsing, data, build and report, which take {spent:.2f} s")
    print(f"load after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    proven = all(r["status"] == ("optimal" if r["feasible"] else "infeasible") and r["agree"] for r in rows)
    within = all(r <= TARGET for r in ratios)
    print(f"every case answered as the reference does (optimal, or infeasible where it is): "
          f"{'yes' if proven else 'NO'}")
    print(f"target, every case within {TARGET}x in wall time: {'met' if within else 'MISSED'} "
          f"({sum(r <= TARGET for r in ratios)} of {len(ratios)})")
    print("JSON " + json.dumps({"benchmark": "routing_vs_reference", "repeat": args.repeat,
                                "load_before": load_before, "load_after": load_after, "rows": rows,
                                "floor": {"command": FLOOR, "wall": floor, "runs": floors, "out_of_reach": below}}))
    return 0 if proven else 1


if __name__ == "__main__":
    sys.exit(main())
