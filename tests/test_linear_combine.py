"""`a + b` and `a - b` built from the arrays (compiler/model/linear_combine.py) are linopy's own, exactly."""
from __future__ import annotations

import itertools

import linopy
import numpy as np
import pytest
import xarray as xr
from conftest import LINEAR_COORDS

import milkrun.compiler.model.evaluate  # noqa: F401  (pins the meaning milkrun gives linopy)
from milkrun.compiler.model.linear_combine import combined, scaled

I, J, K = LINEAR_COORDS


@pytest.fixture(scope="module")
def model(linear_model):
    return linear_model


def operands(m) -> dict:
    x, y, z, t, s = (m.variables[n] for n in "xyzts")
    c = xr.DataArray(np.arange(6.0).reshape(2, 3), coords=[I, J])
    gaps = xr.DataArray([[1.0, np.nan, 2.0], [np.nan, 0.5, -0.0]], coords=[I, J])
    return {"x": x, "y": y, "z": z, "t": t, "s": s, "c*x": c * x, "2x+3": 2 * x + 3, "x+gaps": x + gaps,
            "y.sum(K)-1": y.sum("K") - 1, "-z": -z, "t+z": t + z, "sum_J(c*x)": (c * x).sum("J"), "s+4": s + 4}


NAMES = ["x", "y", "z", "t", "s", "c*x", "2x+3", "x+gaps", "y.sum(K)-1", "-z", "t+z", "sum_J(c*x)", "s+4"]


@pytest.mark.parametrize("left, right", list(itertools.product(NAMES, NAMES)))
def test_a_sum_and_a_difference_are_linopy_s(model, left, right):
    ops = operands(model)
    a, b = ops[left], ops[right]
    for sign, slow in ((1.0, a + b), (-1.0, a - b)):
        fast = combined(a, b, sign)
        assert fast is not None, (left, right, sign)
        assert type(fast) is type(slow) is linopy.LinearExpression
        # values, dtypes, coordinates, dimension order, and the terms in linopy's order
        assert fast.data.identical(slow.data), (left, right, sign)


def test_other_coordinates_on_a_shared_dimension_go_to_linopy(model):
    x = model.variables["x"]
    other = linopy.Model().add_variables(coords=[I, J], name="x")
    assert combined(x, other, 1.0) is None  # another model
    shifted = x.to_linexpr().assign_coords(J=[2, 3, 4])
    assert combined(x, shifted, 1.0) is None  # same sizes, other labels: linopy decides what that means
    reordered = x.to_linexpr().sel(J=[3, 1, 2])
    assert combined(x, reordered, -1.0) is None


def test_a_quadratic_or_another_meaning_goes_to_linopy(model, monkeypatch):
    x = model.variables["x"]
    assert combined(x * x, x, 1.0) is None
    assert combined(x, 3.0, 1.0) is None
    monkeypatch.setitem(linopy.options._current_values, "semantics", "v1")
    assert combined(x, model.variables["t"], 1.0) is None


def test_the_built_model_is_the_same(tmp_path, monkeypatch):
    # rows that are sums, differences and products with data of variables and expressions, some
    # masked, some broadcast: built the same with linopy's arithmetic
    import milkrun.compiler.model.linear_combine as lc
    from milkrun.compiler.pipeline import compile_model

    path = tmp_path / "m.mcp"
    path.write_text("set I = {a, b, e}\nset J = {1, 2}\nparam w[I, J] = 1\nparam c[j in J] = j\n"
                    "var x[i in I, j in J] >= 0 where w[i, j] > 0 and i != 'b'\nvar y[J] >= 0\nvar z[I] binary\n"
                    "minimize o: sum(i, j) x[i, j] + sum(j) y[j] - sum(i) z[i]\n"
                    "r[i in I, j in J]: x[i, j] <= z[i]\ns[j in J]: sum(i) x[i, j] - 2 * y[j] + c[j] >= z['a'] - 1\n"
                    "u[i in I]: sum(j) x[i, j] + z[i] == sum(j) c[j] * y[j]\n")
    built_here, real_combined, real_scaled = [], lc.combined, lc.scaled
    monkeypatch.setattr(lc, "combined", lambda a, b, sign: built_here.append(real_combined(a, b, sign)) or built_here[-1])
    monkeypatch.setattr(lc, "scaled", lambda x, f: built_here.append(real_scaled(x, f)) or built_here[-1])
    fast = compile_model(path).linopy
    assert len(built_here) >= 8 and all(e is not None for e in built_here)  # every +, - and * above built here
    monkeypatch.setattr(lc, "combined", lambda a, b, sign: None)
    monkeypatch.setattr(lc, "scaled", lambda x, f: None)
    slow = compile_model(path).linopy
    for name in ("r", "s", "u"):
        assert fast.constraints[name].data.identical(slow.constraints[name].data), name
    assert fast.objective.expression.data.identical(slow.objective.expression.data)
    assert np.array_equal(fast.matrices.A.toarray(), slow.matrices.A.toarray())


FACTORS = {"2": 2, "-1.5": -1.5, "0": 0.0, "nan": float("nan"),
           "c[I,J]": xr.DataArray([[1.0, -2.0, 0.5], [np.nan, 3.0, -0.0]], coords=[I, J]),
           "c[J,I]": xr.DataArray([[1.0, 2.0], [3.0, np.nan], [5.0, 6.0]], coords=[J, I]),
           "c[J]": xr.DataArray([2, 3, 4], coords=[J]), "c[]": xr.DataArray(2.5)}
SCALED = ["x", "t", "s", "c*x", "2x+3", "x+gaps", "-z", "t+z", "sum_J(c*x)", "s+4"]


@pytest.mark.parametrize("name, factor", list(itertools.product(SCALED, FACTORS)))
def test_a_product_with_data_is_linopy_s(model, name, factor):
    x, c = operands(model)[name], FACTORS[factor]
    dims = set(x.labels.dims if isinstance(x, linopy.Variable) else x.data.vars.dims) - {"_term"}
    if isinstance(c, xr.DataArray) and not set(c.dims) <= dims:
        assert scaled(x, c) is None  # the product would have more dimensions than x: linopy's
        return
    slow = x * c
    fast = scaled(x, c)
    assert fast is not None and type(fast) is type(slow) is linopy.LinearExpression
    assert fast.data.identical(slow.data), (name, factor)
