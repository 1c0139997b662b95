"""Data as read, before it is checked against the declarations.

Values are kept column-wise (numpy arrays) with where each came from (file, line,
cell), so a table of a million entries costs arrays, not a million objects, and an
error can still point at the cell.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import numpy as np

from milkrun.dsl.diagnostics import MilkrunError, Span, source_line


@dataclass
class Origin:
    """Where a column of entries came from: a CSV file (line per entry, cell index) or a model span."""

    file: str
    lines: np.ndarray | None = None  # line number of each entry
    cells: np.ndarray | int | None = None  # 0-based CSV cell of each entry (or one for all)
    span: Span | None = None  # for entries written in the model (data blocks, --set)
    spans: list[Span] | None = None  # one per entry, for data blocks
    key_spans: list[list[Span]] | None = None  # per entry, the span of each key (data blocks)
    header_line: int | None = None  # CSV: the line of the header
    wide: bool = False  # a wide table: the second key of an entry is its column's header

    def key_at(self, k: int, c: int) -> Span | None:
        """Where the c-th key of entry k is written."""
        if self.key_spans is not None:
            ks = self.key_spans[k]
            return ks[c] if c < len(ks) else self.at(k)
        if self.spans is not None:
            return self.spans[k]
        if self.lines is None:
            return self.span
        if self.wide:
            if c == 0:
                return cell_span(self.file, int(self.lines[k]), 0)
            cell = int(self.cells if np.isscalar(self.cells) else self.cells[k])
            return cell_span(self.file, int(self.header_line or 1), cell)
        return cell_span(self.file, int(self.lines[k]), c)

    def at(self, k: int) -> Span | None:
        if self.spans is not None:
            return self.spans[k]
        if self.lines is None:
            return self.span
        line = int(self.lines[k])
        if self.cells is None:
            cell = 0
        elif np.isscalar(self.cells):
            cell = int(self.cells)
        else:
            cell = int(self.cells[k])
        return cell_span(self.file, line, cell)

    def where(self) -> str:
        return self.file if self.span is None else str(self.span)


def cell_span(file: str, line: int, cell: int) -> Span:
    """The span of the `cell`-th comma-separated cell on a CSV line."""
    text = source_line(file, line)
    if text is None:
        return Span(file, line, 1)
    try:
        row = next(csv.reader(io.StringIO(text), skipinitialspace=True), [])
    except csv.Error:  # a cell beyond the csv module's field limit: locate by the commas alone
        row = text.split(",")
    col = 1
    pos = 0
    for k, value in enumerate(row):
        start = text.find(value, pos) if value else pos
        if start < 0:
            start = pos
        if k == cell:
            lead = len(value) - len(value.lstrip())
            width = max(len(value.strip()), 1)
            return Span(file, line, start + lead + 1, line, start + lead + 1 + width)
        pos = start + len(value)
        nxt = text.find(",", pos)
        pos = nxt + 1 if nxt >= 0 else len(text)
        col = pos + 1
    return Span(file, line, col)


@dataclass
class SetData:
    name: str
    columns: list[np.ndarray]  # one per component, normalised elements
    origin: Origin


@dataclass
class ParamData:
    name: str
    keys: list[np.ndarray]  # one per index position, normalised elements
    values: np.ndarray  # float, or object for element parameters
    origin: Origin
    raw_text: np.ndarray | None = None  # text of each value as written, for messages


@dataclass
class Adjustment:
    """`name[keys] *= value` (or += -=): applied to the parameter's value after data and defaults."""

    name: str
    keys: tuple | None  # None: every entry
    op: str  # *= += -=
    value: float
    span: Span | None
    text: str  # as the user wrote it, for messages and reports


@dataclass
class RawData:
    sets: dict[str, SetData] = field(default_factory=dict)
    params: dict[str, list[ParamData]] = field(default_factory=dict)
    overrides: dict[str, list[ParamData]] = field(default_factory=dict)
    adjustments: dict[str, list[Adjustment]] = field(default_factory=dict)
    realisation: tuple[int, int] | None = None  # (seed, k): draw every `uncertain` parameter in its range

    def add_set(self, d: SetData):
        if d.name in self.sets:
            prev = self.sets[d.name]
            raise MilkrunError(f"set '{d.name}' is given data twice", d.origin.at(0) if len(d.columns[0]) else d.origin.span,
                               notes=[(f"also given in {prev.origin.where()}", prev.origin.at(0) if len(prev.columns[0]) else prev.origin.span)])
        self.sets[d.name] = d

    def add_param(self, d: ParamData):
        self.params.setdefault(d.name, []).append(d)
