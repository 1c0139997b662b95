"""CSV tables: the layout milkrun reads (see docs/data.md).

A table's leading columns whose headers are not parameter names are its *key*
columns; every other column holds one parameter, indexed by those keys.

- `Nodes.csv`, named after a set read from data: its key columns list the set's
  members (one column, or one per component of a tuple set); other columns are
  parameters over that set.
- `dist.csv`, named after a two-index parameter, with no column named after any
  parameter: a wide table, row keys in the first column, column keys in the header.
- Any other table: key columns, then parameter columns; with no key column, the
  table holds scalar parameters in a single row.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from milkrun.dsl.diagnostics import MilkrunError, Span, did_you_mean, register_source

from ..ir import ModelIR
from ..sets import normalize, normalize_column
from .records import Origin, ParamData, RawData, SetData, cell_span

BAD_NUMBERS = {"nan", "NaN", "NAN", "inf", "-inf", "+inf", "Inf", "-Inf", "infinity", "-infinity", "Infinity"}


def read_directory(ir: ModelIR, directory: Path, raw: RawData) -> None:
    if not directory.is_dir():
        raise MilkrunError(f"data folder '{directory}' does not exist")
    files = sorted(directory.glob("*.csv"))
    if not files:
        raise MilkrunError(f"data folder '{directory}' holds no .csv file")
    for f in files:
        text = f.read_text(encoding="utf-8-sig")
        read_table(ir, f.stem, text, str(f), 1, raw)


def read_table(ir: ModelIR, name: str, text: str, file: str, first_line: int, raw: RawData,
               declared_span: Span | None = None) -> None:
    """Read one table; `first_line` is the file line of its header (inline tables start later)."""
    if first_line == 1:
        register_source(file, text)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False,
                         skipinitialspace=True)
    except pd.errors.ParserError as e:
        raise MilkrunError(f"cannot read table '{name}' as CSV: {e}", declared_span or Span(file, first_line, 1)) from None
    except pd.errors.EmptyDataError:
        raise MilkrunError(f"table '{name}' is empty", declared_span or Span(file, first_line, 1)) from None
    # the header as written (pandas renames a repeated column 'x' to 'x.1')
    header_text = text.splitlines()[0] if text.strip() else ""
    headers = [h.strip() for h in next(csv.reader(io.StringIO(header_text)), [])]
    if len(headers) != len(df.columns):
        headers = [h.strip() for h in df.columns]
    lines = np.arange(len(df)) + first_line + 1
    # cells keep no leading blanks (skipinitialspace); a cell of blanks only is then ""
    blank = df.eq("").all(axis=1).to_numpy() if len(df) else np.zeros(0, bool)
    df, lines = df[~blank], lines[~blank]
    header_span = lambda k: cell_span(file, first_line, k)  # noqa: E731
    for k, h in enumerate(headers):
        if h.startswith("Unnamed:") or h == "":
            raise MilkrunError(f"column {k + 1} of table '{name}' has no header", header_span(k))
    if len(set(headers)) != len(headers):
        dup = next(h for h in headers if headers.count(h) > 1)
        raise MilkrunError(f"column '{dup}' appears twice in table '{name}'", header_span(headers.index(dup)))

    data_params = {s.name for s in ir.of_kind("param") if s.decl.definition is None}
    computed = {s.name for s in ir.of_kind("param") if s.decl.definition is not None}
    nkeys = 0
    while nkeys < len(headers) and headers[nkeys] not in data_params and headers[nkeys] not in computed:
        nkeys += 1
    value_cols = headers[nkeys:]
    sym = ir.symbols.get(name)
    if not value_cols and sym is not None and sym.kind == "param" and len(sym.positions) == 2 and nkeys >= 2:
        _read_wide(sym.name, df, headers, lines, file, first_line, raw)
        return
    for k, h in enumerate(value_cols, start=nkeys):
        if h in computed:
            raise MilkrunError(f"'{h}' is computed by a formula in the model; it cannot also be a data column",
                               header_span(k))
        if h not in data_params:
            raise MilkrunError(f"column '{h}' of table '{name}' is not a parameter (key columns come first)",
                               header_span(k), hint=did_you_mean(h, data_params))
    keys = [normalize_column(df.iloc[:, k].to_numpy()) for k in range(nkeys)]
    for k in range(nkeys):
        empty = np.flatnonzero(df.iloc[:, k].to_numpy() == "")
        if len(empty):
            raise MilkrunError(f"key column '{headers[k]}' of table '{name}' has an empty cell",
                               cell_span(file, int(lines[empty[0]]), k))

    if sym is not None and sym.kind == "set" and sym.decl.definition is None:
        want = sym.arity + len(sym.positions)
        if nkeys != want:
            close = [k for k, h in enumerate(headers[:nkeys]) if did_you_mean(h, data_params)]
            at = close[0] if close else 0
            raise MilkrunError(f"table '{name}' lists the members of set {name}, which needs {want} key "
                               f"column{'s' if want > 1 else ''}; the table has {nkeys}", header_span(at),
                               hint=did_you_mean(headers[at], data_params) if close else None)
        raw.add_set(SetData(name, keys, Origin(file, lines, 0, span=declared_span, header_line=first_line)))
    elif not value_cols:
        close = [k for k, h in enumerate(headers[:nkeys]) if did_you_mean(h, data_params)]
        at = close[-1] if close else 0
        raise MilkrunError(f"table '{name}' names no parameter in its header and is not named after a set read "
                           "from data or a two-index parameter", header_span(at),
                           hint=(did_you_mean(headers[at], data_params) if close else None) or
                           did_you_mean(name, [s for s in ir.symbols if ir.symbols[s].kind in ("set", "param")]))

    if nkeys == 0 and len(df) != 1:
        raise MilkrunError(f"table '{name}' has no key column, so it holds scalar parameters in exactly one row; "
                           f"it has {len(df)} rows", header_span(0))
    for k, h in enumerate(value_cols, start=nkeys):
        psym = ir.symbols[h]
        if len(psym.positions) != nkeys:
            idx = ", ".join(p.set_label for p in psym.positions) or "nothing"
            raise MilkrunError(f"parameter '{h}' is indexed over [{idx}] ({len(psym.positions)} key"
                               f"{'s' if len(psym.positions) != 1 else ''}), but table '{name}' has {nkeys} key "
                               f"column{'s' if nkeys != 1 else ''}", header_span(k))
        text_vals = _stripped(df.iloc[:, k])
        present = text_vals != ""
        values = _values(h, psym.element_param, text_vals, file, lines, k)
        raw.add_param(ParamData(h, [c[present] for c in keys], values[present],
                                Origin(file, lines[present], k, header_line=first_line), raw_text=text_vals[present]))


def _stripped(col: pd.Series) -> np.ndarray:
    """The column's text without trailing blanks; strips only when some cell has them (it is slow)."""
    values = col.to_numpy(dtype=object)
    if col.str.endswith(" ").any():
        values = col.str.strip().to_numpy(dtype=object)
    return values


def _values(name: str, element_param: bool, text_vals: np.ndarray, file: str, lines: np.ndarray,
            cells) -> np.ndarray:
    """Parse a column of value texts; `cells` is the CSV cell of every value (or one for all)."""
    def at(k):
        return cell_span(file, int(lines[k]), int(cells if np.isscalar(cells) else cells[k]))

    if element_param:
        return np.array([normalize(v) for v in text_vals], dtype=object)
    bad = np.isin(text_vals, list(BAD_NUMBERS))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise MilkrunError(f"'{text_vals[k]}' is not a usable value for '{name}': values must be finite numbers",
                           at(k))
    nums = pd.to_numeric(pd.Series(text_vals), errors="coerce").to_numpy(dtype=float)
    wrong = np.isnan(nums) & (text_vals != "")
    if wrong.any():
        k = int(np.flatnonzero(wrong)[0])
        raise MilkrunError(f"'{text_vals[k]}' is not a number (parameter '{name}')",
                           at(k))
    if np.isinf(nums).any():
        k = int(np.flatnonzero(np.isinf(nums))[0])
        raise MilkrunError(f"'{text_vals[k]}' is infinite; values must be finite numbers",
                           at(k))
    return nums


def _read_wide(name, df, headers, lines, file, first_line, raw):
    """Row keys in the first column, column keys in the header; an empty cell is a missing entry."""
    empty = np.flatnonzero(df.iloc[:, 0].to_numpy() == "")
    if len(empty):
        raise MilkrunError(f"the row key column of table '{name}' has an empty cell",
                           cell_span(file, int(lines[empty[0]]), 0))
    rows = normalize_column(df.iloc[:, 0].to_numpy())
    cols = [normalize(h) for h in headers[1:]]
    col_keys = np.empty(len(cols), dtype=object)
    col_keys[:] = cols
    if all(isinstance(c, int) for c in cols):
        col_keys = col_keys.astype(np.int64)
    text = np.column_stack([_stripped(df.iloc[:, k]) for k in range(1, df.shape[1])]) if df.shape[1] > 1 \
        else np.zeros((len(df), 0), dtype=object)
    present = text != ""
    flat_text = text[present]
    r_idx, c_idx = np.nonzero(present)
    values = _values(name, False, flat_text, file, lines[r_idx], c_idx + 1) if len(flat_text) else np.zeros(0)
    origin = Origin(file, lines[r_idx], c_idx + 1, header_line=first_line, wide=True)
    raw.add_param(ParamData(name, [rows[r_idx], col_keys[c_idx]], values, origin, raw_text=flat_text))
