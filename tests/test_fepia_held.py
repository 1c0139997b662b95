"""`milkrun fepia` end to end on a model small enough to do by hand: the seed's extra-small-tank
grouping in the output (groups.csv, summary.json, the printout), `--held-objective` and
`--held-front`.

The model. One site p where a small tank (4 L, cost 1) and a big one (10 L, cost 4) may stand, both
or either. Of M litres, x are cooled (at most the installed capacity) and sell at 3, the rest raw at
1: NPV = M + 2x − tank costs, CO₂ = 2x. `need` (0 on the fronts) is the least x; the first run's
held runs set it to 6 (`--fixed-set need=6`).

Fronts, 3 points (ε on CO₂ at its worst, middle and best value):
  low (M = 10): p·big x = 10 (NPV 26, CO₂ 20); CO₂ ≤ 10: p·small x = 4 (17, 8) beats p·big x = 5
      (16); CO₂ = 0: no tank (10, 0).
  high (M = 20): both x = 14 (43, 28); CO₂ ≤ 14: p·big x = 7 (30, 14) beats both (29) and small (27);
      no tank (20, 0).
Configurations: p·big (low:1, high:2), no tank (low:3, high:3), p·small (low:2), both (high:1). With
the rule (small = least capacity): p·big is kept (seen twice, first) and both = p·big plus one small
tank joins it (A); the empty design keeps B and p·small = nothing plus one small tank joins it.
Without the rule: four groups, A p·big, B p·small, C no tank, D both.

Held runs. NPV re-optimised (need 6): A cools all it can, x = 10: low (26, 20), high (36, 20); B (no
tank) cannot cool 6 L: infeasible, the reason names cool_some. CO₂ re-optimised (need 0): x = 0, so
CO₂ 0 and NPV = M − tank costs: A 6 / 16, B (p·small) 9 / 19, C 10 / 20, D 5 / 15.
Held fronts, 3 points, the design fixed: x from its least to its most in equal steps of CO₂.
  NPV first, need 6, A: x ∈ [6, 10]: low (26, 20), (22, 16), (18, 12); high (36, 20), (32, 16), (28, 12).
  CO₂ first, need 0: A low x ∈ [0, 10]: (0, 6), (10, 16), (20, 26); B low x ∈ [0, 4]: (0, 9), (4, 13),
  (8, 17); C: one point (0, 10); D high x ∈ [0, 14]: (0, 15), (14, 29), (28, 43).
(The front's lexicographic payoff table keeps each objective within 1e-6 of its best, so the ends
are met to about 1e-5.)
"""
from __future__ import annotations

import contextlib
import io
import json

import pandas as pd
import pytest
from conftest import dedent

from milkrun.compiler.cli.command import main

TOY = """
    model held_toy "one site, two tank types: a trade-off left when the design is held"
    set Sites
    set Types
    param capacity[Types] > 0
    param cost[Types] >= 0
    param milk > 0 default 10
    param need >= 0 default 0                   "L that must be cooled"

    var Z[m in Sites, t in Types] binary design
    var cooled[m in Sites, t in Types] >= 0     "L cooled in each tank"
    var raw >= 0                                "L sold uncooled"

    maximize npv: sum(m, t) 3 * cooled[m, t] + raw - sum(m, t) cost[t] * Z[m, t]
    minimize co2: sum(m, t) 2 * cooled[m, t]

    subject to
      all_milk: sum(m, t) cooled[m, t] + raw == milk
      fits[m in Sites, t in Types]: cooled[m, t] <= capacity[t] * Z[m, t]
      cool_some: sum(m, t) cooled[m, t] >= need

    scenario low "10 L": milk = 10
    scenario high "20 L": milk = 20

    data Sites \"\"\"
    Sites
    p
    \"\"\"
    data Types \"\"\"
    Types,capacity,cost
    small,4,1
    big,10,4
    \"\"\"
"""
TOL = 1e-4


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    p = tmp_path_factory.mktemp("toy") / "toy.mcp"
    p.write_text(dedent(TOY))
    return p


def _run(args) -> tuple[int, str]:
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main([str(a) for a in args])
    return code, stdout.getvalue()


@pytest.fixture(scope="module")
def seed_run(toy):
    """The rule on (the default), NPV held, need 6 in held runs, held fronts of 3 points, --json."""
    out = toy.parent / "seed"
    code, text = _run(["fepia", toy, "--points", "3", "--fixed-set", "need=6", "--held-front", "3", "--out", out,
                       "--json", "-q"])
    return code, json.loads(text), out


@pytest.fixture(scope="module")
def co2_run(toy):
    """The rule off, CO₂ held, held fronts of 3 points, the printout."""
    out = toy.parent / "co2"
    code, text = _run(["fepia", toy, "--points", "3", "--no-group-extra-small", "--held-objective", "co2",
                       "--held-front", "3", "--out", out, "-q"])
    return code, text, out


def _csv(out, name):
    return pd.read_csv(out / name, keep_default_na=False, na_values=[""])


def test_fronts_by_hand(seed_run):
    code, _, out = seed_run
    assert code == 0
    pts = _csv(out, "front_points.csv")
    assert list(zip(pts.scenario, pts.design)) == [("low", "p·big"), ("low", "p·small"), ("low", "(nothing)"),
                                                    ("high", "p·big p·small"), ("high", "p·big"), ("high", "(nothing)")]
    assert pts.npv.tolist() == pytest.approx([26, 17, 10, 43, 30, 20], abs=TOL)
    assert pts.co2.tolist() == pytest.approx([20, 8, 0, 28, 14, 0], abs=TOL)


def test_groups_list_members_and_why(seed_run):
    _, summary, out = seed_run
    groups = _csv(out, "groups.csv")
    assert groups[["group", "design", "kept", "reason"]].values.tolist() == [
        ["A", "p·big", True, "kept"],
        ["A", "p·big p·small", False, "A plus one small tank at p"],
        ["B", "p·small", False, "B plus one small tank at p"],
        ["B", "(nothing)", True, "kept"]]
    assert groups.front_points.tolist() == ["low:1 high:2", "high:1", "low:2", "low:3 high:3"]
    assert summary["grouping"]["extra_small"] == {"on": True, "how": "small: least capacity, 4",
                                                  "small_types": ["small"]}
    assert summary["grouping"]["groups"] == 2 and summary["grouping"]["distinct"] == 4
    a = summary["configurations"][0]
    assert a["design"] == "p·big" and a["grouped"] == ["p·big p·small"]
    assert a["members"] == [{"design": "p·big", "kept": True, "seen": [["low", 1], ["high", 2]], "reason": "kept"},
                            {"design": "p·big p·small", "kept": False, "seen": [["high", 1]],
                             "reason": "A plus one small tank at p"}]


def test_without_the_rule_four_groups(co2_run):
    code, text, out = co2_run
    assert code == 0
    groups = _csv(out, "groups.csv")
    assert list(zip(groups.group, groups.design)) == [("A", "p·big"), ("B", "p·small"), ("C", "(nothing)"),
                                                      ("D", "p·big p·small")]
    assert groups.kept.all() and (groups.reason == "kept").all()
    assert "configurations with one more small tank are not grouped (--no-group-extra-small)" in " ".join(text.split())


def test_held_objective_chooses_what_is_reoptimised(seed_run, co2_run):
    _, summary, out = seed_run
    ev = _csv(out, "evaluations.csv").set_index(["configuration", "scenario"])
    assert summary["held_objective"] == "npv"
    # NPV held: A cools all it can (10 L); B, no tank, cannot cool the 6 L held runs need
    assert ev.loc[("A", "low"), ["npv", "co2"]].tolist() == pytest.approx([26, 20])
    assert ev.loc[("A", "high"), ["npv", "co2"]].tolist() == pytest.approx([36, 20])
    for s in ("low", "high"):
        assert ev.loc[("B", s), "status"] == "infeasible" and "cool_some" in ev.loc[("B", s), "reason"]
    # CO₂ held: nothing cooled, the NPV is the milk less the tanks
    _, text, out = co2_run
    ev = _csv(out, "evaluations.csv").set_index(["configuration", "scenario"])
    assert (ev.co2 == 0).all()
    assert ev.npv.to_dict() == pytest.approx({("A", "low"): 6, ("A", "high"): 16, ("B", "low"): 9, ("B", "high"): 19,
                                              ("C", "low"): 10, ("C", "high"): 20, ("D", "low"): 5, ("D", "high"): 15})
    assert "held runs re-optimise co2; every objective is reported" in text
    # every objective in the Γ tables, whichever is held
    gamma = _csv(out, "gamma.csv")
    assert sorted(set(gamma.feature)) == ["co2", "npv"] and len(gamma) == 4 * 2 * 2
    assert json.loads((out / "summary.json").read_text())["evaluations"][0].keys() >= {"npv", "co2"}


def test_held_fronts_by_hand(seed_run, co2_run):
    _, summary, out = seed_run
    fronts = _csv(out, "held_fronts.csv")
    assert list(fronts.columns) == ["configuration", "scenario", "point", "npv", "co2", "status", "reason"]
    a = fronts[fronts.configuration == "A"].set_index(["scenario", "point"])
    assert a.npv.to_dict() == pytest.approx({("low", 1): 26, ("low", 2): 22, ("low", 3): 18,
                                             ("high", 1): 36, ("high", 2): 32, ("high", 3): 28}, abs=TOL)
    assert a.co2.to_dict() == pytest.approx({("low", 1): 20, ("low", 2): 16, ("low", 3): 12,
                                             ("high", 1): 20, ("high", 2): 16, ("high", 3): 12}, abs=TOL)
    assert (a.status == "optimal").all()
    b = fronts[fronts.configuration == "B"]  # cannot carry need = 6: a row each, no point
    assert b.scenario.tolist() == ["low", "high"] and b.point.isna().all() and (b.status == "infeasible").all()
    assert b.reason.str.contains("cool_some").all()
    assert summary["held_fronts"]["points"] == 3 and summary["held_fronts"]["objective"] == "npv"
    assert len(summary["held_fronts"]["rows"]) == len(fronts)
    assert summary["held_fronts"]["rows"][0] == {"configuration": "A", "scenario": "low", "point": 1,
                                                 "npv": pytest.approx(26, abs=TOL), "co2": pytest.approx(20, abs=TOL),
                                                 "status": "optimal", "reason": ""}
    # CO₂ first: each front from its CO₂-best end
    _, text, out = co2_run
    fronts = _csv(out, "held_fronts.csv").set_index(["configuration", "scenario"])
    for key, points in {("A", "low"): [(0, 6), (10, 16), (20, 26)], ("B", "low"): [(0, 9), (4, 13), (8, 17)],
                        ("C", "low"): [(0, 10)], ("D", "high"): [(0, 15), (14, 29), (28, 43)]}.items():
        f = fronts.loc[[key]]
        assert f.point.tolist() == list(range(1, len(points) + 1))
        assert list(zip(f.co2, f.npv)) == [pytest.approx(p, abs=TOL) for p in points], key
    assert "held fronts (3 points each, the design fixed, co2 first" in text
