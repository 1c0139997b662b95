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
import re
import warnings
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from milkrun.compiler.data.records import Origin, ParamData, RawData, SetData, cell_span
from milkrun.compiler.model.ir import ModelIR
from milkrun.compiler.model.sets import normalize, normalize_column
from milkrun.dsl import ast
from milkrun.dsl.diagnostics import MilkrunError, Span, did_you_mean, register_source, source_line, utf8_text

BAD_NUMBERS = {"nan", "NaN", "NAN", "inf", "-inf", "+inf", "Inf", "-Inf", "infinity", "-infinity", "Infinity"}


CELL_LIMIT = 131_072  # characters in one cell (Python's csv field limit)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def read_directory(ir: ModelIR, directory: Path, raw: RawData, skip: Collection[str] = ()) -> list[Path]:
    """Every *.csv table of the folder but those named in `skip` (tables given otherwise: data/objects.py);
    returns the files read."""
    if not directory.exists():
        raise MilkrunError(f"data folder '{directory}' does not exist")
    if not directory.is_dir():
        raise MilkrunError(f"data folder '{directory}' is not a folder", hint="--data names a folder of .csv files")
    files = [f for f in sorted(directory.glob("*.csv")) if f.stem not in skip]
    if not files:  # a mistake only if the model needs data: said at the first set that does
        needs = next((s for s in ir.of_kind("set") if s.decl.definition is None and s.name not in raw.sets), None)
        if needs is not None:
            raise MilkrunError(f"set '{needs.name}' has no data: the data folder '{directory}' holds no .csv file",
                               needs.span, hint=f"give it as {needs.name}.csv in '{directory}', in a data block, "
                                                "or define it with '='")
        return []
    for f in files:
        read_table(ir, f.stem, read_csv_file(f), str(f), 1, raw)
    return files


def read_csv_file(path: Path) -> str:
    """The text of a CSV file, which must be UTF-8 (a byte-order mark is dropped); never guessed."""
    if path.is_dir():
        raise MilkrunError(f"'{path}' is a folder, not a CSV file",
                           hint="every *.csv in the data folder is read as a table; rename or move the folder")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise MilkrunError(f"cannot read '{path}': {e.strerror or e}") from None
    return decode_csv(data, str(path))


def decode_csv(data: bytes, file: str) -> str:
    """UTF-8 text, or an error at the first byte that is not UTF-8, with the encoding it looks like."""
    text = utf8_text(data, file)
    if isinstance(text, str):
        return text
    name = Path(file).name
    if text.nul:
        message = (f"'{name}' holds {text.where}; a CSV table is text ({text.looks}: save it as UTF-8)")
    elif text.iconv is None:  # not text at all
        message = f"'{name}' is not UTF-8: {text.where}; it is not a CSV file ({text.looks})"
    else:
        message = f"'{name}' is not UTF-8: {text.where}; save it as UTF-8 ({text.looks})"
    hint = ("open it in its program and export the sheet as 'CSV UTF-8'" if text.iconv is None else
            ("Excel: Save As, 'CSV UTF-8'; " + ("" if text.nul else "LibreOffice: Character set 'Unicode (UTF-8)'; ")
             + f"or convert it: iconv -f {text.iconv} -t UTF-8 OLD.csv > NEW.csv"))
    raise MilkrunError(message, text.span, hint=hint)


def read_table(ir: ModelIR, name: str, text: str, file: str, first_line: int, raw: RawData,
               declared_span: Span | None = None) -> None:
    """Read one table; `first_line` is the file line of its header (inline tables start later)."""
    if first_line == 1:
        register_source(file, text)
    if not text.strip():
        raise MilkrunError(f"table '{name}' is empty", declared_span or Span(file, first_line, 1))
    headers, df, lines = _split(name, text, file, first_line)
    header_span = lambda k: cell_span(file, first_line, k)  # noqa: E731

    data_params = {s.name for s in ir.of_kind("param") if s.decl.definition is None}
    computed = {s.name for s in ir.of_kind("param") if s.decl.definition is not None}
    nkeys = 0
    while nkeys < len(headers) and headers[nkeys] not in data_params and headers[nkeys] not in computed:
        nkeys += 1
    value_cols = headers[nkeys:]
    sym = ir.symbols.get(name)
    if not value_cols and sym is not None and sym.kind == "param" and len(sym.positions) == 2 and nkeys >= 2:
        _read_wide(sym.name, df, headers, lines, file, first_line, raw, _unrestricted(sym))
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

    set_table = sym is not None and sym.kind == "set" and sym.decl.definition is None
    if set_table:
        want = sym.arity + len(sym.positions)
        if nkeys != want:
            close = [k for k, h in enumerate(headers[:nkeys]) if did_you_mean(h, data_params)]
            at = close[0] if close else 0
            raise MilkrunError(f"table '{name}' lists the members of set {name}, which needs {want} key "
                               f"column{'s' if want > 1 else ''}; the table has {nkeys}", header_span(at),
                               hint=did_you_mean(headers[at], data_params) if close else None)
        if not len(df):
            raise MilkrunError(f"table '{name}' has only its header, so set {name} has no members", header_span(0),
                               hint=f"list one member per row; a set that is empty on purpose is written in the model: "
                                    f"set {name} = {{}}")
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
    no_value = np.ones(len(df), dtype=bool)  # rows whose value cells are all empty
    for k, h in enumerate(value_cols, start=nkeys):
        psym = ir.symbols[h]
        if len(psym.positions) != nkeys:
            idx = ", ".join(p.set_label for p in psym.positions) or "nothing"
            raise MilkrunError(f"parameter '{h}' is indexed over [{idx}] ({len(psym.positions)} key"
                               f"{'s' if len(psym.positions) != 1 else ''}), but table '{name}' has {nkeys} key "
                               f"column{'s' if nkeys != 1 else ''}", header_span(k))
        text_vals = _stripped(df.iloc[:, k])
        present = text_vals != ""
        no_value &= ~present
        values = _values(h, psym.element_param, text_vals, file, lines, k)
        raw.add_param(ParamData(h, [c[present] for c in keys], values[present],
                                Origin(file, lines[present], k, header_line=first_line), raw_text=text_vals[present]))
    if nkeys and value_cols and not set_table and no_value.any() and not ir.symbols[value_cols[0]].element_param:
        # A row that gives no value still names a key: the key must exist. Its entry is "no value"
        # (the default applies), given in this table like any other.
        raw.add_param(ParamData(value_cols[0], [c[no_value] for c in keys], np.full(int(no_value.sum()), np.nan),
                                Origin(file, lines[no_value], nkeys, header_line=first_line)))


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


def _unrestricted(sym) -> bool:
    """A parameter defined over the whole product of its sets (no `where`, no set of tuples)."""
    index = sym.decl.index
    names = [n for b in index.bindings for n in b.names] if index is not None else []
    return index is None or (index.where is None and all(p.arity == 1 for p in sym.positions)
                             and all(isinstance(b.set, ast.SetRef) for b in index.bindings)
                             and len(set(names)) == len(names))


def _read_wide(name, df, headers, lines, file, first_line, raw, unrestricted=True):
    """Row keys in the first column, column keys in the header; an empty cell is a missing entry."""
    empty = np.flatnonzero(df.iloc[:, 0].to_numpy() == "")
    if len(empty):
        raise MilkrunError(f"the row key column of table '{name}' has an empty cell",
                           cell_span(file, int(lines[empty[0]]), 0))
    rows = normalize_column(df.iloc[:, 0].to_numpy())
    cols = [normalize(h) for h in headers[1:]]
    col_keys = np.empty(len(cols), dtype=object)
    col_keys[:] = cols
    if all(isinstance(c, int) and -2 ** 63 <= c < 2 ** 63 for c in cols):  # larger stay exact Python integers
        col_keys = col_keys.astype(np.int64)
    text = np.column_stack([_stripped(df.iloc[:, k]) for k in range(1, df.shape[1])]) if df.shape[1] > 1 \
        else np.zeros((len(df), 0), dtype=object)
    present = text != ""
    flat_text = text[present]
    r_idx, c_idx = np.nonzero(present)
    values = _values(name, False, flat_text, file, lines[r_idx], c_idx + 1) if len(flat_text) else np.zeros(0)
    origin = Origin(file, lines[r_idx], c_idx + 1, header_line=first_line, wide=True)
    raw.add_param(ParamData(name, [rows[r_idx], col_keys[c_idx]], values, origin, raw_text=flat_text))
    # A row (or column) with no value still names its key, which must exist: its cells are entries
    # with no value. Over a restricted domain (`where`, a set of tuples) its cells may rightly lie
    # outside the domain, so there the key is not checked.
    if unrestricted and text.size:
        blank = ~present & ((~present).all(axis=1)[:, None] | (~present).all(axis=0)[None, :])
        if blank.any():
            r_idx, c_idx = np.nonzero(blank)
            raw.add_param(ParamData(name, [rows[r_idx], col_keys[c_idx]], np.full(len(r_idx), np.nan),
                                    Origin(file, lines[r_idx], c_idx + 1, header_line=first_line, wide=True)))


# ------------------------------------------------------------------ the table's shape
def _split(name: str, text: str, file: str, first_line: int) -> tuple[list[str], pd.DataFrame, np.ndarray]:
    """(header cells, the rows that are not blank as a frame of text, the file line of each row).

    Every row must have as many cells as the header: a short row would otherwise read as empty
    cells (and take a default), a long one would shift the cells. A blank line, or one of
    empty cells only, is skipped. No cell may be longer than CELL_LIMIT characters.

    The shape comes from one pass of array operations over the bytes (_scan) and the cells from
    pandas; text whose quotes are not plain CSV quoting goes through the csv module instead."""
    scan = _scan(text)
    if scan is not None:
        header_text, counts, blank, starts, long_cells = scan
        for offset in long_cells:
            _at_long_cell(name, text, file, first_line, offset)
        headers = next(csv.reader(io.StringIO(header_text), skipinitialspace=True), [""]) or [""]
        headers = _checked(name, headers, counts, blank, starts + first_line, file, first_line)
        n = len(headers)
        over = blank & (counts > n)  # blank rows of more commas than the header: pandas leaves them out
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            df = pd.read_csv(io.StringIO(text), header=None, skiprows=1, names=list(range(n)), dtype=str,
                             keep_default_na=False, skip_blank_lines=False, skipinitialspace=True, index_col=False,
                             on_bad_lines="skip" if over.any() else "error")
        if len(df) == int((~over).sum()):
            keep = ~blank[~over]
            return headers, (df if keep.all() else df[keep].reset_index(drop=True)), starts[~blank] + first_line
        # pandas saw other rows than the scan: read the table the csv module's way
    headers, body, starts = _records(name, text, file, first_line)
    counts = np.fromiter(map(len, body), dtype=np.int64, count=len(body))
    blank = np.fromiter(("".join(r).strip() == "" for r in body), dtype=bool, count=len(body))
    headers = _checked(name, headers, counts, blank, starts, file, first_line)
    rows = [r for r, k in zip(body, blank) if not k]
    df = pd.DataFrame(rows, columns=range(len(headers)), dtype=str) if rows else \
        pd.DataFrame({k: pd.Series([], dtype=str) for k in range(len(headers))})
    return headers, df, starts[~blank]


def _checked(name, headers, counts, blank, lines, file, first_line) -> list[str]:
    """The header cells, stripped, once the header and the number of cells of every row are right."""
    headers = [h.strip() for h in headers]
    _check_header(name, headers, file, first_line)
    bad = np.flatnonzero((counts != len(headers)) & ~blank)
    if len(bad):
        k = int(bad[0])
        _shape_error(name, headers, int(counts[k]), file, int(lines[k]))
    return headers


_SPACE, _TAB, _LF, _CR, _QUOTE, _COMMA = 32, 9, 10, 13, 34, 44
_CONTENT = np.ones(256, dtype=bool)  # bytes that make a row not blank
_CONTENT[[_SPACE, _TAB, _LF, _CR, _QUOTE, _COMMA]] = False
_BLANK = np.zeros(256, dtype=bool)
_BLANK[[_SPACE, _TAB]] = True


def _scan(text: str):
    """The table's records by array operations on its UTF-8 bytes (where ',', '"' and line breaks
    are single bytes): (header text, cells per row, blank rows, line of each row counted from 0
    at the header, offsets of cells longer than CELL_LIMIT). None when a quote is not where CSV
    quoting puts one (opening a cell, doubled inside it, closing it before a comma or the end
    of the line), or is never closed: the csv module then reads the table."""
    data = text.encode("utf-8")
    b = np.frombuffer(data, dtype=np.uint8)
    size = len(b)
    lf, cr, quote = b == _LF, b == _CR, b == _QUOTE
    breaks = lf | (cr & ~np.append(lf[1:], False))  # \n, \r\n (at its \n) and a lone \r
    if quote.any():
        inside = np.logical_xor.accumulate(quote)  # after each byte: within quotes
        if inside[-1]:
            return None
        q = np.flatnonzero(quote)
        opens = inside[q]
        before = q - 1  # the byte before an opening quote, blanks skipped
        while True:
            blank = (before >= 0) & _BLANK[b[np.maximum(before, 0)]] & opens
            if not blank.any():
                break
            before = np.where(blank, before - 1, before)
        prev = np.where(before >= 0, b[np.maximum(before, 0)], _COMMA)
        doubled = (q > 0) & (b[np.maximum(q - 1, 0)] == _QUOTE)
        ok_open = (prev == _COMMA) | (prev == _LF) | (prev == _CR) | doubled
        after = q + 1  # the byte after a closing quote, blanks skipped
        while True:
            blank = (after < size) & _BLANK[b[np.minimum(after, size - 1)]] & ~opens
            if not blank.any():
                break
            after = np.where(blank, after + 1, after)
        nxt = np.where(after < size, b[np.minimum(after, size - 1)], _COMMA)
        ok_close = (nxt == _COMMA) | (nxt == _LF) | (nxt == _CR) | ((after == q + 1) & (nxt == _QUOTE))
        if not np.all(np.where(opens, ok_open, ok_close)):
            return None
        free = ~inside & ~quote
        rec_break = breaks & free
        comma = (b == _COMMA) & free
    else:
        rec_break = breaks
        comma = b == _COMMA
    rec_breaks = np.flatnonzero(rec_break)
    starts = np.concatenate(([0], rec_breaks + 1))
    if len(starts) > 1 and starts[-1] >= size:  # the text ends with a line break
        starts = starts[:-1]
    counts = np.add.reduceat(comma, starts, dtype=np.int64) + 1
    blank = np.add.reduceat(_CONTENT[b], starts, dtype=np.int64) == 0
    if quote.any():  # a record may span lines: count the line breaks inside each
        per = np.add.reduceat(breaks, starts, dtype=np.int64)
        lines = np.concatenate(([0], np.cumsum(per)[:-1]))
    else:
        lines = np.arange(len(starts))
    # cells lie between separators; only the long ones are looked at
    seps = np.flatnonzero(comma | rec_break)
    cell_start = np.concatenate(([0], seps + 1))
    cell_len = np.append(seps, size) - cell_start
    long_cells = []
    for k in np.flatnonzero(cell_len > CELL_LIMIT):  # bytes: such a cell may be this many characters
        chars = data[cell_start[k]:cell_start[k] + cell_len[k]].decode("utf-8").strip()
        if len(chars) > CELL_LIMIT:
            long_cells.append(len(data[:cell_start[k]].decode("utf-8")))
            break
    end = rec_breaks[0] if len(rec_breaks) else size
    header = data[:end].decode("utf-8").rstrip("\r")
    return header, counts[1:], blank[1:], lines[1:], long_cells


def _at_long_cell(name: str, text: str, file: str, first_line: int, offset: int):
    """The error for the cell of more than CELL_LIMIT characters that starts at `offset`."""
    m = _CELL.match(text, offset)
    cell = m.group()
    body = cell.lstrip()
    line, column = _position(text, offset + len(cell) - len(body))
    quoted = body.startswith('"') and not _closed(body)
    _long_cell(name, len(body.strip()), Span(file, first_line + line - 1, column), quoted,
               text if first_line == 1 else None)


def _records(name: str, text: str, file: str, first_line: int) -> tuple[list[str], list[list[str]], np.ndarray]:
    """(header, rows, file line where each row starts) by the csv module, for text with quotes."""
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, strict=True)
    rows: list[list[str]] = []
    ends: list[int] = []
    try:
        for row in reader:
            rows.append(row)
            ends.append(reader.line_num)
    except csv.Error as e:
        start = (ends[-1] if ends else 0)  # the failing record starts on the line after the last one read
        _record_error(name, text, file, first_line, start, str(e))
    starts = np.asarray([0] + ends[:-1], dtype=np.int64) + first_line  # line of each record, the header's first
    return rows[0] or [""], rows[1:], starts[1:]


def _record_error(name: str, text: str, file: str, first_line: int, start: int, reason: str):
    """A record the csv module cannot read: a cell over the limit, a quote never closed, text after a quote."""
    pieces = _LINE_BREAK.split(text, maxsplit=start)
    offset = len(text) - len(pieces[-1]) if len(pieces) > start else len(text)
    limit, unclosed, after = "field limit" in reason, "end of data" in reason, "expected after" in reason
    found = None
    for cell_start, cell in _cells(text, offset):
        body = cell.lstrip()
        quoted = body.startswith('"')
        if (limit and len(cell) > CELL_LIMIT) or (unclosed and quoted and not _closed(body)) or \
                (after and quoted and _closed(body) and not body.rstrip().endswith('"')):
            found = (cell_start + len(cell) - len(body), cell)
            break
    line, column = _position(text, found[0] if found else offset)
    at = Span(file, first_line + line - 1, column)
    if limit:
        _long_cell(name, len(found[1].strip()) if found else CELL_LIMIT + 1, at,
                   bool(found) and found[1].lstrip()[:1] == '"' and not _closed(found[1].lstrip()),
                   text if first_line == 1 else None)
    if unclosed:
        raise MilkrunError(f"table '{name}': the quote that opens this cell is never closed", at,
                           hint="close it with a second '\"'; a '\"' inside a quoted cell is written twice: \"\"")
    raise MilkrunError(f"cannot read table '{name}' as CSV: {reason}", at,
                       hint="a cell that holds a quote is quoted as a whole, with the quote doubled: \"12\"\" pipe\"")


_CELL = re.compile(r'[ \t]*(?:"(?:[^"]|"")*"?[^,\r\n]*|[^,\r\n]*)')


def _cells(text: str, offset: int):
    """(start, text) of each cell of the record that starts at `offset` (for locating errors only)."""
    pos = offset
    while True:
        m = _CELL.match(text, pos)
        yield pos, m.group()
        pos = m.end()
        if pos >= len(text) or text[pos] != ",":
            return
        pos += 1


def _closed(body: str) -> bool:
    """Whether a cell that opens with a quote closes it (a doubled quote inside stands for one)."""
    m = re.match(r'"(?:[^"]|"")*"', body)
    return m is not None


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    line = len(_LINE_BREAK.findall(text, 0, offset)) + 1
    return line, offset - max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset))


def _long_cell(name: str, length: int, at: Span, quoted: bool, text: str | None = None):
    if text is not None:  # a CSV file: show its lines cut short, not a screenful of one cell
        cut = max(at.column + 80, 400)
        register_source(at.file, "\n".join(x if len(x) <= cut else x[:cut] + " …"
                                           for x in _LINE_BREAK.split(text)))
    raise MilkrunError(f"a cell of table '{name}' is {length:,} characters long; cells hold at most "
                       f"{CELL_LIMIT:,}", at,
                       hint="a quote that is never closed makes one cell of the rest of the file" if quoted else
                       "a key or a value is short text; check how this file was written")


def _check_header(name: str, headers: list[str], file: str, first_line: int):
    for k, h in enumerate(headers):
        if h == "":
            raise MilkrunError(f"column {k + 1} of table '{name}' has no header", cell_span(file, first_line, k))
    if len(set(headers)) != len(headers):
        dup = next(h for h in headers if headers.count(h) > 1)
        raise MilkrunError(f"column '{dup}' appears twice in table '{name}'",
                           cell_span(file, first_line, headers.index(dup, headers.index(dup) + 1)))


def _shape_error(name: str, headers: list[str], count: int, file: str, line: int):
    n = len(headers)
    cells = f"{count} cell{'s' if count != 1 else ''}"
    if count < n:
        text = source_line(file, line) or ""
        missing = ", ".join(f"'{h}'" for h in headers[count:])
        example = text.rstrip() + "," * (n - count)
        raise MilkrunError(f"this row of table '{name}' has {cells}, but the header has {n}: no cell for {missing}",
                           Span(file, line, len(text.rstrip()) + 1),
                           hint=(f"to leave a value empty, write its comma: '{example}'" if len(example) <= 60 else
                                 "to leave a value empty, write its comma (an empty cell between two commas)"))
    raise MilkrunError(f"this row of table '{name}' has {cells}, but the header has {n}", cell_span(file, line, n),
                       hint="a decimal comma splits a number in two (write 1.5, not 1,5); a cell that holds a "
                       "comma is quoted: \"a, b\"")
