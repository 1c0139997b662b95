"""Compile overhead: milkrun vs. hand-written linopy on the same ~10^6-variable transport model.

    python benchmarks/compile_overhead.py [--size 1000] [--repeat 3] [--seed 0]

The model (benchmarks/models/transport_bench.mcp): |I| origins and |J| destinations in the
unit square, cost[i, j] = euclidean distance, one continuous variable ship[i, j] >= 0 per pair,
one supply row per origin, one demand row per destination. With --size N, |I| = |J| = N, so
N = 1000 gives 10^6 variables and 2000 constraints. The data are two small CSV files
(coordinates and supplies / demands), generated deterministically from a numpy seed into a
temporary folder at run time; the 10^6 costs are computed from them by both sides.

Both sides are measured in fresh subprocesses (one per repetition, the two sides interleaved),
after their imports are done:

* time   from the start of reading the data to the finished linopy.Model (time.perf_counter);
         for milkrun this is `milkrun.compile_model(...)`: parsing (including loading the Lark
         parser from its generated tables, done on first use), checking, reading and checking the
         data, building.
* memory the peak resident set size during that window minus the resident set size just
         before it (after imports and gc.collect()). See README.md for why RSS and how the peak
         is read (Linux: the VmHWM high-water mark, reset just before timing; it is what
         getrusage's ru_maxrss reports, but without the parent's / the imports' earlier peak).

Before timing, a small instance (30 x 40) is built by both sides, solved with HiGHS, and the
objective values are asserted equal (relative 1e-9), as are the model sizes; the full-size
runs also assert equal (nvars, ncons). Output: a table, the two ratios against the targets
(time <= 1.2x, memory <= 1.2x), the load average before and after, and one JSON line starting
with `JSON `.

`--profile` adds a cProfile run of milkrun's side (top functions in milkrun's own code) and a
per-phase memory breakdown (parse+check, data, build), each in a fresh subprocess.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODEL = HERE / "models" / "transport_bench.mcp"
TARGET_TIME = 1.2
TARGET_MEM = 1.2
CHECK_SHAPE = (30, 40)
MiB = 1024 * 1024
LAZY_IMPORTS = ("dask.array", "scipy.special", "scipy.fft", "xarray.computation.nanops", "encodings.utf_8_sig")


# ---------------------------------------------------------------------------- data
def generate_data(folder: Path, n_orig: int, n_dest: int, seed: int = 0) -> Path:
    """Two CSV tables: I.csv (I, x, y, supply) and J.csv (J, u, v, demand). Supply exceeds demand."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    x, y = rng.random(n_orig), rng.random(n_orig)
    u, v = rng.random(n_dest), rng.random(n_dest)
    demand = np.round(rng.uniform(10, 100, n_dest), 3)
    share = rng.uniform(0.5, 1.5, n_orig)
    supply = np.round(share / share.sum() * demand.sum() * 1.2, 3)  # total supply = 1.2 x total demand
    width_i, width_j = len(str(n_orig - 1)), len(str(n_dest - 1))
    pd.DataFrame({"I": [f"o{k:0{width_i}d}" for k in range(n_orig)], "x": x, "y": y, "supply": supply}) \
        .to_csv(folder / "I.csv", index=False)
    pd.DataFrame({"J": [f"d{k:0{width_j}d}" for k in range(n_dest)], "u": u, "v": v, "demand": demand}) \
        .to_csv(folder / "J.csv", index=False)
    return folder


# ---------------------------------------------------------------------------- the two builders
def build_by_hand(data: Path):
    """What a competent linopy user writes: pandas to read, xarray broadcasting for the costs."""
    import linopy
    import numpy as np
    import pandas as pd

    orig = pd.read_csv(data / "I.csv", index_col="I").to_xarray()  # Dataset over dim I: x, y, supply
    dest = pd.read_csv(data / "J.csv", index_col="J").to_xarray()  # Dataset over dim J: u, v, demand
    cost = np.sqrt((orig.x - dest.u) ** 2 + (orig.y - dest.v) ** 2)  # DataArray (I, J)

    m = linopy.Model()
    ship = m.add_variables(lower=0, coords=[orig.indexes["I"], dest.indexes["J"]], name="ship")
    m.add_constraints(ship.sum("J") <= orig.supply, name="ship_out")
    m.add_constraints(ship.sum("I") >= dest.demand, name="ship_in")
    m.add_objective((cost * ship).sum())
    return m


def build_by_milkrun(data: Path):
    import milkrun

    compiled = milkrun.compile_model(MODEL, data=data)
    return compiled.linopy, compiled.seconds


# ---------------------------------------------------------------------------- child side
def _import_everything(side: str):
    import gc  # noqa: F401
    import linopy  # noqa: F401
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import xarray  # noqa: F401

    import importlib

    # Modules xarray / linopy import lazily on first use (dask.array is pulled in by xarray's
    # duck-array checks, which drags in scipy.fft, unless milkrun's deferral (compiler/model/
    # lazy_dask.py) is in place, as it is on milkrun's side; nanops by .sum()). Loaded here so that no
    # import falls inside the timed window; each child reports any module it still sees loaded
    # inside the window ("late_imports"), so a new lazy import shows up rather than skewing times.
    for name in LAZY_IMPORTS:
        try:
            importlib.import_module(name)
        except ImportError:
            pass

    if side in ("milkrun", "profile", "phases"):
        import pkgutil

        import milkrun
        import milkrun.compiler
        import milkrun.dsl

        # every milkrun module (subpackages included) now, so no import happens inside the timed window
        for pkg in (milkrun.dsl, milkrun.compiler):
            for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
                importlib.import_module(info.name)


def _rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _proc_status(key: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset the kernel's RSS high-water mark (VmHWM) to the current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _maxrss_bytes() -> int:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if sys.platform == "darwin" else r * 1024  # kB on Linux, bytes on macOS


class PeakWindow:
    """Peak RSS increase over the RSS at entry (see README.md)."""

    def __enter__(self):
        import gc

        gc.collect()
        self.reset = _reset_peak()
        self.base = _rss_now()
        self.maxrss_before = _maxrss_bytes()
        return self

    def __exit__(self, *exc):
        hwm = _proc_status("VmHWM") if self.reset else None
        self.maxrss_after = _maxrss_bytes()
        peak = hwm if hwm is not None else self.maxrss_after
        self.method = "VmHWM" if hwm is not None else "ru_maxrss"
        self.increase = peak - self.base
        # ru_maxrss never goes down: it only measures this window if it grew past its earlier value
        self.maxrss_increase = self.maxrss_after - self.base if self.maxrss_after > self.maxrss_before else None
        return False


def child(side: str, data: Path) -> dict:
    _import_everything(side)
    if side == "check":
        return child_check(data)
    if side == "profile":
        return child_profile(data)
    if side == "phases":
        return child_phases(data)
    extra = {}
    loaded = set(sys.modules)
    with PeakWindow() as mem:
        c0 = time.process_time()
        t0 = time.perf_counter()
        if side == "hand":
            m = build_by_hand(data)
        else:
            m, extra = build_by_milkrun(data)
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - c0
    out = {"side": side, "seconds": seconds, "cpu_seconds": cpu, "peak_bytes": mem.increase, "memory_method": mem.method,
           "maxrss_increase": mem.maxrss_increase, "baseline_rss": mem.base,
           "nvars": int(m.nvars), "ncons": int(m.ncons), "phases": extra,
           "late_imports": sorted(set(sys.modules) - loaded)}
    return out


def child_check(data: Path) -> dict:
    """Build both sides on a small instance and solve each with HiGHS."""
    import contextlib
    import io

    import milkrun

    hand = build_by_hand(data)
    with contextlib.redirect_stdout(io.StringIO()):
        status, cond = hand.solve(solver_name="highs", io_api="direct", progress=False, output_flag=False)
    assert status == "ok" and cond == "optimal", (status, cond)
    compiled = milkrun.compile_model(MODEL, data=data)
    mr = compiled.linopy
    res = milkrun.solve_model(MODEL, data=data)  # milkrun's own solve path
    assert res.status == "optimal", res.status
    return {"side": "check", "hand_objective": float(hand.objective.value), "milkrun_objective": float(res.objective),
            "hand_size": [int(hand.nvars), int(hand.ncons)], "milkrun_size": [int(mr.nvars), int(mr.ncons)]}


def child_profile(data: Path, top: int = 25) -> dict:
    import cProfile
    import io
    import pstats

    import milkrun

    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    compiled = milkrun.compile_model(MODEL, data=data)
    prof.disable()
    total = time.perf_counter() - t0
    root = str(Path(milkrun.__file__).resolve().parent)
    stats = pstats.Stats(prof)
    rows = []
    for (file, line, func), (cc, nc, tt, ct, callers) in stats.stats.items():
        if os.path.isabs(file) and str(Path(file).resolve()).startswith(root + os.sep):
            rows.append({"where": f"{os.path.relpath(file, root)}:{line}({func})", "calls": nc,
                         "tottime": tt, "cumtime": ct})
    rows.sort(key=lambda r: -r["cumtime"])
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(15)
    return {"side": "profile", "seconds_profiled": total, "phases": compiled.seconds, "milkrun_functions": rows[:top],
            "top_tottime_text": buf.getvalue()}


def child_phases(data: Path) -> dict:
    """Time and peak RSS increase of each phase of compile_model, each measured from the RSS at its start."""
    from milkrun.compiler.build.linopy_model import build
    from milkrun.compiler.pipeline import bind_data, load_model

    from milkrun.dsl.parser import _lark

    out = {"side": "phases", "phases": {}}
    with PeakWindow() as total:
        t0 = time.perf_counter()
        with PeakWindow() as m0:
            t = time.perf_counter()
            _lark()  # the Lark parser, loaded from its generated tables on first use in every process
            s0 = time.perf_counter() - t
        with PeakWindow() as m1:
            t = time.perf_counter()
            ir = load_model(MODEL)
            s1 = time.perf_counter() - t
        with PeakWindow() as m2:
            t = time.perf_counter()
            instance, _ = bind_data(ir, data)
            s2 = time.perf_counter() - t
        rss_after_data = _rss_now()
        with PeakWindow() as m3:
            t = time.perf_counter()
            built = build(ir, instance)
            s3 = time.perf_counter() - t
        seconds = time.perf_counter() - t0
    out["phases"] = {
        "lark_parser": {"seconds": s0, "peak_bytes": m0.increase, "retained_bytes": m1.base - m0.base},
        "parse_check": {"seconds": s1, "peak_bytes": m1.increase, "retained_bytes": m2.base - m1.base},
        "data": {"seconds": s2, "peak_bytes": m2.increase, "retained_bytes": rss_after_data - m2.base},
        "build": {"seconds": s3, "peak_bytes": m3.increase, "retained_bytes": _rss_now() - m3.base},
    }
    # the sum of the phases: `seconds` also holds the gc.collect() / peak resets between phases
    out["total"] = {"seconds": s0 + s1 + s2 + s3, "peak_bytes": total.increase, "wall_with_resets": seconds}
    # what the bound data hold (sets and parameters as arrays)
    sizes = {}
    for name, v in instance._params.items():
        nbytes = getattr(v, "nbytes", None)
        if nbytes:
            sizes[name] = nbytes
    out["param_bytes"] = sizes
    out["model_bytes"] = {name: int(built.linopy.variables[name].data.nbytes) for name in built.linopy.variables}
    out["model_bytes"].update({f"con:{n}": int(built.linopy.constraints[n].data.nbytes)
                               for n in built.linopy.constraints})
    return out


# ---------------------------------------------------------------------------- parent side
def run_child(side: str, data: Path) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", side, "--data", str(data)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(HERE.parent))
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"child '{side}' failed (exit {proc.returncode})")
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def check_same_model(tmp: Path, seed: int) -> dict:
    small = generate_data(tmp / "check", *CHECK_SHAPE, seed=seed)
    r = run_child("check", small)
    a, b = r["hand_objective"], r["milkrun_objective"]
    rel = abs(a - b) / max(abs(a), abs(b), 1e-12)
    assert r["hand_size"] == r["milkrun_size"], f"sizes differ on the check instance: {r}"
    assert rel <= 1e-9, f"objective values differ: hand {a!r}, milkrun {b!r} (relative {rel:.3g})"
    r["relative_difference"] = rel
    return r


def fmt_mib(b) -> str:
    return f"{b / MiB:,.1f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=1000, help="N origins x N destinations (default 1000: 10^6 variables)")
    ap.add_argument("--repeat", type=int, default=3, help="fresh-process runs per side; the median is reported")
    ap.add_argument("--seed", type=int, default=0, help="numpy seed for the generated data")
    ap.add_argument("--profile", action="store_true", help="also profile milkrun's side (cProfile, per-phase memory)")
    ap.add_argument("--keep-data", metavar="DIR", help="write the generated data to DIR and keep it")
    ap.add_argument("--child", choices=["hand", "milkrun", "check", "profile", "phases"], help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        result = child(args.child, Path(args.data))
        print("RESULT " + json.dumps(result), flush=True)
        return 0

    tmp = Path(args.keep_data) if args.keep_data else Path(tempfile.mkdtemp(prefix="milkrun_bench_"))
    try:
        return run(args, tmp)
    finally:
        if not args.keep_data:
            shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp: Path) -> int:
    n = args.size
    load_before = os.getloadavg()
    print(f"milkrun compile overhead: transport model {n} x {n} ({n * n:,} variables, {2 * n:,} constraints), "
          f"{args.repeat} fresh-process run(s) per side, seed {args.seed}")
    chk = check_same_model(tmp, args.seed)
    print(f"check {CHECK_SHAPE[0]} x {CHECK_SHAPE[1]}: sizes {chk['hand_size']} == {chk['milkrun_size']}, HiGHS "
          f"objective hand {chk['hand_objective']:.12g}, milkrun {chk['milkrun_objective']:.12g} "
          f"(relative difference {chk['relative_difference']:.1e}) - same model")

    data = generate_data(tmp / "full", n, n, seed=args.seed)
    runs = {"hand": [], "milkrun": []}
    for _ in range(args.repeat):
        for side in ("hand", "milkrun"):
            runs[side].append(run_child(side, data))
    sizes = {side: {(r["nvars"], r["ncons"]) for r in rs} for side, rs in runs.items()}
    assert sizes["hand"] == sizes["milkrun"] and len(sizes["hand"]) == 1, f"model sizes differ: {sizes}"
    nvars, ncons = next(iter(sizes["hand"]))
    late = sorted({m for rs in runs.values() for r in rs for m in r["late_imports"]})
    if late:
        print(f"warning: modules imported inside the timed window (add them to LAZY_IMPORTS): {', '.join(late)}")

    med = {side: {"seconds": statistics.median(r["seconds"] for r in rs),
                  "min_seconds": min(r["seconds"] for r in rs),
                  "cpu_seconds": statistics.median(r["cpu_seconds"] for r in rs),
                  "peak_bytes": statistics.median(r["peak_bytes"] for r in rs)} for side, rs in runs.items()}
    t_ratio = med["milkrun"]["seconds"] / med["hand"]["seconds"]
    min_ratio = med["milkrun"]["min_seconds"] / med["hand"]["min_seconds"]
    cpu_ratio = med["milkrun"]["cpu_seconds"] / med["hand"]["cpu_seconds"]
    m_ratio = med["milkrun"]["peak_bytes"] / med["hand"]["peak_bytes"]
    phases = {k: statistics.median(r["phases"][k] for r in runs["milkrun"]) for k in runs["milkrun"][0]["phases"]}
    method = runs["hand"][0]["memory_method"]

    print()
    rows = []
    for side, label in (("hand", "hand-written linopy"), ("milkrun", "milkrun compile_model")):
        rs = runs[side]
        rows.append((label, f"{med[side]['seconds']:.3f}", fmt_mib(med[side]["peak_bytes"]),
                     " ".join("%.3f" % r["seconds"] for r in rs), " ".join(fmt_mib(r["peak_bytes"]) for r in rs)))
    rows.append(("milkrun / hand", f"{t_ratio:.2f}x", f"{m_ratio:.2f}x", "", ""))
    head = ("", "time s (median)", "peak MiB (median)", "time s (each run)", "peak MiB (each run)")
    w = [max(len(r[c]) for r in rows + [head]) for c in range(5)]
    for r in [head] + rows:
        print(f"{r[0]:<{w[0]}}  {r[1]:>{w[1]}}  {r[2]:>{w[2]}}  {r[3]:<{w[3]}}  {r[4]:<{w[4]}}".rstrip())
    print()
    print(f"model size: {nvars:,} variables, {ncons:,} constraints (both sides)")
    print("milkrun phases (median s): " + ", ".join(f"{k} {v:.3f}" for k, v in phases.items()))
    print(f"memory: peak RSS increase over the post-import RSS ({method}); time: perf_counter, data read to model")
    ok_t, ok_m = t_ratio <= TARGET_TIME, m_ratio <= TARGET_MEM
    print(f"time ratio   {t_ratio:.2f}x  (target <= {TARGET_TIME}x)  {'OK' if ok_t else 'MISSED'}"
          f"   [fastest runs: {min_ratio:.2f}x, CPU time medians: {cpu_ratio:.2f}x]")
    print(f"memory ratio {m_ratio:.2f}x  (target <= {TARGET_MEM}x)  {'OK' if ok_m else 'MISSED'}")
    load_after = os.getloadavg()
    print(f"load average (1, 5, 15 min): before {' '.join(f'{x:.2f}' for x in load_before)}, "
          f"after {' '.join(f'{x:.2f}' for x in load_after)}")

    summary = {
        "benchmark": "compile_overhead", "size": n, "repeat": args.repeat, "seed": args.seed,
        "nvars": nvars, "ncons": ncons,
        "hand": {"seconds": med["hand"]["seconds"], "peak_mib": med["hand"]["peak_bytes"] / MiB,
                 "cpu_seconds": med["hand"]["cpu_seconds"], "runs_seconds": [r["seconds"] for r in runs["hand"]],
                 "runs_peak_mib": [r["peak_bytes"] / MiB for r in runs["hand"]],
                 "runs_ru_maxrss_increase_mib": [r["maxrss_increase"] / MiB if r["maxrss_increase"] else None
                                                 for r in runs["hand"]]},
        "milkrun": {"seconds": med["milkrun"]["seconds"], "peak_mib": med["milkrun"]["peak_bytes"] / MiB,
                    "cpu_seconds": med["milkrun"]["cpu_seconds"], "runs_seconds": [r["seconds"] for r in runs["milkrun"]],
                    "runs_peak_mib": [r["peak_bytes"] / MiB for r in runs["milkrun"]],
                    "runs_ru_maxrss_increase_mib": [r["maxrss_increase"] / MiB if r["maxrss_increase"] else None
                                                    for r in runs["milkrun"]], "phases_seconds": phases},
        "time_ratio": t_ratio, "memory_ratio": m_ratio, "time_ratio_fastest": min_ratio, "cpu_time_ratio": cpu_ratio,
        "targets": {"time": TARGET_TIME, "memory": TARGET_MEM}, "time_ok": ok_t, "memory_ok": ok_m,
        "memory_method": method, "load_before": list(load_before), "load_after": list(load_after),
        "check": {"shape": list(CHECK_SHAPE), "hand_objective": chk["hand_objective"],
                  "milkrun_objective": chk["milkrun_objective"], "relative_difference": chk["relative_difference"]},
        "python": sys.version.split()[0], "versions": _versions(),
    }

    if args.profile:
        summary["profile"] = profile_report(data)

    print("JSON " + json.dumps(summary))
    return 0


def profile_report(data: Path) -> dict:
    ph = run_child("phases", data)
    print()
    print("milkrun per phase (fresh process; peak = RSS high-water increase within the phase, "
          "retained = RSS kept after it)")
    print("(lark_parser: loading milkrun's Lark LALR parser from its tables, dsl/parser_tables.py, done on first "
          "use in every process; parse_check: the rest of load_model, the lexer's first use included)")
    print(f"{'phase':<14}{'seconds':>10}{'peak MiB':>12}{'retained MiB':>14}")
    for k, v in ph["phases"].items():
        print(f"{k:<14}{v['seconds']:>10.3f}{fmt_mib(v['peak_bytes']):>12}{fmt_mib(v['retained_bytes']):>14}")
    print(f"{'total':<14}{ph['total']['seconds']:>10.3f}{fmt_mib(ph['total']['peak_bytes']):>12}")
    print("bound parameters (MiB): " + ", ".join(f"{k} {fmt_mib(v)}" for k, v in ph["param_bytes"].items()))
    print("linopy model arrays (MiB): " + ", ".join(f"{k} {fmt_mib(v)}" for k, v in ph["model_bytes"].items()))
    pr = run_child("profile", data)
    print()
    print(f"cProfile of compile_model ({pr['seconds_profiled']:.3f} s under the profiler; phases "
          + ", ".join(f"{k} {v:.3f}" for k, v in pr["phases"].items()) + "), milkrun functions by cumulative time:")
    print(f"{'cumtime s':>10}{'tottime s':>10}{'calls':>8}  function")
    for r in pr["milkrun_functions"]:
        print(f"{r['cumtime']:>10.3f}{r['tottime']:>10.3f}{r['calls']:>8}  {r['where']}")
    print()
    print("all functions by own time (tottime):")
    print(pr["top_tottime_text"])
    return {"phases": ph, "profile": {k: v for k, v in pr.items() if k != "top_tottime_text"}}


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for p in ("linopy", "xarray", "pandas", "numpy", "highspy", "milkrun"):
        try:
            out[p] = version(p)
        except PackageNotFoundError:
            pass
    return out


if __name__ == "__main__":
    sys.exit(main())
