"""Relative uncertainty: `uncertain +- 25%` and `uncertain in [-5%, +3%]`, shares of each entry's
nominal value, and a parameter's own name in its clause meaning that nominal value.

The optima below are worked out by hand (in the comments) and must come out exactly; the same
model written with the absolute forms must give the same numbers. Then: draws of a sweep stay in
the relative range, every mistake is a located error, and the robust report names parameters
and entries, never the pass's generated names.
"""
from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import xarray as xr
from pytest import approx

from milkrun.compiler.data.instance import Instance
from milkrun.compiler.passes.robust import RobustOptions
from milkrun.compiler.pipeline import bind_data, compile_model, load_model, solve_model
from milkrun.compiler.studies.sweep import SweepSpec, run_sweep

# Three products share 100 hours; each takes use[p] hours, known to within ±25 %.
#   nominal: profit per hour 1.5 (cheese), 1.25 (butter), 1.6 (cream): cream 15 (75 h), then
#            cheese 25 / 2 = 12.5: 120 + 37.5 = 157.5
#   box:     every use 25 % up, 2.5 / 5 / 6.25 h: per hour 1.2, 1, 1.28: cream 15 (93.75 h), then
#            cheese 6.25 / 2.5 = 2.5: 120 + 7.5 = 127.5
PROD = """
    set P
    param use[p in P] uncertain +- 25%
    param profit[P]
    var make[P] >= 0 <= 15
    maximize earn: sum(p) profit[p] * make[p]
    capacity: sum(p) use[p] * make[p] <= 100
    data { P = {cheese, butter, cream}  use = {cheese: 2, butter: 4, cream: 5}  profit = {cheese: 3, butter: 5, cream: 8} }
"""
USE = {"cheese": 2, "butter": 4, "cream": 5}
PROFIT = {"cheese": 3, "butter": 5, "cream": 8}

# Two farms fill a demand of 1900 litres; no farm may send more than its tank, 1030 litres.
# Yields per cow from 5 % below to 3 % above the data's 100 and 200.
#   nominal: litres cost 1/100 (f1) and 3/200 (f2): f1 up to its tank, 10.3 cows (1030 l), then
#            f2 870 / 200 = 4.35: 10.3 + 13.05 = 23.35
#   box:     the tank row at the top (103, 206 l per cow): f1 <= 10, f2 <= 5; the demand row at the
#            bottom (95, 190): f1 10 (950 l), then f2 950 / 190 = 5, its tank exactly: 10 + 15 = 25
FARMS = """
    set F
    param yield[f in F] uncertain in [-5%, +3%]
    param cost[F]
    var cows[F] >= 0
    minimize spend: sum(f) cost[f] * cows[f]
    need: sum(f) yield[f] * cows[f] >= 1900
    tank[f in F]: yield[f] * cows[f] <= 1030
    data { F = {f1, f2}  yield = {f1: 100, f2: 200}  cost = {f1: 1, f2: 3} }
"""


def test_relative_box_gives_the_optimum_worked_out_by_hand(write_model):
    path = write_model(PROD, "prod.mcp")
    assert solve_model(path).objective == approx(157.5, abs=1e-9)
    r = solve_model(path, robust=RobustOptions("box"))
    assert r.status == "optimal" and r.objective == approx(127.5, abs=1e-9)
    make = r.solution["make"].to_series()
    assert make["cream"] == approx(15) and make["cheese"] == approx(2.5) and make["butter"] == approx(0, abs=1e-9)
    # the worst case names the entries and moves them by a quarter of their nominal value
    moves = {tuple(e["entry"]): e["by"] for e in r.robust["worst_case"]["capacity"][0]["entries"]}
    assert moves == {("cream",): approx(1.25), ("cheese",): approx(0.5)}
    assert solve_model(path, robust=RobustOptions("box", 0.4)).objective == approx(  # ρ = 0.4: 10 % up
        120 + 3 * (100 - 15 * 5.5) / 2.2, abs=1e-9)


@pytest.mark.parametrize("clause", [
    "uncertain +- dev[p]",                          # absolute: dev written out as a quarter of use
    "uncertain in [use[p] - dev[p], use[p] + dev[p]]",
    "uncertain +- 0.25 * use[p]",                   # its own name: the nominal value
    "uncertain in [0.75 * use[p], 1.25 * use[p]]",
    "uncertain in [-25%, +25%]",
    "uncertain ± 25%",
])
def test_absolute_forms_equal_to_the_relative_one_give_the_same_optimum(write_model, clause):
    text = PROD.replace("uncertain +- 25%", clause).replace(
        "param profit[P]", "param profit[P]\n    param dev[P]").replace(
        "profit = {", "dev = {cheese: 0.5, butter: 1, cream: 1.25}  profit = {")
    path = write_model(text, "prod_abs.mcp")
    assert solve_model(path, robust=RobustOptions("box")).objective == approx(127.5, abs=1e-9)
    inst = compile_model(path).instance
    nominal, lo, hi = inst.uncertainty("use")
    np.testing.assert_allclose(lo.values, [1.5, 3, 3.75])
    np.testing.assert_allclose(hi.values, [2.5, 5, 6.25])


def test_a_nonlinear_model_gets_the_same_relative_counterpart(write_model):
    # the capacity row times y (held at 1): built for SCIP, the same box and budget numbers
    text = PROD.replace("var make[P] >= 0 <= 15", "var make[P] >= 0 <= 15\n    var y >= 1 <= 1").replace(
        "use[p] * make[p] <= 100", "use[p] * make[p] * y <= 100")
    path = write_model(text, "prod_nl.mcp")
    assert compile_model(path).ir.nonlinear
    assert solve_model(path, solver="scip", robust=RobustOptions("box")).objective == approx(127.5, abs=1e-6)
    linear = solve_model(write_model(PROD, "prod.mcp"), robust=RobustOptions("budget", 1.0, 1.0)).objective
    own = write_model(text.replace("uncertain +- 25%", "uncertain +- 0.25 * use[p]"), "prod_nl_own.mcp")
    assert solve_model(own, solver="scip", robust=RobustOptions("budget", 1.0, 1.0)).objective == approx(linear, abs=1e-6)


def test_relative_budget_equals_the_model_written_out_by_hand(write_model):
    # Γ = 1: at most one use at its worst; the same as one capacity row per entry moved up 25 %
    path = write_model(PROD, "prod.mcp")
    robust = solve_model(path, robust=RobustOptions("budget", 1.0, 1.0)).objective
    rows = "\n".join(f"    cap_{k}: sum(p) use[p] * make[p] + {0.25 * USE[k]} * make['{k}'] <= 100" for k in USE)
    by_hand = write_model(PROD.replace("uncertain +- 25%", "") + rows + "\n", "prod_rows.mcp")
    assert robust == approx(solve_model(by_hand).objective, abs=1e-9)
    assert 127.5 < robust < 157.5


def test_asymmetric_range_worked_out_by_hand(write_model):
    path = write_model(FARMS, "farms.mcp")
    assert solve_model(path).objective == approx(23.35, abs=1e-9)
    r = solve_model(path, robust=RobustOptions("box"))
    assert r.objective == approx(25, abs=1e-9)
    cows = r.solution["cows"].to_series()
    assert cows["f1"] == approx(10) and cows["f2"] == approx(5)
    # the demand row is hurt by the low end, a tank by the high end: -5 and +3 litres per cow of f1
    need = r.robust["worst_case"]["need"][0]["entries"]
    assert {tuple(e["entry"]): e["by"] for e in need} == {("f1",): approx(-5), ("f2",): approx(-10)}
    tank = r.robust["worst_case"]["tank"][0]["entries"]
    assert tank[0]["by"] == approx(0.03 * {"f1": 100, "f2": 200}[tank[0]["entry"][0]])
    # ±5 % both ways leaves no plan: tanks allow 1030 / 105 and 1030 / 210 cows, 1864 litres at 95 %
    sym = write_model(FARMS.replace("in [-5%, +3%]", "+- 5%"), "sym.mcp")
    assert solve_model(sym, robust=RobustOptions("box")).status == "infeasible"


def test_a_relative_range_follows_the_nominal_value_after_set(write_model):
    # every use doubled: 4, 8, 10, robust 5, 10, 12.5 h; per hour 0.6, 0.5, 0.64: cream 100 / 12.5 = 8
    path = write_model(PROD, "prod.mcp")
    assert solve_model(path, overrides=["use*=2"], robust=RobustOptions("box")).objective == approx(64, abs=1e-9)


def test_a_range_around_a_negative_nominal_value(write_model):
    # shares of the nominal value's size: -10 ± 20 % is [-12, -8], -10 in [-5%, +3%] is [-10.5, -9.7]
    path = write_model("""
        param a default -10 uncertain +- 20%
        param b default -10 uncertain in [-5%, +3%]
        var x >= 0 <= 1
        minimize f: x
    """)
    inst = compile_model(path).instance
    assert [float(v) for v in inst.uncertainty("a")] == approx([-10, -12, -8])
    assert [float(v) for v in inst.uncertainty("b")] == approx([-10, -10.5, -9.7])


def test_the_own_name_in_the_clause_is_the_nominal_value_and_nothing_else(write_model, expect_error):
    path = write_model("""
        set F
        param yield[f in F] > 0 uncertain +- 0.1 * yield[f]
        param total = sum(f) yield[f]
        var x >= 0
        minimize c: x
        data { F = {a, b}  yield = {a: 10, b: 30} }
    """)
    inst = compile_model(path).instance
    nominal, lo, hi = inst.uncertainty("yield")
    np.testing.assert_allclose(lo.values, [9, 27])
    np.testing.assert_allclose(hi.values, [11, 33])
    assert float(inst.param("total")) == 40  # a parameter computed from it sees the value, not the clause
    # reached through another declaration, the name is the final value again: a real cycle
    cycle = write_model("""
        set F
        param yield[f in F] uncertain +- extra[f]
        param extra[f in F] = 0.1 * yield[f]
        var x >= 0
        minimize c: x
        data { F = {a}  yield = {a: 10} }
    """, "cycle.mcp")
    expect_error(compile_model, cycle, line=2, column=1, contains="'yield' is defined in terms of itself "
                                                                  "(yield → extra → yield)")
    self_formula = write_model("""
        param c = 2 * c
        var x >= 0
        minimize f: x
    """, "self.mcp")
    expect_error(compile_model, self_formula, line=1, column=1, contains="'c' is defined in terms of itself")
    computed = write_model("""
        param c uncertain +- 0.5 * c = 2
        var x >= 0
        minimize f: x
    """, "computed.mcp")
    assert [float(v) for v in compile_model(computed).instance.uncertainty("c")] == approx([2, 1, 3])


def test_draws_of_a_sweep_stay_in_the_relative_range(write_model, tmp_path):
    text = FARMS.replace("param cost[F]", "param cost[F]\n    param use[f in F] default 50 uncertain +- 20%") \
        + "    kpi drawn[f in F]: yield[f]\n    kpi drawn_use[f in F]: use[f]\n"
    path = write_model(text, "farms_kpi.mcp")
    ds = run_sweep(SweepSpec(model=str(path), out=tmp_path / "sw", realisations=40, seed=5, progress=False)).dataset
    y = ds.kpi_drawn
    assert y.sizes["realisation"] == 40
    base = xr.DataArray([100.0, 200.0], dims=y.dims[-1:], coords={y.dims[-1]: ["f1", "f2"]})
    assert bool(((y >= 0.95 * base - 1e-9) & (y <= 1.03 * base + 1e-9)).all())
    assert float(y.min()) < 0.97 * 100 and float(y.max()) > 1.01 * 200  # they spread over the range
    u = ds.kpi_drawn_use
    assert bool(((u >= 40 - 1e-9) & (u <= 60 + 1e-9)).all()) and float(u.std()) > 1
    # draw k of seed S is the same outside the sweep
    inst, _ = bind_data(load_model(path), None, realisation=(5, 7))
    np.testing.assert_allclose(inst.param("yield").values, y.isel(realisation=7).values)


@pytest.mark.parametrize("clause, line, column, words", [
    # a percentage anywhere but an uncertain clause
    ("param use[p in P] uncertain +- 25%\nparam cap = 50%", 2, 13, "only in an uncertain clause"),
    # a negative +-, in the text and in the data
    ("param use[p in P] uncertain +- -2%", 1, 32, "the deviation of 'use' is negative (-2%)"),
    ("param use[p in P] uncertain +- -0.5", 1, 32, "the deviation of 'use' is negative (-0.5)"),
    ("param use[p in P] uncertain +- spread[p]%", 1, 32, "negative for use[butter] (-1%)"),
    ("param use[p in P] uncertain +- spread[p]", 1, 32, "negative for use[butter] (-1)"),
    # a low end above the high end, in the text and in the data
    ("param use[p in P] uncertain in [3%, -5%]", 1, 33, "its low end (3%) is above its high end (-5%)"),
    ("param use[p in P] uncertain in [5, 1]", 1, 33, "its low end (5) is above its high end (1)"),
    ("param use[p in P] uncertain in [-spread[p]%, spread[p]%]", 1, 33,
     "empty for use[butter]: its low end (1%) is above its high end (-1%)"),
    # a relative range must hold the nominal value
    ("param use[p in P] uncertain in [2%, 5%]", 1, 33, "its low end, 2%, is above it"),
    ("param use[p in P] uncertain in [-5%, -1%]", 1, 38, "its high end, -1%, is below it"),
    # % on what is not a number
    ("param use[p in P] uncertain +- 'ten'%", 1, 32, '"ten" is text, but a percentage must be a number'),
    ("param use[p in P] uncertain +- make[p]%", 1, 32, "a percentage must not depend on variables"),
    ("param use[p in P] uncertain +- best%", 1, 32, "'best' holds an element of a set"),
    ("param use[p in P] uncertain +- p%", 1, 32, "a percentage must be a number, but here it is the element"),
    ("param use[p in P] uncertain +- P%", 1, 32, "'P' is a set, but a value is expected here"),
    # a percentage mixed into an expression or with an absolute end
    ("param use[p in P] uncertain +- 2% + 0.1", 1, 32, "a percentage stands alone in an uncertain clause"),
    ("param use[p in P] uncertain in [-5%, 6]", 1, 38, "mixes a percentage with an absolute end"),
    # only numbers can be uncertain
    ("param use[p in P] uncertain +- 2%\nparam pick in P default cheese uncertain +- 2%", 2, 32,
     "holds an element of a set; only numbers can be uncertain"),
])
def test_mistakes_are_located(write_model, expect_error, clause, line, column, words):
    clause = clause.replace("\n", "\n        ")
    text = f"""
        {clause}
        param spread[P] default 1
        param best in P default cream
        param profit[P]
        var make[P] >= 0 <= 15
        maximize earn: sum(p) profit[p] * make[p]
        capacity: sum(p) use[p] * make[p] <= 100
        data {{ P = {{cheese, butter, cream}}  use = {{cheese: 2, butter: 4, cream: 5}}
               profit = {{cheese: 3, butter: 5, cream: 8}}  spread = {{cheese: 1, butter: -1, cream: 1}} }}
        set P
    """
    path = write_model(text, "bad.mcp")
    expect_error(compile_model, path, line=line, column=column, file=path, contains=words)


def test_a_percentage_elsewhere_is_refused_by_the_command_located(write_model, milkrun_process):
    path = write_model("""
        param share default 1 uncertain +- 2%
        var x >= 0 <= 10
        maximize f: x
        cap: 20% * x <= share
    """)
    p = milkrun_process("check", path)
    assert p.returncode == 2
    assert p.stderr.startswith(f"{path}:4:6: error: a percentage has a meaning only in an uncertain clause")
    assert "hint: elsewhere write the fraction: 0.02 for 2%" in p.stderr


# a 2-D uncertain matrix (content[protein, milk]), an uncertain objective (its epigraph) and a
# ranged constraint (two sides): every kind of name the pass generates
BLEND = """
    set N = {protein, fat}
    set M = {milk, whey}
    param content[n in N, m in M] uncertain +- 5%
    param need[N]
    param price[m in M] uncertain in [-10%, +20%]
    var buy[M] >= 0 <= 100
    minimize cost: sum(m) price[m] * buy[m]
    mix[n in N]: need[n] <= sum(m) content[n, m] * buy[m] <= 3 * need[n]
    data { need = {protein: 30, fat: 20}  price = {milk: 2, whey: 1}
           content = {(protein, milk): 0.3, (protein, whey): 0.2, (fat, milk): 0.4, (fat, whey): 0.1} }
"""
LEAKS = ("_u", "_dev", "_q", "_z", "_epigraph", "_robust", "_lo", "_hi", "_up", "_down")


@pytest.mark.parametrize("method", [["box"], ["budget", "--budget", "2"]])
def test_reports_never_show_generated_names(write_model, cli, tmp_path, method):
    path = write_model(BLEND, "blend.mcp")
    out_dir = tmp_path / "o"
    code, printed, err = cli("solve", path, "--robust", *method, "--verbose", "--out", out_dir)
    assert code == 0, err
    _, js, _ = cli("solve", path, "--robust", *method, "--json")
    texts = {"printed": printed.replace(str(tmp_path), ""), "json": js}
    for f in sorted(out_dir.rglob("*")):
        texts[f"name {f.relative_to(out_dir)}"] = str(f.relative_to(out_dir))
        if f.suffix == ".csv":
            texts[str(f.relative_to(out_dir))] = f.read_text()
        elif f.suffix == ".json":  # its provenance records the command that ran: here, this test's file
            texts[f.name] = json.dumps({k: v for k, v in json.loads(f.read_text()).items() if k != "provenance"})
    with xr.open_dataset(out_dir / "solution.nc") as ds:  # a binary file: its names, dimensions and labels
        texts["solution.nc"] = " ".join([*map(str, ds.data_vars), *map(str, ds.dims), *map(str, ds.coords),
                                         *(str(v) for c in ds.coords for v in ds[c].values)])
    for where, text in texts.items():
        for leak in LEAKS:
            assert leak not in text, f"{leak!r} in {where}:\n{text}"
    # what the report says instead: the parameter and its entry, the family, the objective
    assert "worst case for objective cost: price[whey] +0.2, price[milk] +0.4" in printed
    assert "content[protein, milk]" in printed or "content[fat, milk]" in printed
    assert "mix (lower side)" in printed and "uncertain content: mix (lower side), mix (upper side)" in printed
    summary = json.loads(js)
    assert set(summary["robust"]["worst_case"]) == {"mix (lower side)", "mix (upper side)", "objective cost"}
    assert summary["robust"]["epigraphs"] == {"cost": "objective cost: worst case"}
    added = sorted(p.name for p in (out_dir / "added").iterdir())
    assert "objective-cost-worst-case.csv" in added
    assert all(name.startswith(("objective-cost-", "mix-lower-side-", "mix-upper-side-")) for name in added)


def test_an_infeasible_counterpart_is_explained_in_the_same_words(write_model, cli):
    # at least 7 of each: 77 hours nominal, 115.5 at +50 %; the explanation names the pass's rows
    path = write_model(PROD.replace("uncertain +- 25%", "uncertain +- 50%").replace(
        "var make[P] >= 0 <= 15", "var make[P] >= 7 <= 15"), "tight.mcp")
    code, out, _ = cli("solve", path, "--robust", "box")
    assert code == 1 and "infeasible" in out
    assert "capacity: use at the top of its range (added by milkrun for capacity, line 6) use[cheese]" in out
    for leak in ("_u", "_dev", "_up"):
        assert leak not in out


def test_a_percentage_in_data_or_a_syntax_error_list(write_model, expect_error):
    data = write_model("""
        set I
        param a[I] uncertain +- 2%
        var x >= 0
        minimize c: x
        data { I = {p}  a = {p: 2%} }
    """)
    err = expect_error(load_model, data, line=5, column=26, contains="unexpected '%'; expected ',' or '}'")
    assert "a percentage has a meaning only in an uncertain clause" in err.hint
    # '%' may follow any number, but a syntax error does not offer it as what could come next
    other = write_model("""
        var x >= 0
        minimize c: x 3
    """, "other.mcp")
    err = expect_error(load_model, other, line=2, column=15, contains="unexpected '3'")
    assert "%" not in err.message and "percent" not in err.message and err.hint is None
