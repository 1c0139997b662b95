"""Readers for public vehicle routing benchmark files, written out as milkrun CSV tables.

Why this exists: the published optima of the CVRPLIB and DIMACS split-delivery instances
are the external check that a routing model written in milkrun (models/cvrp.mcp,
models/sdvrp.mcp) is right. The benchmark files stay as published; this module turns
them into the data layout milkrun reads (docs/data.md), so the models need no reader of
their own and the same tables can be looked at, edited or diffed.

Two formats are read:

- **CVRPLIB / TSPLIB `.vrp`** (``TYPE : CVRP``): a header of ``KEY : VALUE`` lines, then
  sections. Distances are ``EUC_2D`` (TSPLIB ``nint``: the Euclidean distance rounded to
  the nearest integer, ``int(d + 0.5)``), ``CEIL_2D`` (rounded up), or ``EXPLICIT`` with
  any of the nine symmetric ``EDGE_WEIGHT_FORMAT`` layouts (``FULL_MATRIX``,
  ``LOWER_ROW``, ``UPPER_ROW``, the ``_DIAG_`` variants and the column-wise ones).
  The published optima are computed on exactly these integers: computing real
  Euclidean distances instead gives other optima (a false failure).
- **DIMACS 2022 SDVRP text** (``SD*.txt``, ``eil*.sd``, as read by Alkaid-SDVRP): the
  number of customers *n* and the capacity, then *n* demands, then *n + 1* coordinate
  pairs, the depot first. Distances are ``lround(hypot(dx, dy))`` on the coordinates as
  written: the SD files already hold coordinates multiplied by 1000, so they are not
  scaled again.

What is written (the layout models/cvrp.mcp and models/sdvrp.mcp read):

- ``Nodes.csv``: ``Nodes,demand[,x,y]``, one row per node, the depot included (its
  demand 0); ``x, y`` only when the file gives coordinates.
- ``dist.csv``: a wide table, the full integer distance matrix (row node in the first
  column, column nodes in the header).
- ``scalars.csv``: one row ``depot,n_vehicles,capacity``.

Nodes keep the numbers of the source file: CVRPLIB numbers them from 1 (the depot is
usually 1); the SDVRP files number the depot 0 and the customers 1..n, as Alkaid-SDVRP
and the DIMACS solution files do. A solution read off a milkrun run can so be compared
with a published one without renumbering (CVRPLIB ``.opt`` files number customers from
1 with the depot left out: customer c there is node c + 1 here).

Command line: `milkrun convert FILE DIR [--vehicles N]`, or `python -m milkrun.compiler.data.vrplib
FILE DIR [--vehicles N]` (the `main()` below).

Any input that is not one of these formats, or breaks one of their rules, raises a
located `MilkrunError` (file, line, column and what was expected), never a traceback:
a converter that guesses produces a model that solves to a wrong number, which is the
failure this check is there to catch.
"""
from __future__ import annotations

import argparse
import csv
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from milkrun.dsl.diagnostics import MilkrunError, Span, render

# EDGE_WEIGHT_FORMATs of a symmetric matrix. Row-wise upper triangle = column-wise lower
# triangle, and the other way round, so each column-wise layout reads as a row-wise one.
_SAME_AS = {"LOWER_COL": "UPPER_ROW", "UPPER_COL": "LOWER_ROW",
            "LOWER_DIAG_COL": "UPPER_DIAG_ROW", "UPPER_DIAG_COL": "LOWER_DIAG_ROW"}
EXPLICIT_FORMATS = ("FULL_MATRIX", "LOWER_ROW", "UPPER_ROW", "LOWER_DIAG_ROW", "UPPER_DIAG_ROW", *_SAME_AS)
COORD_TYPES = ("EUC_2D", "CEIL_2D")
SECTIONS = ("NODE_COORD_SECTION", "EDGE_WEIGHT_SECTION", "DEMAND_SECTION", "DEPOT_SECTION", "DISPLAY_DATA_SECTION")
# header keys that carry nothing the model needs (read and ignored)
IGNORED_KEYS = ("DISPLAY_DATA_TYPE", "NODE_COORD_TYPE")


@dataclass
class VrpInstance:
    """One instance as read: nodes in file order, the depot first among equals."""

    name: str
    kind: str  # "cvrp" or "sdvrp"
    nodes: list[int]
    depot: int
    demand: np.ndarray  # by position in `nodes`
    capacity: int
    dist: np.ndarray  # integer, by position in `nodes`
    coords: np.ndarray | None = None  # (n, 2), when the file gives them
    n_vehicles: int | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def min_vehicles(self) -> int:
        """ceil(total demand / capacity): no plan uses fewer vehicles, split or not."""
        return max(1, math.ceil(float(self.demand.sum()) / self.capacity - 1e-9))


# --------------------------------------------------------------------------- rounding rules
def nint(d):
    """TSPLIB's nint: the nearest integer, halves rounded up, `(int)(d + 0.5)` for d >= 0."""
    return np.floor(np.asarray(d, dtype=float) + 0.5).astype(np.int64)


def lround(d):
    """C's lround for d >= 0 (halves away from zero): the same integers as nint for distances."""
    return nint(d)


def euclidean(coords: np.ndarray) -> np.ndarray:
    diff = coords[:, None, :] - coords[None, :, :]
    return np.hypot(diff[..., 0], diff[..., 1])


# --------------------------------------------------------------------------- tokens with places
@dataclass
class _Tok:
    text: str
    line: int
    col: int
    end: int


def _tokens(line_text: str, line_no: int, start: int = 0) -> list[_Tok]:
    return [_Tok(m.group(), line_no, m.start() + 1, m.end() + 1) for m in re.finditer(r"\S+", line_text)
            if m.start() >= start]


def _span(path: str, tok: _Tok | None = None, line: int | None = None) -> Span:
    if tok is not None:
        return Span(path, tok.line, tok.col, tok.line, tok.end)
    return Span(path, line or 1, 1)


def _number(path: str, tok: _Tok, what: str, integer: bool = False) -> float:
    try:
        v = float(tok.text)
    except ValueError:
        raise MilkrunError(f"'{tok.text}' is not a number ({what})", _span(path, tok)) from None
    if not math.isfinite(v):
        raise MilkrunError(f"'{tok.text}' is not a finite number ({what})", _span(path, tok))
    if integer and v != int(v):
        raise MilkrunError(f"'{tok.text}' is not a whole number ({what})", _span(path, tok))
    return v


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise MilkrunError(f"benchmark file '{path}' does not exist" if not path.exists()
                           else f"'{path}' is a folder, not a benchmark file")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise MilkrunError(f"'{path}' is not a text file: expected a CVRPLIB .vrp or a DIMACS SDVRP file") from None


# --------------------------------------------------------------------------- CVRPLIB
def read_cvrplib(path: str | Path) -> VrpInstance:
    """A CVRPLIB `.vrp` file (TSPLIB format, TYPE CVRP). n_vehicles comes from the name's `-kN`
    (CVRPLIB's optima use exactly that many vehicles), else from a VEHICLES key, else from the
    comment's "No of trucks: N"; it stays None when none says."""
    path = Path(path)
    text = _read_text(path)
    p = str(path)
    header: dict[str, tuple[str, _Tok | None, int]] = {}
    sections: dict[str, tuple[int, list[_Tok]]] = {}
    current: str | None = None
    lines = text.splitlines()
    for no, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        first = line.split()[0].rstrip(":").upper()
        if first == "EOF":
            break
        key_match = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*:(.*)$", raw)
        if first in SECTIONS or (first.endswith("_SECTION") and key_match is None):
            if first not in SECTIONS:
                raise MilkrunError(f"section '{first}' is not supported: the reader knows "
                                   f"{', '.join(SECTIONS)}", Span(p, no, 1, no, len(raw) + 1))
            if first in sections:
                raise MilkrunError(f"section {first} appears twice", Span(p, no, 1, no, len(raw) + 1))
            current = first
            sections[first] = (no, _tokens(raw, no, start=raw.upper().index(first) + len(first)))
            continue
        if key_match is not None and not re.fullmatch(r"[-+0-9.eE\s:]*", line):
            key = key_match.group(1).upper()
            value = key_match.group(2).strip()
            col = raw.index(":") + 2
            vtok = _Tok(value, no, col + (len(key_match.group(2)) - len(key_match.group(2).lstrip())),
                        col + len(key_match.group(2).rstrip())) if value else None
            if key in header:
                raise MilkrunError(f"key {key} is given twice", Span(p, no, 1, no, len(raw) + 1))
            header[key] = (value, vtok, no)
            current = None
            continue
        if current is None:
            raise MilkrunError("this line is neither 'KEY : VALUE' nor inside a section: not a CVRPLIB file?",
                               Span(p, no, 1, no, len(raw) + 1),
                               hint="CVRPLIB files start with NAME, TYPE, DIMENSION, ... lines; DIMACS SDVRP "
                                    "files (two numbers on the first line) are read as such when the file does "
                                    "not look like CVRPLIB")
        sections[current][1].extend(_tokens(raw, no))

    def need(key: str) -> tuple[str, _Tok | None, int]:
        if key not in header:
            raise MilkrunError(f"the file has no {key} line, which a CVRP instance needs", Span(p, 1, 1))
        return header[key]

    name = header.get("NAME", (path.stem, None, 0))[0] or path.stem
    typ, ttok, _ = need("TYPE")
    if typ.upper() != "CVRP":
        raise MilkrunError(f"TYPE is '{typ}': only CVRP instances are read (symmetric, one depot, demands)",
                           _span(p, ttok), hint="ACVRP, TSP and the VRPTW variants need other models")
    dim_text, dtok, _ = need("DIMENSION")
    n = int(_number(p, dtok, "DIMENSION", integer=True)) if dtok else 0
    if n < 2:
        raise MilkrunError(f"DIMENSION must be at least 2 (a depot and a customer), not {dim_text!r}",
                           _span(p, dtok, header["DIMENSION"][2]))
    cap_text, ctok, cline = need("CAPACITY")
    capacity = _number(p, ctok, "CAPACITY", integer=True) if ctok else 0
    if capacity <= 0:
        raise MilkrunError(f"CAPACITY must be a positive whole number, not {cap_text!r}", _span(p, ctok, cline))
    ewt, etok, eline = need("EDGE_WEIGHT_TYPE")
    ewt = ewt.upper()
    if ewt not in COORD_TYPES and ewt != "EXPLICIT":
        raise MilkrunError(f"EDGE_WEIGHT_TYPE {ewt} is not supported: the reader knows "
                           f"{', '.join(COORD_TYPES)} and EXPLICIT", _span(p, etok, eline),
                           hint="GEO, ATT and the 3-D types use other distance formulas, which no shared "
                                "instance needs")
    for key in ("DISTANCE", "SERVICE_TIME"):
        if key in header:
            raise MilkrunError(f"{key} limits routes, which the CVRP model does not have",
                               Span(p, header[key][2], 1))
    for key in header:
        if key not in ("NAME", "TYPE", "COMMENT", "DIMENSION", "CAPACITY", "EDGE_WEIGHT_TYPE",
                       "EDGE_WEIGHT_FORMAT", "VEHICLES", *IGNORED_KEYS):
            raise MilkrunError(f"header key {key} is not supported", Span(p, header[key][2], 1),
                               hint="a key that changes the problem (time windows, distance limits, several "
                                    "depots) would be silently dropped; the reader refuses it instead")

    coords = None
    if "NODE_COORD_SECTION" in sections or "DISPLAY_DATA_SECTION" in sections:
        sec = "NODE_COORD_SECTION" if "NODE_COORD_SECTION" in sections else "DISPLAY_DATA_SECTION"
        coords = _node_table(p, sec, sections[sec], n, 2)
    if ewt in COORD_TYPES:
        if "NODE_COORD_SECTION" not in sections:
            raise MilkrunError(f"EDGE_WEIGHT_TYPE {ewt} needs a NODE_COORD_SECTION", _span(p, etok, eline))
        d = euclidean(coords)
        dist = nint(d) if ewt == "EUC_2D" else np.ceil(d - 1e-9).astype(np.int64)
    else:
        fmt, ftok, fline = header.get("EDGE_WEIGHT_FORMAT", ("", None, eline))
        fmt = fmt.upper()
        if fmt not in EXPLICIT_FORMATS:
            raise MilkrunError(f"EDGE_WEIGHT_FORMAT {fmt or '(missing)'} is not supported with EXPLICIT weights: "
                               f"the reader knows {', '.join(EXPLICIT_FORMATS)}", _span(p, ftok, fline))
        if "EDGE_WEIGHT_SECTION" not in sections:
            raise MilkrunError("EDGE_WEIGHT_TYPE EXPLICIT needs an EDGE_WEIGHT_SECTION", _span(p, etok, eline))
        dist = _explicit(p, fmt, sections["EDGE_WEIGHT_SECTION"], n)
    if "DEMAND_SECTION" not in sections:
        raise MilkrunError("the file has no DEMAND_SECTION, which a CVRP instance needs", Span(p, 1, 1))
    at: dict[int, list[_Tok]] = {}
    demand = _node_table(p, "DEMAND_SECTION", sections["DEMAND_SECTION"], n, 1, at)[:, 0]
    if "DEPOT_SECTION" not in sections:
        raise MilkrunError("the file has no DEPOT_SECTION", Span(p, 1, 1))
    depot = _depot(p, sections["DEPOT_SECTION"], n)
    inst = VrpInstance(name=name, kind="cvrp", nodes=list(range(1, n + 1)), depot=depot,
                       demand=demand, capacity=int(capacity), dist=dist, coords=coords, source=p)
    bad = np.flatnonzero(demand < 0)
    if len(bad):
        raise MilkrunError(f"node {bad[0] + 1} has a negative demand ({demand[bad[0]]:g})",
                           _span(p, at[bad[0] + 1][0]))
    if demand[depot - 1] != 0:
        raise MilkrunError(f"the depot {depot} has demand {demand[depot - 1]:g}; CVRPLIB depots have none",
                           _span(p, at[depot][0]))
    over = np.flatnonzero(demand > capacity)
    if len(over):
        raise MilkrunError(f"node {over[0] + 1} demands {demand[over[0]]:g}, more than the capacity "
                           f"{capacity:g}: no vehicle can serve it alone, so the CVRP has no solution",
                           _span(p, at[over[0] + 1][0]), hint="a split-delivery instance belongs in the DIMACS SDVRP format")
    inst.n_vehicles = _vehicles_from(header, name, path)
    return inst


def _vehicles_from(header, name: str, path: Path) -> int | None:
    for text in (name, path.stem):
        m = re.search(r"-k(\d+)\b", text)
        if m:
            return int(m.group(1))
    if "VEHICLES" in header:
        try:
            return int(header["VEHICLES"][0])
        except ValueError:
            pass
    comment = header.get("COMMENT", ("",))[0]
    m = re.search(r"(?:no\.?|number) of (?:trucks|vehicles)\s*[:=]?\s*(\d+)", comment, re.IGNORECASE)
    return int(m.group(1)) if m else None


def _node_table(p: str, sec: str, part, n: int, width: int, where: dict | None = None) -> np.ndarray:
    """Rows `node v1 .. vw` for nodes 1..n, any order, each once; `where` gets each node's
    value tokens (node number -> list of tokens), for errors about a value."""
    first_line, toks = part
    rows = [toks[k:k + width + 1] for k in range(0, len(toks), width + 1)]
    if len(toks) % (width + 1):
        last = rows[-1][-1]
        raise MilkrunError(f"{sec} has a row with fewer than {width + 1} numbers (node and {width} value"
                           f"{'s' if width > 1 else ''})", _span(p, last))
    out = np.full((n, width), np.nan)
    for row in rows:
        node = _number(p, row[0], f"node number in {sec}", integer=True)
        if not 1 <= node <= n:
            raise MilkrunError(f"node {row[0].text} in {sec} is outside 1..{n} (DIMENSION {n})", _span(p, row[0]))
        if not np.isnan(out[int(node) - 1, 0]):
            raise MilkrunError(f"node {int(node)} appears twice in {sec}", _span(p, row[0]))
        out[int(node) - 1] = [_number(p, t, sec) for t in row[1:]]
        if where is not None:
            where[int(node)] = row[1:]
    missing = np.flatnonzero(np.isnan(out[:, 0]))
    if len(missing):
        raise MilkrunError(f"{sec} has {n - len(missing)} of the {n} nodes; node {missing[0] + 1} is missing",
                           Span(p, first_line, 1))
    return out


def _explicit(p: str, fmt: str, part, n: int) -> np.ndarray:
    """The full symmetric matrix from one of the EXPLICIT layouts."""
    first_line, toks = part
    fmt = _SAME_AS.get(fmt, fmt)
    if fmt == "FULL_MATRIX":
        cells = [(i, j) for i in range(n) for j in range(n)]
    elif fmt == "LOWER_ROW":
        cells = [(i, j) for i in range(n) for j in range(i)]
    elif fmt == "UPPER_ROW":
        cells = [(i, j) for i in range(n) for j in range(i + 1, n)]
    elif fmt == "LOWER_DIAG_ROW":
        cells = [(i, j) for i in range(n) for j in range(i + 1)]
    else:  # UPPER_DIAG_ROW
        cells = [(i, j) for i in range(n) for j in range(i, n)]
    if len(toks) != len(cells):
        at = toks[len(cells)] if len(toks) > len(cells) else (toks[-1] if toks else None)
        raise MilkrunError(f"EDGE_WEIGHT_SECTION holds {len(toks)} numbers; a {fmt} matrix of {n} nodes has "
                           f"{len(cells)}", _span(p, at, first_line),
                           hint="check DIMENSION and EDGE_WEIGHT_FORMAT")
    dist = np.zeros((n, n), dtype=np.int64)
    seen = np.zeros((n, n), dtype=bool)
    for (i, j), tok in zip(cells, toks):
        v = _number(p, tok, "edge weight")
        if v < 0 or v != int(v):
            raise MilkrunError(f"edge weight '{tok.text}' is not a non-negative whole number", _span(p, tok))
        v = int(v)
        if fmt == "FULL_MATRIX" and seen[j, i] and dist[j, i] != v:
            raise MilkrunError(f"the matrix is not symmetric: ({i + 1}, {j + 1}) is {v} but ({j + 1}, {i + 1}) "
                               f"is {dist[j, i]}", _span(p, tok), hint="asymmetric instances (ACVRP) are not read")
        dist[i, j] = v
        seen[i, j] = True
        if fmt != "FULL_MATRIX":
            dist[j, i] = v
    np.fill_diagonal(dist, 0)
    return dist


def _depot(p: str, part, n: int) -> int:
    first_line, toks = part
    values = [int(_number(p, t, "DEPOT_SECTION", integer=True)) for t in toks]
    if not values or values[-1] != -1:
        raise MilkrunError("DEPOT_SECTION must end with -1", Span(p, first_line, 1))
    depots = values[:-1]
    if len(depots) != 1:
        raise MilkrunError(f"DEPOT_SECTION lists {len(depots)} depots; the CVRP model has exactly one",
                           Span(p, first_line, 1))
    if not 1 <= depots[0] <= n:
        raise MilkrunError(f"depot {depots[0]} is outside 1..{n}", _span(p, toks[0]))
    return depots[0]


# --------------------------------------------------------------------------- DIMACS SDVRP
def read_sdvrp(path: str | Path) -> VrpInstance:
    """A DIMACS 2022 split-delivery file: `n capacity`, n demands, n + 1 coordinate pairs (depot first).

    The format is read token by token, as Alkaid-SDVRP's reader does, so line breaks carry no
    meaning; every token must be a number and none may be left over. n_vehicles is left None:
    the SDVRP has no fleet size (see `convert`)."""
    path = Path(path)
    text = _read_text(path)
    p = str(path)
    toks = [t for no, line in enumerate(text.splitlines(), start=1) for t in _tokens(line, no)]
    if len(toks) < 2:
        raise MilkrunError("a DIMACS SDVRP file starts with two numbers: customers and capacity", Span(p, 1, 1))
    n = _number(p, toks[0], "number of customers", integer=True)
    capacity = _number(p, toks[1], "vehicle capacity", integer=True)
    if n < 1:
        raise MilkrunError(f"the number of customers must be at least 1, not {toks[0].text}", _span(p, toks[0]))
    if capacity <= 0:
        raise MilkrunError(f"the capacity must be positive, not {toks[1].text}", _span(p, toks[1]))
    n = int(n)
    want = 2 + n + 2 * (n + 1)
    if len(toks) != want:
        what = (f"{n} demands and {n + 1} coordinate pairs (the depot first) after '{toks[0].text} "
                f"{toks[1].text}'")
        at = toks[want] if len(toks) > want else toks[-1]
        raise MilkrunError(f"the file holds {len(toks) - 2} numbers after the first two; {what} make "
                           f"{want - 2}", _span(p, at),
                           hint="the first number is the number of customers, not counting the depot")
    demand = np.array([0.0] + [_number(p, t, "demand", integer=True) for t in toks[2:2 + n]])
    coords = np.array([_number(p, t, "coordinate") for t in toks[2 + n:]]).reshape(n + 1, 2)
    neg = np.flatnonzero(demand < 0)
    if len(neg):
        raise MilkrunError(f"customer {neg[0]} has a negative demand", _span(p, toks[1 + neg[0]]))
    dist = lround(euclidean(coords))
    return VrpInstance(name=path.stem, kind="sdvrp", nodes=list(range(n + 1)), depot=0, demand=demand,
                       capacity=int(capacity), dist=dist, coords=coords, source=p)


# --------------------------------------------------------------------------- dispatch and writing
def sniff(path: str | Path) -> str:
    """'cvrp' for a TSPLIB-style file (KEY : VALUE lines), 'sdvrp' for one that starts with numbers."""
    text = _read_text(Path(path))
    for line in text.splitlines():
        if line.strip():
            return "sdvrp" if re.fullmatch(r"[-+0-9.eE\s]+", line) else "cvrp"
    raise MilkrunError(f"'{path}' is empty", Span(str(path), 1, 1))


def read(path: str | Path) -> VrpInstance:
    """Either format, told apart by the first non-blank line."""
    return read_cvrplib(path) if sniff(path) == "cvrp" else read_sdvrp(path)


def write_tables(inst: VrpInstance, out_dir: str | Path) -> Path:
    """Nodes.csv, dist.csv and scalars.csv in `out_dir` (created if needed); returns the folder."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise MilkrunError(f"'{out}' exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "Nodes.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Nodes", "demand"] + (["x", "y"] if inst.coords is not None else []))
        for k, node in enumerate(inst.nodes):
            row = [node, _fmt(inst.demand[k])]
            if inst.coords is not None:
                row += [_fmt(inst.coords[k, 0]), _fmt(inst.coords[k, 1])]
            w.writerow(row)
    with open(out / "dist.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Nodes"] + inst.nodes)
        for k, node in enumerate(inst.nodes):
            w.writerow([node] + [int(v) for v in inst.dist[k]])
    with open(out / "scalars.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["depot", "n_vehicles", "capacity"])
        w.writerow([inst.depot, inst.n_vehicles, inst.capacity])
    return out


def _fmt(v: float) -> str:
    return str(int(v)) if float(v) == int(v) else repr(float(v))


def convert(path: str | Path, out_dir: str | Path, n_vehicles: int | None = None) -> Path:
    """Read a CVRPLIB or DIMACS SDVRP file and write milkrun's tables to `out_dir`; returns `out_dir`.

    The number of vehicles, when not given:
    - CVRPLIB: the `-kN` of the instance name. CVRPLIB's optima are for exactly N vehicles
      (E-n13-k4: 4), and models/cvrp.mcp uses every vehicle; with another N the optimum differs.
    - SDVRP: the fleet is not limited (only distance counts), but the model needs a set of
      vehicles. The default is the fewest that can carry the total demand, ceil(total demand /
      capacity), which models/sdvrp.mcp treats as an upper bound (a vehicle may stay at the
      depot). Splitting can in principle make a plan with more routes shorter, so this was
      measured rather than assumed: SD1 (600 units, capacity 100) gives the published 22828 with
      6 vehicles, and 7 or 8 give the same optimum (docs/models/sdvrp.md). Pass n_vehicles to
      allow more.
    """
    inst = read(path)
    if n_vehicles is not None:
        if int(n_vehicles) != n_vehicles or n_vehicles < 1:
            raise MilkrunError(f"n_vehicles must be a whole number >= 1, not {n_vehicles!r}")
        inst.n_vehicles = int(n_vehicles)
    elif inst.kind == "sdvrp":
        inst.n_vehicles = inst.min_vehicles
    if inst.n_vehicles is None:
        raise MilkrunError(f"'{path}' does not say how many vehicles: its name has no '-kN' and it has no "
                           "VEHICLES line or 'No of trucks' comment", hint="pass n_vehicles (--vehicles N)")
    if inst.n_vehicles < inst.min_vehicles:
        raise MilkrunError(f"{inst.n_vehicles} vehicle(s) of capacity {inst.capacity} cannot carry the total "
                           f"demand {_fmt(inst.demand.sum())}: at least {inst.min_vehicles} are needed")
    return write_tables(inst, out_dir)


def main(argv: list[str] | None = None) -> int:
    """`python -m milkrun.compiler.data.vrplib FILE OUTDIR [--vehicles N]`: exit 0, or 2 with a located error."""
    ap = argparse.ArgumentParser(prog="python -m milkrun.compiler.data.vrplib",
                                 description="Convert a CVRPLIB .vrp or DIMACS SDVRP file to milkrun CSV tables "
                                             "(Nodes.csv, dist.csv, scalars.csv).")
    ap.add_argument("file", help="a CVRPLIB .vrp file or a DIMACS SDVRP file (SD*.txt, *.sd)")
    ap.add_argument("out_dir", help="folder to write the tables to (created if needed)")
    ap.add_argument("--vehicles", type=int, default=None,
                    help="number of vehicles (default: -kN of a CVRPLIB name; for SDVRP ceil(demand/capacity))")
    args = ap.parse_args(argv)
    try:
        inst = read(args.file)
        out = convert(args.file, args.out_dir, args.vehicles)
    except MilkrunError as e:
        print(render(e), file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{inst.name}: {inst.kind}, {len(inst.nodes)} nodes (depot {inst.depot}), capacity {inst.capacity}; "
          f"tables written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
