"""Write a compiled model as an LP file (CPLEX LP format) or a free MPS file that other programs read.

Why milkrun writes these files itself rather than calling linopy's `Model.to_file`:

* Names. linopy either numbers everything (`x17`, `c3`: readable by solvers, not by people) or,
  with `explicit_coordinate_names=True`, writes the set members as they are plus the label,
  `supply(san-diego)#1`. A `-` (or `+`, `*`, `:`, `<`, a space...) in a member is an operator
  in the LP format, so HiGHS and SCIP both refuse such files. Here every name is built from the
  family and its set members, with the characters a reader could misread mapped to `_`, made
  unique, and written the same way in LP and MPS: `ship(san_diego,chicago)`, `supply(san_diego)`.
  The rules are in docs/export.md.
* Numbers. linopy prints `repr` of every float, so a cost computed as 90 * 1.4 / 1000 shows as
  0.12599999999999997. Every number here is rounded to 15 significant digits first and then
  printed as the shortest text that reads back as that float: 0.126.
* Speed. linopy's readable names are made by one Python call per variable and per term (25
  times its plain writer). Here names are made once per set member, and every line of the file
  is assembled as whole arrays (numpy, and polars, which linopy already uses for its own writer),
  so a file with readable names costs about what linopy's numbered one costs.
* What a reader must get right, and milkrun's own solve gets: the objective's sense and its
  constant term (a constant at the end of the LP objective, minus the constant on the MPS
  objective row's RHS: both HiGHS and SCIP read them so), integer columns with explicit bounds
  in MPS (inside INTORG markers both readers otherwise cap them at 1), rows of one family that
  end up without a variable exactly as linopy hands them to the solvers, and masked entries
  (label -1) left out.

`write_model(model, path, fmt)` takes a pipeline `Compiled`, a `BuiltModel` (compiler/
backend_linopy.py) or a plain `linopy.Model`; a nonlinear model (backend_scip_nl) is refused
with a MilkrunError, since neither format holds it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import scipy.sparse

from milkrun.dsl.diagnostics import MilkrunError
from milkrun.compiler.build.nonlinear import NonlinearBuilt

FORMATS = ("lp", "mps")
CONTINUOUS, INTEGER, BINARY = 0, 1, 2

# Words an LP reader takes as a keyword (or a number: inf, nan) when they stand alone as a name;
# a family (or objective) called so gets a trailing `_`. Checked without regard to case.
LP_WORDS = frozenset("""
    min max minimize maximize minimise maximise minimum maximum st s.t. st. subject such bound bounds
    bin binary binaries gen general generals int integer integers semi semis semi-continuous sos sos1
    sos2 free end inf infinity nan
""".split())
MAX_NAME = 240  # SCIP's readers take names up to 255 characters; room is left for a `~N` suffix
_MEMBER_ILLEGAL = r"[^A-Za-z0-9_.]"  # what stays in a set member: ASCII letters, digits, `_` and `.`


class _Model:
    """The model as arrays over its active columns and rows, in linopy's label order."""

    def __init__(self, m, sense: str, constant: float, objective: str):
        self.m, self.sense, self.constant, self.objective = m, sense, constant, objective
        vtypes, lower, upper, names = [], [], [], []
        unsure = []  # set when two names might be equal: only then are they all compared
        for name, var in m.variables.items():
            labels = var.labels.values.ravel()
            keep = labels != -1
            lower.append(np.broadcast_to(var.lower.values, var.labels.shape).ravel()[keep])
            upper.append(np.broadcast_to(var.upper.values, var.labels.shape).ravel()[keep])
            kind = BINARY if name in m.binaries else INTEGER if name in m.integers else CONTINUOUS
            if name in m.semi_continuous:
                raise MilkrunError(f"variable '{name}' is semi-continuous, which milkrun does not export")
            vtypes.append(np.full(int(keep.sum()), kind, dtype=np.int8))
            names.append(_family_names(name, var, np.flatnonzero(keep), unsure))
        index = m.variables.label_index
        self.nvars = index.n_active_vars
        self.lower = np.concatenate(lower) if lower else np.zeros(0)
        self.upper = np.concatenate(upper) if upper else np.zeros(0)
        self.vtype = np.concatenate(vtypes) if vtypes else np.zeros(0, np.int8)
        self.var_names = _unique(pl.concat(names) if names else pl.Series([], dtype=pl.String), unsure)

        blocks, rhs, sense_, rnames, unsure = [], [], [], [], []
        for name, con in m.constraints.items():
            if con.is_indicator:
                raise MilkrunError(f"constraint '{name}' is an indicator constraint, which milkrun does not export")
            csr, labels, b, s = con.to_matrix_with_rhs(index)
            positions = _active_positions(con)
            if len(positions) != len(labels):  # linopy's own row selection must match ours
                raise RuntimeError(f"rows of constraint '{name}' do not line up with their labels")
            blocks.append(csr)
            rhs.append(np.asarray(b, dtype=float))
            sense_.append(np.broadcast_to(np.asarray(s, dtype="U1"), (len(labels),)))
            rnames.append(_family_names(name, con, positions, unsure))
        if blocks:
            A = scipy.sparse.vstack(blocks, format="csr")
            A.sum_duplicates()
            A.eliminate_zeros()
        else:
            A = scipy.sparse.csr_array((0, self.nvars))
        self.A = A
        self.rhs = np.concatenate(rhs) if rhs else np.zeros(0)
        self.row_sense = np.concatenate(sense_) if sense_ else np.zeros(0, "U1")
        objective_name = pl.Series([_safe_family(objective)])
        if objective_name[0] in {_safe_family(name) for name in m.constraints}:
            unsure.append(objective)
        row_names = pl.concat([objective_name, *rnames]) if rnames else objective_name
        row_names = _unique(row_names, unsure)  # the objective keeps its name; a row called the same gets ~2
        self.objective_name, self.row_names = row_names[0], row_names[1:]

        self.c = np.zeros(self.nvars)
        if self.nvars:
            var_labels, coeffs = m.objective.linear_terms()
            keep = np.asarray(var_labels) != -1
            np.add.at(self.c, index.label_to_pos[np.asarray(var_labels)[keep]], np.asarray(coeffs)[keep])
        # a column with no entry at all still has to be declared: it gets a 0 in the objective
        used = np.zeros(self.nvars, dtype=bool)
        used[A.indices] = True
        self.in_objective = (self.c != 0) | ~used


def write_model(model, path: str | Path, fmt: str | None = None) -> dict:
    """Write `model` to `path` as "lp" or "mps" (default: from the suffix). Returns what was
    written: {"file", "format", "variables", "constraints"}. Raises MilkrunError for a model
    neither format holds and for a file that cannot be written."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise MilkrunError(f"unknown export format '{fmt}'", hint="use lp or mps")
    data = _Model(*_unpack(model))
    try:
        with open(path, "wb") as f:
            (_write_lp if fmt == "lp" else _write_mps)(data, f)
    except OSError as e:
        raise MilkrunError(f"cannot write {path}: {e.strerror or e}") from None
    return {"file": str(path), "format": fmt, "variables": int(data.nvars), "constraints": int(data.A.shape[0])}


# ---------------------------------------------------------------------------- the model
def _unpack(model):
    """(linopy model, sense, objective constant, objective name) of any accepted model object."""
    import linopy

    model = getattr(model, "built", model)  # a pipeline Compiled

    if isinstance(model, NonlinearBuilt):
        span, what = model.ir.nonlinear[0]
        more = f" (and {len(model.ir.nonlinear) - 1} more nonlinear term(s))" if len(model.ir.nonlinear) > 1 else ""
        raise MilkrunError(f"LP and MPS files hold linear models only, and {what} makes this one nonlinear{more}",
                           span, hint="solve it with milkrun solve --solver scip")
    if isinstance(model, linopy.Model):
        m, name, constant = model, "obj", 0.0
    else:  # a BuiltModel: the objective's own name, and the constant the build took out of it
        m, name = model.linopy, model.primary or "obj"
        constant = float(model.constants.get(model.primary, 0.0)) if model.primary else 0.0
    if not m.is_linear:
        raise MilkrunError("LP and MPS export holds linear objectives only; this objective is quadratic")
    if m.variables.sos:
        raise MilkrunError("SOS constraints are not exported")
    try:
        constant += float(np.nansum(np.asarray(m.objective.expression.const)))
    except (AttributeError, TypeError):
        pass
    return m, m.objective.sense, constant, name


def _active_positions(con) -> np.ndarray:
    """Flat positions, in the constraint's grid, of the rows linopy hands to solvers."""
    if hasattr(con, "_active_positions"):  # a frozen (CSR) constraint keeps only its active rows
        return np.asarray(con._active_positions)
    return np.flatnonzero(con.active_row_mask())


# ---------------------------------------------------------------------------- names
def _safe_family(name: str) -> str:
    """A family name (a milkrun identifier, or a name a pass made) as written in the file."""
    name = pl.Series([str(name)]).str.replace_all(_MEMBER_ILLEGAL, "_")[0] or "_"
    if name[0].isdigit() or name[0] == ".":
        name = "_" + name
    return name + "_" if name.lower() in LP_WORDS else name


def _members(index) -> pl.Series:
    """The members of one dimension as they appear inside a name (see docs/export.md)."""
    import pandas as pd

    if isinstance(index, pd.MultiIndex):
        parts = [_members(index.get_level_values(i)) for i in range(index.nlevels)]
        return pl.select(pl.concat_str([p.alias(f"l{i}") for i, p in enumerate(parts)], separator=","))
    text = pl.Series(np.asarray(index.astype(str), dtype=object), dtype=pl.String)
    if not text.str.contains(r"^[\x00-\x7f]*$").all():  # accents dropped: é → e
        text = text.str.normalize("NFKD").str.replace_all(r"\p{Mn}", "")
    text = text.str.replace_all(_MEMBER_ILLEGAL, "_")
    return pl.select(pl.when(text.str.len_bytes() == 0).then(pl.lit("_")).otherwise(text)).to_series()


def _family_names(name: str, item, positions: np.ndarray, unsure: list) -> pl.Series:
    """Names of the entries at `positions` (flat, C order) of a variable or constraint family.
    Appends to `unsure` when the family's names may repeat a name made elsewhere: two members
    of a dimension that map to the same text, or a family name changed by the mapping."""
    base = _safe_family(name)
    if base != name:
        unsure.append(name)
    dims = [d for d in item.labels.dims]
    if not dims:
        return pl.Series([base] * len(positions), dtype=pl.String)
    shape = item.labels.shape
    at = np.unravel_index(positions, shape)
    parts: list = [pl.lit(base + "(")]
    for k, d in enumerate(dims):
        members = _members(item.indexes[d])
        if members.n_unique() < len(members):
            unsure.append(f"{name}:{d}")
        if k:
            parts.append(pl.lit(","))
        parts.append(members.gather(at[k]).alias(f"d{k}"))
    parts.append(pl.lit(")"))
    return pl.select(pl.concat_str(parts)).to_series()


def _unique(names: pl.Series, unsure: list) -> pl.Series:
    """Long names cut to MAX_NAME characters; of equal names the first keeps its name and the
    later ones, in file order, get `~2`, `~3`, ... (`~` appears nowhere else in a name).
    Names are compared only when `unsure` says they may repeat: family names are distinct
    milkrun identifiers, and the members of one set are distinct, so otherwise they are."""
    names = names.rename("n")
    if len(names) and names.str.len_bytes().max() > MAX_NAME:
        names = names.str.slice(0, MAX_NAME)
        unsure = True
    if not unsure or not names.is_duplicated().any():
        return names
    nth = pl.int_range(pl.len()).over("n")
    return names.to_frame().select(pl.when(nth == 0).then(pl.col("n")).otherwise(
        pl.concat_str([pl.col("n"), pl.lit("~"), (nth + 1).cast(pl.String)]))).to_series()


# ---------------------------------------------------------------------------- numbers
_POW10 = 10.0 ** np.arange(23)  # exact in binary64
_SPLIT = 134217729.0  # 2**27 + 1, Dekker's splitter


def _round15(x: np.ndarray) -> np.ndarray:
    """Each value rounded to 15 significant digits: exactly the float that '%.15g' % v reads back
    as, without formatting each value. -0.0 becomes 0.0.

    v * 10**k (k the decimals that keep 15 digits) is rounded to an integer n, and n / 10**k is
    then the float nearest to the decimal n * 10**-k. The product is computed with its rounding
    error (Dekker's two-product), so a value whose product lands on .5 only after rounding is
    still rounded the way its exact decimal expansion says."""
    x = np.asarray(x, dtype=float) + 0.0
    a = np.abs(x)
    todo = np.flatnonzero(np.isfinite(x) & (a > 0) & ((x != np.rint(x)) | (a >= 1e15)))  # whole numbers are done
    if not len(todo):
        return x
    out = x.copy()
    xt, at = x[todo], a[todo]
    with np.errstate(over="ignore"):
        e = np.floor(np.log10(at))
        e += at >= 10.0 ** (e + 1)  # log10 can be off by one next to a power of ten
        e -= at < 10.0 ** e
    k = (14 - e).astype(np.int64)  # decimals that keep 15 significant digits
    fast = (k >= 0) & (k <= 22)  # 1e-8 <= |v| < 1e15: 10**k is exact
    xf, p = xt[fast], _POW10[k[fast]]
    prod = xf * p
    c = _SPLIT * xf
    xh = c - (c - xf)
    c = _SPLIT * p
    ph = c - (c - p)
    low = ((xh * ph - prod) + xh * (p - ph) + (xf - xh) * ph) + (xf - xh) * (p - ph)  # xf * p == prod + low
    n = np.round(prod)
    tie = np.abs(prod - np.trunc(prod)) == 0.5
    n[tie & (low > 0)] = np.floor(prod[tie & (low > 0)]) + 1
    n[tie & (low < 0)] = np.floor(prod[tie & (low < 0)])
    out[todo[fast]] = n / p
    slow = todo[~fast]  # below 1e-8 or from 1e15 on: rare in a model, and exact through the text
    if len(slow):
        out[slow] = np.char.mod("%.15g", x[slow]).astype(float)
    return out


def _number(col: str) -> pl.Expr:
    """Text of a float column already rounded by _round15: `3`, `0.126`, `1e-7`; no float noise.
    (Polars prints the shortest text that reads back as the float, `3.0` for whole numbers.)"""
    return pl.col(col).cast(pl.String).str.strip_suffix(".0")


def _signed(col: str) -> pl.Expr:
    """`+0.5` or `-0.5`: an LP term needs its sign."""
    v = pl.col(col)
    return pl.concat_str([pl.when(v >= 0).then(pl.lit("+")), _number(col)], ignore_nulls=True)


def _write(f, frame: pl.DataFrame, line: pl.Expr) -> None:
    """One line per row of `frame`, built by the expression `line` (nulls: no line)."""
    if frame.height == 0:
        return
    out = frame.lazy().select(line.alias("line")).filter(pl.col("line").is_not_null()).collect()
    out.write_csv(f, include_header=False, quote_style="never", separator="\t")


def _rows_of(A) -> np.ndarray:
    return np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))


# ---------------------------------------------------------------------------- LP
def _write_lp(d: _Model, f) -> None:
    f.write(f"\\ written by milkrun; objective {d.objective_name}\n".encode())
    f.write(b"maximize\n" if d.sense == "max" else b"minimize\n")
    f.write(f"{d.objective_name}:\n".encode())
    cols = np.flatnonzero(d.in_objective)
    _write(f, pl.DataFrame({"v": _round15(d.c[cols]), "name": d.var_names.gather(cols)}),
           pl.concat_str([_signed("v"), pl.lit(" "), pl.col("name")]))
    constant = float(_round15(np.array([d.constant]))[0])
    if constant or not len(cols):  # a constant comes last: SCIP reads it nowhere else
        f.write(_text_number(constant, signed=True).encode() + b"\n")

    A = d.A
    if A.shape[0]:
        f.write(b"subject to\n")
        rows, indices, data = _rows_of(A), A.indices, A.data
        empty = np.flatnonzero(np.diff(A.indptr) == 0)
        if len(empty):  # a row whose terms all have coefficient 0: written as `0 x`, like linopy keeps it
            rows = np.concatenate([rows, empty])
            indices = np.concatenate([indices, np.zeros(len(empty), dtype=indices.dtype)])
            data = np.concatenate([data, np.zeros(len(empty))])
            order = np.argsort(rows, kind="stable")
            rows, indices, data = rows[order], indices[order], data[order]
        first = np.ones(len(rows), dtype=bool)
        first[1:] = rows[1:] != rows[:-1]
        last = np.ones(len(rows), dtype=bool)
        last[:-1] = first[1:]
        row = rows.astype(np.uint32)
        # each row's first line and last line are made once per row, then picked up by its first
        # and last term (a gather at a null index gives null, which concat_str skips)
        per_row = pl.DataFrame({"row": d.row_names, "op": _sense_code(d.row_sense), "rhs": _round15(d.rhs)})
        head = per_row.select(pl.concat_str([pl.col("row"), pl.lit(":\n")])).to_series()
        tail = per_row.select(pl.concat_str([pl.lit("\n"), _op_text("op"), pl.lit(" "), _number("rhs")])).to_series()
        frame = pl.DataFrame({"first": first, "last": last, "r": row, "v": _round15(data),
                              "name": d.var_names.gather(indices)})
        _write(f, frame, pl.concat_str([
            pl.lit(head).gather(pl.when(pl.col("first")).then(pl.col("r"))),
            _signed("v"), pl.lit(" "), pl.col("name"),
            pl.lit(tail).gather(pl.when(pl.col("last")).then(pl.col("r"))),
        ], ignore_nulls=True))

    lo, up, vt = _round15(d.lower), _round15(d.upper), d.vtype
    binary = (vt == BINARY) & (lo == 0) & (up == 1)
    default = (lo == 0) & (up == np.inf)
    need = ~binary & ~default
    if need.any():
        f.write(b"bounds\n")
        at = np.flatnonzero(need)
        frame = pl.DataFrame({"name": d.var_names.gather(at), "lo": lo[at], "up": up[at]})
        lo_c, up_c, name = pl.col("lo"), pl.col("up"), pl.col("name")
        _write(f, frame, pl.when(lo_c == up_c).then(pl.concat_str([name, pl.lit(" = "), _number("lo")]))
               .when(lo_c.is_infinite() & up_c.is_infinite() & (lo_c < 0) & (up_c > 0))
               .then(pl.concat_str([name, pl.lit(" free")]))
               .otherwise(pl.concat_str([_bound("lo"), pl.lit(" <= "), name, pl.lit(" <= "), _bound("up")])))
    general = np.flatnonzero((vt == INTEGER) | ((vt == BINARY) & ~binary))
    if len(general):
        f.write(b"general\n")
        _write(f, pl.DataFrame({"name": d.var_names.gather(general)}), pl.col("name"))
    if binary.any():
        f.write(b"binary\n")
        _write(f, pl.DataFrame({"name": d.var_names.gather(np.flatnonzero(binary))}), pl.col("name"))
    f.write(b"end\n")


def _sense_code(sense: np.ndarray) -> np.ndarray:
    """0 for `<=`, 1 for `>=`, 2 for `=` (linopy's signs by their first character)."""
    return np.select([sense == "<", sense == ">"], [0, 1], 2).astype(np.int8)


def _op_text(col: str) -> pl.Expr:
    c = pl.col(col)
    return pl.when(c == 0).then(pl.lit("<=")).when(c == 1).then(pl.lit(">=")).otherwise(pl.lit("="))


def _bound(col: str) -> pl.Expr:
    v = pl.col(col)
    return (pl.when(v == np.inf).then(pl.lit("+inf")).when(v == -np.inf).then(pl.lit("-inf"))
            .otherwise(_number(col)))


def _text_number(v: float, signed: bool = False) -> str:
    text = pl.DataFrame({"v": [float(v)]}).select((_signed if signed else _number)("v")).item()
    return text


# ---------------------------------------------------------------------------- MPS
def _write_mps(d: _Model, f) -> None:
    f.write(b"NAME milkrun\n")
    f.write(b"OBJSENSE\n    MAX\n" if d.sense == "max" else b"OBJSENSE\n    MIN\n")
    f.write(b"ROWS\n")
    f.write(f" N  {d.objective_name}\n".encode())
    k = pl.col("k")
    kind = pl.when(k == 0).then(pl.lit(" L  ")).when(k == 1).then(pl.lit(" G  ")).otherwise(pl.lit(" E  "))
    _write(f, pl.DataFrame({"k": _sense_code(d.row_sense), "row": d.row_names}),
           pl.concat_str([kind, pl.col("row")]))

    # COLUMNS: column by column, the objective entry first; integer columns inside markers
    C = d.A.tocsc()
    C.sort_indices()
    nobj = d.in_objective.astype(np.int64)
    counts = np.diff(C.indptr) + nobj
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if len(counts) else np.zeros(0, np.int64)
    total = int(counts.sum())
    col = np.repeat(np.arange(d.nvars), counts)
    row = np.empty(total, dtype=np.int64)  # 0 = objective, r + 1 = constraint r
    val = np.empty(total)
    obj_at = starts[d.in_objective]
    row[obj_at], val[obj_at] = 0, d.c[d.in_objective]
    entry_at = np.repeat(starts + nobj, np.diff(C.indptr)) + (np.arange(C.nnz) - np.repeat(C.indptr[:-1], np.diff(C.indptr)))
    row[entry_at], val[entry_at] = C.indices + 1, C.data
    integer = d.vtype != CONTINUOUS
    starts_col = np.ones(total, dtype=bool)
    starts_col[1:] = col[1:] != col[:-1]
    before = np.concatenate([[False], integer[:-1]]) if d.nvars else np.zeros(0, bool)
    opens = starts_col & integer[col] & ~before[col]
    closes = starts_col & ~integer[col] & before[col]
    all_rows = pl.concat([pl.Series([d.objective_name]), d.row_names]) if len(d.row_names) else \
        pl.Series([d.objective_name])
    f.write(b"COLUMNS\n")
    frame = pl.DataFrame({"open": opens, "close": closes, "name": d.var_names.gather(col),
                          "row": all_rows.gather(row), "v": _round15(val)})
    _write(f, frame, pl.concat_str([
        pl.when(pl.col("open")).then(pl.lit("    MARKER  'MARKER'  'INTORG'\n")).otherwise(pl.lit("")),
        pl.when(pl.col("close")).then(pl.lit("    MARKER  'MARKER'  'INTEND'\n")).otherwise(pl.lit("")),
        pl.lit("    "), pl.col("name"), pl.lit("  "), pl.col("row"), pl.lit("  "), _number("v")]))
    if d.nvars and integer[-1]:
        f.write(b"    MARKER  'MARKER'  'INTEND'\n")

    f.write(b"RHS\n")
    rhs = _round15(np.clip(d.rhs, -1e30, 1e30))
    at = np.flatnonzero(rhs != 0)
    _write(f, pl.DataFrame({"row": d.row_names.gather(at), "v": rhs[at]}),
           pl.concat_str([pl.lit("    RHS  "), pl.col("row"), pl.lit("  "), _number("v")]))
    constant = float(_round15(np.array([d.constant]))[0])
    if constant:  # the objective row's RHS is minus its constant, for HiGHS and SCIP alike
        f.write(f"    RHS  {d.objective_name}  {_text_number(-constant)}\n".encode())

    lo, up, vt = _round15(d.lower), _round15(d.upper), d.vtype
    frame = pl.DataFrame({"name": d.var_names, "lo": lo, "up": up, "t": vt})
    lo_c, up_c, t = pl.col("lo"), pl.col("up"), pl.col("t")
    integer_c = t != CONTINUOUS

    def line(kind, value=None):
        parts = [pl.lit(f" {kind} BND  "), pl.col("name")]
        if value is not None:
            parts += [pl.lit("  "), _number(value)]
        return pl.concat_str(parts)

    lower = (pl.when(lo_c == up_c).then(line("FX", "lo"))
             .when((lo_c == 0) & (up_c == 1) & (t == BINARY)).then(line("BV"))
             .when(lo_c.is_infinite() & up_c.is_infinite() & ~integer_c).then(line("FR"))
             .when(lo_c.is_infinite()).then(line("MI"))
             .when((lo_c != 0) | (up_c < 0)).then(line("LO", "lo")))
    upper = (pl.when((lo_c == up_c) | ((lo_c == 0) & (up_c == 1) & (t == BINARY))).then(pl.lit(None, pl.String))
             .when(lo_c.is_infinite() & up_c.is_infinite() & ~integer_c).then(pl.lit(None, pl.String))
             .when(up_c.is_finite()).then(line("UP", "up"))
             .when(integer_c).then(line("PL")))  # inside INTORG markers an unbounded integer needs PL
    f.write(b"BOUNDS\n")
    _write(f, frame, pl.when(lower.is_null() & upper.is_null()).then(pl.lit(None, pl.String))
           .otherwise(pl.concat_str([lower, upper], separator="\n", ignore_nulls=True)))
    f.write(b"ENDATA\n")
