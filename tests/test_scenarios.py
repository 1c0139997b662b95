"""Design variables, named scenarios, `name *= factor` changes, uncertain parameters and their
seeded realisations, and fixing decisions (passes/fix.py): parsed, checked, and solved to
hand-computed optima."""
from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from milkrun.compiler.cli.command import main
from milkrun.compiler.pipeline import compile_model, load_model, solve_model

# cost 3*x[a] + 4*x[b], each x at least y (3): optimum 21
MODEL = """
    set A
    param d[A] >= 0 uncertain +- 2 "cost"
    param y default 3 uncertain in [1, 5]
    param w = 2 * y
    var x[A] >= 0 design "how much"
    var s >= 0
    minimize c: sum(a) d[a] * x[a] + s
    need[a in A]: x[a] >= y
    slack: s >= w - 100
    scenario low "little demand": y = 1, d[b] *= 0.5
    scenario high: y += 1
    scenario scaled: w *= 10
    data { A = {a, b}  d = {a: 3, b: 4} }
"""


@pytest.fixture
def model(write_model):
    return write_model(MODEL)


def test_parsed_annotations(model):
    ir = load_model(model)
    assert [s.name for s in ir.design_variables] == ["x"]
    assert list(ir.scenarios) == ["low", "high", "scaled"]
    low = ir.scenarios["low"]
    assert low.doc == "little demand"
    assert [(c.name, [k.value for k in c.keys], c.op, c.value.value) for c in low.changes] == \
        [("y", [], "=", 1), ("d", ["b"], "*=", 0.5)]
    assert [s.name for s in ir.uncertain_params] == ["d", "y"]


@pytest.mark.parametrize("scenario, objective", [(None, 21), ("low", 3 * 1 + 2 * 1), ("high", 7 * 4),
                                                 # w = 60 - 100 < 0: s stays 0, scaling a formula works
                                                 ("scaled", 21)])
def test_scenarios_solve(model, scenario, objective):
    r = solve_model(model, scenario=scenario)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(objective)


def test_adjustments_after_scenario_in_order(model):
    # low sets y = 1 and halves d[b]; then --set y*=3 and d+=1: (3+1)*3 + (2+1)*3
    r = solve_model(model, scenario="low", overrides=["y*=3", "d+=1"])
    assert r.objective == pytest.approx(21)
    # a formula parameter scaled: w = 2*3*30 = 180, s >= 80
    assert solve_model(model, overrides=["w*=30"]).objective == pytest.approx(21 + 80)


def test_realisations_are_seeded_and_within_range(model):
    draws = []
    for k in range(20):
        inst = compile_model(model, realisation=(7, k)).instance
        draws.append((float(inst.param("y")), *inst.param("d").values))
    draws = np.array(draws)
    assert (draws[:, 0] >= 1).all() and (draws[:, 0] <= 5).all()
    assert (draws[:, 1] >= 1).all() and (draws[:, 1] <= 5).all()   # d[a] = 3 +- 2
    assert (draws[:, 2] >= 2).all() and (draws[:, 2] <= 6).all()   # d[b] = 4 +- 2
    assert len(np.unique(draws[:, 0])) == 20
    again = compile_model(model, realisation=(7, 3)).instance
    assert float(again.param("y")) == draws[3, 0]
    other = compile_model(model, realisation=(8, 3)).instance
    assert float(other.param("y")) != draws[3, 0]
    # the solve uses the drawn values: objective = y * (d[a] + d[b])
    r = solve_model(model, realisation=(7, 3))
    assert r.objective == pytest.approx(draws[3, 0] * (draws[3, 1] + draws[3, 2]))
    nominal, lo, hi = compile_model(model).instance.uncertainty("d")
    assert list(lo.values) == [1, 2] and list(hi.values) == [5, 6] and list(nominal.values) == [3, 4]


def test_fixed_design_is_held(model):
    fixed = {"x": xr.DataArray([5.0, 6.0], dims=["A"], coords={"A": ["a", "b"]})}
    r = solve_model(model, fixed=fixed)
    assert r.objective == pytest.approx(3 * 5 + 4 * 6)
    # a fixed design that breaks a row: infeasible, reported as such
    r = solve_model(model, fixed={"x": xr.DataArray([1.0, 6.0], dims=["A"], coords={"A": ["a", "b"]})})
    assert r.status == "infeasible"


def test_scenario_errors_are_located(write_model, expect_error):
    bad = write_model(MODEL.replace("y += 1", "yeild += 1"), "bad.mcp")
    expect_error(load_model, bad, line=11, column=16, contains=["'yeild'", "not declared"])
    bad = write_model(MODEL.replace("scaled: w *= 10", "scaled: w = 10"), "bad2.mcp")
    expect_error(load_model, bad, line=12, column=18, contains=["computed by a formula"])
    bad = write_model(MODEL.replace("d[b] *= 0.5", "d[b, c] *= 0.5"), "bad3.mcp")
    expect_error(load_model, bad, line=10, column=38, contains=["takes 1 key(s)"])
    bad = write_model(MODEL.replace("d[b] *= 0.5", "d = 0.5"), "bad4.mcp")
    expect_error(load_model, bad, line=10, column=38, contains=["indexed"])


def test_uncertain_errors(write_model, expect_error):
    bad = write_model(MODEL.replace("uncertain in [1, 5]", "uncertain in [5, 1]"), "u.mcp")
    # located at the part of the clause that is wrong: the low end, the deviation
    expect_error(compile_model, bad, line=3, column=33,
                 contains=["the range of 'y' is empty: its low end (5) is above its high end (1)"])
    bad = write_model(MODEL.replace("uncertain +- 2", "uncertain +- -2"), "u2.mcp")
    expect_error(compile_model, bad, line=2, column=30, contains=["the deviation of 'd' is negative (-2)"])
    plain = write_model("var x >= 0\nminimize c: x\n", "plain.mcp")
    with pytest.raises(Exception, match="need parameters declared 'uncertain'"):
        compile_model(plain, realisation=(1, 0))


def test_cli_scenario_and_adjustment(model, capsys):
    assert main(["solve", str(model), "--scenario", "high", "--json"]) == 0
    assert '"objective": 28' in capsys.readouterr().out
    assert main(["solve", str(model), "--scenario", "hgh"]) == 2
    err = capsys.readouterr().err
    assert "no scenario 'hgh'" in err and "did you mean 'high'" in err
    assert main(["solve", str(model), "--set", "d[c]*=2"]) == 2
    assert "'c' is not an element of A" in capsys.readouterr().err
