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
    for d in set(dims_a) & set(dims_b):
        ia, ib = coords_a[d], coords_b[d]
        if ia is not ib and (ia.dtype != ib.dtype or not ia.equals(ib)):
            return None
    dims = dims_a + tuple(d for d in dims_b if d not in dims_a)
    coords = {**coords_b, **coords_a}
    shape = tuple(len(coords[d]) for d in dims)
    vars_ = np.concatenate([_spread(vars_a, dims_a, dims, shape, True), _spread(vars_b, dims_b, dims, shape, True)],
                           axis=-1)
    coeffs = np.concatenate([_spread(coeffs_a, dims_a, dims, shape, True),
                             sign * _spread(coeffs_b, dims_b, dims, shape, True)], axis=-1)
    with np.errstate(invalid="ignore"):
        const = (_spread(np.nan_to_num(const_a, nan=0.0), dims_a, dims, shape, False)
                 + _spread(np.nan_to_num(sign * const_b, nan=0.0), dims_b, dims, shape, False))
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
    if isinstance(factor, (bool, np.bool_)) or not isinstance(factor, (int, float, np.integer, np.floating)):
        if not isinstance(factor, xr.DataArray) or factor.dtype.kind not in "fiu" or not _plain_coords(factor):
            return None
        if not set(factor.dims) <= set(dims) or any(
                factor.indexes[d] is not coords[d] and (factor.indexes[d].dtype != coords[d].dtype
                                                       or not factor.indexes[d].equals(coords[d]))
                for d in factor.dims):
            return None
        f = _spread(factor.values, factor.dims, dims, tuple(len(coords[d]) for d in dims), False)
    else:
        f = np.asarray(factor)
    f = np.nan_to_num(f.astype(float), nan=0.0)
    with np.errstate(invalid="ignore", over="ignore"):
        coeffs = np.nan_to_num(coeffs, nan=0.0) * f[..., np.newaxis]
        const = np.nan_to_num(const, nan=0.0) * f if isinstance(x, linopy.LinearExpression) else \
            np.zeros(vars_.shape[:-1])
    data = xr.Dataset({"coeffs": ((*dims, TERM), coeffs), "vars": ((*dims, TERM), vars_), "const": (dims, const)},
                      coords={d: coords[d] for d in dims})
    return linopy.LinearExpression(data, x.model)


def _terms(x):
    """(dims, {dim: index}, vars, coeffs, const) of a variable or a dense linear expression whose every
    dimension has coordinates and nothing else; None otherwise."""
    if isinstance(x, linopy.Variable):
        labels = x.labels
        if not _plain_coords(labels):
            return None
        vars_ = labels.values[..., np.newaxis]
        return labels.dims, _indexes(labels), vars_, np.ones(vars_.shape), np.zeros(labels.shape)
    if type(x) is linopy.LinearExpression and not getattr(x, "is_sparse", True):
        data = x.data
        dims = data.vars.dims
        if not dims or dims[-1] != TERM or data.coeffs.dims != dims or data.const.dims != dims[:-1]:
            return None
        if not _plain_coords(data) or set(data.data_vars) != {"coeffs", "vars", "const"}:
            return None
        return dims[:-1], _indexes(data), data.vars.values, data.coeffs.values, data.const.values
    return None


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
