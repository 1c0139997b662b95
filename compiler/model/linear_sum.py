"""`sum` of a decision variable over some of its dimensions, built from its labels in one step.

`sum(j) ship[i, j]` is the commonest sum in a model. linopy computes it as `ship.sum("j")`: the
variable becomes an expression (one term per entry), then the summed dimensions are stacked into
the term dimension, through a dozen xarray steps, each a copy or an alignment. The result is plain:
the variable's labels with the summed dimensions moved last and flattened into the terms, every
coefficient 1, a constant 0 per row. Written so, it takes a quarter of the time (a tenth of a
second at 10^6 entries; benchmarks/compile_overhead.py).

`summed` returns exactly what linopy's `Variable.sum` returns (tests/test_linear_sum.py compares
the two, with masks, several dimensions and any order), under the meaning milkrun gives linopy (its
"legacy" semantics, evaluate.py: an absent entry is label -1 with coefficient 1, adding nothing).
Anything else (an expression, a variable with extra coordinates, another meaning) goes to linopy.
"""
from __future__ import annotations

import linopy
import numpy as np
import xarray as xr

TERM = "_term"  # linopy's term dimension


def summed(x, dims: list[str]):
    """x.sum(dims), for a linopy Variable or LinearExpression."""
    if isinstance(x, linopy.Variable) and dims and _legacy():
        labels = x.labels
        if set(dims) <= set(labels.dims) and len(set(dims)) == len(dims) and set(labels.coords) <= set(labels.dims):
            return _variable_sum(x, labels, dims)
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


def _legacy() -> bool:
    try:
        return linopy.options["semantics"] == "legacy"
    except (KeyError, AttributeError, TypeError):  # a linopy without the option has only this meaning
        return True
