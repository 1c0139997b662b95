"""Fuzzing the shipped models and their data (issue 11, item 6): whatever a user does to a model
or a CSV table, milkrun answers with a located error or a result, never an internal error.

Each case copies one shipped model (models/NAME.mcp) and its data folder (models/NAME/*.csv)
into a fresh temporary folder, applies one to three mutations and runs `milkrun check` (and,
in `test_fuzz_solve`, `milkrun solve --time-limit 5`). The mutations:

- model text: a token deleted, duplicated, swapped with its neighbour or another token, replaced
  by a keyword or an operator; a declared name with one letter changed (at one use, or renamed
  everywhere so that the data no longer matches); a number made -1, 0, 1e309, nan, a fraction,
  a huge integer, ...; lines dropped or repeated; the indices of a subscript swapped
  (`x[i, j]` -> `x[j, i]`); a quote, a `#` or a bracket inserted or removed; a letter of a
  string changed; a statement inserted that uses one of the model's names (an include, a data
  block, a kpi, a check, a scenario, a tour, ...);
- CSV tables: a cell removed (short row) or added (long row), a cell made -1, 0, 1e309, nan,
  empty, text, ...; a key or a header name with one letter changed; lines dropped, repeated or
  swapped; an unclosed quote; `;` for `,`; a blank line; the file emptied or removed;
- any file: re-encoded as Latin-1 (with an accented letter) or UTF-16, a byte-order mark, CRLF
  line ends, random bytes or a NUL inserted, cut short at a random byte.

The assertions: the exit code is 0, 1 or 2, never 3 (internal error); neither output holds
"Traceback" or "internal error"; on exit 2 the first line of stderr is
`FILE:LINE:COLUMN: error: ...` with FILE one of the case's files (or a stdlib module), LINE
within it and COLUMN >= 1; and no Python warning reaches the user. The command runs in this
process (`milkrun.compiler.cli.command.main`, stdout and stderr redirected) for speed;
`test_fuzz_console_script` runs a few cases through the real console script as well and checks
that it answers the same. Every case runs under `signal.alarm` (and a faulthandler fallback), so
a case that hangs fails instead of hanging the suite.

By default the cases are few (about a minute on a loaded two-core machine) and derandomized, so
CI always runs the same ones. For a longer run set

    MILKRUN_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py -s

(`test_fuzz_solve` then runs a tenth as many). Hypothesis stops at the first failing case and
shrinks it; to run every case and collect all failures instead, run this file as a script:

    python tests/test_fuzz.py --examples 5000 [--seed 1] [--solve-every 10] [--keep DIR]

which prints the tallies of exit codes at the end (and, with --keep, keeps each failing case
in a folder of its own). The tallies of a pytest run are printed at the end of the module.

The fixed examples at the end (`test_regression_*`) are the failures these runs found, each
asserting its located message.
"""
from __future__ import annotations

import contextlib
import faulthandler
import io
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
MODELS_DIR = REPO / "models"
STDLIB = REPO / "stdlib"

MODELS = ["transport", "routing", "cvrp", "sdvrp", "knapsack2", "knapsack3", "location", "portfolio", "dairy_chain",
          "farm_tanks"]
# The models that solve within about a second (the others run into --time-limit 5)
FAST_SOLVE = ["transport", "knapsack2", "knapsack3", "portfolio", "dairy_chain", "farm_tanks"]

MODEL_FOLDERS = {m: (MODELS_DIR / m).is_dir() for m in MODELS}
EXAMPLES = int(os.environ.get("MILKRUN_FUZZ_EXAMPLES", "0") or 0)
CHECK_EXAMPLES = EXAMPLES or 150
SOLVE_EXAMPLES = max(EXAMPLES // 10, 1) if EXAMPLES else 10
CHECK_TIMEOUT = 60   # seconds for one `milkrun check` case (they take well under a second)
SOLVE_TIMEOUT = 120  # seconds for one `milkrun solve --time-limit 5` case

PROGRESS = re.compile(r"^(highs|scip|pareto)\s+[\d.]+ s \| ")
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): error: \S")


# ------------------------------------------------------------------ choices
class Chooser:
    """Where a case's choices come from. The model, the files and the kinds of mutation are drawn
    by Hypothesis when it runs the case (so a failing case shrinks to fewer and simpler
    mutations); positions in a file come from a random.Random seeded by a drawn number (a draw
    per position would crowd them at the start of the file, where Hypothesis's small numbers
    point). Without Hypothesis, everything comes from the seeded random.Random."""

    def __init__(self, rng=None, data=None):
        self.data = data
        if data is not None:
            import random

            from hypothesis import strategies as st

            rng = random.Random(data.draw(st.integers(0, 2 ** 32 - 1), label="seed"))
        self.rng = rng

    def kind(self, items, label: str):
        """A structural choice: which model, file or mutation."""
        items = list(items)
        if self.data is not None:
            from hypothesis import strategies as st

            return self.data.draw(st.sampled_from(items), label=label)
        return items[self.rng.randrange(len(items))]

    def index(self, n: int) -> int:
        """A whole number in 0 .. n-1: a position (IndexError when there is none)."""
        if n <= 0:
            raise IndexError("nothing to choose from")
        return self.rng.randrange(n)

    def pick(self, items):
        items = list(items)
        return items[self.index(len(items))]


# ------------------------------------------------------------------ a case
@dataclass
class Case:
    """One shipped model and its data as bytes by relative path, and what was done to them."""

    model: str
    files: dict[str, bytes]
    done: list[str] = field(default_factory=list)

    @property
    def model_file(self) -> str:
        return f"{self.model}.mcp"

    def csv_files(self) -> list[str]:
        return sorted(p for p in self.files if p.endswith(".csv"))

    def write(self, folder: Path) -> Path:
        for rel, content in self.files.items():
            p = folder / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(content)
        if (MODELS_DIR / self.model).is_dir():  # the data folder, even when every table was removed
            (folder / self.model).mkdir(exist_ok=True)
        return folder / self.model_file


_ORIGINALS: dict[str, dict[str, bytes]] = {}


def shipped(model: str) -> Case:
    if model not in _ORIGINALS:
        files = {f"{model}.mcp": (MODELS_DIR / f"{model}.mcp").read_bytes()}
        folder = MODELS_DIR / model
        if folder.is_dir():
            for p in sorted(folder.glob("*.csv")):
                files[f"{model}/{p.name}"] = p.read_bytes()
        _ORIGINALS[model] = files
    return Case(model, dict(_ORIGINALS[model]))


def text(content: bytes) -> str:
    return content.decode("utf-8", "surrogateescape")


def raw(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def shown(s: str, n: int = 30) -> str:
    s = repr(s)
    return s if len(s) <= n else s[: n - 3] + "..."


# ------------------------------------------------------------------ model text mutations
TOKEN = re.compile(r'"""[\s\S]*?"""|"[^"\n]*"|\'[^\'\n]*\'|#[^\n]*|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?'
                   r'|[A-Za-z_]\w*|\.\.|[<>=!*+\-]=|\+-|\S')
NAME = re.compile(r"[A-Za-z_]\w*\Z")
NUMBER = re.compile(r"\d")
DECLARED = re.compile(r"^\s*(?:(?:set|param|var|kpi|check|scenario)\s+|(?:minimi[sz]e|maximi[sz]e)\s+)?([A-Za-z_]\w*)",
                      re.M)
KEYWORDS = ["set", "param", "var", "in", "where", "sum", "data", "within", "default", "binary", "integer",
            "minimize", "maximize", "subject to", "if", "then", "else", "and", "or", "not", "union", "diff",
            "inter", "tour", "kpi", "check", "scenario", "uncertain", "design", "include", "model", "ord",
            "max", "min", "euclid", "Ints", "Reals", "Any", "*", "(", ")", "[", "]", "{", "}", ",", ":", ";",
            "..", "=", "==", "!=", "<=", ">=", "<", ">", "+", "-", "/", "^", "+-", "'", '"', '"""', "1", "0",
            "-1", "x", "'x'"]
NUMBERS = ["-1", "0", "1e309", "nan", "inf", "-0", "1e-320", "99999999999999999999999", "1.5", "0.0", "2",
           "1e308", "-1e309", "1.7976931348623157e308", "0.5", "-2.5", "100000", "1" + "0" * 400,
           "100000000000000000001"]
OPERATORS = ["<=", ">=", "==", "!=", "<", ">", "=", "+", "-", "*", "/", "^", "..", "in", "+-"]


def tokens(s: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in TOKEN.finditer(s) if not m.group().startswith("#")]


def declared_names(s: str) -> list[str]:
    words = {"set", "param", "var", "kpi", "check", "scenario", "subject", "model", "include", "data", "minimize",
             "maximize", "minimise", "maximise"}
    names = {m.group(1) for m in DECLARED.finditer(s)} - words
    # only names that are followed by something declaration-like somewhere
    return sorted(n for n in names if re.search(rf"\b(set|param|var|kpi|check|scenario|minimi[sz]e|maximi[sz]e)\s+"
                                                rf"{n}\b|^\s*{n}\s*[\[:]", s, re.M))


def near_miss(choose: Chooser, name: str) -> str:
    """`name` with one letter changed (substituted, dropped, added, swapped or its case flipped)."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789"
    for _ in range(5):
        i = choose.index(len(name))
        how = choose.index(5)
        if how == 0:
            new = name[:i] + choose.pick(letters) + name[i + 1:]
        elif how == 1 and len(name) > 1:
            new = name[:i] + name[i + 1:]
        elif how == 2:
            new = name[:i] + choose.pick(letters) + name[i:]
        elif how == 3 and i + 1 < len(name):
            new = name[:i] + name[i + 1] + name[i] + name[i + 2:]
        else:
            new = name[:i] + name[i].swapcase() + name[i + 1:]
        if new != name:
            return new
    return name + "x"


def _toks(case: Case, path: str):
    s = text(case.files[path])
    return s, tokens(s)


def m_delete_token(choose, case, path):
    s, toks = _toks(case, path)
    a, b, t = choose.pick(toks)
    case.files[path] = raw(s[:a] + s[b:])
    return f"delete token {shown(t)} at offset {a}"


def m_duplicate_token(choose, case, path):
    s, toks = _toks(case, path)
    a, b, t = choose.pick(toks)
    case.files[path] = raw(s[:b] + " " + t + s[b:])
    return f"duplicate token {shown(t)} at offset {a}"


def m_swap_adjacent(choose, case, path):
    s, toks = _toks(case, path)
    k = choose.index(len(toks) - 1)
    (a1, b1, t1), (a2, b2, t2) = toks[k], toks[k + 1]
    case.files[path] = raw(s[:a1] + t2 + s[b1:a2] + t1 + s[b2:])
    return f"swap tokens {shown(t1)} and {shown(t2)} at offset {a1}"


def m_swap_tokens(choose, case, path):
    s, toks = _toks(case, path)
    i, j = sorted((choose.index(len(toks)), choose.index(len(toks))))
    if i == j:
        return m_swap_adjacent(choose, case, path)
    (a1, b1, t1), (a2, b2, t2) = toks[i], toks[j]
    case.files[path] = raw(s[:a1] + t2 + s[b1:a2] + t1 + s[b2:])
    return f"swap tokens {shown(t1)} at offset {a1} and {shown(t2)} at offset {a2}"


def m_replace_token(choose, case, path):
    s, toks = _toks(case, path)
    a, b, t = choose.pick(toks)
    new = choose.pick(KEYWORDS) if choose.index(2) else choose.pick(toks)[2]
    case.files[path] = raw(s[:a] + new + s[b:])
    return f"replace token {shown(t)} at offset {a} by {shown(new)}"


def m_insert_token(choose, case, path):
    s, toks = _toks(case, path)
    a, b, t = choose.pick(toks)
    new = choose.pick(KEYWORDS)
    case.files[path] = raw(s[:a] + new + " " + s[a:])
    return f"insert {shown(new)} before {shown(t)} at offset {a}"


def m_operator(choose, case, path):
    s, toks = _toks(case, path)
    ops = [x for x in toks if x[2] in OPERATORS]
    if not ops:
        return m_replace_token(choose, case, path)
    a, b, t = choose.pick(ops)
    new = choose.pick(OPERATORS)
    case.files[path] = raw(s[:a] + new + s[b:])
    return f"operator {shown(t)} at offset {a} -> {shown(new)}"


def m_near_miss_name(choose, case, path):
    s, toks = _toks(case, path)
    names = declared_names(s)
    name = choose.pick(names)
    uses = [x for x in toks if x[2] == name]
    a, b, _ = choose.pick(uses)
    new = near_miss(choose, name)
    case.files[path] = raw(s[:a] + new + s[b:])
    return f"near-miss name {name!r} -> {new!r} at offset {a}"


def m_rename_everywhere(choose, case, path):
    s, toks = _toks(case, path)
    name = choose.pick(declared_names(s))
    new = near_miss(choose, name)
    case.files[path] = raw(re.sub(rf"\b{name}\b", new, s))
    return f"rename {name!r} -> {new!r} everywhere in the model"


def m_number(choose, case, path):
    s, toks = _toks(case, path)
    nums = [x for x in toks if NUMBER.match(x[2])]
    if not nums:
        return m_insert_token(choose, case, path)
    a, b, t = choose.pick(nums)
    new = choose.pick(NUMBERS)
    case.files[path] = raw(s[:a] + new + s[b:])
    return f"number {t} at offset {a} -> {new}"


def m_swap_indices(choose, case, path):
    s = text(case.files[path])
    spots = []
    for m in re.finditer(r"[A-Za-z_]\w*\[", s):
        depth, items, start = 0, [], m.end()
        for k in range(m.end(), len(s)):
            ch = s[k]
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                if depth == 0:
                    items.append((start, k))
                    break
                depth -= 1
            elif ch == "," and depth == 0:
                items.append((start, k))
                start = k + 1
        if len(items) >= 2:
            spots.append(items)
    if not spots:
        return m_swap_tokens(choose, case, path)
    items = choose.pick(spots)
    i, j = sorted((choose.index(len(items)), choose.index(len(items))))
    if i == j:
        i, j = (0, 1) if i == 0 else (i - 1, i)
    (a1, b1), (a2, b2) = items[i], items[j]
    x1, x2 = s[a1:b1].strip(), s[a2:b2].strip()
    case.files[path] = raw(s[:a1] + (" " if i else "") + x2 + s[b1:a2] + " " + x1 + s[b2:])
    return f"swap subscript items {shown(x1)} and {shown(x2)} at offset {a1}"


def m_string(choose, case, path):
    """A letter of a quoted string changed: an include's module, an element, a description."""
    s, toks = _toks(case, path)
    strings = [x for x in toks if x[2][:1] in "'\"" and len(x[2]) > 2 and not x[2].startswith('"""')]
    a, b, t = choose.pick(strings)
    new = t[0] + near_miss(choose, t[1:-1]) + t[-1]
    case.files[path] = raw(s[:a] + new + s[b:])
    return f"string {shown(t)} at offset {a} -> {shown(new)}"


SNIPPETS = [
    'include "planar_network"', 'include "no_such_module"', 'include "../../etc/passwd"', 'include "/"',
    'include "{file}"', "data {{ {name} = 1 }}", "data {{ {name} = {{a, b}} }}", "data {{ {name} = {{1: 2}} }}",
    'data {name} """\n{name},x\n1,2\n"""', 'data {name} """\n"""', "set {name} = {{a}}", "set {name}",
    "param {name} default 1", "param {name}[{name}] = 1", "var {name} >= 0", "var v_[{name}] binary",
    "kpi k_: {name}", "kpi k_[i in {name}]: i", 'check c_: {name} > 0 else "{{{name}}}"',
    'check c_[i in {name}]: 1 > 2 else "{{i}} {{{name}[i]}}"', "scenario s_: {name} = 1",
    "scenario s_: {name} *= 2", "minimize o_: {name}", "maximize o_: sum(i in {name}) 1",
    "r_[i in {name}]: {name}[i] >= 1", "r_: {name} <= 1", "r_: tour({name}[*, *], start = {name})",
    "r_[i in {name} where i != i]: 0 >= 1", "set S_ = {name} * {name}", "set S_ = {name} diff {name}",
    "param p_[i in {name}, j in {name}] = if i == j then 1 else 1 / 0", "param p_ = card({name}) / 0",
    "param p_ = sum(i in {name}) ord(i)", "param p_ = max(i in {name}) 1", "set S_ = 1..{name}",
    "param p_ = log(0) + sqrt(-1) + exp(1000)", "param p_ in {name} default nowhere",
    "param p_[i in {name}] uncertain +- 1 = 1", "var w_[{name}] design",
]


def m_snippet(choose, case, path):
    """A statement written with one of the model's names, at a line start: it may read, or not."""
    s = text(case.files[path])
    names = declared_names(s) or ["x"]
    snippet = choose.pick(SNIPPETS).format(name=choose.pick(names), file=case.model_file)
    lines = s.splitlines(keepends=True)
    i = choose.index(len(lines) + 1)
    case.files[path] = raw("".join(lines[:i] + [snippet + "\n"] + lines[i:]))
    return f"insert {shown(snippet, 60)} before line {i + 1}"


# ------------------------------------------------------------------ line mutations (any text file)
def _lines(case, path):
    return text(case.files[path]).splitlines(keepends=True)


def m_drop_lines(choose, case, path):
    lines = _lines(case, path)
    if not lines:
        return m_insert_bytes(choose, case, path)
    i = choose.index(len(lines))
    n = 1 + choose.index(3)
    case.files[path] = raw("".join(lines[:i] + lines[i + n:]))
    return f"drop lines {i + 1}..{min(i + n, len(lines))}"


def m_duplicate_line(choose, case, path):
    lines = _lines(case, path)
    if not lines:
        return m_insert_bytes(choose, case, path)
    i = choose.index(len(lines))
    line = lines[i] if lines[i].endswith("\n") else lines[i] + "\n"
    case.files[path] = raw("".join(lines[:i] + [line] + lines[i:]))
    return f"repeat line {i + 1}"


def m_swap_lines(choose, case, path):
    lines = _lines(case, path)
    if len(lines) < 2:
        return m_duplicate_line(choose, case, path)
    i, j = choose.index(len(lines)), choose.index(len(lines))
    lines = [line if line.endswith("\n") else line + "\n" for line in lines]
    lines[i], lines[j] = lines[j], lines[i]
    case.files[path] = raw("".join(lines))
    return f"swap lines {i + 1} and {j + 1}"


def m_insert_char(choose, case, path):
    s = text(case.files[path])
    k = choose.index(len(s) + 1)
    ch = choose.pick(['"', "'", "#", "[", "]", "(", ")", "{", "}", ",", "\t", "\n", ";", ":", " ", "\\", "é", "\u00a0",
                      "\u200b", "\u2013", "→", "\U0001F404", "\r", "\x00", "\x1b", '"""'])
    case.files[path] = raw(s[:k] + ch + s[k:])
    return f"insert {ch!r} at offset {k}"


# ------------------------------------------------------------------ CSV mutations
CELLS = ["-1", "0", "1e309", "-1e309", "1e308", "-1.7976931348623157e308", "1e20", "nan", "NaN", "inf", "", " ",
         "abc", "1.5", "-0", "1e-320", "2.5e",
         "99999999999999999999999", "1" + "0" * 400, "0x10", "1,5", "true", "\"x\"", "'x'", "NA", "null", "1_000",
         "１", " 3 "]


def _rows(case, path):
    lines = _lines(case, path)
    return lines, [line.rstrip("\r\n").split(",") for line in lines]


def _put_row(lines, i, cells):
    end = lines[i][len(lines[i].rstrip("\r\n")):]
    lines[i] = ",".join(cells) + end


def m_short_row(choose, case, path):
    lines, rows = _rows(case, path)
    if not lines:
        return m_insert_bytes(choose, case, path)
    i = choose.index(len(rows))
    j = choose.index(len(rows[i]))
    cells = rows[i][:j] + rows[i][j + 1:]
    _put_row(lines, i, cells)
    case.files[path] = raw("".join(lines))
    return f"remove cell {j + 1} of line {i + 1}"


def m_long_row(choose, case, path):
    lines, rows = _rows(case, path)
    if not lines:
        return m_insert_bytes(choose, case, path)
    i = choose.index(len(rows))
    j = choose.index(len(rows[i]) + 1)
    cells = rows[i][:j] + [choose.pick(CELLS + ["x", "1"])] + rows[i][j:]
    _put_row(lines, i, cells)
    case.files[path] = raw("".join(lines))
    return f"add a cell at {j + 1} of line {i + 1}"


def m_cell(choose, case, path):
    lines, rows = _rows(case, path)
    if not lines:
        return m_insert_bytes(choose, case, path)
    i = choose.index(len(rows))
    j = choose.index(len(rows[i]))
    new = choose.pick(CELLS)
    old = rows[i][j]
    rows[i][j] = new
    _put_row(lines, i, rows[i])
    case.files[path] = raw("".join(lines))
    return f"cell {i + 1}:{j + 1} {shown(old)} -> {shown(new)}"


def m_cell_near_miss(choose, case, path):
    lines, rows = _rows(case, path)
    if not lines:
        return m_insert_bytes(choose, case, path)
    i = choose.index(len(rows))
    j = 0 if choose.index(2) else choose.index(len(rows[i]))  # keys and header names most often
    old = rows[i][j]
    rows[i][j] = near_miss(choose, old) if old else "x"
    _put_row(lines, i, rows[i])
    case.files[path] = raw("".join(lines))
    return f"cell {i + 1}:{j + 1} {shown(old)} -> {shown(rows[i][j])}"


def m_swap_cells(choose, case, path):
    lines, rows = _rows(case, path)
    if not lines:
        return m_insert_bytes(choose, case, path)
    i = choose.index(len(rows))
    a, b = choose.index(len(rows[i])), choose.index(len(rows[i]))
    rows[i][a], rows[i][b] = rows[i][b], rows[i][a]
    _put_row(lines, i, rows[i])
    case.files[path] = raw("".join(lines))
    return f"swap cells {a + 1} and {b + 1} of line {i + 1}"


def m_semicolons(choose, case, path):
    case.files[path] = case.files[path].replace(b",", b";")
    return "';' for ','"


def m_blank_line(choose, case, path):
    lines = _lines(case, path)
    i = choose.index(len(lines) + 1)
    blank = choose.pick(["\n", ",\n", " \n", ",,\n", "\t\n"])
    case.files[path] = raw("".join(lines[:i] + [blank] + lines[i:]))
    return f"insert line {blank!r} before line {i + 1}"


def m_empty_file(choose, case, path):
    lines = _lines(case, path)
    keep = choose.pick(["", "header"])
    case.files[path] = raw(lines[0] if keep and lines else "")
    return "keep only the header" if keep else "empty the file"


def m_remove_file(choose, case, path):
    del case.files[path]
    return "remove the file"


def m_rename_file(choose, case, path):
    stem = path.rsplit("/", 1)[1][:-4]
    new = f"{case.model}/{near_miss(choose, stem)}.csv"
    case.files[new] = case.files.pop(path)
    return f"rename the file to {new}"


# ------------------------------------------------------------------ byte and encoding mutations (any file)
def m_latin1(choose, case, path):
    s = text(case.files[path])
    if all(ord(c) < 128 for c in s):  # give it an accent to encode
        toks = [x for x in tokens(s) if NAME.match(x[2])] or tokens(s)
        a, b, t = choose.pick(toks) if toks else (0, 0, "")
        s = s[:b] + "é" + s[b:]
    case.files[path] = s.encode("latin-1", "replace")
    return "re-encode as Latin-1"


def m_utf16(choose, case, path):
    case.files[path] = text(case.files[path]).encode(choose.pick(["utf-16", "utf-16-le", "utf-32"]), "surrogatepass")
    return "re-encode as UTF-16/32"


def m_bom(choose, case, path):
    case.files[path] = b"\xef\xbb\xbf" + case.files[path]
    return "add a UTF-8 byte-order mark"


def m_crlf(choose, case, path):
    how = choose.index(3)
    content = case.files[path].replace(b"\r\n", b"\n")
    case.files[path] = [content.replace(b"\n", b"\r\n"), content.replace(b"\n", b"\r"), content + b"\n\n"][how]
    return ["CRLF line ends", "CR line ends", "extra blank lines at the end"][how]


def m_insert_bytes(choose, case, path):
    content = case.files[path]
    k = choose.index(len(content) + 1)
    junk = choose.pick([b"\x00", b"\xff", b"\xc3", b"\x80\x81", b"\xed\xa0\x80", b"\xfe\xff", b"\xe2\x82",
                        b"\x1a", b"\x7f", bytes(range(0xf0, 0xf8))])
    case.files[path] = content[:k] + junk + content[k:]
    return f"insert bytes {junk!r} at byte {k}"


def m_truncate(choose, case, path):
    content = case.files[path]
    k = choose.index(len(content) + 1)
    case.files[path] = content[:k]
    return f"cut the file at byte {k}"


MODEL_MUTATIONS = [
    (m_delete_token, 4), (m_duplicate_token, 3), (m_swap_adjacent, 2), (m_swap_tokens, 2), (m_replace_token, 3),
    (m_insert_token, 2), (m_operator, 2), (m_near_miss_name, 5), (m_rename_everywhere, 2), (m_number, 4),
    (m_swap_indices, 4), (m_drop_lines, 3), (m_duplicate_line, 2), (m_swap_lines, 1), (m_insert_char, 3),
    (m_latin1, 1), (m_utf16, 1), (m_bom, 1), (m_crlf, 1), (m_insert_bytes, 1), (m_truncate, 1), (m_string, 2),
    (m_snippet, 5),
]
CSV_MUTATIONS = [
    (m_short_row, 4), (m_long_row, 2), (m_cell, 6), (m_cell_near_miss, 4), (m_swap_cells, 2), (m_drop_lines, 3),
    (m_duplicate_line, 2), (m_swap_lines, 2), (m_semicolons, 1), (m_blank_line, 1), (m_empty_file, 1),
    (m_remove_file, 1), (m_rename_file, 1), (m_insert_char, 2), (m_latin1, 1), (m_utf16, 1), (m_bom, 1),
    (m_crlf, 1), (m_insert_bytes, 1), (m_truncate, 1),
]


# For solves: mutations after which the model most often still reads, so that the build and
# the solve see odd data and odd formulas (not only the parser)
SOLVE_MODEL_MUTATIONS = [(m_number, 4), (m_swap_indices, 4), (m_operator, 2), (m_near_miss_name, 1),
                         (m_drop_lines, 1), (m_duplicate_line, 1), (m_snippet, 2)]
SOLVE_CSV_MUTATIONS = [(m_cell, 6), (m_short_row, 2), (m_swap_cells, 2), (m_drop_lines, 2), (m_duplicate_line, 1),
                       (m_cell_near_miss, 2), (m_long_row, 1)]


def weighted(mutations):
    return [m for m, w in mutations for _ in range(w)]


MODEL_POOL, CSV_POOL = weighted(MODEL_MUTATIONS), weighted(CSV_MUTATIONS)
POOLS = {"check": (MODEL_POOL, CSV_POOL), "solve": (weighted(SOLVE_MODEL_MUTATIONS), weighted(SOLVE_CSV_MUTATIONS))}


def mutate(choose: Chooser, case: Case, count: int, command: str = "check") -> Case:
    model_pool, csv_pool = POOLS[command]
    for _ in range(count):
        csvs = case.csv_files()
        on_model = not csvs or choose.kind([True, True, True, False, False], "on the model file")
        path = case.model_file if on_model else choose.kind(csvs, "table")
        pool = model_pool if on_model else csv_pool
        if not case.files[path].strip():
            pool = [m_insert_char, m_insert_bytes]
        mutation = choose.kind(pool, "mutation")
        try:
            what = mutation(choose, case, path)
        except IndexError:  # nothing of the kind in this file (no tokens, no names): a blunt change instead
            what = m_insert_bytes(choose, case, path)
        case.done.append(f"{path}: {what}")
    return case


def draw_case(choose: Chooser, models=MODELS, command: str = "check") -> Case:
    case = shipped(choose.kind(models, "model"))
    counts = [1, 1, 1, 2, 2, 3] if command == "check" else [1]
    return mutate(choose, case, choose.kind(counts, "mutations"), command)


# ------------------------------------------------------------------ running a case
class Hung(BaseException):
    """A case ran past its time limit (a BaseException, so milkrun's `except Exception` lets it through)."""


@contextlib.contextmanager
def time_limit(seconds: int):
    def ring(signum, frame):
        raise Hung(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    # if Python never gets control back (a hang in C code): a traceback and the process ends
    faulthandler.dump_traceback_later(seconds * 3, exit=True, file=sys.__stderr__)
    try:
        yield
    finally:
        signal.alarm(0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, old)


@dataclass
class Outcome:
    code: int
    out: str
    err: str
    seconds: float
    warned: list[str]


def run_in_process(args: list[str], timeout: int) -> Outcome:
    from milkrun.compiler.cli.command import main

    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # what pyproject's pytest settings ignore: milkrun pins linopy's semantics on purpose
        warnings.filterwarnings("ignore", message=".*linopy.*semantics.*")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), time_limit(timeout):
                try:
                    code = main(args)
                except SystemExit as e:
                    code = e.code
        except Hung as e:
            code = -1
            err.write(f"hung: {e}\n")
    warned = [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in caught
              if "LinopySemanticsWarning" not in w.category.__name__]
    return Outcome(code, out.getvalue(), err.getvalue(), time.perf_counter() - start, warned)


def problems(case: Case, folder: Path, outcome: Outcome) -> list[str]:
    """What is wrong with an outcome: an empty list when milkrun answered as it should."""
    found = []
    if outcome.code not in (0, 1, 2):
        found.append("hung" if outcome.code == -1 else f"exit code {outcome.code}")
    both = outcome.out + outcome.err
    for word in ("Traceback", "internal error"):
        if word in both:
            found.append(f"{word!r} in the output")
    if outcome.code == 2:
        # the lines of a solve's progress (compiler/solve/progress.py, every 5 s) may come before the message
        lines = [line for line in outcome.err.splitlines() if not PROGRESS.match(line)]
        first = lines[0] if lines else ""
        m = LOCATED.match(first)
        if not m:
            found.append(f"exit 2 without a located message: {first!r}")
        else:
            where = Path(m["file"])
            inside = [folder.resolve(), STDLIB.resolve()]
            try:
                resolved = where.resolve()
                ok = where.is_file() and any(resolved.is_relative_to(d) for d in inside)
            except OSError:
                ok = False
            if not ok:
                found.append(f"located in {where}, not one of the case's files")
            else:
                lines = len(re.findall(rb"\r\n|\r|\n", where.read_bytes())) + 1
                if not 1 <= int(m["line"]) <= lines + 1 or int(m["column"]) < 1:
                    found.append(f"line {m['line']} column {m['column']} outside {where} ({lines} lines)")
    if outcome.warned:
        found.append("a Python warning reached the user: " + outcome.warned[0])
    return found


def run_case(case: Case, base: Path, command: str = "check", keep_failed: bool = True):
    """Write the case under `base`, run `milkrun COMMAND` on it in this process; (outcome, problems, folder)."""
    folder = Path(tempfile.mkdtemp(prefix=f"{case.model}-", dir=base))
    model = case.write(folder)
    args = [command, str(model)] + (["--time-limit", "5"] if command == "solve" else [])
    outcome = run_in_process(args, SOLVE_TIMEOUT if command == "solve" else CHECK_TIMEOUT)
    found = problems(case, folder, outcome)
    if not found or not keep_failed:
        shutil.rmtree(folder, ignore_errors=True)
    return outcome, found, folder


def describe(case: Case, outcome: Outcome, found: list[str], folder: Path) -> str:
    return "\n".join([f"model {case.model}, in {folder}", *(f"  {d}" for d in case.done),
                      f"exit {outcome.code} after {outcome.seconds:.2f} s", *(f"PROBLEM: {p}" for p in found),
                      "--- stderr:", outcome.err[-3000:], "--- stdout:", outcome.out[-1500:]])


# ------------------------------------------------------------------ the fuzz tests
TALLY: Counter = Counter()
MODELS_RUN: Counter = Counter()
SECONDS: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def print_tally(request):
    start = time.perf_counter()
    yield
    if not TALLY:
        return
    line = summary(TALLY, SECONDS, time.perf_counter() - start)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        if reporter is not None:
            reporter.write_line("")
            reporter.write_line(line)
        else:
            print(line)


def summary(tally: Counter, seconds: Counter, wall: float) -> str:
    parts = []
    for command in ("check", "solve", "console"):
        n = sum(v for (c, _), v in tally.items() if c == command)
        if n:
            codes = ", ".join(f"exit {code}: {v}" for (c, code), v in sorted(tally.items()) if c == command)
            parts.append(f"{command}: {n} cases ({codes}; {seconds[command]:.0f} s)")
    return "fuzz: " + "; ".join(parts) + f"; {wall:.0f} s in all"


def fuzz_settings(examples: int):
    from hypothesis import HealthCheck, Phase, settings

    return settings(max_examples=examples, derandomize=True, database=None, deadline=None, print_blob=False,
                    phases=[Phase.explicit, Phase.generate, Phase.shrink],
                    suppress_health_check=list(HealthCheck))


def fuzz_one(data, base: Path, command: str, models):
    from hypothesis import note

    case = draw_case(Chooser(data=data), models, command)
    outcome, found, folder = run_case(case, base, command)
    TALLY[command, outcome.code] += 1
    SECONDS[command] += outcome.seconds
    MODELS_RUN[case.model] += 1
    note(describe(case, outcome, found, folder))
    assert not found, describe(case, outcome, found, folder)


def test_fuzz_check(tmp_path_factory):
    pytest.importorskip("hypothesis")
    from hypothesis import given, strategies as st

    base = tmp_path_factory.mktemp("fuzz_check")

    @fuzz_settings(CHECK_EXAMPLES)
    @given(st.data())
    def fuzz(data):
        fuzz_one(data, base, "check", MODELS)

    fuzz()


def test_fuzz_solve(tmp_path_factory):
    pytest.importorskip("hypothesis")
    from hypothesis import given, strategies as st

    base = tmp_path_factory.mktemp("fuzz_solve")

    @fuzz_settings(SOLVE_EXAMPLES)
    @given(st.data())
    def fuzz(data):
        fuzz_one(data, base, "solve", FAST_SOLVE if not EXAMPLES else MODELS)

    fuzz()


@pytest.mark.parametrize("seed", [3, 11, 12])
def test_fuzz_console_script(seed, tmp_path, milkrun_process):
    """A few cases through the real `milkrun` command: it answers as `main` does in this process."""
    import random

    case = draw_case(Chooser(rng=random.Random(seed)), ["transport", "knapsack2", "portfolio"])
    inside, found, folder = run_case(case, tmp_path, "check")
    assert not found, describe(case, inside, found, folder)
    model = case.write(tmp_path / "console")
    result = milkrun_process("check", model, timeout=CHECK_TIMEOUT * 2)
    TALLY["console", result.returncode] += 1
    outcome = Outcome(result.returncode, result.stdout, result.stderr, 0.0, [])
    found = problems(case, tmp_path / "console", outcome)
    assert not found, describe(case, outcome, found, tmp_path / "console")
    assert result.returncode == inside.code
    assert result.stderr.replace(str(tmp_path / "console"), "") == inside.err.replace(str(folder), "")


def test_the_mutations_change_the_files():
    """Every mutation applies to every shipped model and its tables and changes them (within a few
    tries: a swap may meet two equal tokens), else the fuzzer would test nothing."""
    import random

    rng = random.Random(0)

    def changes(mutation, model, pick):
        for _ in range(8):
            case = shipped(model)
            before = dict(case.files)
            mutation(Chooser(rng=rng), case, pick(case))
            if case.files != before:
                return True
        return False

    for model in MODELS:
        for mutation in dict(MODEL_MUTATIONS):
            assert changes(mutation, model, lambda case: case.model_file), (model, mutation.__name__)
        for mutation in dict(CSV_MUTATIONS):
            if MODEL_FOLDERS.get(model):
                assert changes(mutation, model, lambda case: rng.choice(case.csv_files())), (model, mutation.__name__)


# ------------------------------------------------------------------ regressions: the failures the fuzzer found
def fixed(model: str, **changes: bytes | None) -> Case:
    """A shipped model with some files replaced (None removes one)."""
    case = shipped(model)
    for rel, content in changes.items():
        rel = rel.replace("__", "/").replace("_mcp", ".mcp").replace("_csv", ".csv")
        if content is None:
            del case.files[rel]
        else:
            case.files[rel] = content
    return case


def edited(model: str, rel: str, old: str, new: str, count: int = 1) -> Case:
    case = shipped(model)
    s = text(case.files[rel])
    assert old in s, (rel, old)
    case.files[rel] = raw(s.replace(old, new, count))
    return case


def position(case: Case, rel: str, needle: str, after: int = 0) -> tuple[int, int]:
    """(line, column) of the first `needle` in a case's file, the column `after` characters on
    (so that the tests follow the shipped models when their lines move)."""
    s = text(case.files[rel])
    k = s.index(needle) + after
    return s.count("\n", 0, k) + 1, k - s.rfind("\n", 0, k)


def located_at(case: Case, tmp_path: Path, rel: str, line: int, column: int, *words: str, command="check"):
    """Run the case: exit 2, the first line of stderr is `FILE:LINE:COLUMN: error:` and holds `words`."""
    outcome, found, folder = run_case(case, tmp_path, command)
    assert not found, describe(case, outcome, found, folder)
    assert outcome.code == 2, describe(case, outcome, found, folder)
    first = outcome.err.splitlines()[0]
    assert first.startswith(f"{folder / rel}:{line}:{column}: error:"), outcome.err
    for w in words:
        assert w in outcome.err, f"{w!r} not in:\n{outcome.err}"
    return outcome.err


def test_regression_model_file_in_latin1_is_located_at_its_byte(tmp_path):
    """Was `error: model file '…' is not UTF-8 text (invalid continuation byte at byte 807)`, unlocated."""
    case = shipped("transport")
    case.files["transport.mcp"] = raw(text(case.files["transport.mcp"]).replace("cases shipped", "caisses expédiées"))
    at = position(case, "transport.mcp", "é")
    case.files["transport.mcp"] = text(case.files["transport.mcp"]).encode("latin-1")
    located_at(case, tmp_path, "transport.mcp", *at, "not UTF-8", "byte 0xe9", "Latin-1", "iconv -f LATIN1")


def test_regression_model_file_with_random_bytes_or_utf16_is_located(tmp_path):
    case = shipped("knapsack2")
    s = case.files["knapsack2.mcp"]
    at = position(case, "knapsack2.mcp", "set Items")
    case.files["knapsack2.mcp"] = s[:s.index(b"set Items")] + b"\x80\x81" + s[s.index(b"set Items"):]
    located_at(case, tmp_path, "knapsack2.mcp", *at, "not UTF-8", "byte 0x80")
    case.files["knapsack2.mcp"] = text(s).encode("utf-16")
    located_at(case, tmp_path, "knapsack2.mcp", 1, 1, "not UTF-8", "UTF-16")
    case.files["knapsack2.mcp"] = s.replace(b"set Items", b"set\0Items")
    located_at(case, tmp_path, "knapsack2.mcp", at[0], at[1] + 3, "NUL byte")
    case.files["knapsack2.mcp"] = b"\xef\xbb\xbf" + s  # a byte-order mark is dropped, as in CSV tables
    outcome, found, folder = run_case(case, tmp_path)
    assert outcome.code == 0 and not found, describe(case, outcome, found, folder)


def test_regression_a_kpi_subscript_off_its_domain_is_found_by_check(tmp_path):
    """`share[k, i]` (indices swapped) in a kpi passed `milkrun check` and failed only after the
    solve, behind its progress lines; kpis were then evaluated over unknowns when the model is built,
    and now the checker refuses it before any data: its positions are over Farms and Vehicles."""
    case = edited("routing", "routing.mcp", "100 * share[i, k]", "100 * share[k, i]")
    located_at(case, tmp_path, "routing.mcp", *position(case, "routing.mcp", "share[k, i]", after=len("share[")),
               "index 'k' ranges over Vehicles, but position 1 of 'share' is over Farms")


def test_regression_checking_kpis_before_the_solve_leaves_value_checks_to_the_solution(tmp_path):
    """Over unknowns a sum is 0: `… / installed` (a kpi of variables) is no division by zero yet."""
    outcome, found, folder = run_case(shipped("location"), tmp_path)
    assert outcome.code == 0 and not found, describe(shipped("location"), outcome, found, folder)


@pytest.mark.parametrize("key", ["1e309", "99999999999999999999999", "1e20"])
def test_regression_a_set_key_beyond_int64_is_an_element(tmp_path, key):
    """A column of keys with '1e309' was cast to int64: internal error IntCastingNaNError."""
    case = shipped("knapsack2")
    case.files["knapsack2/Resources.csv"] = f"Resources\n1\n{key}\n".encode()
    located_at(case, tmp_path, "knapsack2/weight.csv", 3, 1, "'2' is not an element of Resources")


def test_regression_a_range_from_a_huge_bound_is_empty(tmp_path):
    """`set Assets = 1e308..n` took the int64 path (only one bound was compared with 2**62):
    internal error 'ValueError: Maximum allowed size exceeded'. It is an empty set, so the model
    reads `0 == 1` (exit 1, located)."""
    case = edited("portfolio", "portfolio.mcp", "set Assets = 1..n", "set Assets = 1e308..n")
    outcome, found, folder = run_case(case, tmp_path)
    assert outcome.code == 1 and not found, describe(case, outcome, found, folder)
    line, column = position(case, "portfolio.mcp", "all_in")
    assert outcome.err.startswith(f"{folder / 'portfolio.mcp'}:{line}:{column}: infeasible:"), outcome.err


@pytest.mark.parametrize("members", ["{}", "5..1", "{1, 2.5}", "{1, 100000000000000000001}"])
def test_regression_a_formula_over_numbers_kept_as_objects_is_numbers(tmp_path, members):
    """An empty set, or numbers of mixed kinds, are kept as objects: a parameter computed from
    the index (`= i * 2`) was an object array and its checks failed with 'internal error:
    TypeError: ufunc isnan not supported'."""
    case = edited("portfolio", "portfolio.mcp", "set Assets = 1..n", f"set Assets = {members}")
    outcome, found, folder = run_case(case, tmp_path)
    assert not found, describe(case, outcome, found, folder)
    if members == "{1, 2.5}":
        assert outcome.code == 0, describe(case, outcome, found, folder)


def test_regression_an_element_of_400_digits_is_located(tmp_path):
    """`{1000…0}` (400 digits): math.isfinite(10**400) overflowed in the parser, an internal error."""
    case = edited("portfolio", "portfolio.mcp", "set Assets = 1..n", "set Assets = {1, 1" + "0" * 400 + "}")
    located_at(case, tmp_path, "portfolio.mcp", *position(case, "portfolio.mcp", "{1, 1", after=4),
               "is too large: numbers go up to about 1.8e308")


def test_regression_a_wide_header_past_64_bits_is_an_element(tmp_path):
    """A wide table's header `…,7,99999999999999999999999` was cast to int64: internal error
    'OverflowError: Python int too large to convert to C long'."""
    case = shipped("sdvrp")
    lines = text(case.files["sdvrp/dist.csv"]).splitlines(keepends=True)
    cells = lines[0].rstrip("\r\n").split(",")
    lines[0] = ",".join(cells[:-1] + ["99999999999999999999999"]) + "\n"
    case.files["sdvrp/dist.csv"] = raw("".join(lines))
    located_at(case, tmp_path, "sdvrp/dist.csv", 1, len(",".join(cells[:-1])) + 2,
               "'99999999999999999999999' is not an element of Nodes")


def test_regression_old_mac_line_ends_end_comments(tmp_path):
    """A model with CR line ends was one line to the parser: its first # comment swallowed the rest,
    and the error was about the data. CR and CRLF are now line ends."""
    case = shipped("transport")
    unix = case.files["transport.mcp"]
    case.files["transport.mcp"] = unix.replace(b"\n", b"\r")
    outcome, found, folder = run_case(case, tmp_path)
    assert outcome.code == 0 and not found, describe(case, outcome, found, folder)
    case.files["transport.mcp"] = unix.replace(b"* ship[c, d]", b"* shipp[c, d]")
    at = position(case, "transport.mcp", "shipp[")
    case.files["transport.mcp"] = case.files["transport.mcp"].replace(b"\n", b"\r")
    located_at(case, tmp_path, "transport.mcp", *at, "unknown name 'shipp'", "did you mean 'ship'")

def test_regression_a_sum_that_overflows_is_located_without_numpy_s_warning(tmp_path):
    """`sum(...)` of 1.8e308s: numpy's 'RuntimeWarning: overflow encountered in reduce' reached
    the user before the message, which blamed the parameter's value, not the sum."""
    case = edited("routing", "routing.mcp", "then 0 else 1)", "then 0 else 1.7976931348623157e308)")
    located_at(case, tmp_path, "routing.mcp", *position(case, "routing.mcp", "sum((k2, l) in Compartments)"),
               "this sum is too large for a number (it overflows)")

def test_regression_every_table_removed_is_located_at_a_set_that_needs_data(tmp_path):
    """A data folder left with no .csv file was `error: data folder '…' holds no .csv file`,
    unlocated (and an error even for a model that needs no data)."""
    case = fixed("transport", transport__Centres_csv=None, transport__Dairies_csv=None, transport__distance_csv=None)
    located_at(case, tmp_path, "transport.mcp", *position(case, "transport.mcp", "set Centres"),
               "set 'Centres' has no data", "holds no .csv file")
    (tmp_path / "portfolio").mkdir()  # an empty folder next to a model that needs no data
    shutil.copy(MODELS_DIR / "portfolio.mcp", tmp_path / "portfolio.mcp")
    outcome = run_in_process(["check", str(tmp_path / "portfolio.mcp")], CHECK_TIMEOUT)
    assert outcome.code == 0, outcome.err


# ------------------------------------------------------------------ the script: a long run that keeps going
def _main(argv=None) -> int:
    import argparse
    import random

    p = argparse.ArgumentParser(description="Fuzz milkrun's shipped models; every case is run, failures collected.")
    p.add_argument("--examples", type=int, default=int(os.environ.get("MILKRUN_FUZZ_EXAMPLES", "1000") or 1000))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--solve-every", type=int, default=10, help="also run `solve --time-limit 5` on every N-th case")
    p.add_argument("--keep", type=Path, help="keep each failing case in a folder under this one")
    p.add_argument("--progress", type=int, default=100, help="print the tallies every N cases")
    args = p.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="milkrun-fuzz-"))
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    tally, seconds, failures, start = Counter(), Counter(), [], time.perf_counter()
    for k in range(args.examples):
        rng = random.Random(f"{args.seed}:{k}")
        commands = ["check"] + (["solve"] if args.solve_every and k % args.solve_every == args.solve_every - 1 else [])
        for command in commands:
            case = draw_case(Chooser(rng=rng), MODELS, command)
            outcome, found, folder = run_case(case, base, command)
            tally[command, outcome.code] += 1
            seconds[command] += outcome.seconds
            if found:
                failures.append((k, command, case, found))
                print(f"\n=== case {k} ({command}) fails\n" + describe(case, outcome, found, folder), flush=True)
                if args.keep and folder != base:
                    shutil.move(str(folder), args.keep / f"case{k:05d}-{command}")
        if args.progress and (k + 1) % args.progress == 0:
            print(f"[{k + 1}/{args.examples}] {summary(tally, seconds, time.perf_counter() - start)}; "
                  f"{len(failures)} failing", flush=True)
    shutil.rmtree(base, ignore_errors=True)
    print(f"\n{summary(tally, seconds, time.perf_counter() - start)}")
    print(f"{len(failures)} failing cases" + "".join(f"\n  case {k} ({c}): {f[0]}" for k, c, _, f in failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.path.insert(0, str(TESTS))
    sys.exit(_main())
