"""The robust pass (passes/robust.py) against brute force and a published optimum.

Box: the robust plan keeps its rows at every vertex of the box. Budget: the robust optimum
equals the optimum of the model that writes one row for every choice of Γ entries at their
worst (fractional Γ: one more entry at the fraction). Bertsimas and Sim's portfolio as the
RSOME documentation states it: n = 150, Γ = 5, optimum 1.1709.
"""
from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from pytest import approx

from milkrun.compiler.cli.command import main
from milkrun.compiler.studies.pareto.run import run_pareto
from milkrun.compiler.passes.robust import RobustOptions
from milkrun.compiler.pipeline import compile_model, solve_model

from conftest import REPO, dedent

# a[i] in [a - 1, a + 1], cap in [8, 12]; nominal optimum 15 (x[r] = 2.5)
KNAP = """
    set I
    param a[i in I] uncertain +- dev[i]
    param dev[I] default 1
    param cap default 10 uncertain in [8, 12]
    param value[I]
    var x[I] >= 0 <= 5
    maximize v: sum(i) value[i] * x[i]
    use: sum(i) a[i] * x[i] <= cap
    data { I = {p, q, r}  a = {p: 2, q: 3, r: 4}  value = {p: 3, q: 4, r: 6} }
"""
A = {"p": 2, "q": 3, "r": 4}
VALUE = {"p": 3, "q": 4, "r": 6}


@pytest.fixture
def knap(write_model):
    return write_model(KNAP, "knap.mcp")


def test_box_by_hand_and_at_every_vertex(knap):
    nominal = solve_model(knap)
    assert nominal.objective == approx(15)
    r = solve_model(knap, robust=RobustOptions("box"))
    # every a one up, cap two down: value per unit of a is 1, 1, 1.2 -> x[r] = 8 / 5
    assert r.objective == approx(9.6)
    x = {k: float(v) for k, v in zip(r.solution["x"].indexes["I"], r.solution["x"].values)}
    for signs in itertools.product([-1, 1], repeat=4):
        used = sum((A[k] + s) * x[k] for k, s in zip("pqr", signs))
        assert used <= 10 + 2 * signs[3] + 1e-7
    added = r.robust["parameters"]
    assert added["cap"] == {"families": ["use"], "rows": 1, "rhs_only_rows": 1, "variables": 0, "added_rows": 0}
    assert added["a"]["variables"] == 3 and added["a"]["added_rows"] == 6


def test_level_scales_the_box(knap):
    # half the range: a + 0.5, cap 9 -> x[r] = 9 / 4.5
    assert solve_model(knap, robust=RobustOptions("box", 0.5)).objective == approx(6 * 2)
    assert solve_model(knap, robust=RobustOptions("box", 0.0)).objective == approx(15)


def brute_force_budget(write_model, gamma: float) -> float:
    """One row per choice of ⌊Γ⌋ entries at their worst plus one more at the fraction Γ - ⌊Γ⌋."""
    entries = ["p", "q", "r", "cap"]
    k = int(gamma)
    frac = gamma - k
    cases = []
    for full in itertools.combinations(entries, k):
        rest = [e for e in entries if e not in full] if frac > 0 else [None]
        for part in rest:
            shift = {e: 1.0 for e in full}
            if part is not None:
                shift[part] = frac
            cases.append(shift)
    rows = []
    for n, shift in enumerate(cases):
        coeffs = " + ".join(f"{A[i] + shift.get(i, 0)} * x['{i}']" for i in "pqr")
        rows.append(f"case{n}: {coeffs} <= {10 - 2 * shift.get('cap', 0)}")
    text = dedent("""
        set I
        param value[I]
        var x[I] >= 0 <= 5
        maximize v: sum(i) value[i] * x[i]
    """) + "\n".join(rows) + "\ndata { I = {p, q, r}  value = {p: 3, q: 4, r: 6} }\n"
    return solve_model(write_model(text, f"brute_{gamma}.mcp")).objective


@pytest.mark.parametrize("gamma", [0, 0.5, 1, 1.5, 2, 3, 4])
def test_budget_equals_the_worst_case_over_subsets(knap, write_model, gamma):
    r = solve_model(knap, robust=RobustOptions("budget", 1.0, gamma))
    assert r.status == "optimal"
    assert r.objective == approx(brute_force_budget(write_model, gamma), abs=1e-7)


def test_budget_with_all_entries_is_the_box(knap):
    assert solve_model(knap, robust=RobustOptions("budget", 1.0, 4)).objective == \
        approx(solve_model(knap, robust=RobustOptions("box")).objective)


def test_right_hand_side_only_budget_is_exact_without_variables(write_model):
    # two uncertain capacities, one row each plus a shared one; only constants move
    m = write_model("""
        set K
        param cap[k in K] uncertain +- 2
        var x[K] >= 0
        maximize v: sum(k) x[k]
        fits[k in K]: x[k] <= cap[k]
        total: sum(k) x[k] <= sum(k) cap[k] - 1
        data { K = {a, b, c}  cap = {a: 10, b: 20, c: 30} }
    """)
    c = compile_model(m, robust=RobustOptions("budget", 1.0, 2))
    assert set(c.linopy.variables) == {"x"}  # no z, no q: the Γ largest, computed
    r = solve_model(m, robust=RobustOptions("budget", 1.0, 2))
    # total: 59 minus the two largest of three 2s -> 55; each fits row loses 2 -> 8 + 18 + 28 = 54
    assert r.objective == approx(54)
    r = solve_model(m, robust=RobustOptions("budget", 1.0, 0.5))
    assert r.objective == approx(min(9 + 19 + 29, 59 - 1))


def test_uncertain_cost_goes_through_the_epigraph(write_model):
    m = write_model("""
        set I
        param c[i in I] uncertain in [lo[i], hi[i]]
        param lo[I]
        param hi[I]
        var x[I] >= 0
        minimize cost: sum(i) c[i] * x[i]
        need: sum(i) x[i] >= 10
        data { I = {a, b}  c = {a: 1, b: 2}  lo = {a: 0.5, b: 1.9}  hi = {a: 3, b: 2.1} }
    """)
    r = solve_model(m, robust=RobustOptions("box"))
    # worst costs 3 and 2.1: all on b
    assert r.objective == approx(21)
    assert r.robust["nominal_objectives"]["cost"] == approx(20)
    assert r.robust["epigraphs"] == {"cost": "objective cost: worst case"}  # reports name it, not cost_epigraph
    assert r.robust["worst_case"]["objective cost"][0]["entries"][0]["entry"] == ["b"]


def test_portfolio_of_bertsimas_and_sim_as_in_rsome():
    model = REPO / "models" / "portfolio.mcp"
    r = solve_model(model, robust=RobustOptions("budget", 1.0, 5))
    assert r.objective == approx(1.1709, abs=5e-5)
    assert solve_model(model).objective == approx(1.2)


def test_robust_front(write_model):
    # two objectives; a's coefficient uncertain in the row: every front point is a robust plan
    m = write_model("""
        param a uncertain +- 1
        param a_nominal default 2
        var x >= 0 <= 10
        var y >= 0 <= 10
        maximize fx: x
        maximize fy: y
        share: 2 * x + 3 * y + a * x <= 24 + 2 * a
        data { a = 2 }
    """)
    compiled, front = run_pareto(m, points=5, robust=RobustOptions("box"))
    # the row must hold at a = 3 (5x + 3y <= 30) and at a = 1 (3x + 3y <= 26), the ends of the box
    xs = [p["fx"] for p in front.points]
    ys = [p["fy"] for p in front.points]
    assert max(xs) == approx(6, abs=1e-4) and max(ys) == approx(26 / 3, abs=1e-4)
    for x, y in zip(xs, ys):
        assert 5 * x + 3 * y <= 30 + 1e-6 and 3 * x + 3 * y <= 26 + 1e-6


def test_errors(write_model, capsys, knap):
    eq = write_model(KNAP.replace("use: sum(i) a[i] * x[i] <= cap", "use: sum(i) a[i] * x[i] == cap"), "eq.mcp")
    with pytest.raises(Exception, match="is an equation that uncertain"):
        compile_model(eq, robust=RobustOptions("box"))
    sq = write_model(KNAP.replace("use: sum(i) a[i] * x[i] <= cap", "use: sum(i) a[i] ^ 2 * x[i] <= cap"), "sq.mcp")
    with pytest.raises(Exception, match="does not depend linearly on uncertain 'a'"):
        compile_model(sq, robust=RobustOptions("box"))
    assert main(["solve", str(knap), "--budget", "2"]) == 2
    assert "--level and --budget go with --robust" in capsys.readouterr().err
    assert main(["solve", str(knap), "--robust", "budget"]) == 2
    assert "needs --budget" in capsys.readouterr().err
    plain = write_model("var x >= 0 <= 1\nmaximize v: x\n", "plain.mcp")
    assert main(["solve", str(plain), "--robust", "box"]) == 2
    assert "needs parameters declared 'uncertain'" in capsys.readouterr().err


def test_cli_reports_the_price_of_robustness(knap, capsys):
    assert main(["solve", str(knap), "--robust", "box", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["objective"] == approx(9.6)
    assert s["robust"]["nominal_optimum"] == approx(15) and s["robust"]["price"] == approx(5.4)
    assert main(["solve", str(knap), "--robust", "box"]) == 0
    out = capsys.readouterr().out
    assert "price of robustness 5.4, 36 %" in out and "worst case for use: cap -2, a[r] +1" in out
    assert "1 of them only in the constant (folded into the bound, no variable)" in out


def test_sweep_over_the_level(knap, tmp_path, capsys):
    # box at ρ: a + ρ, cap 10 - 2ρ; x[r] alone is best -> 6 (10 - 2ρ) / (4 + ρ)
    out = tmp_path / "sweep"
    code = main(["sweep", str(knap), "--robust", "box", "--levels", "0,0.5,1", "--out", str(out), "--json",
                 "--no-progress"])
    assert code == 0
    import xarray as xr

    ds = xr.open_dataset(out / "sweep.nc")
    assert list(ds["level"].values) == [0, 0.5, 1]
    for rho, v in zip(ds["level"].values, ds["objective"].values):
        assert v == approx(6 * (10 - 2 * rho) / (4 + rho))
        assert v == approx(solve_model(knap, robust=RobustOptions("box", float(rho))).objective)
    assert main(["sweep", str(knap), "--levels", "0,1", "--out", str(tmp_path / "bad")]) == 2
    assert "go with --robust" in capsys.readouterr().err


# ---------------------------------------------------------------- nonlinear models (SCIP)
# the same knapsack with a bilinear row (x * y, y held at 1 by its bounds) and a nonlinear
# objective term that vanishes at the optimum: the counterpart must give the linear numbers
KNAP_NL = KNAP.replace("var x[I] >= 0 <= 5", "var x[I] >= 0 <= 5\n    var y >= 1 <= 1\n    var s >= 0 <= 1") \
    .replace("maximize v: sum(i) value[i] * x[i]", "maximize v: sum(i) value[i] * x[i] - s * s") \
    .replace("use: sum(i) a[i] * x[i] <= cap", "use: sum(i) a[i] * x[i] * y <= cap")


@pytest.mark.parametrize("options, expected", [
    (RobustOptions("box"), 9.6), (RobustOptions("box", 0.5), 12.0),
    (RobustOptions("budget", 1.0, 0), 15.0), (RobustOptions("budget", 1.0, 1), 12.0),
    (RobustOptions("budget", 1.0, 2), 10.4), (RobustOptions("budget", 1.0, 4), 9.6)])
def test_nonlinear_model_gets_the_same_counterpart(write_model, options, expected):
    path = write_model(KNAP_NL, "knap_nl.mcp")
    assert compile_model(path).ir.nonlinear  # the row and the objective are nonlinear
    r = solve_model(path, solver="scip", robust=options)
    assert r.status == "optimal" and r.objective == approx(expected, abs=1e-4)
    assert r.robust["parameters"]["a"]["rows"] == 1


def test_nonlinear_uncertain_objective_through_its_epigraph(write_model):
    # cost c in [lo, hi] on x; a nonlinear row x * y >= 10 with y <= 1: x >= 10; worst costs 3, 2.1
    path = write_model("""
        set I
        param c[i in I] uncertain in [lo[i], hi[i]]
        param lo[I]
        param hi[I]
        var x[I] >= 0 <= 20
        var y >= 0 <= 1
        minimize cost: sum(i) c[i] * x[i]
        need: sum(i) x[i] * y >= 10
        data { I = {a, b}  c = {a: 1, b: 2}  lo = {a: 0.5, b: 1.9}  hi = {a: 3, b: 2.1} }
    """)
    r = solve_model(path, solver="scip", robust=RobustOptions("box"))
    assert r.objective == approx(21, abs=1e-3)
    assert r.gap == approx(0, abs=1e-4) and r.bound == approx(21, abs=1e-3)  # against the worst case
    assert r.robust["nominal_objectives"]["cost"] == approx(20, abs=1e-3)
    assert r.robust["worst_case"]["objective cost"][0]["entries"][0]["entry"] == ["b"]


def test_nonlinear_rows_the_pass_cannot_make_exact_are_refused(write_model):
    exp_row = write_model(KNAP_NL.replace("use: sum(i) a[i] * x[i] * y <= cap",
                                          "use: sum(i) a[i] * x[i] + exp(s) <= cap + 1"), "exp.mcp")
    with pytest.raises(Exception, match="through exp, log, sqrt or a ratio"):
        compile_model(exp_row, robust=RobustOptions("box"))
    cond = write_model(KNAP_NL.replace("param value[I]", "param value[I]\n    param big = if cap > 9 then 1 else 0")
                       .replace("<= cap", "<= cap + big"), "cond.mcp")
    with pytest.raises(Exception, match="a condition on uncertain data"):
        compile_model(cond, robust=RobustOptions("box"))


def test_robust_counterpart_of_a_realisation_is_built_around_the_draw(write_model):
    # the box keeps its widths around the draw: a +- 1, cap - 2 (its interval [8, 12] around 10); x <= 5
    path = write_model(KNAP.replace("param a[i in I] uncertain +- dev[i]", "param a[i in I] uncertain +- 1"),
                       "real.mcp")
    for k in range(3):
        inst = compile_model(path, realisation=(1, k)).instance
        a = inst.param("a").values
        nominal, lo, hi = inst.uncertainty("a")
        assert np.allclose(nominal.values, a) and np.allclose(hi.values - a, 1) and np.allclose(a - lo.values, 1)
        # box: every a one above its draw, cap 2 below its draw: the best value per unit of worst a first
        cap = float(inst.param("cap"))
        assert inst.uncertainty("cap")[1] == approx(cap - 2) and inst.uncertainty("cap")[2] == approx(cap + 2)
        value = np.array([3.0, 4.0, 6.0])
        left, best = cap - 2, 0.0
        for i in np.argsort(-value / (a + 1)):
            take = min(5.0, left / (a[i] + 1))
            best, left = best + take * value[i], left - take * (a[i] + 1)
        for solver in ("highs", "scip"):
            r = solve_model(path, realisation=(1, k), robust=RobustOptions("box"), solver=solver)
            assert r.objective == approx(best, rel=1e-6), (k, solver)
