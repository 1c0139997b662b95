"""Export speed: milkrun's LP/MPS writer (readable names) vs. linopy's own `Model.to_file`.

    /work/venv/bin/python benchmarks/export.py [--size 316] [--repeat 7] [--seed 0] [--formats lp,mps]

Why this benchmark: `milkrun export` used to call linopy's `to_file(..., explicit_coordinate_names=True)`,
which makes each readable name with a Python call per variable and per term (about 25 times
linopy's plain writer, whose names are x0, c0, ...). compiler/build/export.py builds every line as whole
arrays; the target is at most 1.5 times linopy's plain `to_file` on 10^5 variables.

The model is benchmarks/models/transport_bench.mcp with --size N origins and N destinations
(N = 316: 99,856 variables, 632 rows, 199,712 matrix entries), its data generated at run time by
compile_overhead.generate_data into a temporary folder. It is compiled once through milkrun; then,
in one process, for each format, after one untimed warm-up of each side, the two writers run
--repeat times interleaved (linopy first in odd rounds, milkrun first in even ones, so a drift of
the machine hits both alike), each into a fresh file name. Reported: the median and every run of
each side, the ratio of the medians, the load average (os.getloadavg) before and after, and one
line starting with `JSON ` for scripts. Linopy's MPS writer is highspy's `writeModel` (HiGHS builds
its own model first); its banner is silenced outside the timed calls.

Before timing, both LP files are read with HiGHS and must agree in columns, rows and nonzeros.
`--explicit` also times linopy with explicit_coordinate_names=True once (the old milkrun export;
several seconds at 10^5 variables).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from compile_overhead import MODEL, generate_data  # noqa: E402

TARGET = 1.5


def _highs_size(path: Path) -> tuple[int, int, int]:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if h.readModel(str(path)) != highspy.HighsStatus.kOk:
        raise SystemExit(f"HiGHS cannot read {path}")
    lp = h.getLp()
    return lp.num_col_, lp.num_row_, len(lp.a_matrix_.value_)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--size", type=int, default=316, help="origins = destinations (default 316: ~10^5 variables)")
    p.add_argument("--repeat", type=int, default=7, help="timed runs per side and format (default 7)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--formats", default="lp,mps", help="lp, mps or lp,mps (default)")
    p.add_argument("--explicit", action="store_true",
                   help="also time linopy with explicit_coordinate_names=True once (the old export)")
    args = p.parse_args(argv)
    formats = [f for f in args.formats.split(",") if f]

    import linopy
    import polars

    import milkrun
    from milkrun.compiler.build.export import write_model
    from milkrun.compiler.solve.stdout_guard import silenced

    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="milkrun-export-bench-"))
    try:
        data = generate_data(work / "data", args.size, args.size, args.seed)
        compiled = milkrun.compile_model(MODEL, data=data)
        m = compiled.linopy
        out = work / "out"
        out.mkdir()

        def linopy_side(fmt, k, **kw):
            t0 = time.perf_counter()
            m.to_file(out / f"linopy{k}.{fmt}", io_api=fmt, progress=False, **kw)
            return time.perf_counter() - t0

        def milkrun_side(fmt, k):
            t0 = time.perf_counter()
            write_model(compiled.built, out / f"milkrun{k}.{fmt}", fmt)
            return time.perf_counter() - t0

        results, explicit = {}, None
        with silenced(True):  # highspy's "Writing the model to ..." banner
            for fmt in formats:
                linopy_side(fmt, "warm")  # imports, polars' thread pool, caches
                milkrun_side(fmt, "warm")
                times = {"linopy": [], "milkrun": []}
                for k in range(args.repeat):
                    order = ("linopy", "milkrun") if k % 2 == 0 else ("milkrun", "linopy")
                    for side in order:
                        run = linopy_side if side == "linopy" else milkrun_side
                        times[side].append(run(fmt, k))
                results[fmt] = times
            if args.explicit and "lp" in formats:
                explicit = linopy_side("lp", "explicit", explicit_coordinate_names=True)
        load_after = os.getloadavg()

        if "lp" in formats:
            ours, theirs = _highs_size(out / "milkrun0.lp"), _highs_size(out / "linopywarm.lp")
            if ours != theirs:
                print(f"the two LP files differ: milkrun {ours}, linopy {theirs} (columns, rows, nonzeros)")
                return 1
        sizes = {fmt: {side: (out / f"{side}0.{fmt}").stat().st_size for side in ("linopy", "milkrun")}
                 for fmt in formats}
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"export of transport_bench {args.size} x {args.size}: {m.nvars:,} variables, {m.ncons:,} rows; "
          f"{args.repeat} interleaved runs per side")
    print(f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} ({os.cpu_count()} CPUs)")
    summary = {"size": args.size, "variables": int(m.nvars), "rows": int(m.ncons), "repeat": args.repeat,
               "load_before": load_before, "load_after": load_after, "cpus": os.cpu_count(), "target": TARGET,
               "versions": {"python": sys.version.split()[0], "linopy": linopy.__version__,
                            "polars": polars.__version__}, "formats": {}}
    print(f"{'format':6s} {'side':8s} {'median s':>9s}  runs s                                   file MB")
    for fmt, times in results.items():
        med = {side: statistics.median(t) for side, t in times.items()}
        ratio = med["milkrun"] / med["linopy"]
        for side in ("linopy", "milkrun"):
            runs = " ".join(f"{t:.3f}" for t in times[side])
            print(f"{fmt:6s} {side:8s} {med[side]:9.3f}  {runs:40s} {sizes[fmt][side] / 1e6:6.1f}")
        verdict = "met" if ratio <= TARGET else "missed"
        print(f"{fmt:6s} milkrun / linopy = {ratio:.2f}x (target {TARGET}x: {verdict})")
        summary["formats"][fmt] = {"median": med, "runs": times, "ratio": ratio, "bytes": sizes[fmt]}
    if explicit is not None:
        lp_med = summary["formats"]["lp"]["median"]["linopy"]
        print(f"lp     linopy explicit_coordinate_names=True (the old export), once: {explicit:.3f} s "
              f"= {explicit / lp_med:.1f}x linopy's plain writer")
        summary["explicit_names_seconds"] = explicit
    print("JSON " + json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
