"""`sum` of a decision variable over some of its dimensions, built from its labels in one step.

`sum(j) ship[i, j]` is the commonest sum in a model. linopy computes it as `ship.sum("j")`: the
variable becomes an expression (one term per entry), then the summed dimensions are stacked into
the term dimension, through a dozen xarray steps, each a copy or an alignment. The result is plain:
the variable's labels with the summed dimensions moved last and flattened into the terms, every
coefficient 1, a constant 0 per row. Written so, it takes a quarter of the time (a tenth of a
second at 10^6 entries; benchmarks/compile_overhead.py).

A sum of an expression (`sum(j) c[i, j] * x[i, j]`) is built the same way from its coefficients and
labels; its constant, when it is all zeros, needs no xarray sum either.

`summed` returns exactly what linopy's `sum` returns (tests/test_linear_sum.py compares the two,
with masks, several dimensions, constants and any order), under the meaning milkrun gives linopy
(its "legacy" semantics, evaluate.py: an absent entry is label -1 with coefficient 1, adding
nothing). Anything else (a sparse or quadratic expression, extra coordinates, another meaning) goes
to linopy.
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from milkrun.compiler.model.linopy_setup import linopy

TERM = "_term"  # linopy's term dimension


def summed(x, dims: list[str]):
    """x.sum(dims), for a linopy Variable or LinearExpression."""
    if not dims or len(set(dims)) != len(dims):
        return x.sum(dims)
    if isinstance(x, linopy.Variable) and _legacy():
        labels = x.labels
        if set(dims) <= set(labels.dims) and set(labels.coords) <= set(labels.dims):
            return _variable_sum(x, labels, dims)
    if type(x) is linopy.LinearExpression and not getattr(x, "is_sparse", True) and _legacy():
        data = x.data
        if set(dims) <= set(data.vars.dims) - {TERM} and set(data.coords) <= set(data.dims):
            return _expression_sum(x, data, dims)
    return x.sum(dims)


def _variable_sum(x, labels: xr.DataArray, dims: list[str]) -> linopy.LinearExpression:
    keep = [d for d in labels.dims if d not in dims]
    terms = labels.transpose(*keep, *dims).values  # linopy stacks (term, *dims) in this order: term has size 1
    rows = terms.shape[:len(keep)]
    terms = terms.reshape(rows + (-1,))
    data = xr.Dataset({"const": (keep, np.zeros(rows)), "coeffs": ((*keep, TERM), np.ones(terms.shape)),
                       "vars": ((*keep, TERM), terms)},
                      coords={d: labels.coords[d] for d in keep if d in labels.coords})
    return linopy.LinearExpression(data, x.model)


def _expression_sum(x, data: xr.Dataset, dims: list[str]) -> linopy.LinearExpression:
    """linopy's sum of an expression: its terms, then the summed dimensions, flattened into the terms."""
    keep = [d for d in data.vars.dims if d not in dims and d != TERM]
    order = [*keep, TERM, *dims]
    rows = tuple(data.sizes[d] for d in keep)
    const = data.const
    if const.dims == tuple(d for d in data.vars.dims if d != TERM) and _all_plus_zero(const.values):
        const = xr.DataArray(np.zeros(rows), dims=keep)  # what the sum of +0.0s is, without xarray's nansum
    else:
        const = const.sum(dims)  # linopy's own step (NaN counts as 0)
    data = xr.Dataset({"const": const,
                       "coeffs": ((*keep, TERM), data.coeffs.transpose(*order).values.reshape(rows + (-1,))),
                       "vars": ((*keep, TERM), data.vars.transpose(*order).values.reshape(rows + (-1,)))},
                      coords={d: data.coords[d] for d in keep if d in data.coords})
    return linopy.LinearExpression(data, x.model)


def _all_plus_zero(values: np.ndarray) -> bool:
    return values.dtype.kind == "f" and not values.any() and not np.signbit(values).any()


def _legacy() -> bool:
    try:
        return linopy.options["semantics"] == "legacy"
    except (KeyError, AttributeError, TypeError):  # a linopy without the option has only this meaning
        return True
