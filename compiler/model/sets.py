"""Set values: ordered, duplicate-free members, one pandas index per set.

A set of single elements is a `pd.Index`; a set of tuples (pairs of vehicle and
compartment, say) is a `pd.MultiIndex`. For whole-array compiling a tuple set is also
seen as a boolean mask over the product of its components' distinct values.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from milkrun.dsl.diagnostics import MilkrunError

# The most entries one domain may have: a set, or the combinations of indices a declaration, a
# sum or a filter ranges over. Every array built over a domain (a parameter's values, a
# variable's labels and bounds, a constraint's terms) holds one number or more per entry, so a
# domain past this is refused, with its size, before anything is allocated for it, instead of
# running the machine out of memory. 50 million entries is some gigabytes once a variable and a
# constraint are built over it. Raise it with compile_model(..., max_entries=N) (Instance's
# `max_entries`) or the environment variable MILKRUN_MAX_ENTRIES.
MAX_ENTRIES = 50_000_000
ENV_MAX_ENTRIES = "MILKRUN_MAX_ENTRIES"
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # an element written bare in a subscript


def max_entries(given: int | None = None) -> int:
    """The limit in force: the one given, else MILKRUN_MAX_ENTRIES, else MAX_ENTRIES."""
    if given is not None:
        if isinstance(given, bool) or not isinstance(given, (int, np.integer)) or given < 1:
            raise MilkrunError(f"the limit on entries must be a whole number of at least 1, got {given!r}")
        return int(given)
    text = os.environ.get(ENV_MAX_ENTRIES, "").strip().replace("_", "")
    if not text:
        return MAX_ENTRIES
    try:
        value = float(text)
        ok = math.isfinite(value) and value >= 1 and value == int(value)
    except ValueError:
        ok = False
    if not ok:
        raise MilkrunError(f"{ENV_MAX_ENTRIES} must be a whole number of at least 1, "
                           f"got '{os.environ[ENV_MAX_ENTRIES]}'")
    return int(value)


def check_size(sizes: list[tuple[str, int]], limit: int, span, what: str) -> None:
    """Refuse a domain of more than `limit` entries; `sizes` are (label, count) of its factors."""
    total = math.prod(int(n) for _, n in sizes)
    if total <= limit:
        return
    factors = " × ".join(f"{label}: {n:,}" if label else f"{n:,}" for label, n in sizes)
    detail = f" ({factors})" if len(sizes) > 1 else ""
    raise MilkrunError(f"{what} has {total:,} entries{detail}, more than the limit of {limit:,}", span,
                       hint=f"every array built over it needs memory for each entry; if the machine has it, raise "
                            f"the limit with --max-entries N (or the environment variable {ENV_MAX_ENTRIES})")


def normalize(value):
    """One spelling per element: '3', 3.0 and 3 are the same element 3; other text stays text."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return int(value) if float(value).is_integer() else float(value)
    if isinstance(value, tuple):
        return tuple(normalize(v) for v in value)
    s = str(value).strip()
    try:
        return int(s)
    except ValueError:
        pass
    try:
        f = float(s)
    except ValueError:
        return s
    if not np.isfinite(f):
        return s
    return int(f) if f.is_integer() else f


def element_text(value) -> str:
    """An element as a model writes it in a subscript: bare when it is a number or a plain name
    (`farm3`, `2`), quoted otherwise (`'farm 3'`)."""
    value = normalize(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(element_text(v) for v in value) + ")"
    text = str(value)
    if not isinstance(value, str) or _PLAIN.fullmatch(text):
        return text
    return f"'{text}'" if "'" not in text else f'"{text}"'


def entry_label(name: str, key: tuple) -> str:
    """One entry of a parameter or variable as a model writes it: `yield_per_cow[farm3]`,
    `content[protein, milk]`, `cap` for a scalar."""
    return f"{name}[{', '.join(element_text(k) for k in key)}]" if key else name


def normalize_column(values) -> np.ndarray:
    """Vectorised `normalize` for a column of keys read as text."""
    s = pd.Series(values, dtype=object).str.strip()
    num = pd.to_numeric(s, errors="coerce").astype(float)
    numeric = num.notna().to_numpy()
    # the quick way only where a float holds the number exactly: '1e309' (infinite) stays text and
    # whole numbers past 2**53 stay exact Python integers, as `normalize` makes them
    exact = np.abs(num.to_numpy()) < 2.0 ** 53
    if numeric.all() and exact.all():
        if (num == np.floor(num)).all():
            return num.astype(np.int64).to_numpy()
        return num.to_numpy()
    out = s.to_numpy(dtype=object).copy()
    if numeric.any():  # a mixed column: numbers become numbers, the rest stays text
        out[numeric] = [normalize(v) for v in out[numeric]]
    return out


def make_index(values) -> pd.Index:
    vals = list(values)
    if vals and all(isinstance(v, (int, np.integer)) for v in vals):
        try:
            return pd.Index(np.asarray(vals, dtype=np.int64))
        except OverflowError:  # whole numbers beyond 64 bits stay Python integers
            pass
    return pd.Index(vals, dtype=object)


@dataclass
class SetValue:
    name: str
    members: pd.Index  # pd.Index for arity 1, pd.MultiIndex for tuples

    @property
    def arity(self) -> int:
        return self.members.nlevels if isinstance(self.members, pd.MultiIndex) else 1

    def __len__(self) -> int:
        return len(self.members)

    def component(self, c: int) -> pd.Index:
        """Distinct values of one component, in order of first appearance."""
        if self.arity == 1:
            return self.members
        return make_index(pd.unique(self.members.get_level_values(c)))

    def mask(self, dims: list[str], coords: list[pd.Index] | None = None) -> xr.DataArray:
        """Boolean membership over the product of the components (or of the given coordinates)."""
        coords = coords or [self.component(c) for c in range(self.arity)]
        shape = tuple(len(c) for c in coords)
        out = np.zeros(shape, dtype=bool)
        if self.arity == 1:
            codes = [coords[0].get_indexer(self.members)]
        else:
            codes = [coords[c].get_indexer(self.members.get_level_values(c)) for c in range(self.arity)]
        keep = np.all([k >= 0 for k in codes], axis=0) if codes else np.array([], bool)
        out[tuple(k[keep] for k in codes)] = True
        return xr.DataArray(out, dims=dims, coords={d: c for d, c in zip(dims, coords)})

    def tuples(self) -> list:
        return list(self.members)


def from_elements(name: str, elements: list) -> SetValue:
    """Build a set from literal elements, dropping repeats (first occurrence wins)."""
    elements = [normalize(e) for e in elements]
    if elements and isinstance(elements[0], tuple):
        mi = pd.MultiIndex.from_tuples(elements)
        return SetValue(name, mi[~mi.duplicated()])
    idx = make_index(elements)
    return SetValue(name, idx[~idx.duplicated()])


def from_columns(name: str, columns: list[np.ndarray]) -> SetValue:
    if len(columns) == 1:
        idx = make_index(columns[0])
        return SetValue(name, idx[~idx.duplicated()])
    mi = pd.MultiIndex.from_arrays([make_index(c) for c in columns])
    return SetValue(name, mi[~mi.duplicated()])


def union(a: SetValue, b: SetValue, name="") -> SetValue:
    m = a.members.append(b.members)
    return SetValue(name, m[~m.duplicated()])


def diff(a: SetValue, b: SetValue, name="") -> SetValue:
    return SetValue(name, a.members[~a.members.isin(b.members)])


def inter(a: SetValue, b: SetValue, name="") -> SetValue:
    return SetValue(name, a.members[a.members.isin(b.members)])


def cross(a: SetValue, b: SetValue, name="") -> SetValue:
    left = [a.members.get_level_values(c) for c in range(a.arity)] if a.arity > 1 else [a.members]
    right = [b.members.get_level_values(c) for c in range(b.arity)] if b.arity > 1 else [b.members]
    na, nb = len(a), len(b)
    arrays = [np.repeat(np.asarray(x, dtype=object), nb) for x in left] + [np.tile(np.asarray(x, dtype=object), na) for x in right]
    arrays = [make_index(x) for x in arrays]
    return SetValue(name, pd.MultiIndex.from_arrays(arrays))
