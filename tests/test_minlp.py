"""Nonlinear models on SCIP (compiler/build/nonlinear.py): products, ratios, powers, exp, log,
sqrt, with integers, each solved to an optimum worked out by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from pytest import approx

import milkrun
from milkrun.compiler.cli.command import main

TOL = 1e-3  # SCIP's nonlinear feasibility tolerance leaves ~1e-4 on the plan


def solve(write_model, text, **kw):
    return milkrun.solve_model(write_model(text), solver="scip", **kw)


def test_nearest_point_on_a_line(write_model):
    # (x-2)^2 + (y-1)^2 over x + y <= 2: the projection (1.5, 0.5), squared distance 0.5
    r = solve(write_model, """
        var x >= 0 <= 10
        var y >= 0 <= 10
        minimize dist: (x - 2) ^ 2 + (y - 1) ^ 2
        line: x + y <= 2
    """)
    assert r.status == "optimal" and r.objective == approx(0.5, abs=TOL)
    assert float(r.solution["x"]) == approx(1.5, abs=TOL) and float(r.solution["y"]) == approx(0.5, abs=TOL)


def test_sqrt_and_log_through_the_epigraph(write_model):
    # max sqrt(x) + log(3 - x): 1/(2 sqrt x) = 1/(3 - x) -> x = 1, value 1 + ln 2
    r = solve(write_model, """
        var x >= 0 <= 10
        var y >= 0.1 <= 10
        maximize f: sqrt(x) + log(y)
        budget: x + y <= 3
    """)
    assert r.objective == approx(1 + math.log(2), abs=TOL)
    assert r.bound == approx(1 + math.log(2), abs=TOL)
    assert float(r.solution["x"]) == approx(1, abs=1e-2)


def test_exp_and_a_product_in_a_row(write_model):
    # min exp(x) + exp(-x) = 2 at x = 0; the row x * y >= 1 with y <= 4 forces x >= 0.25: 2 cosh(0.25)
    r = solve(write_model, """
        var x >= -5 <= 5
        var y >= 0 <= 4
        minimize f: exp(x) + exp(-x)
        area: x * y >= 1
    """)
    assert r.objective == approx(2 * math.cosh(0.25), abs=TOL)


def test_indexed_quadratic_integer_and_ratio(write_model):
    # sum w x^2 with sum x = 1: x ~ 1/w = (4, 2, 1)/7, value 4/7; (n - 2.6)^2 with n integer: n = 3, 0.16;
    # the ratio and product rows hold there without binding
    r = solve(write_model, """
        set I
        param w[I]
        var x[I] >= 0
        var n integer >= 0 <= 10
        minimize f: sum(i) w[i] * x[i] ^ 2 + (n - 2.6) ^ 2
        one: sum(i) x[i] == 1
        ratio: x['a'] / (x['b'] + 1) <= 0.5
        prod[i in I]: x[i] * n <= 3
        kpi spread: max(i in I) x[i] - min(i in I) x[i]
        data { I = {a, b, c}  w = {a: 1, b: 2, c: 4} }
    """)
    assert r.objective == approx(4 / 7 + 0.16, abs=TOL)
    assert float(r.solution["n"]) == 3
    x = r.solution["x"]
    assert isinstance(x, xr.DataArray) and list(x.indexes["I"]) == ["a", "b", "c"]
    assert np.allclose(x.values, [4 / 7, 2 / 7, 1 / 7], atol=1e-2)
    assert float(r.kpis["spread"]) == approx(3 / 7, abs=1e-2)


def test_binding_ratio_and_a_sparse_variable(write_model):
    # a ratio of variables that binds: fat / (10 - fat) <= 0.5 -> fat <= 10/3; use[2] does not
    # exist (where t != 2), the other two take 0.01 each per unit, up to fat in all
    r = solve(write_model, """
        set T = {1, 2, 3}
        var use[t in T] >= 0 <= 10 where t != 2
        var fat >= 0 <= 10
        maximize f: fat + sum(t) 0.01 * use[t]
        quality: fat / (10 - fat + 0.0) <= 0.5
        cap: sum(t) use[t] <= fat
    """)
    assert r.objective == approx(10 / 3 * 1.01, abs=TOL)
    assert np.isnan(float(r.solution["use"].sel(t=2)))  # not a variable there, as in linear models


def test_maximised_product_and_other_objectives_reported(write_model):
    # max x*y with x + y <= 4: 4 at (2, 2); the second objective is evaluated on the plan
    r = solve(write_model, """
        var x >= 0 <= 4
        var y >= 0 <= 4
        maximize area: x * y
        minimize perimeter: 2 * x + 2 * y
        fence: x + y <= 4
    """)
    assert r.objective == approx(4, abs=TOL) and r.objectives["perimeter"] == approx(8, abs=1e-2)
    r = solve(write_model, """
        var x >= 1 <= 4
        var y >= 1 <= 4
        maximize area: x * y
        minimize perimeter: 2 * x + 2 * y
        fence: x + y <= 4
    """, objective="perimeter")
    assert r.objective == approx(4, abs=TOL)


def test_infeasible_nonlinear_model(write_model):
    r = solve(write_model, """
        var x >= 0 <= 1
        var y >= 0 <= 1
        minimize f: x + y
        need: x * y >= 2
    """)
    assert r.status == "infeasible" and not r.has_solution


def test_linear_solver_refuses_with_the_construct_and_robust_works(write_model, capsys):
    path = write_model("""
        param c default 1 uncertain +- 0.5
        var x >= 0 <= 4
        var y >= 0 <= 4
        maximize area: c * x * y
        fence: x + y <= 4
    """)
    assert main(["solve", str(path), "--solver", "highs"]) == 2  # named: auto would pick SCIP
    err = capsys.readouterr().err
    assert f"{path}:4:16: error: a product of two expressions with variables makes the model nonlinear" in err
    assert "--solver scip" in err
    # the robust counterpart works on the nonlinear model too: worst c = 0.5, area 0.5 * 2 * 2
    assert main(["solve", str(path), "--solver", "scip", "--robust", "box", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"objective": 2' in out and '"nominal_optimum": 4' in out
    assert main(["solve", str(path), "--solver", "scip", "--json"]) == 0
    assert '"objective": 4' in capsys.readouterr().out
    assert main(["check", str(path)]) == 0
    assert "nonlinear" in capsys.readouterr().out


def test_large_sum_builds_quickly(write_model):
    # 20,000 terms: quicksum per row, not Python's pairwise sum
    import time

    path = write_model("""
        param n default 20000
        set I = 1..n
        var x[I] >= 0 <= 1
        minimize f: sum(i) (x[i] - 0.5) ^ 2
        total: sum(i) x[i] * x[i] <= 1000
    """)
    t0 = time.perf_counter()
    c = milkrun.compile_model(path)
    assert time.perf_counter() - t0 < 30
    assert c.built.size["variables"] == 20000 + 1  # and the epigraph variable of the objective


def test_sweep_of_a_nonlinear_model(write_model, tmp_path):
    # max x*y with x + y <= b: (b/2)^2 for b = 2, 4, 6
    path = write_model("""
        param b default 4
        var x >= 0 <= 10
        var y >= 0 <= 10
        maximize area: x * y
        fence: x + y <= b
    """)
    out = tmp_path / "sweep"
    assert main(["sweep", str(path), "--grid", "b=2,4,6", "--solver", "scip", "--out", str(out),
                 "--no-progress", "--json"]) == 0
    ds = xr.open_dataset(out / "sweep.nc")
    assert list(ds["status"].values) == ["optimal"] * 3
    assert np.allclose(ds["objective"].values, [1, 4, 9], atol=1e-3)
