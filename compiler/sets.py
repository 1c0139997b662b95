"""Set values: ordered, duplicate-free members, one pandas index per set.

A set of single elements is a `pd.Index`; a set of tuples (pairs of vehicle and
compartment, say) is a `pd.MultiIndex`. For whole-array compiling a tuple set is also
seen as a boolean mask over the product of its components' distinct values.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr


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


def normalize_column(values) -> np.ndarray:
    """Vectorised `normalize` for a column of keys read as text."""
    s = pd.Series(values, dtype=object).str.strip()
    num = pd.to_numeric(s, errors="coerce")
    numeric = num.notna().to_numpy()
    if numeric.all():
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
        return pd.Index(np.asarray(vals, dtype=np.int64))
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
