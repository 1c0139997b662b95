"""`milkrun pareto`: compile, run the multi-objective pass, report and write the front."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from milkrun.compiler.pipeline import Compiled, RunOptions, compile_model, run_options
from milkrun.compiler.report.console import _fmt
from milkrun.compiler.report.plots import front_plot, objective_labels
from milkrun.compiler.solve.progress import GridProgress
from milkrun.compiler.solve.result import _netcdf_safe
from milkrun.compiler.solve.session import Session
from milkrun.compiler.solve.stdout_guard import silenced
from milkrun.compiler.studies.pareto.augmecon import Front, augmecon2, weighted
from milkrun.compiler.studies.pareto.pool import make_pool
from milkrun.dsl.diagnostics import MilkrunError


def run_pareto(run: RunOptions | str | Path, data=None, *, primary: str | None = None, method: str = "augmecon2",
               points: int = 10, weights: list[float] | None = None, progress: bool = False,
               nadir: dict | None = None, workers: int = 1, scheduler: str | None = None,
               cluster: str | None = None, **fields) -> tuple[Compiled, Front]:
    """The front of `run`'s model (a RunOptions, or a model path with its fields as keywords):
    compiled once, loaded once in a solver session, one solve per grid point; `workers` > 1
    solves augmecon2's grid points in that many processes, `scheduler` (tcp://HOST:PORT) on a
    Dask cluster's workers, `cluster="local"` on a Dask LocalCluster of `workers` processes (the
    front is the same). Returns (Compiled, Front)."""
    run = run_options(run, data, **fields)
    if method == "weighted" and (scheduler or cluster):
        raise MilkrunError("--scheduler and --cluster solve augmecon2's grid points; weighted sums run here",
                           hint="drop --scheduler / --cluster, or use --method augmecon2")
    run = run.replace(tour_method=run.tour_method or "flow")  # a session needs every row up front
    compiled = compile_model(run)
    with silenced(True), GridProgress(enabled=progress) as prog:  # solver banners off stdout
        session = Session(compiled.built, run.solver, dict(run.solver_options), run.time_limit, run.gap)
        if method == "weighted":
            front = weighted(session, primary, weights, points, prog)
        else:
            parallel = workers > 1 or scheduler or cluster
            pool = make_pool(session, run, workers, compiled.data_dir, scheduler, cluster) if parallel else None
            front = augmecon2(session, primary, points, prog, nadir, pool)
    return compiled, front


def front_table(front: Front) -> pd.DataFrame:
    frame = pd.DataFrame(front.points, index=pd.RangeIndex(1, len(front.points) + 1, name="point"))
    frame["status"] = front.statuses
    return frame


def payoff_frame(front: Front) -> pd.DataFrame:
    return pd.DataFrame(front.payoff, index=pd.Index(front.objectives, name="optimised first"),
                        columns=front.objectives)


def write_front(compiled, front: Front, out: Path) -> list[Path]:
    """front.csv (objectives, ε or weights, status), payoff.csv, front.nc (every variable per point),
    summary.json and front.png."""
    return write_front_parts(front_parts(compiled, front), front, out)


def front_parts(compiled, front: Front) -> dict:
    """What write_front needs of the compiled model, as plain data: a worker that computed a front
    sends it back, and the coordinator writes the files."""
    return {"dataset": front.dataset(compiled.linopy) if front.points else None,
            "title": _title(compiled, front), "labels": objective_labels(compiled.ir)}


def write_front_parts(parts: dict, front: Front, out: Path) -> list[Path]:
    """write_front from `front_parts`."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    p = out / "front.csv"
    front_table(front).to_csv(p)
    written.append(p)
    p = out / "payoff.csv"
    payoff_frame(front).to_csv(p)
    written.append(p)
    p = out / "summary.json"
    p.write_text(json.dumps(front.summary(), indent=2) + "\n")
    written.append(p)
    if front.points:
        p = out / "front.nc"
        ds = _netcdf_safe(parts["dataset"])
        ds.to_netcdf(p, engine="netcdf4")
        written.append(p)
        written.append(front_plot({"": front}, out / "front.png", title=parts["title"], labels=parts["labels"]))
    return written


def _title(compiled, front: Front) -> str:
    return f"{compiled.ir.name or 'model'}: {front.method}, {len(front.points)} points"


def print_front(compiled, front: Front, console: Console | None = None, max_rows: int = 60,
                quiet: bool = False) -> None:
    """The front as tables; `quiet`: its first line only (how many points, how long)."""
    console = console or Console()
    console.print(f"[bold]{compiled.ir.name or 'model'}[/bold]: {len(front.points)} Pareto point(s) by "
                  f"{front.method} ({front.seconds:.2f} s)")
    if quiet:
        return
    console.print(f"  {front.solves} solves ({len(front.objectives) ** 2} for the payoff table"
                  + (f", {front.found_again} found a point again" if front.found_again else "")
                  + (f"; {front.workers} worker processes" if front.workers > 1 else "") + "); "
                  f"{front.skipped_bypass} grid points skipped by the bypass rule, "
                  f"{front.skipped_infeasible} after an infeasible point; "
                  f"{front.dropped} dominated or duplicate point(s) removed")
    if front.normalised_by:
        console.print("  weights apply to objectives divided by their payoff-table ranges: "
                      + ", ".join(f"{k} / {_fmt(v)}" for k, v in front.normalised_by.items()), markup=False)
    if len(front.objectives) >= 3 and "payoff table" in front.nadir_from.values():
        console.print("  note: the grid of " + ", ".join(k for k, v in front.nadir_from.items() if v == "payoff table")
                      + " starts at the payoff table's worst value; with three or more objectives the front may "
                        "reach below it (give --nadir NAME=VALUE to start lower)", markup=False)
    unproven = sum(s != "optimal" for s in front.statuses)
    if unproven:
        console.print(f"  [yellow]{unproven} point(s) stopped by a limit before proven optimal[/yellow]")
    if front.no_plan_in_time:
        console.print(f"  [yellow]{front.no_plan_in_time} grid point(s) found no plan within the time limit "
                      "and are missing from the front[/yellow]")
    table = Table(title="payoff table (row: objective optimised first, then the others in turn)",
                  title_justify="left", show_edge=False)
    table.add_column("optimised")
    for k in front.objectives:
        table.add_column(f"{k} ({front.senses[k]})", justify="right")
    for name, row in zip(front.objectives, front.payoff):
        table.add_row(name, *[_fmt(v) for v in row])
    console.print(table)
    table = Table(title="front", title_justify="left", show_edge=False)
    table.add_column("point", justify="right")
    for k in front.objectives:
        table.add_column(k, justify="right")
    for i, p in enumerate(front.points[:max_rows], start=1):
        table.add_row(str(i), *[_fmt(p[k]) for k in front.objectives])
    if len(front.points) > max_rows:
        table.add_row("…", *[""] * len(front.objectives))
    console.print(table)
