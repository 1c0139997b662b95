"""Data given as Python objects: pandas DataFrames and Series, xarray DataArrays and Datasets,
dicts, lists (a set's members) and single values, each read as the CSV table it stands for.

Each object is written as CSV text and read by the CSV reader (`csv_tables.read_table`), so it gets
every check a CSV file gets (bounds, whole numbers, elements, duplicates, unknown keys, text in a
number column), with the same words. Where a CSV error names file, line and cell, an object's error
names the object, its row and its column: `data['supply']: row 3 (farm 'f9'), column 'alpha'`.

How an object maps to a table (docs/python.md says it for users):
- a DataFrame is a table: its index gives the leading key columns (pandas' default index, an unnamed
  RangeIndex, only numbers the rows and is left out; the leading columns are then the keys), its
  columns the rest, long or wide exactly as a CSV file's;
- a Series, a DataArray or a dict gives one parameter (the object's key in `data`, else the object's
  name), its index (dimensions, keys) the parameter's keys; a Dataset gives one parameter per variable;
- a list (tuple, range, pandas Index, numpy array, Series, set) gives a set's members, a tuple per
  member of a set of tuples;
- a single value gives a scalar parameter; a dict of single values under a name that is not declared
  is a one-row table of scalar parameters, as `scalars.csv` is;
- a `pathlib.Path` is a CSV file, read as such.
A missing value (NaN, None) is an empty cell: no value, so the default applies.

With a folder, an object takes the place of the folder's table of the same name and of the values
the folder's other tables give for the parameters the object gives; the model's own data blocks
stay (a parameter given there and by an object is given twice, as with a CSV table).
"""
from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from milkrun.compiler.data.csv_tables import read_csv_file, read_directory, read_table
from milkrun.compiler.data.records import RawData, cell_span
from milkrun.compiler.model.ir import ModelIR
from milkrun.dsl.diagnostics import MilkrunError, Span, did_you_mean, forget_source

SCALARS = (int, float, str, bool, np.generic)  # a single value (numpy's scalars included)
LIST_LIKE = (list, tuple, range, pd.Index, pd.Series, np.ndarray, set, frozenset)


@dataclass(frozen=True)
class Tables:
    """Data given as objects, by table name, and the folder of CSV tables they complete.
    `folder`: None reads the model's own folder (`models/transport/` for `models/transport.mcp`),
    False no folder."""

    objects: Mapping[str, object]
    folder: str | Path | bool | None = None

    def __post_init__(self):
        if not isinstance(self.objects, Mapping):
            raise MilkrunError(f"data: expected a dict of tables by name, got {type(self.objects).__name__}")
        object.__setattr__(self, "objects", dict(self.objects))  # later changes to the caller's dict do not count


@dataclass(frozen=True)
class TableSpan(Span):
    """A place in a data object, shown as `data['supply']: row 3 (farm 'f9'), column 'alpha'`."""

    label: str = ""

    def __str__(self) -> str:
        return self.label


def table_file(name: str) -> str:
    """How an object is named in messages, and the file name its CSV text is read under."""
    return f"data[{name!r}]"


def _at(label: str) -> TableSpan:
    return TableSpan(label, 1, 1, label=label)


# ------------------------------------------------------------------ objects → CSV text
@dataclass
class ObjectTable:
    """One object as the CSV table it stands for."""

    name: str
    text: str
    kind: str                  # frame | series | entries | members | scalars | file
    from_index: int = 0        # leading columns that came from the object's index (or keys)
    headers: list[str] = field(default_factory=list)

    @property
    def file(self) -> str:
        return table_file(self.name)


def as_table(ir: ModelIR, name: str, obj) -> ObjectTable:
    """The CSV table an object stands for; a mistake in its shape is a MilkrunError naming it."""
    if not isinstance(name, str) or not name.strip():
        raise MilkrunError(f"data: a table's name is a non-empty text, got {name!r}")
    file = table_file(name)
    sym = ir.symbols.get(name)
    if sym is not None and sym.kind not in ("set", "param"):
        raise MilkrunError(f"'{name}' is a {_kind_words(sym.kind)}: data gives sets and parameters only", _at(file))
    if obj is None:
        raise MilkrunError("the table is None", _at(file), hint="leave the name out to keep the folder's table")
    if isinstance(obj, Path):
        return ObjectTable(name, read_csv_file(obj), "file")
    if isinstance(obj, pd.DataFrame):
        return _frame_table(ir, name, obj, "frame", keep_default_index=False)
    if isinstance(obj, xr.Dataset):
        frame = obj.to_dataframe() if obj.dims else pd.DataFrame({k: [v.item()] for k, v in obj.data_vars.items()})
        return _frame_table(ir, name, frame, "entries", keep_default_index=bool(obj.dims))
    if sym is not None and sym.kind == "set":
        if isinstance(obj, LIST_LIKE):
            return _members(ir, name, obj)
        raise MilkrunError(f"'{name}' is a set: give its members as a list (or a DataFrame, as its CSV table), "
                           f"got {_type(obj)}", _at(file))
    if isinstance(obj, xr.DataArray):
        if obj.ndim == 0:
            return _scalar(ir, name, obj.item())
        value = _value_name(ir, name, obj.name, "DataArray")
        return _series_table(ir, name, obj.to_series(), value, "entries")
    if isinstance(obj, pd.Series):
        value = _value_name(ir, name, obj.name, "Series")
        return _series_table(ir, name, obj, value, "series")
    if isinstance(obj, Mapping):
        if sym is None and obj and all(isinstance(k, str) and isinstance(v, SCALARS) for k, v in obj.items()):
            return _frame_table(ir, name, pd.DataFrame([dict(obj)]), "scalars", keep_default_index=False)
        value = _value_name(ir, name, None, "dict")
        if not ir.symbols[value].positions:
            raise MilkrunError(f"parameter '{value}' has no index: give one value, like {{'{value}': 5}}", _at(file))
        try:
            series = pd.Series(dict(obj), dtype=object) if obj else pd.Series([], dtype=object)
        except (TypeError, ValueError) as e:
            raise MilkrunError(f"cannot read the dict as keys and values ({e})", _at(file)) from None
        return _series_table(ir, name, series, value, "entries")
    if isinstance(obj, SCALARS):
        return _scalar(ir, name, obj)
    if isinstance(obj, LIST_LIKE):
        raise MilkrunError(f"a list gives the members of a set, and '{name}' is "
                           f"{'a parameter' if sym is not None else 'not a set of the model'}",
                           _at(file), hint="give a parameter as a dict {key: value}, a pandas Series or DataFrame, "
                                           "or an xarray DataArray" if sym is not None else _unknown_hint(ir, name))
    raise MilkrunError(f"cannot read {_type(obj)} as a table", _at(file),
                       hint="give a pandas DataFrame or Series, an xarray DataArray or Dataset, a dict, a list "
                            "(a set's members), a single value, or a pathlib.Path to a CSV file")


def _kind_words(kind: str) -> str:
    return {"var": "variable", "kpi": "kpi", "objective": "objective", "constraint": "constraint",
            "scenario": "scenario", "check": "check"}.get(kind, kind)


def _type(obj) -> str:
    t = type(obj)
    return f"a {t.__module__.split('.')[0] + '.' if t.__module__ not in ('builtins',) else ''}{t.__name__}"


def _unknown_hint(ir: ModelIR, name: str) -> str | None:
    return did_you_mean(name, [s for s, v in ir.symbols.items() if v.kind in ("set", "param")])


def _value_name(ir: ModelIR, name: str, own: object, what: str) -> str:
    """The parameter a Series, DataArray or dict gives: its key in `data`, else its own name."""
    for candidate in (name, own):
        if isinstance(candidate, str) and candidate in ir.symbols and ir.symbols[candidate].kind == "param":
            return candidate
    own_words = f", nor is the {what}'s name '{own}'" if isinstance(own, str) and own != name else ""
    raise MilkrunError(f"'{name}' is not a parameter of the model{own_words}: a {what} gives one parameter",
                       _at(table_file(name)), hint=_unknown_hint(ir, name))


def _scalar(ir: ModelIR, name: str, value) -> ObjectTable:
    file = table_file(name)
    sym = ir.symbols.get(name)
    if sym is None:
        raise MilkrunError(f"'{name}' is not a parameter of the model", _at(file), hint=_unknown_hint(ir, name))
    if sym.positions:
        idx = ", ".join(p.set_label for p in sym.positions)
        raise MilkrunError(f"parameter '{name}' is indexed over [{idx}]: give it as a dict {{key: value}}, a pandas "
                           "Series or DataFrame, or an xarray DataArray, not one value", _at(file))
    return _frame_table(ir, name, pd.DataFrame({name: [value]}), "scalars", keep_default_index=False)


def _members(ir: ModelIR, name: str, obj) -> ObjectTable:
    sym = ir.symbols[name]
    file = table_file(name)
    if isinstance(obj, (set, frozenset)):  # no order of its own: the members sorted
        try:
            items = sorted(obj)
        except TypeError:
            items = sorted(obj, key=str)
    elif isinstance(obj, np.ndarray) and obj.ndim == 2:
        items = [tuple(r) for r in obj.tolist()]
    elif isinstance(obj, pd.Index) and isinstance(obj, pd.MultiIndex):
        items = list(obj)
    else:
        items = list(np.asarray(obj, dtype=object).tolist() if isinstance(obj, np.ndarray) else obj)
    width = sym.arity + len(sym.positions)
    rows = []
    for k, item in enumerate(items):
        parts = tuple(item) if isinstance(item, (tuple, list)) else (item,)
        if len(parts) != width:
            raise MilkrunError(f"set '{name}' holds {width}-tuples; this member has {len(parts)} component(s)",
                               _at(f"{file}: item {k} {_show(parts) if len(parts) > 1 else f'({_show(item)})'}"))
        rows.append(parts)
    headers = [name] if width == 1 else [f"{name}_{c + 1}" for c in range(width)]
    return _frame_table(ir, name, pd.DataFrame(rows, columns=headers, dtype=object), "members",
                        keep_default_index=False, from_index=width)


def _show(v) -> str:
    return repr(v) if isinstance(v, str) else str(v)


def _series_table(ir: ModelIR, name: str, s: pd.Series, value: str, kind: str) -> ObjectTable:
    names = _level_names(ir, name, s.index, value)
    if value in names:
        raise MilkrunError(f"an index level is called '{value}', like the parameter its values give",
                           _at(table_file(name)), hint="rename the index level (s.rename_axis(...))")
    frame = s.rename(value).to_frame()
    frame.index = s.index.set_names(names)
    return _text_table(name, frame.reset_index(), kind, s.index.nlevels)


def _frame_table(ir: ModelIR, name: str, df: pd.DataFrame, kind: str, keep_default_index: bool,
                 from_index: int = 0) -> ObjectTable:
    file = table_file(name)
    if isinstance(df.columns, pd.MultiIndex):
        raise MilkrunError(f"the DataFrame has columns on {df.columns.nlevels} levels; a table has one header row",
                           _at(file), hint="flatten the columns (df.columns = [...]) or move levels into the "
                                           "index with df.stack()")
    idx = df.index
    if not keep_default_index and isinstance(idx, pd.RangeIndex) and idx.name is None:
        frame = df.reset_index(drop=True)  # pandas' row numbers, not keys
    else:
        columns = [str(c) for c in df.columns]
        names = _level_names(ir, name, idx, None, taken=columns)
        clash = next((n for n in names if n in columns), None)
        if clash is not None:
            raise MilkrunError(f"the index level '{clash}' is also a column", _at(file),
                               hint="rename one of them; the index gives the key columns")
        frame = df.copy(deep=False)
        frame.index = idx.set_names(names)
        frame = frame.reset_index()
        from_index = idx.nlevels
    return _text_table(name, frame, kind, from_index)


def _level_names(ir: ModelIR, name: str, idx: pd.Index, value: str | None, taken=()) -> list[str]:
    """The index levels' names as key column headers; a level without a name is called after the
    parameter's dimension (or the set) it stands for, else `key`."""
    levels = list(idx.names)
    sym = ir.symbols.get(value or name)
    dims: list[str] = []
    if sym is not None and sym.kind == "param" and len(sym.positions) >= len(levels):
        dims = [p.dim for p in sym.positions]
    elif sym is not None and sym.kind == "set" and len(levels) == 1:
        dims = [sym.name]
    out = []
    for k, level in enumerate(levels):
        if level is not None:
            out.append(str(level))
            continue
        base = dims[k] if k < len(dims) else ("key" if len(levels) == 1 else f"key_{k + 1}")
        candidate = base
        while (candidate in ir.symbols and ir.symbols[candidate].kind == "param") or candidate in out \
                or candidate in taken or candidate == value:
            candidate += "_key"
        out.append(candidate)
    return out


def _text_table(name: str, frame: pd.DataFrame, kind: str, from_index: int) -> ObjectTable:
    file = table_file(name)
    frame = frame.copy(deep=False)
    frame.columns = [str(c) for c in frame.columns]
    for c, col in enumerate(frame.columns):
        series = frame.iloc[:, c]
        if pd.api.types.is_bool_dtype(series.dtype):  # True/False are 1/0, as for a binary parameter
            frame.isetitem(c, series.astype("Int64"))
        elif series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            text = series.dropna().astype(str)
            broken = text.str.contains(r"[\r\n]", regex=True)
            if broken.any():
                row = int(np.flatnonzero(series.notna().to_numpy())[int(np.flatnonzero(broken.to_numpy())[0])])
                where = "index" if c < from_index and kind != "members" else "column"
                raise MilkrunError(f"a cell holds a line break: {text[broken].iloc[0]!r}",
                                   _at(f"{file}: row {row}, {where} '{col}'"), hint="elements and values are one line")
            flags = series.map(lambda v: isinstance(v, (bool, np.bool_)))
            if flags.any():
                frame.isetitem(c, series.map(lambda v: int(v) if isinstance(v, (bool, np.bool_)) else v))
    for col in frame.columns:
        if "\n" in col or "\r" in col:
            raise MilkrunError(f"a column name holds a line break: {col!r}", _at(file))
    text = frame.to_csv(index=False, lineterminator="\n", na_rep="")
    return ObjectTable(name, text, kind, from_index, list(frame.columns))


# ------------------------------------------------------------------ reading
class DataReader:
    """Where a run's tables come from, open while its data are bound: a folder, or objects (with a
    folder). Used as a context: an error about an object's entries is located in the object (row,
    column), and the objects' texts are forgotten afterwards."""

    def __init__(self, ir: ModelIR, data, default: Path | None):
        self.ir = ir
        self.tables: Tables | None = data if isinstance(data, Tables) else None
        if self.tables is None and isinstance(data, Mapping):
            self.tables = Tables(data)
        self.folder = data if self.tables is None else None
        self.default = default
        self.read_objects: dict[str, ObjectTable] = {}  # by the file name messages give

    def __enter__(self) -> "DataReader":
        return self

    def __exit__(self, kind, err, tb) -> bool:
        if isinstance(err, MilkrunError) and self.read_objects:
            self.locate(err)
        for file in self.read_objects:
            forget_source(file)
        return False

    def read(self, raw: RawData) -> Path | None:
        """Read the objects (first, so the folder's check for sets without data sees them) and the
        folder's other tables; returns the folder read, if any."""
        if self.tables is None:
            folder = Path(self.folder) if self.folder is not None else self.default
            if folder is not None:
                read_directory(self.ir, folder, raw)
            return folder
        before = {p: len(v) for p, v in raw.params.items()}
        for name, obj in self.tables.objects.items():
            t = as_table(self.ir, name, obj)
            file = str(obj) if t.kind == "file" else t.file
            if t.kind != "file":
                self.read_objects[file] = t
            read_table(self.ir, name, t.text, file, 1, raw)
        given = {p for p, v in raw.params.items() if len(v) > before.get(p, 0)}
        folder = self.folder_path()
        if folder is not None:
            files = {str(f) for f in read_directory(self.ir, folder, raw, skip=set(self.tables.objects))}
            for p in given:  # the object's values take the place of the folder's
                raw.params[p] = [d for d in raw.params[p] if d.origin.file not in files]
        return folder

    def folder_path(self) -> Path | None:
        f = self.tables.folder if self.tables is not None else self.folder
        if f is False:
            return None
        if f is None or f is True:
            return self.default
        return Path(f)

    # -------------------------------------------------------------- errors located in objects
    def locate(self, err: MilkrunError) -> None:
        err.span = self._span(err.span)
        err.notes = [(text, self._span(span)) for text, span in err.notes]

    def _span(self, span: Span | None) -> Span | None:
        if span is None or isinstance(span, TableSpan):
            return span
        t = self.read_objects.get(span.file)
        if t is None:
            return span
        label = describe(self.ir, t, span.line, span.column)
        return TableSpan(label, span.line, span.column, label=label)


def describe(ir: ModelIR, t: ObjectTable, line: int, column: int) -> str:
    """`data['supply']: row 3 (farm 'f9'), column 'alpha'` for a place in an object's CSV text (the
    header is line 1, row k of the object is line k + 2; no cell holds a line break)."""
    lines = t.text.split("\n")
    if not 1 <= line <= len(lines):
        return t.file
    cells = next(csv.reader([lines[line - 1]], skipinitialspace=True), [])
    cell = _cell_at(t.file, line, column, len(cells))
    params = {s.name for s in ir.of_kind("param")}
    nkeys = 0
    while nkeys < len(t.headers) and t.headers[nkeys] not in params:
        nkeys += 1
    sym = ir.symbols.get(t.name)
    if nkeys == len(t.headers) and sym is not None and sym.kind == "param" and len(sym.positions) == 2:
        nkeys = 1  # a wide table: row keys in the first column, column keys in the header
    if t.kind == "scalars":
        return t.file + (f": '{t.headers[cell]}'" if len(t.headers) > 1 and cell is not None else "")
    if line == 1:
        return t.file + (f": {_column(t, cell)}" if cell is not None else "")
    row = line - 2
    keys = ", ".join(f"{h} {_cell_text(v)}" for h, v in zip(t.headers[:nkeys], cells[:nkeys]))
    if t.kind == "members":
        member = ", ".join(_cell_text(v) for v in cells)
        return f"{t.file}: item {row} ({member})"
    where = "entry" if t.kind == "entries" else f"row {row}"
    out = f"{t.file}: {where}" + (f" ({keys})" if keys else "")
    show_column = cell is not None and (t.kind == "frame" or (cell < nkeys and nkeys > 1)
                                        or (cell >= nkeys and len(t.headers) - nkeys > 1))
    return out + (f", {_column(t, cell)}" if show_column else "")


def _column(t: ObjectTable, cell: int) -> str:
    header = t.headers[cell] if cell < len(t.headers) else str(cell)
    return f"{'index' if cell < t.from_index and t.kind != 'members' else 'column'} '{header}'"


def _cell_text(v: str) -> str:
    try:
        float(v)
        return v
    except ValueError:
        return repr(v)


def _cell_at(file: str, line: int, column: int, n: int) -> int | None:
    """Which cell of a line a column falls in (the CSV reader's spans start at a cell's text)."""
    best = None
    for k in range(n):
        s = cell_span(file, line, k)
        if s.column <= column:
            best = k
        if s.column == column:
            return k
    return best


# ------------------------------------------------------------------ a folder for processes that read files
def write_folder(ir: ModelIR, data, default: Path | None, dest: Path) -> Path:
    """The data as one folder of CSV tables, for a sweep's workers (which read files): each object as
    NAME.csv, and the folder's other tables copied, without the columns of parameters an object gives.
    The *.csv files `dest` held before are removed."""
    reader = DataReader(ir, data, default)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*.csv"):
        old.unlink()
    if reader.tables is None:
        folder = reader.folder_path()
        if folder is not None:
            for f in sorted(Path(folder).glob("*.csv")):
                shutil.copyfile(f, dest / f.name)
        return dest
    given = RawData()
    for name, obj in reader.tables.objects.items():
        if Path(name).name != name or name in (".", ".."):
            raise MilkrunError(f"data: the table name {name!r} cannot be a file name", _at(table_file(name)))
        t = as_table(ir, name, obj)
        (dest / f"{name}.csv").write_text(t.text, encoding="utf-8")
        with DataReader(ir, Tables({}), None) as r:  # only to learn which parameters it gives
            r.read_objects[t.file] = t
            read_table(ir, name, t.text, t.file, 1, given)
    folder = reader.folder_path()
    for f in sorted(Path(folder).glob("*.csv")) if folder is not None else []:
        if f.stem in reader.tables.objects:
            continue
        text = read_csv_file(f)
        gives = RawData()
        read_table(ir, f.stem, text, str(f), 1, gives)
        drop = set(gives.params) & set(given.params)
        if not drop:
            shutil.copyfile(f, dest / f.name)
        elif f.stem in gives.sets or set(gives.params) - drop:
            _without_columns(text, drop, dest / f.name)
    return dest


def _without_columns(text: str, drop: set[str], path: Path) -> None:
    rows = list(csv.reader(io.StringIO(text, newline=""), skipinitialspace=True))
    keep = [k for k, h in enumerate(rows[0]) if h.strip() not in drop]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    for r in rows:
        w.writerow([r[k] for k in keep if k < len(r)])
    path.write_text(out.getvalue(), encoding="utf-8")
