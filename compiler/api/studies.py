"""What the studies return to Python users: the same values the commands compute and write (a Pareto
front, a sweep's Dataset and outcome, the twin's three columns), each with a display for Jupyter and
`write(out)` for the files the command writes with --out."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xarray as xr

from milkrun.compiler.api.display import esc, frame_table, table
from milkrun.compiler.api.result import Result
from milkrun.compiler.pipeline import Compiled
from milkrun.compiler.studies.pareto import augmecon
from milkrun.compiler.studies.pareto.run import front_table, payoff_frame, write_front
from milkrun.compiler.studies.sweep.report import summary_line
from milkrun.compiler.studies.sweep.report import to_json as sweep_json
from milkrun.compiler.studies.sweep.runner import SweepOutcome
from milkrun.compiler.studies.sweep.store import points_frame
from milkrun.compiler.studies.twin import Twin as TwinColumns
from milkrun.compiler.studies.twin import write_twin


@dataclass
class Front:
    """A Pareto front (`model.pareto(...)`): `milkrun pareto`'s payoff table and points."""

    compiled: Compiled = field(repr=False)
    front: augmecon.Front = field(repr=False)

    @property
    def objectives(self) -> list[str]:
        return list(self.front.objectives)

    @property
    def points(self) -> list[dict]:
        """Each point's objective values (and its ε or weights)."""
        return list(self.front.points)

    def __len__(self) -> int:
        return len(self.front.points)

    def table(self) -> pd.DataFrame:
        """front.csv: one row per point (from 1), the objectives, ε or weights, and the status."""
        return front_table(self.front)

    def payoff(self) -> pd.DataFrame:
        """payoff.csv: each objective optimised first (rows), the values of all (columns)."""
        return payoff_frame(self.front)

    def dataset(self) -> xr.Dataset:
        """front.nc: every objective and every variable along the dimension `point`."""
        return self.front.dataset(self.compiled.linopy)

    def summary(self) -> dict:
        return self.front.summary()

    def to_json(self) -> str:
        return json.dumps(self.summary(), indent=2)

    def write(self, out: str | Path) -> list[Path]:
        """front.csv, front.nc, payoff.csv, summary.json and front.png, as `milkrun pareto --out` writes them."""
        return write_front(self.compiled, self.front, Path(out))

    def __repr__(self) -> str:
        return (f"<milkrun Front {self.compiled.ir.name or ''}: {len(self)} point(s) by {self.front.method}, "
                f"objectives {', '.join(self.objectives)}>")

    def _repr_html_(self) -> str:
        head = (f"<p><b>{esc(self.compiled.ir.name or 'model')}</b>: {len(self)} Pareto point(s) by "
                f"{esc(self.front.method)}, {self.front.solves} solves, {self.front.seconds:.2f} s</p>")
        return head + frame_table(self.payoff(), "payoff table") + frame_table(self.table(), "front")


class Twin(TwinColumns):
    """The twin (`model.twin(perturb=[...])`): the baseline, the plan held under the changed data, and
    the design held with the operation re-optimised; `table()` compares their figures."""

    @classmethod
    def of(cls, twin: TwinColumns) -> "Twin":
        for c in twin.columns:
            if c.result is not None:
                c.result = Result.of(c.result)
        return cls(**{k: getattr(twin, k) for k in twin.__dataclass_fields__})

    @property
    def baseline(self):
        return self.columns[0]

    @property
    def fixed(self):
        return self.columns[1]

    @property
    def adjusted(self):
        return self.columns[2]

    def to_json(self) -> str:
        return json.dumps(self.summary(), indent=2)

    def write(self, out: str | Path) -> list[Path]:
        """twin.csv, summary.json, the broken rows and the plans, as `milkrun twin --out` writes them."""
        return write_twin(self, Path(out))

    def __repr__(self) -> str:
        cols = ", ".join(f"{c.label} {c.status}" for c in self.columns)
        return f"<milkrun Twin {self.model}: {', '.join(self.perturb)}; {cols}>"

    def _repr_html_(self) -> str:
        head = (f"<p><b>{esc(self.model)}</b>: digital twin, perturbation {esc(', '.join(self.perturb))}; "
                f"design held: {esc(', '.join(self.design) or 'none')}</p>")
        rows = [[c.label, c.status, c.message or ""] for c in self.columns]
        return head + table(["column", "status", "message"], rows) + frame_table(self.table(), "figures", rows=40)


@dataclass
class Sweep:
    """A sweep (`model.sweep(...)`): the assembled Dataset (sweep.nc: the sweep's dimensions first, then
    each item's own) and the outcome (`outcome.plan`, counts, times)."""

    dataset: xr.Dataset
    outcome: SweepOutcome = field(repr=False)
    out: Path | None = None  # where its files are; None: it ran in a temporary folder, now removed

    @property
    def points(self) -> pd.DataFrame:
        """points.csv: one row per point, its coordinates, status and scalar outcomes."""
        return points_frame(self.outcome.plan, self.outcome.finished)

    @property
    def counts(self) -> dict[str, int]:
        return self.outcome.counts

    @property
    def n_solved(self) -> int:
        return self.outcome.n_solved

    def to_json(self) -> str:
        return sweep_json(self.outcome)

    def __repr__(self) -> str:
        return f"<milkrun Sweep: {summary_line(self.outcome)}>"

    def _repr_html_(self) -> str:
        frame = self.points.set_index("index")
        frame = frame[[c for c in frame.columns if c != "error"]]
        return f"<p>{esc(summary_line(self.outcome))}</p>" + frame_table(frame, "points", rows=20)


__all__ = ["Front", "Sweep", "Twin"]
