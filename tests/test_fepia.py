"""`milkrun fepia`: fronts per scenario, configurations grouped, held under every scenario,
Γ/Φ tables and the robustness radius, on a four-farm cousin of the location model whose
every outcome is worked out by hand below; plus the paper's configuration A held on
models/location.mcp itself, and the errors.

The small model. f, a and b lie on a meridian: f 500 m south of a, b 100 m north of a. e, the
only rider, lies 1 km east of the midpoint of a and b, so d(e, a) = d(e, b) = √(1 + 0.05²) =
1.0012492 km and d(e, f) = √(1 + 0.55²) = 1.1412712 km. Cows f 2, a 1, b 6, e 3 (12 in all);
milk = yield × cows. A small tank holds 12 L and costs 30, a big one 50 L and 50; a tank in use
is filled to half its size. NPV = 10 × milk − tanks − Σ km × (10 + litres) per delivery;
CO₂ = e's litres × km (only e rides).

Moving one tank from a to b changes the NPV by 0.1 × (w_b − w_f − w_a) with w = 10 + litres
(e is as far from both): at 3 L a cow 0.1 × (28 − 16 − 13) = −0.1, at 4 L 0.1 × (34 − 18 − 14) =
+0.2. So a big tank stands at a under lo (3 L) and at b under hi (4 L): the two configurations
100 m apart that grouping at 250 m merges.

Fronts (e delivers either at home, CO₂ 0, or to a tank at least 1.0012 km away):
  lo  (36 L): one big tank at a, NPV 360 − 50 − (0.5·16 + 0.1·28 + 1.0012492·19) = 280.176,
      CO₂ 9·1.0012492; or e alone in a small tank at e and the rest in a big one at a,
      NPV 360 − 80 − (0.5·16 + 0.1·28) = 269.2, CO₂ 0.
  hi  (48 L): big at b, 480 − 50 − (0.6·18 + 0.1·14 + 1.0012492·22) = 395.7725; small at e + big
      at b, 480 − 80 − (0.6·18 + 0.1·14) = 387.8, CO₂ 0.
  peak (60 L: no single tank holds it; e's 15 L only fit a big one): small at f (f alone) + big
      at b (a, b, e), 600 − 80 − (0.1·15 + 1.0012492·25) = 493.469; big at b (a, b) + big at e
      (e, f), 600 − 100 − (0.1·15 + 1.1412712·20) = 475.675, CO₂ 0.
"""
from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from conftest import REPO, dedent

from milkrun.compiler.cli.command import main
from milkrun.compiler.studies.fepia.configurations import Configuration, Sites, find_sites, group, label, near
from milkrun.compiler.studies.fepia.robustness import Tolerance, parse_tolerance, radius, violations
from milkrun.compiler.studies.fepia.run import FepiaSpec, run_fepia
from milkrun.dsl.diagnostics import MilkrunError

D_EA = np.hypot(1, 0.05)   # km from e to a and to b
D_EF = np.hypot(1, 0.55)   # km from e to f

MINI = """
    model mini_tanks "four farms, two tank types: a small cousin of models/location.mcp"
    set Farms
    set Types
    param lat[Farms]
    param lon[Farms]
    param cows[Farms] >= 0
    param rides[Farms] binary default 0
    param capacity[Types] > 0
    param cost[Types] >= 0
    param yield_per_cow > 0 default 3 uncertain in [2, 5]
    param price default 10
    param trip default 10                 "per km, whatever the load"
    param min_use in [0, 1] default 0.5
    param idle_allowed binary default 0
    param supply[i in Farms] = yield_per_cow * cows[i]
    param km[i in Farms, m in Farms] = haversine(lat[i], lon[i], lat[m], lon[m])

    var Z[m in Farms, t in Types] binary design
    var W[m in Farms, i in Farms, t in Types] binary
    var Active[m in Farms, t in Types] in [0, 1]

    maximize npv: sum(i) price * supply[i] - sum(m, t) cost[t] * Z[m, t]
        - sum(m, i, t) km[i, m] * (trip + supply[i]) * W[m, i, t]
    minimize co2: sum(m, i, t) rides[i] * km[i, m] * supply[i] * W[m, i, t]

    subject to
      one_tank[m in Farms]: sum(t) Z[m, t] <= 1
      delivers[i in Farms]: sum(m, t) W[m, i, t] == 1
      holds[m in Farms, t in Types]: sum(i) supply[i] * W[m, i, t] <= capacity[t] * Z[m, t]
      filled[m in Farms, t in Types]: sum(i) supply[i] * W[m, i, t] >= min_use * capacity[t] * Active[m, t]
      in_use_stands[m in Farms, t in Types]: Active[m, t] <= Z[m, t]
      stands_in_use[m in Farms, t in Types]: Active[m, t] >= Z[m, t] - idle_allowed
      only_open[m in Farms, i in Farms, t in Types]: W[m, i, t] <= Active[m, t]
      enough: sum(m, t) capacity[t] * Z[m, t] >= sum(i) supply[i]

    kpi installed "L": sum(m, t) capacity[t] * Z[m, t]
    kpi utilisation "% of installed": 100 * sum(i) supply[i] / installed
    kpi tanks "standing": sum(m, t) Z[m, t]
    kpi use[m in Farms, t in Types] "%": if Z[m, t] > 0.5 then 100 * sum(i) supply[i] * W[m, i, t] / capacity[t] else 0

    scenario lo "3 L a cow": yield_per_cow = 3
    scenario hi "4 L a cow": yield_per_cow = 4
    scenario peak "5 L a cow": yield_per_cow = 5

    data Farms \"\"\"
    Farms,lat,lon,cows,rides
    f,-0.0044966018,0,2,0
    a,0,0,1,0
    b,0.00089932036,0,6,0
    e,0.00044966018,0.0089932036,3,1
    \"\"\"
    data Types \"\"\"
    Types,capacity,cost
    small,12,30
    big,50,50
    \"\"\"
"""
NPV = {("lo", 1): 360 - 50 - (0.5 * 16 + 0.1 * 28 + D_EA * 19), ("lo", 2): 360 - 80 - (0.5 * 16 + 0.1 * 28),
       ("hi", 1): 480 - 50 - (0.6 * 18 + 0.1 * 14 + D_EA * 22), ("hi", 2): 480 - 80 - (0.6 * 18 + 0.1 * 14),
       ("peak", 1): 600 - 80 - (0.1 * 15 + D_EA * 25), ("peak", 2): 600 - 100 - (0.1 * 15 + D_EF * 20)}
DESIGNS = {("lo", 1): "a·big", ("lo", 2): "a·big e·small", ("hi", 1): "b·big", ("hi", 2): "b·big e·small",
           ("peak", 1): "b·big f·small", ("peak", 2): "b·big e·big"}


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    p = tmp_path_factory.mktemp("mini") / "mini.mcp"
    p.write_text(dedent(MINI))
    return p


@pytest.fixture(scope="module")
def cli_run(mini):
    """One end-to-end run of the command (the slow part of this file, about 10 s). The seed's
    extra-small-tank rule is off: these tests are about the distance rule and the radius (the rule
    on these designs: test_fepia_groups.py)."""
    out = mini.parent / "out"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(["fepia", str(mini), "--points", "3", "--no-group-extra-small", "--tolerance", "utilisation>=70",
                     "--gamma", "npv,co2", "--phi", "installed,utilisation,tanks", "--radius-steps", "6",
                     "--radius-resolution", "0.004", "--out", str(out), "--json"])
    return code, json.loads(stdout.getvalue()), out


def _csv(out, name):
    return pd.read_csv(out / name, keep_default_na=False, na_values=[""])


def test_fronts_and_their_configurations(cli_run):
    code, summary, out = cli_run
    assert code == 0
    pts = _csv(out, "front_points.csv")
    assert [(s, p) for s, p in zip(pts.scenario, pts.point)] == list(NPV)
    for row in pts.itertuples():
        assert row.npv == pytest.approx(NPV[(row.scenario, row.point)], abs=1e-6)
        assert row.design == DESIGNS[(row.scenario, row.point)]
    co2 = dict(zip(zip(pts.scenario, pts.point), pts.co2))
    assert co2[("lo", 1)] == pytest.approx(9 * D_EA, rel=1e-6) and co2[("hi", 1)] == pytest.approx(12 * D_EA, rel=1e-6)
    assert co2[("lo", 2)] == co2[("hi", 2)] == co2[("peak", 2)] == pytest.approx(0, abs=1e-9)
    assert summary["perturbation"] == "yield_per_cow"
    assert {s: v["yield_per_cow"] for s, v in summary["scenarios"].items()} == {"lo": 3, "hi": 4, "peak": 5}


def test_grouping_within_250_m(cli_run):
    _, summary, out = cli_run
    conf = _csv(out, "configurations.csv").set_index("configuration")
    # a·big (lo) and b·big (hi) stand 100 m apart: one group, kept the first seen (both seen once)
    assert conf.design.to_dict() == {"A": "a·big", "B": "a·big e·small", "C": "b·big f·small", "D": "b·big e·big"}
    assert conf.grouped.fillna("").to_dict() == {"A": "b·big", "B": "b·big e·small", "C": "", "D": ""}
    assert conf.front_points.to_dict() == {"A": "lo:1 hi:1", "B": "lo:2 hi:2", "C": "peak:1", "D": "peak:2"}
    assert summary["grouping"]["distinct"] == 6 and summary["grouping"]["groups"] == 4
    assert "within 250 m" in summary["grouping"]["how"]
    pts = _csv(out, "front_points.csv")
    assert list(pts.configuration) == ["A", "B", "A", "B", "C", "D"]


def test_held_configurations_by_hand(cli_run):
    _, _, out = cli_run
    ev = _csv(out, "evaluations.csv").set_index(["configuration", "scenario"])
    # each configuration under its own scenario gives its front point back
    for (s, p), c in {("lo", 1): "A", ("lo", 2): "B", ("peak", 1): "C", ("peak", 2): "D"}.items():
        assert ev.loc[(c, s), "npv"] == pytest.approx(NPV[(s, p)], abs=1e-6)
    # A (one big tank at a) under hi: every farm to a, 480 − 50 − (0.5·18 + 0.1·34 + 1.0012·22)
    assert ev.loc[("A", "hi"), "npv"] == pytest.approx(480 - 50 - (0.5 * 18 + 0.1 * 34 + D_EA * 22), abs=1e-6)
    assert ev.loc[("A", "hi"), "utilisation"] == pytest.approx(100 * 48 / 50)
    # C (small at f, big at b) under lo: f (6 L) fills the small tank, a, b, e go to b
    assert ev.loc[("C", "lo"), "npv"] == pytest.approx(360 - 80 - (0.1 * 13 + D_EA * 19), abs=1e-6)
    # infeasible combinations, recorded with the reason: 60 L do not fit A's 50 L tank, and D's two
    # big tanks need 2 × 25 L to be filled, more than lo's 36 L and hi's 48 L
    for key in [("A", "peak"), ("D", "lo"), ("D", "hi")]:
        assert ev.loc[key, "status"] == "infeasible"
        assert np.isnan(ev.loc[key, "npv"])
    assert "enough" in ev.loc[("A", "peak"), "reason"]   # the capacity row that cannot hold
    assert "filled" in ev.loc[("D", "lo"), "reason"]     # the minimum-use row
    gamma = _csv(out, "gamma.csv")
    assert set(gamma.feature) == {"npv", "co2"} and len(gamma) == 4 * 3 * 2
    wide = pd.read_csv(out / "phi_wide.csv", header=[0, 1], index_col=0)
    assert wide.loc["B", ("utilisation", "peak")] == pytest.approx(100 * 60 / 62)
    assert wide.loc["D", ("installed", "peak")] == 100


def test_radius_against_the_hand_computed_crossings(cli_run):
    _, summary, out = cli_run
    r = _csv(out, "radius.csv").set_index(["configuration", "origin"])
    res = 0.004
    # A: one 50 L tank holds 12·y L, so its use 24·y % falls below 70 % at y = 70·50/1200 = 2.9167
    # (from lo, 3: radius 0.0833), and no plan exists above y = 50/12 = 4.1667 (from hi, 4: 0.1667)
    assert r.loc[("A", "lo"), "radius"] == pytest.approx(3 - 70 * 50 / 1200, abs=res)
    assert r.loc[("A", "lo"), "binding"].startswith("utilisation")
    assert r.loc[("A", "lo"), "side"] == "below"
    assert r.loc[("A", "hi"), "radius"] == pytest.approx(50 / 12 - 4, abs=res)
    assert r.loc[("A", "hi"), "binding"].startswith("infeasible") and r.loc[("A", "hi"), "side"] == "above"
    for key in r.index:
        row = r.loc[key]
        if row.radius > 0:  # the bracket: holds at holds_up_to, fails at fails_at, no wider than asked
            assert row.holds_up_to < row.fails_at <= row.holds_up_to + res
    assert r.loc[("A", "lo"), "configuration_radius"] == pytest.approx(3 - 70 * 50 / 1200, abs=res)
    # B (62 L) at lo is 36/62 = 58 % full: it fails at its origin
    assert r.loc[("B", "lo"), "radius"] == 0 and r.loc[("B", "lo"), "side"] == "at the origin"
    # C (62 L, from peak 5): 1200·y/62 ≥ 70 down to y = 3.6167; above 5 is outside the range [2, 5]
    assert r.loc[("C", "peak"), "radius"] == pytest.approx(5 - 70 * 62 / 1200, abs=res)
    assert summary["most_robust"]["configuration"] == "C"
    assert summary["radius"]["range"] == [2, 5]  # the parameter's `uncertain in [2, 5]`


def test_files_written(cli_run):
    _, summary, out = cli_run
    for name in ["configurations.csv", "front_points.csv", "evaluations.csv", "gamma.csv", "gamma_wide.csv",
                 "phi.csv", "phi_wide.csv", "radius.csv", "radius_curve.csv", "summary.json", "fronts.png",
                 "features.png", "fronts/lo/front.csv", "fronts/peak/front.nc"]:
        assert (out / name).stat().st_size > 0, name
    assert (out / "fronts.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((out / "summary.json").read_text())["most_robust"] == summary["most_robust"]
    curve = _csv(out, "radius_curve.csv")
    a = curve[curve.configuration == "A"].set_index("yield_per_cow")
    assert a.loc[2.5, "utilisation"] == pytest.approx(24 * 2.5)  # the scan: 2, 2.5, ..., 5
    assert a.loc[5.0, "status"] == "infeasible"


def test_fixed_set_only_in_held_runs_and_grouping_at_50_m(mini):
    """The paper's step 4: minimum use dropped, tanks may stand idle. The fronts do not change."""
    res = run_fepia(FepiaSpec(str(mini), points=3, group_distance=50, group_extra_small=False,
                              fixed_set=["min_use=0", "idle_allowed=1"]))
    assert res.fronts["lo"].front.points[0]["npv"] == pytest.approx(NPV[("lo", 1)], abs=1e-6)
    # 100 m apart is not within 50 m: all six configurations stay
    assert [g.kept.text() for g in res.groups] == list(DESIGNS.values())
    assert [g.label for g in res.groups] == list("ABCDEF")
    d = next(g for g in res.groups if g.kept.text() == "b·big e·big").label
    # two big tanks under lo, now allowed to be half empty: e at home, f, a, b at b
    e = res.evaluations[(d, "lo")]
    assert e.feasible and e.objectives["npv"] == pytest.approx(360 - 100 - (0.6 * 16 + 0.1 * 13), abs=1e-6)
    assert e.kpis["utilisation"] == pytest.approx(36)
    assert res.radii == [] and res.most_robust is None
    assert any("no --tolerance" in n for n in res.notes)
    assert res.gamma == ["npv", "co2"] and res.phi == ["installed", "utilisation", "tanks"]  # the defaults


# --------------------------------------------------------------------------- the parts, without solving
def _conf(sites_types):
    entries = tuple(sorted(("Z", (s, t), 1.0) for s, t in sites_types))
    values = {"Z": xr.DataArray(np.zeros((1, 1)), dims=("m", "t"))}
    return Configuration(entries, values)


def test_near_matches_sites_one_to_one():
    # three sites on a meridian, 100 m and 1 km north of the first
    step = 0.00089932036  # degrees of latitude in 100 m
    sites = Sites({"Z": "m"}, {"p": 0.0, "q": step, "r": 10 * step}, {"p": 0.0, "q": 0.0, "r": 0.0}, ("lat", "lon"))
    assert sites.distances(["p"], ["q"])[0, 0] == pytest.approx(100, rel=1e-6)
    a, b = _conf([("p", "big"), ("r", "small")]), _conf([("q", "big"), ("r", "small")])
    assert near(a, b, sites, 250) and not near(a, b, sites, 50)
    assert not near(a, _conf([("q", "small"), ("r", "big")]), sites, 250)  # types swapped: not the same
    assert not near(a, _conf([("q", "big")]), sites, 250)                  # one tank fewer
    # p and q both within reach of q and p: a matching exists although r is far from both
    assert near(_conf([("p", "big"), ("q", "big")]), _conf([("q", "big"), ("p", "big")]), sites, 10)
    assert not near(a, b, None, 250)  # without coordinates, only identical ones


def test_group_keeps_the_most_seen_and_labels_in_order():
    step = 0.00089932036
    sites = Sites({"Z": "m"}, {"p": 0.0, "q": step, "r": 30 * step}, {"p": 0.0, "q": 0.0, "r": 0.0}, ("lat", "lon"))
    first, second, third = _conf([("r", "big")]), _conf([("p", "big")]), _conf([("q", "big")])
    first.seen, first.order = [("s1", 1)], 0
    second.seen, second.order = [("s1", 2)], 1
    third.seen, third.order = [("s2", 1), ("s3", 1)], 2
    groups = group([first, second, third], sites, 250)
    assert [g.label for g in groups] == ["A", "B"]
    assert groups[1].kept is third and groups[1].members == [second, third]  # seen twice beats first seen
    assert groups[1].scenarios == ["s1", "s2", "s3"]
    assert [label(i) for i in (0, 25, 26, 27)] == ["A", "Z", "AA", "AB"]


def test_radius_scan_and_bisection():
    ok = lambda p: [] if 2.0 <= p <= 3.3 else ["x"]
    r = radius(ok, 3.0, [1, 2, 3, 4, 5], 1, 5, 0.01)
    assert r.found and r.side == "above" and r.high == pytest.approx(0.3, abs=0.01) and r.low < 0.3 <= r.high
    assert r.resolution <= 0.01 and r.binding == ["x"]
    # no crossing in the range: a lower bound, the distance to the farther end
    r = radius(lambda p: [], 3.0, [1, 2, 3, 4, 5], 1, 5, 0.01)
    assert not r.found and r.value == 2.0 and "no crossing" in r.text()
    r = radius(ok, 4.0, [1, 2, 3, 4, 5], 1, 5, 0.01)
    assert r.high == 0 and r.side == "at the origin"
    # both sides cross; the nearer wins even when the scan met the farther one first
    two = lambda p: [] if 2.95 <= p <= 3.4 else (["low"] if p < 3 else ["high"])
    r = radius(two, 3.0, [2.9, 3.0, 3.5], 2.9, 3.5, 0.001)
    assert r.binding == ["low"] and r.value == pytest.approx(0.05, abs=0.001)


def test_tolerances_parse_and_check():
    t = parse_tolerance(" active_use >= 70 ", ["active_use", "npv"])
    assert t == Tolerance("active_use", ">=", 70.0) and t.holds(70) and not t.holds(69.9) and not t.holds(np.nan)
    assert parse_tolerance("npv<=1e3", ["npv"]).bound == 1000
    assert violations({"npv": 1200.0}.get, [parse_tolerance("npv<=1e3", ["npv"])]) == ["npv 1200 > 1000"]
    for bad in ["active_use=>70", "active_use >= seventy", "active_use", ">= 70"]:
        with pytest.raises(MilkrunError, match="expects NAME>=VALUE"):
            parse_tolerance(bad, ["active_use"])
    with pytest.raises(MilkrunError) as e:
        parse_tolerance("activ_use>=70", ["active_use"])
    assert "did you mean 'active_use'" in str(e.value)


def test_no_coordinates_groups_identical_only(write_model):
    from milkrun.compiler.pipeline import bind_data, load_model

    p = write_model(MINI.replace("param lat[Farms]", "param north[Farms]").replace("lat[i], lon[i], lat[m]",
                                                                                   "north[i], lon[i], north[m]")
                    .replace("Farms,lat,", "Farms,north,"))
    ir = load_model(p)
    instance, _ = bind_data(ir, None)
    sites, how = find_sites(ir, instance, ["Z"], None)
    assert sites is None and "only identical configurations are grouped" in how
    sites, how = find_sites(ir, instance, ["Z"], ("north", "lon"))
    assert sites.dims == {"Z": "m"} and sites.distances(["a"], ["b"])[0, 0] == pytest.approx(100, rel=1e-6)


# --------------------------------------------------------------------------- the location model
def test_paper_configuration_a_held_on_the_location_model():
    """The paper's configuration A (t4 tanks at farms 23 and 27) held under pi1 and pi4 with its
    step-4 changes: 292 cows × 1,800 L in 2 × 576,000 L is 45.625 % of the installed capacity,
    × 3,600 L 91.25 %; with a minimum use of 0 both tanks are in use and every farm delivers."""
    from milkrun.compiler.passes.fix import design_names
    from milkrun.compiler.pipeline import compile_model
    from milkrun.compiler.studies.fepia.reoptimise import HeldDesign

    model = REPO / "models" / "location.mcp"
    compiled = compile_model(model)
    assert design_names(compiled.ir) == ["Z"]
    z = xr.zeros_like(compiled.linopy.variables["Z"].labels, dtype=float)
    z.loc[{"m": [23, 27], "t": "t4"}] = 1
    held = HeldDesign(model)
    for scenario, use in (("pi1", 45.625), ("pi4", 91.25)):
        e = held.evaluate({"Z": z}, scenario, ("min_use=0", "idle_allowed=1"))
        assert e.feasible, e.reason
        assert e.kpis["installed"] == 1_152_000 and e.kpis["utilisation"] == pytest.approx(use)
        assert e.kpis["open_tanks"] == pytest.approx(2) and e.kpis["installed_tanks"] == 2
        assert e.objectives["npv"] == pytest.approx(e.kpis["npv_mcop"], rel=1e-9)
    # a single t1 tank (187,200 L) cannot hold pi1's 525,600 L: recorded, not raised
    one = xr.zeros_like(z)
    one.loc[{"m": 23, "t": "t1"}] = 1
    e = held.evaluate({"Z": one}, "pi1", ("min_use=0", "idle_allowed=1"))
    assert e.status == "infeasible" and "enough_capacity" in e.reason


# --------------------------------------------------------------------------- errors
def test_errors_before_any_solve(cli, mini, write_model, tmp_path):
    out = tmp_path / "out"
    code, _, err = cli("fepia", mini, "--scenarios", "lo,peek", "--out", out)
    assert code == 2 and "no scenario 'peek'" in err and "did you mean 'peak'" in err
    code, _, err = cli("fepia", mini, "--gamma", "npv,utilisaton", "--out", out)
    assert code == 2 and "did you mean 'utilisation'" in err and "--gamma" in err
    code, _, err = cli("fepia", mini, "--phi", "use", "--out", out)
    assert code == 2 and "kpi 'use' is indexed" in err
    code, _, err = cli("fepia", mini, "--tolerance", "utilisation=>70", "--out", out)
    assert code == 2 and "--tolerance expects NAME>=VALUE" in err
    code, _, err = cli("fepia", mini, "--perturbation", "yeild_per_cow", "--out", out)
    assert code == 2 and "did you mean 'yield_per_cow'" in err
    code, _, err = cli("fepia", mini, "--fixed-set", "min_uses=0", "--out", out)
    assert code == 2 and "--fixed-set" in err and "did you mean 'min_use'" in err
    code, _, err = cli("fepia", mini, "--radius-range", "5:2", "--out", out)
    assert code == 2 and "LO must be below HI" in err
    code, _, err = cli("fepia", mini, "--tolerance", "utilisation>=70", "--radius-range=-1:5", "--out", out)
    assert code == 2 and "yield_per_cow = -1 is not a value the model accepts" in err
    code, _, err = cli("fepia", mini, "--scenario", "lo", "--out", out)
    assert code == 2 and "--scenarios" in err
    code, _, err = cli("fepia", mini, "--robust", "box", "--out", out)
    assert code == 2 and "does not take --robust" in err
    # no design variable: located at the first variable, with the fix
    plain = write_model(MINI.replace("binary design", "binary"), "plain.mcp")
    code, _, err = cli("fepia", plain, "--out", out)
    assert code == 2 and "marks no variable as 'design'" in err and "plain.mcp:18:" in err
    # scenarios that change two parameters: which one is perturbed must be said
    two = write_model(MINI.replace('yield_per_cow = 4', 'yield_per_cow = 4, price = 11'), "two.mcp")
    code, _, err = cli("fepia", two, "--out", out)
    assert code == 2 and "change 2 parameters (yield_per_cow, price)" in err and "--perturbation" in err
    assert not out.exists()  # refused before anything ran


def test_fronts_on_two_workers_match_the_sequential_run(cli_run, mini):
    """--workers 2: each scenario's front in its own process; the same fronts and configurations."""
    _, summary, out = cli_run
    par = mini.parent / "out_workers"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(["fepia", str(mini), "--points", "3", "--workers", "2", "--no-group-extra-small",
                     "--gamma", "npv,co2",
                     "--phi", "installed,utilisation,tanks", "--out", str(par), "--json"])
    assert code == 0
    assert _csv(par, "configurations.csv").equals(_csv(out, "configurations.csv"))
    assert _csv(par, "front_points.csv").equals(_csv(out, "front_points.csv"))
    assert (par / "fronts" / "lo" / "front.csv").exists()
