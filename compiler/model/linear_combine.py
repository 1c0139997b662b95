"""`a + b`, `a - b` and `data * a` of linopy variables and expressions, built from their arrays in one step.

linopy adds two expressions by merging them: each becomes a Dataset, the two are aligned,
concatenated along the term dimension and their constants summed, through some thirty xarray
steps, each an alignment or a copy. On the small arrays of a routing model (a few hundred rows)
that is 5-15 ms an operation, whatever the size, and a model's rows are mostly such sums and
differences: `visit[i, k] <= visit[depot, k]` is one. When the dimensions the two share carry the
same coordinates, the result is plain: the terms of `a`, then those of `b` (negated for `-`),
each broadcast over the dimensions only the other has, and the constants added (a missing one,
NaN, counting as 0). `combined` builds that directly. A product with data over some of the
dimensions (`dist[i, j] * drive[i, j, k]`, `2 * visit[i, k]`) is as plain: the coefficients and
the constant times the factor broadcast (a missing factor, coefficient or constant counting as 0);
`scaled` builds that.

Both return exactly what linopy returns under the meaning milkrun gives linopy ("legacy"
semantics, linopy_setup.py): tests/test_linear_combine.py compares the two Datasets, dimension
order, dtypes and coordinates included. Anything else (other coordinates on a shared dimension,
a factor with dimensions the expression lacks, a dimension without coordinates, extra
coordinates, a sparse or quadratic expression, another meaning) returns None, and the caller
asks linopy.
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from milkrun.compiler.model.linear_sum import TERM, _legacy
from milkrun.compiler.model.linopy_setup import linopy


def combined(a, b, sign: float):
    """`a + sign * b` (sign 1 or -1) as a linopy LinearExpression, or None when linopy must do it."""
    ta, tb = _terms(a), _terms(b)
    if ta is None or tb is None or a.model is not b.model or not _legacy():
        return None
    dims_a, coords_a, vars_a, coeffs_a, const_a = ta
    dims_b, coords_b, vars_b, coeffs_b, const_b = tb
    if not all(_same_index(coords_a[d], coords_b[d]) for d in set(dims_a) & set(dims_b)):
        return None
    dims = dims_a + tuple(d for d in dims_b if d not in dims_a)
    coords = {**coords_b, **coords_a}
    shape = tuple(len(coords[d]) for d in dims)
    n_a, n_b = vars_a.shape[-1], vars_b.shape[-1]
    # each array written once, into its place: no intermediate copies (the build's peak memory)
    vars_ = np.empty(shape + (n_a + n_b,), dtype=np.result_type(vars_a, vars_b))
    vars_[..., :n_a] = _spread(vars_a, dims_a, dims, shape, True)
    vars_[..., n_a:] = _spread(vars_b, dims_b, dims, shape, True)
    coeffs = np.empty(shape + (n_a + n_b,), dtype=np.result_type(*(c for c in (coeffs_a, coeffs_b) if c is not None),
                                                                 np.float64))
    coeffs[..., :n_a] = 1.0 if coeffs_a is None else _spread(coeffs_a, dims_a, dims, shape, True)
    if coeffs_b is None:
        coeffs[..., n_a:] = sign
    else:
        np.multiply(_spread(coeffs_b, dims_b, dims, shape, True), sign, out=coeffs[..., n_a:])
    const = np.zeros(shape)
    for part, have, factor in ((const_a, dims_a, 1.0), (const_b, dims_b, sign)):
        if part is not None:  # a variable's constant is 0
            part = _missing_as_zero(part)
            const += _spread(part if factor == 1.0 else part * factor, have, dims, shape, False)
    data = xr.Dataset({"coeffs": ((*dims, TERM), coeffs), "vars": ((*dims, TERM), vars_), "const": (dims, const)},
                      coords={d: coords[d] for d in dims})
    return linopy.LinearExpression(data, a.model)


def scaled(x, factor):
    """`x * factor` of a linear value and a number or a DataArray over some of its dimensions (the same
    coordinates), as a linopy LinearExpression; None when linopy must do it. A missing factor (NaN)
    counts as 0, as linopy's legacy meaning has it, and so does a missing coefficient or constant."""
    tx = _terms(x)
    if tx is None or not _legacy():
        return None
    dims, coords, vars_, coeffs, const = tx
    shape = vars_.shape[:-1]
    if isinstance(factor, (bool, np.bool_)) or not isinstance(factor, (int, float, np.integer, np.floating)):
        if not isinstance(factor, xr.DataArray) or factor.dtype.kind not in "fiu" or not _plain_coords(factor):
            return None
        if not set(factor.dims) <= set(dims) or not all(_same_index(factor.indexes[d], coords[d])
                                                         for d in factor.dims):
            return None
        f = _spread(_missing_as_zero(np.asarray(factor.values, dtype=float)), factor.dims, dims, shape, False)
    else:
        f = _missing_as_zero(np.asarray(factor, dtype=float))
    with np.errstate(invalid="ignore", over="ignore"):
        if coeffs is None:  # a variable: its coefficients are the factor
            out = np.empty(vars_.shape)
            out[...] = f[..., np.newaxis]
        else:
            out = _times_missing_as_zero(coeffs, f[..., np.newaxis])
        const = np.zeros(shape) if const is None else _times_missing_as_zero(const, f)
    data = xr.Dataset({"coeffs": ((*dims, TERM), out), "vars": ((*dims, TERM), vars_), "const": (dims, const)},
                      coords={d: coords[d] for d in dims})
    return linopy.LinearExpression(data, x.model)


def _missing_as_zero(values: np.ndarray) -> np.ndarray:
    """`values` with NaN as 0: the same array when it has none (the common case, no copy)."""
    missing = np.isnan(values)
    return np.where(missing, 0.0, values) if missing.any() else values


def _times_missing_as_zero(values: np.ndarray, factor) -> np.ndarray:
    """values * factor, a NaN value counting as 0 (linopy's fillna(0) before its product)."""
    out = values * factor
    missing = np.isnan(values)
    if missing.any():
        out[missing] = (0.0 * np.broadcast_to(factor, out.shape))[missing]
    return out


def _terms(x):
    """(dims, {dim: index}, vars, coeffs, const) of a variable or a dense linear expression whose every
    dimension has coordinates and nothing else; None otherwise. A variable's coefficients (all 1)
    and constant (0) are None: not made unless used."""
    if isinstance(x, linopy.Variable):
        labels = x.labels
        if not _plain_coords(labels):
            return None
        return labels.dims, _indexes(labels), labels.values[..., np.newaxis], None, None
    if type(x) is linopy.LinearExpression and not getattr(x, "is_sparse", True):
        data = x.data
        dims = data.vars.dims
        if not dims or dims[-1] != TERM or data.coeffs.dims != dims or data.const.dims != dims[:-1]:
            return None
        if not _plain_coords(data) or set(data.data_vars) != {"coeffs", "vars", "const"}:
            return None
        return dims[:-1], _indexes(data), data.vars.values, data.coeffs.values, data.const.values
    return None


def _same_index(a, b) -> bool:
    """The same labels in the same order, of the same type: where linopy's alignment would change nothing."""
    return a is b or (a.dtype == b.dtype and a.equals(b))


def _plain_coords(obj) -> bool:
    """Every dimension but the terms has an index, there are no other coordinates, and no multi-index."""
    dims = [d for d in obj.dims if d != TERM]
    return set(obj.coords) == set(dims) and all(d in obj.indexes and obj.indexes[d].nlevels == 1 for d in dims)


def _indexes(obj) -> dict:
    return {d: obj.indexes[d] for d in obj.dims if d != TERM}


def _spread(values: np.ndarray, have: tuple, dims: tuple, shape: tuple, terms: bool) -> np.ndarray:
    """`values` over the dimensions `have` (then the terms, if `terms`), laid out over `dims`: the
    dimensions it lacks added, size 1, and broadcast."""
    order = [have.index(d) for d in dims if d in have]
    if terms:
        order.append(len(have))
    out = values.transpose(order) if order != list(range(len(order))) else values
    missing = [k for k, d in enumerate(dims) if d not in have]
    if missing:
        out = np.expand_dims(out, missing)
        out = np.broadcast_to(out, shape + ((values.shape[-1],) if terms else ()))
    return out
