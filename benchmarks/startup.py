"""Start-up: `milkrun solve` and `milkrun check` of a small model against `python -c "import linopy"`.

    python benchmarks/startup.py                       # models/transport.mcp, 11 rounds
    python benchmarks/startup.py --repeat 21 --model models/location.mcp

On a small model nearly all of a command's time is start-up: the interpreter, the libraries, the
parser, the first call of each code path. The floor is importing linopy, which every command that
builds a model needs. Each command runs as a whole process, as a user runs it (the `milkrun` script
beside this Python, else `python -c` calling the same entry point), stdout discarded.

The commands are interleaved: each round runs all three once, in an order that rotates from round to
round, so drift of a shared machine hits them alike; one round first is not counted (it also writes
the bytecode caches, as installing the package does). Printed: per command the median wall and CPU
(user + system, of the child) seconds, the ratio of its median to the baseline's, the median of the
per-round ratios, the target (1.2x), the load average before and after, and a line starting with
`JSON ` for scripts.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TARGET = 1.2


def milkrun_command() -> list[str]:
    script = Path(sys.executable).with_name("milkrun")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from milkrun.compiler.cli import console_main; console_main()"]


def commands(model: str) -> dict[str, list[str]]:
    mr = milkrun_command()
    return {"import linopy": [sys.executable, "-c", "import linopy"],
            "milkrun solve": [*mr, "solve", model],
            "milkrun check": [*mr, "check", model]}


def timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """(wall, cpu) seconds of one run of `cmd` as a child process; it must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="models/transport.mcp", help="the model (default models/transport.mcp)")
    ap.add_argument("--repeat", type=int, default=11, help="counted rounds (default 11)")
    args = ap.parse_args(argv)

    cmds = commands(args.model)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # caches, as installed
    load_before = os.getloadavg()
    for cmd in cmds.values():  # the round not counted
        timed(cmd, env)
    runs = {name: [] for name in cmds}
    names = list(cmds)
    for r in range(args.repeat):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            runs[name].append(timed(cmds[name], env))
    load_after = os.getloadavg()

    base = "import linopy"
    med = {n: (statistics.median(w for w, _ in rs), statistics.median(c for _, c in rs)) for n, rs in runs.items()}
    print(f"start-up: {args.model}, {args.repeat} interleaved rounds after one not counted; Python "
          f"{sys.version.split()[0]}; load average (1, 5, 15 min) before {_load(load_before)}, after "
          f"{_load(load_after)}")
    print(f"{'command':<16}{'wall s':>8}{'cpu s':>8}{'wall ratio':>12}{'paired':>9}{'cpu ratio':>11}  target")
    summary = {"benchmark": "startup", "model": args.model, "repeat": args.repeat, "target": TARGET,
               "load_before": list(load_before), "load_after": list(load_after), "commands": {}}
    for name in names:
        wall, cpu = med[name]
        paired = statistics.median(a[0] / b[0] for a, b in zip(runs[name], runs[base]))
        ratio, cpu_ratio = wall / med[base][0], cpu / med[base][1]
        verdict = "" if name == base else f"<= {TARGET}x {'met' if ratio <= TARGET else 'MISSED'}"
        print(f"{name:<16}{wall:>8.3f}{cpu:>8.3f}{ratio:>11.2f}x{paired:>8.2f}x{cpu_ratio:>10.2f}x  {verdict}")
        summary["commands"][name] = {"command": cmds[name], "wall_median": wall, "cpu_median": cpu,
                                     "wall_ratio": ratio, "paired_wall_ratio": paired, "cpu_ratio": cpu_ratio,
                                     "runs": [{"wall": w, "cpu": c} for w, c in runs[name]]}
    print("wall ratio: median / the baseline's median; paired: median of each round's ratio")
    print("JSON " + json.dumps(summary))
    return 0


def _load(avg) -> str:
    return " ".join(f"{x:.2f}" for x in avg)


if __name__ == "__main__":
    sys.exit(main())
