"""The dairy-chain runs of the seed (spec dairy-chain.md, "Procedure"): random realisations of
the uncertain data at two uncertainty levels, and the mean and standard deviation of the profit,
the economic, environmental and social costs and the employees per echelon (the seed's Figures 1
and 2), with the product portfolio of every realisation.

At level rho the realisations are drawn uniformly within [nominal - rho G, nominal + rho G] (G the
half-width of the seed's range): the model's `spread` parameter set to rho. Each realisation is
then solved either as it is (mode `plain`: the seed's reading of a realisation) or with the box
counterpart around it (mode `robust`: `--robust box --level 1`, which with spread = rho is the
box of half-width rho G around the drawn values).

    /tmp/venv/bin/python benchmarks/dairy_chain.py run --out runs/dairy_chain            # both modes
    /tmp/venv/bin/python benchmarks/dairy_chain.py run --out runs/dc --modes plain --workers 2
    /tmp/venv/bin/python benchmarks/dairy_chain.py table runs/dairy_chain                 # tables + figures

`run` is `milkrun sweep` once per mode, into OUT/MODE/ (sweep.nc with dimensions `spread` x
`realisation`, points.csv, manifest.json; an interrupted run resumes). `table` reads those, or a
single sweep.nc folder. Figures go to OUT/figure1.png and OUT/figure2.png.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import xarray as xr

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "models" / "dairy_chain.mcp"
COSTS = ["net_profit", "economic", "environmental", "social"]
EMPLOYEES = ["employees_suppliers", "employees_dairies", "employees_markets"]
SCALARS = COSTS + ["revenue", "raw_material", "bod5_cost", "co2_cost"] + EMPLOYEES
INDEXED = ["portfolio", "portfolio_dairy", "sales", "bought", "fat_used"]


def run(out: Path, levels: list[float], n: int, seed: int, modes: list[str], time_limit: float,
        workers: int, overrides: list[str]) -> None:
    """One `milkrun sweep` per mode into OUT/MODE/: the grid of levels (the model's `spread`) times
    n seeded realisations, on `workers` processes; an interrupted run resumes where it stopped."""
    from milkrun.compiler.cli.command import main as milkrun

    for mode in modes:
        folder = out / mode
        args = ["sweep", str(MODEL), "--grid", "spread=" + ",".join(format(v, "g") for v in levels),
                "--realisations", str(n), "--seed", str(seed), "--solver", "scip", "--time-limit", str(time_limit),
                "--workers", str(workers), "--out", str(folder), "--no-variables", "--no-progress"]
        for o in overrides:
            args += ["--set", o]
        if mode == "robust":
            args += ["--robust", "box"]  # level 1 around each draw: the box of half-width spread x G
        if (folder / "manifest.json").exists():
            args.append("--resume")
        t0 = time.perf_counter()
        code = milkrun(args)
        print(f"{mode}: {len(levels) * n} points in {time.perf_counter() - t0:.1f} s (exit {code})", file=sys.stderr)


# ---------------------------------------------------------------- tables and figures

def load(folder: Path) -> dict[str, xr.Dataset]:
    """{mode: Dataset} from OUT/MODE/sweep.nc (what `run` writes), or {'sweep': ...} from a sweep.nc."""
    if (folder / "sweep.nc").exists():
        return {"sweep": xr.open_dataset(folder / "sweep.nc")}
    return {p.parent.name: xr.open_dataset(p) for p in sorted(folder.glob("*/sweep.nc"))}


def summary(ds: xr.Dataset) -> dict:
    """Per level: mean and sample standard deviation (ddof = 1) over the realisations with a plan."""
    out = {}
    for s in ds.spread.values:
        d = ds.sel(spread=s)
        ok = d.status.isin(["optimal", "time_limit", "feasible"]) & np.isfinite(d.kpi_net_profit)
        row = {"points": int(d.sizes["realisation"]), "with_plan": int(ok.sum()),
               "proven": int((d.status == "optimal").sum()), "max_seconds": float(d.seconds.max())}
        for name in ["obj_profit"] + [f"kpi_{c}" for c in SCALARS]:
            v = d[name].where(ok).values
            v = v[np.isfinite(v)]
            row[name] = (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0)
        out[float(s)] = row
    return out


def portfolios(ds: xr.Dataset) -> dict:
    """Per level: how many realisations make each (dairy, recipe, product), and the mean kg."""
    out = {}
    p = ds.kpi_portfolio_dairy
    for s in ds.spread.values:
        d = p.sel(spread=s)
        made = (d > 0.5)
        rows = {}
        for i in d.i.values:
            for r in d.r.values:
                for q in d.p.values:
                    cnt = int(made.sel(i=i, r=r, p=q).sum())
                    if cnt:
                        rows[f"{i} {r} {q}"] = (cnt, float(d.sel(i=i, r=r, p=q).where(made.sel(i=i, r=r, p=q)).mean()))
        out[float(s)] = rows
    return out


def print_tables(runs: dict[str, xr.Dataset]) -> None:
    labels = {"obj_profit": "objective (worst case under robust)", "kpi_net_profit": "profit",
              "kpi_economic": "economic cost", "kpi_environmental": "environmental cost",
              "kpi_social": "social cost", "kpi_revenue": "revenue", "kpi_raw_material": "raw material",
              "kpi_bod5_cost": "BOD5 cost", "kpi_co2_cost": "CO2 cost",
              "kpi_employees_suppliers": "employees, suppliers", "kpi_employees_dairies": "employees, dairies",
              "kpi_employees_markets": "employees, markets"}
    for mode, ds in runs.items():
        summ = summary(ds)
        levels = list(summ)
        print(f"\n== {mode}: mean ± SD over the realisations (BGN a month; jobs)")
        print(f"{'':38s}" + "".join(f"{'level ' + format(s, 'g'):>26s}" for s in levels))
        for key, label in labels.items():
            print(f"{label:38s}" + "".join(f"{summ[s][key][0]:>14,.1f} ± {summ[s][key][1]:>9,.1f}" for s in levels))
        print(f"{'points / with a plan / proven optimal':38s}" +
              "".join(f"{summ[s]['points']:>14d} / {summ[s]['with_plan']} / {summ[s]['proven']}    " for s in levels))
        print(f"{'slowest point (s)':38s}" + "".join(f"{summ[s]['max_seconds']:>26.1f}" for s in levels))
        for s, rows in portfolios(ds).items():
            print(f"  portfolio at level {s:g} (dairy recipe product: realisations, mean kg):")
            for key, (cnt, kg) in rows.items():
                print(f"    {key}: {cnt}, {kg:,.0f}")


def _bars(ax, summ: dict, keys: list[str], colours: list) -> None:
    """Grouped bars: per kpi, one bar per level, the mean with an error bar of one sample SD."""
    from milkrun.compiler.report.figure import tag

    levels = list(summ)
    width = 0.8 / len(levels)
    xs = np.arange(len(keys))
    for j, s in enumerate(levels):
        means = [summ[s][f"kpi_{k}"][0] for k in keys]
        sds = [summ[s][f"kpi_{k}"][1] for k in keys]
        bars = ax.bar(xs + j * width, means, width, yerr=sds, capsize=3, color=colours[j], label=f"ρ = {s:g}",
                      error_kw=dict(ecolor="black", lw=1.1))
        tag(bars.patches[0])
        tag(*bars.patches[1:], part=True)
    ax.set_xticks(xs + width * (len(levels) - 1) / 2)
    ax.set_xticklabels([k.replace("employees_", "").replace("net_", "").replace("_cost", "") for k in keys])
    ax.yaxis.set_major_formatter("{x:,.0f}")
    ax.grid(axis="y", alpha=0.3)


def _realisations(runs: dict[str, xr.Dataset]) -> str:
    """How many realisations each mean is over: `10`, or `8-10` when some had no plan."""
    counts = {summ["with_plan"] for ds in runs.values() for summ in summary(ds).values()}
    return f"{min(counts)}" if len(counts) == 1 else f"{min(counts)}-{max(counts)}"


def _legend(fig, runs: dict[str, xr.Dataset], colours: list) -> None:
    """The levels' colours and what an error bar is, beside the panels."""
    from matplotlib.collections import LineCollection
    from matplotlib.container import ErrorbarContainer
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from milkrun.compiler.report.figure import legend_beside

    levels = list(summary(next(iter(runs.values()))))
    handles = [Patch(color=colours[j]) for j in range(len(levels))]
    labels = [f"uncertainty level ρ = {s:g}" for s in levels]
    cap = Line2D([], [], ls="", marker="_", ms=7, mew=1.1, color="black")
    handles.append(ErrorbarContainer((Line2D([], [], ls=""), (cap, cap), (LineCollection([], colors="black",
                                                                                          linewidths=1.1),)),
                                     has_yerr=True))
    labels.append(f"bar: the mean; error bar: ± one\nsample standard deviation over\n{_realisations(runs)} "
                  "realisations")
    legend_beside(fig, handles, labels, fontsize=9)


def figure1(runs: dict[str, xr.Dataset]):
    """Profit and costs (the environmental ones on their own scale), one row per mode."""
    from milkrun.compiler.report.figure import fit_title, new_figure, palette

    n = len(runs)
    levels = list(summary(next(iter(runs.values()))))
    colours = palette(len(levels))
    fig, axes = new_figure(n, 2, 13.5, 3.8 * n + 0.6)
    for row, (mode, ds) in zip(axes, runs.items()):
        summ = summary(ds)
        _bars(row[0], summ, ["net_profit", "economic", "social"], colours)
        row[0].set_title(f"{mode}: profit and costs", fontsize=10)
        row[0].set_xlabel("profit and costs")
        row[0].set_ylabel("mean (BGN a month)")
        _bars(row[1], summ, ["environmental", "bod5_cost", "co2_cost"], colours)
        row[1].set_title(f"{mode}: environmental costs", fontsize=10)
        row[1].set_xlabel("environmental costs")
        row[1].set_ylabel("mean (BGN a month)")
    _legend(fig, runs, colours)
    fit_title(fig, "Dairy chain: profit and costs over random realisations of the uncertain data, "
                   "per mode and uncertainty level")
    return fig


def figure2(runs: dict[str, xr.Dataset]):
    """Employees per echelon, one panel per mode."""
    from milkrun.compiler.report.figure import fit_title, new_figure, palette

    n = len(runs)
    levels = list(summary(next(iter(runs.values()))))
    colours = palette(len(levels))
    fig, axes = new_figure(1, n, 5.2 * n + 2.8, 4.0)
    for ax, (mode, ds) in zip(axes[0], runs.items()):
        _bars(ax, summary(ds), EMPLOYEES, colours)
        ax.set_title(f"{mode}: employees per echelon", fontsize=10)
        ax.set_xlabel("echelon")
        ax.set_ylabel("mean employees (jobs)")
    _legend(fig, runs, colours)
    fit_title(fig, "Dairy chain: employees over random realisations of the uncertain data, "
                   "per mode and uncertainty level")
    return fig


def figures(runs: dict[str, xr.Dataset], folder: Path) -> None:
    """Figure 1: profit and costs (the environmental ones on their own scale); Figure 2: employees.
    One row per mode, mean and sample SD over the realisations at each level."""
    from milkrun.compiler.report.figure import save

    save(figure1(runs), folder / "figure1.png")
    save(figure2(runs), folder / "figure2.png")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="solve the realisations")
    r.add_argument("--out", required=True, type=Path)
    r.add_argument("--levels", default="0.5,1", help="uncertainty levels rho (default 0.5,1)")
    r.add_argument("--realisations", type=int, default=10)
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--modes", default="plain,robust", help="plain, robust or both (default)")
    r.add_argument("--time-limit", type=float, default=120)
    r.add_argument("--workers", type=int, default=1)
    r.add_argument("--set", action="append", default=[], dest="overrides", help="as milkrun --set")
    t = sub.add_parser("table", help="print the tables and draw the figures of a run")
    t.add_argument("folder", type=Path)
    a = ap.parse_args()
    if a.cmd == "run":
        run(a.out, [float(v) for v in a.levels.split(",")], a.realisations, a.seed, a.modes.split(","),
            a.time_limit, a.workers, a.overrides)
        a.folder = a.out
    runs = load(a.folder)
    if not runs:
        print(f"no results in {a.folder}", file=sys.stderr)
        return 1
    print_tables(runs)
    figures(runs, a.folder)
    print(f"\nfigures: {a.folder / 'figure1.png'}, {a.folder / 'figure2.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
