"""The sum of a variable built from its labels (compiler/model/linear_sum.py) is linopy's own, exactly."""
from __future__ import annotations

import linopy
import numpy as np
import pytest
import xarray as xr
from conftest import LINEAR_COORDS

import milkrun.compiler.model.evaluate  # noqa: F401  (pins the meaning milkrun gives linopy)
from milkrun.compiler.model.linear_sum import summed

I, J, K = LINEAR_COORDS


@pytest.fixture(scope="module")
def model(linear_model):
    return linear_model


CASES = [("x", ["J"]), ("x", ["I"]), ("x", ["I", "J"]), ("x", ["J", "I"]), ("y", ["K"]), ("y", ["J", "K"]),
         ("y", ["K", "I"]), ("y", ["I", "J", "K"]), ("y", ["K", "J", "I"]), ("z", ["K"])]


@pytest.mark.parametrize("name, dims", CASES)
def test_a_variable_sums_as_linopy_sums_it(model, name, dims):
    v = model.variables[name]
    fast, slow = summed(v, dims), v.sum(dims)
    assert type(fast) is type(slow)
    assert fast.data.identical(slow.data)  # values, dtypes, coordinates, and the terms in linopy's order


def test_a_masked_variable_sums_as_linopy_sums_it(model):
    keep = xr.DataArray([[True, True, False], [False, True, True]], coords=[I, J])
    v = model.variables["x"].where(keep)
    assert summed(v, ["J"]).data.identical(v.sum(["J"]).data)


def expressions(m):
    x, y, z = m.variables["x"], m.variables["y"], m.variables["z"]
    c = xr.DataArray(np.arange(6.0).reshape(2, 3), coords=[I, J])
    gaps = xr.DataArray([[1.0, np.nan, 2.0], [np.nan, 0.5, -0.0]], coords=[I, J])
    return {"c*x": c * x, "2x+3": 2 * x + 3, "x+y": x + y, "x+gaps": x + gaps, "y-x": y - x, "z*2+x": 2 * z + x,
            "sum_J(c*x)+x": (c * x + 1).sum("J") + x}


@pytest.mark.parametrize("name", ["c*x", "2x+3", "x+y", "x+gaps", "y-x", "z*2+x", "sum_J(c*x)+x"])
def test_an_expression_sums_as_linopy_sums_it(model, name):
    e = expressions(model)[name]
    dims = [d for d in e.data.vars.dims if d != "_term"]
    for k in range(1, len(dims) + 1):
        for chosen in (dims[:k], dims[-k:][::-1]):
            fast, slow = summed(e, chosen), e.sum(chosen)
            assert type(fast) is type(slow) and fast.data.identical(slow.data), (name, chosen)


def test_other_meanings_go_to_linopy(model, monkeypatch):
    calls = []
    monkeypatch.setattr(linopy.Variable, "sum", lambda self, dims: calls.append(dims) or "linopy's")
    assert isinstance(summed(model.variables["x"], ["J"]), linopy.LinearExpression) and calls == []  # built here
    monkeypatch.setitem(linopy.options._current_values, "semantics", "v1")
    assert summed(model.variables["x"], ["J"]) == "linopy's" and calls == [["J"]]


def test_the_built_model_is_the_same(tmp_path, monkeypatch):
    # a model whose rows and objective are sums of variables, some masked: built the same either way
    import milkrun.compiler.model.evaluate as ev
    from milkrun.compiler.pipeline import compile_model

    path = tmp_path / "m.mcp"
    path.write_text("set I = {a, b, c}\nset J = {1, 2}\nparam w[I, J] = 1\nvar x[i in I, j in J] >= 0 where w[i, j] > 0\n"
                    "var y[J] >= 0\nminimize o: sum(i, j) x[i, j] + sum(j) y[j]\n"
                    "r[i in I]: sum(j) x[i, j] >= 1\ns[j in J]: sum(i in I where i != 'b') x[i, j] <= y[j]\n")
    fast = compile_model(path).linopy
    monkeypatch.setattr(ev, "summed", lambda x, dims: x.sum(dims))
    slow = compile_model(path).linopy
    for name in ("r", "s"):
        assert fast.constraints[name].data.identical(slow.constraints[name].data)
    assert fast.objective.expression.data.identical(slow.objective.expression.data)
    assert np.array_equal(fast.matrices.A.toarray(), slow.matrices.A.toarray())
