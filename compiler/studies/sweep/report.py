"""What `milkrun sweep` prints at the end: a table of the points and one summary line, or one
JSON object (--json). The files in OUT hold everything; this is the overview."""
from __future__ import annotations

import json
import math

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from milkrun.compiler.report.console import _fmt
from milkrun.compiler.studies.sweep.runner import SweepOutcome

MAX_ROWS = 60
STYLE = {"optimal": "green", "feasible": "yellow", "time_limit": "yellow", "infeasible": "red", "failed": "red",
         "unbounded": "red", "error": "red", "pending": "dim"}


def _num(v):
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


def _json_value(v):
    if isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    return _num(v)


def _scalars(ds) -> dict:
    out = {}
    for name, da in ds.data_vars.items():
        if da.ndim == 0:
            v = da.item()
            out[name] = v.decode() if isinstance(v, bytes) else v
    return out


def summary_line(o: SweepOutcome) -> str:
    counts = o.counts
    solved = o.n_solved
    no_plan = {k: v for k, v in counts.items() if k not in ("optimal", "feasible", "time_limit")}
    parts = [f"{len(o.plan)} point(s): {solved} with a plan"]
    if no_plan:
        parts.append("no plan: " + ", ".join(f"{v} {k}" for k, v in sorted(no_plan.items())))
    text = "; ".join(parts)
    text += (f"; ran {o.ran} in {o.wall:.2f} s wall ({o.task_seconds:.2f} s in workers, "
             f"{o.solve_seconds:.2f} s solving)")
    if o.skipped:
        text += f"; {o.skipped} already finished"
    if o.executor:
        text += f"; on {o.executor}"
    return text


def print_sweep(o: SweepOutcome, console: Console | None = None) -> None:
    console = console or Console()
    dims = list(o.plan.dims)
    table = Table(title=f"sweep of {o.attrs.get('model', 'model')}: {len(o.plan)} point(s)", title_justify="left",
                  show_edge=False)
    for d in dims:
        table.add_column(escape(d), justify="right")
    table.add_column("status")
    rows = [(p, _scalars(o.finished[p.key]) if p.key in o.finished else {"status": "pending"}) for p in o.plan.points]
    objectives = sorted({k for _, r in rows for k in r if k.startswith("obj_")})
    pareto = any("front_size" in r for _, r in rows)
    for k in objectives:
        table.add_column(escape(k[4:]), justify="right")
    if pareto:
        table.add_column("front", justify="right")
    table.add_column("s", justify="right")
    table.add_column("error")
    for p, r in rows[:MAX_ROWS]:
        status = str(r.get("status", ""))
        error = str(r.get("error", "") or "").strip().splitlines()
        table.add_row(*[_fmt(p.coords[d]) if isinstance(p.coords[d], float) else escape(str(p.coords[d])) for d in dims],
                      f"[{STYLE.get(status, 'white')}]{status}[/]",
                      *[_fmt(r[k]) if _num(r.get(k)) is not None else "" for k in objectives],
                      *([str(r.get("front_size", ""))] if pareto else []),
                      f"{r['seconds']:.2f}" if _num(r.get("seconds")) is not None else "",
                      escape(error[0][:80]) if error else "")
    if len(rows) > MAX_ROWS:
        table.add_row(*["…"] * (len(dims) + 1), *[""] * (len(objectives) + pareto + 2))
    console.print(table)
    console.print(summary_line(o), markup=False)
    console.print(f"  written to {o.out}/ (sweep.nc, points.csv, manifest.json, points/)", markup=False)


def to_json(o: SweepOutcome) -> str:
    points = []
    for p in o.plan.points:
        r = _scalars(o.finished[p.key]) if p.key in o.finished else {"status": "pending"}
        points.append({"index": p.index, "key": p.key, "coords": p.as_json()["coords"],
                       **{k: _json_value(v) for k, v in r.items()}})
    return json.dumps({"out": str(o.out), "dims": {k: list(v) for k, v in o.plan.dims.items()},
                       "points": points, "counts": o.counts, "with_plan": o.n_solved, "ran": o.ran,
                       "skipped": o.skipped, "wall_seconds": round(o.wall, 3),
                       "task_seconds": round(o.task_seconds, 3), "solve_seconds": round(o.solve_seconds, 3),
                       "executor": o.executor, "interrupted": o.interrupted}, default=str)
