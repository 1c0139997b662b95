"""`milkrun twin`: a solved design evaluated under changed data, as a digital twin does.

Three columns of the same figures: the baseline (the design solved on the data as given);
the perturbed data with every decision held (nothing re-planned: KPIs recomputed, and every
row the old plan now breaks, such as a tank over capacity, listed with by how much); and
the perturbed data with the design held and the operational decisions re-optimised (the
variables not marked `design` are free again).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from milkrun.compiler.build.figures import evaluate_kpis
from milkrun.compiler.build.linopy_model import expression_value, plan_vector
from milkrun.compiler.passes.fix import design_names, fix_variables, solution_values
from milkrun.compiler.pipeline import RunOptions, compile_model, run_options, solve_compiled
from milkrun.compiler.report.console import _fmt
from milkrun.compiler.solve.result import Result
from milkrun.compiler.solve.start import broken_rows
from milkrun.dsl.diagnostics import MilkrunError


@dataclass
class Column:
    """One evaluation of the design: its status, objective values and scalar KPIs."""

    label: str
    status: str
    objectives: dict[str, float | None] = field(default_factory=dict)
    kpis: dict[str, float] = field(default_factory=dict)
    broken: pd.DataFrame | None = None  # rows the held plan breaks (the fixed column)
    message: str | None = None
    result: Result | None = None


@dataclass
class Twin:
    model: str
    perturb: list[str]
    design: list[str]
    columns: list[Column]
    kpi_docs: dict[str, str | None]
    primary: str | None
    seconds: float = 0.0

    def table(self) -> pd.DataFrame:
        """Figures × (baseline, fixed, adjusted) with the changes against the baseline in %."""
        base, *others = self.columns
        names = list(base.objectives) + [k for k in base.kpis if k not in base.objectives]
        rows = {}
        for c in self.columns:
            rows[c.label] = [c.objectives.get(n, c.kpis.get(n)) for n in names]
        frame = pd.DataFrame(rows, index=pd.Index(names, name="figure"), dtype=float)
        for c in others:
            b = frame[base.label]
            frame[f"{c.label} vs baseline %"] = np.where(b.abs() > 1e-12, 100 * (frame[c.label] - b) / b.abs(),
                                                         np.nan)
        return frame

    def summary(self) -> dict:
        def num(v):
            return None if v is None or not np.isfinite(v) else float(v)

        out = {"model": self.model, "perturb": self.perturb, "design": self.design, "primary": self.primary,
               "seconds": round(self.seconds, 3), "columns": {}}
        for c in self.columns:
            out["columns"][c.label] = {
                "status": c.status, "message": c.message,
                "objectives": {k: num(v) for k, v in c.objectives.items()},
                "kpis": {k: num(v) for k, v in c.kpis.items()},
                "broken_rows": int(len(c.broken)) if c.broken is not None else None,
                "broken_by_family": (c.broken.groupby("family").size().to_dict()
                                     if c.broken is not None and len(c.broken) else {}),
            }
        return out


def run_twin(run: RunOptions | str | Path, perturb: list[str], data=None, **fields) -> Twin:
    """`run`: the baseline (a RunOptions, or a model path with its fields as keywords); `perturb`: the
    changes of the twin's data, applied after the run's own."""
    run = run_options(run, data, **fields)
    if not perturb:
        raise MilkrunError("twin needs at least one --perturb, e.g. --perturb 'yield_per_cow*=0.8'")
    t0 = time.perf_counter()
    perturbed = run.replace(perturb=tuple(run.perturb) + tuple(perturb))

    def compiled(with_perturb):
        return compile_model(perturbed if with_perturb else run)

    base_c = compiled(False)
    design = design_names(base_c.ir)
    base = solve_compiled(base_c, run)
    if not base.has_solution:
        raise MilkrunError(f"the baseline has no plan ({base.status}: {base.message}); there is no design to "
                           "evaluate", None, kind="infeasible" if base.status == "infeasible" else "error")
    columns = [_column("baseline", base)]

    held_c = compiled(True)  # data perturbed, every decision held: evaluated, not solved
    columns.append(_held(held_c, base))

    adj_c = compiled(True)  # data perturbed, the design held, the rest re-optimised
    fix_variables(adj_c.built, solution_values(base.solution, design))
    adjusted = solve_compiled(adj_c, run)
    col = _column("adjusted", adjusted)
    if not adjusted.has_solution:
        col.message = adjusted.message + ("; " + "; ".join(adjusted.why) if adjusted.why else "")
    columns.append(col)
    return Twin(base_c.ir.name or Path(str(run.model)).stem, list(perturb), design, columns,
                base.kpi_docs, base.primary, time.perf_counter() - t0)


def _column(label: str, r: Result) -> Column:
    return Column(label, r.status, dict(r.objectives), _scalars(r.kpis), message=r.message, result=r)


def _held(compiled, base: Result) -> Column:
    """The baseline plan on the perturbed model: objectives and KPIs recomputed, breaks listed."""
    m = compiled.linopy
    x = plan_vector(m, base.solution)
    broken = broken_rows(m, x)
    objectives = {name: expression_value(expr, np.nan_to_num(x)) for name, expr in compiled.built.objectives.items()}
    kpis = _scalars(evaluate_kpis(compiled.ir, compiled.instance, base.solution))
    if len(broken):
        fam = broken.groupby("family", sort=False).size()
        status = "breaks rows"
        message = "the held plan breaks " + ", ".join(f"{n} row(s) of {f}" for f, n in fam.items())
    else:
        status, message = "holds", "the held plan keeps every row"
    return Column("fixed", status, objectives, kpis, broken, message)


def _scalars(kpis: dict[str, xr.DataArray]) -> dict[str, float]:
    return {k: float(v) for k, v in kpis.items() if v.ndim == 0}


def write_twin(twin: Twin, out: Path) -> list[Path]:
    import json

    out.mkdir(parents=True, exist_ok=True)
    written = [out / "twin.csv", out / "summary.json"]
    twin.table().to_csv(written[0], float_format="%.10g")
    written[1].write_text(json.dumps(twin.summary(), indent=2))
    for c in twin.columns:
        if c.broken is not None and len(c.broken):
            p = out / f"{c.label}_broken_rows.csv"
            c.broken.to_csv(p, index=False, float_format="%.10g")
            written.append(p)
        if c.result is not None and c.result.has_solution:
            c.result.write(out / c.label)
            written.append(out / c.label)
    return written


def print_twin(twin: Twin, console, quiet: bool = False) -> None:
    """The three columns side by side; `quiet`: each column's status only."""
    from rich.table import Table


    console.print(f"[bold]{twin.model}[/bold]: digital twin, perturbation {', '.join(twin.perturb)}; design held: "
                  f"{', '.join(twin.design)} ({twin.seconds:.1f} s)")
    for c in twin.columns:
        console.print(f"  {c.label}: {c.status}" + (f" — {c.message}" if c.message else ""), markup=False)
    if quiet:
        return
    frame = twin.table()
    t = Table(show_header=True, header_style="bold")
    t.add_column("figure")
    for col in frame.columns:
        t.add_column(col, justify="right")
    for name, row in frame.iterrows():
        doc = twin.kpi_docs.get(name)
        label = f"{name} ({doc})" if doc else f"{name} (objective)"
        t.add_row(label, *["" if not np.isfinite(v) else (f"{v:+.1f}" if "%" in col else _fmt(v))
                           for col, v in row.items()])
    console.print(t)
    for c in twin.columns:
        if c.broken is not None and len(c.broken):
            worst = c.broken.sort_values("excess", ascending=False).head(5)
            console.print(f"  rows the {c.label} plan breaks (worst first, of {len(c.broken)}):")
            for r in worst.itertuples():
                console.print(f"    {r.family}{r.at}: {_fmt(r.activity)} {r.op} {_fmt(r.limit)} "
                              f"({_fmt(r.excess)} past the limit)", markup=False)
