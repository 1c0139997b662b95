"""`milkrun twin`: a design solved, then held under changed data, every figure checked by hand."""
from __future__ import annotations

import json

import pytest
from pytest import approx

from milkrun.compiler.cli.command import main
from milkrun.compiler.studies.twin import run_twin

# Two sites (x, y), each 100 units and 50 to open; three farms. Baseline by hand: the 150
# units need both sites (cost 100); a -> x (1), b -> y (1), c -> x (1): 60 + 60 + 30 = 150,
# total 250, utilisation 150 / 200 = 75 %.
MODEL = """
    set Sites
    set Farms
    param cap[Sites] default 100
    param open_cost[Sites] default 50
    param milk[Farms]
    param dist[Farms, Sites]
    var open[Sites] binary design
    var go[Farms, Sites] binary
    minimize cost: sum(s) open_cost[s] * open[s] + sum(f, s) dist[f, s] * milk[f] * go[f, s]
    one[f in Farms]: sum(s) go[f, s] == 1
    fits[s in Sites]: sum(f) milk[f] * go[f, s] <= cap[s] * open[s]
    kpi utilisation "%": 100 * sum(f) milk[f] / sum(s) cap[s] * open[s]
    kpi per_unit: (sum(s) open_cost[s] * open[s] + sum(f, s) dist[f, s] * milk[f] * go[f, s]) / sum(f) milk[f]
    data {
      Sites = {x, y}
      Farms = {a, b, c}
      milk = {a: 60, b: 60, c: 30}
      dist = {(a, x): 1, (a, y): 3, (b, x): 3, (b, y): 1, (c, x): 1, (c, y): 1.2}
    }
"""


@pytest.fixture
def model(write_model):
    return write_model(MODEL)


def test_baseline_fixed_and_adjusted_by_hand(model):
    twin = run_twin(model, ["dist[c,x]*=2"])
    base, fixed, adjusted = twin.columns
    assert twin.design == ["open"]
    assert base.status == "optimal" and base.objectives["cost"] == approx(250)
    assert base.kpis["utilisation"] == approx(75)
    # held: c still drives to x, now 2 a unit: 100 + 60 + 60 + 60
    assert fixed.status == "holds" and len(fixed.broken) == 0
    assert fixed.objectives["cost"] == approx(280)
    assert fixed.kpis["per_unit"] == approx(280 / 150)
    # re-planned with both sites still open: c moves to y (1.2): 100 + 60 + 60 + 36
    assert adjusted.status == "optimal" and adjusted.objectives["cost"] == approx(256)
    table = twin.table()
    assert table.loc["cost", "fixed vs baseline %"] == approx(100 * 30 / 250)
    assert table.loc["cost", "adjusted vs baseline %"] == approx(100 * 6 / 250)


def test_the_design_is_what_stays(model):
    # less milk: one site could hold it all, but the design keeps both open (cost 100 stays)
    twin = run_twin(model, ["milk*=0.5"])
    base, fixed, adjusted = twin.columns
    assert fixed.objectives["cost"] == approx(100 + 30 + 30 + 15)
    assert adjusted.objectives["cost"] == approx(175)
    assert fixed.kpis["utilisation"] == approx(37.5)


def test_a_capacity_shortfall_is_reported_not_a_crash(model):
    # c doubles: x would hold 60 + 60 = 120 of its 100; no re-assignment fits either
    twin = run_twin(model, ["milk[c]*=2"])
    base, fixed, adjusted = twin.columns
    assert fixed.status == "breaks rows"
    row = fixed.broken.iloc[0]
    assert (row["family"], row["at"], row["excess"]) == ("fits", "[x]", approx(20))
    assert adjusted.status == "infeasible"
    assert "no integer (or binary) assignment" in adjusted.message  # the LP could split c


def test_cli_writes_the_table(model, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["twin", str(model), "--perturb", "dist[c,x]*=2", "--out", str(out), "--json"])
    assert code == 0
    s = json.loads(capsys.readouterr().out)
    assert s["columns"]["adjusted"]["objectives"]["cost"] == approx(256)
    assert (out / "twin.csv").read_text().splitlines()[0].startswith("figure,baseline,fixed,adjusted")
    assert (out / "baseline" / "go.csv").exists() and (out / "adjusted" / "open.csv").exists()
    # a shortfall: exit 1 (the adjusted plan does not exist), the broken rows written
    assert main(["twin", str(model), "--perturb", "milk[c]*=2", "--out", str(out / "short")]) == 1
    assert "fits" in (out / "short" / "fixed_broken_rows.csv").read_text()
    assert "the held plan breaks 1 row(s) of fits" in capsys.readouterr().out


def test_twin_errors(model, write_model, capsys):
    assert main(["twin", str(model), "--perturb", "mlk*=0.5"]) == 2
    err = capsys.readouterr().err
    assert "'mlk' is not declared" in err and "did you mean 'milk'" in err
    assert main(["twin", str(model)]) == 2
    assert "at least one --perturb" in capsys.readouterr().err
    plain = write_model(MODEL.replace("binary design", "binary"), "plain.mcp")
    assert main(["twin", str(plain), "--perturb", "milk*=0.5"]) == 2
    assert "marks no variable as 'design'" in capsys.readouterr().err


def test_twin_refuses_robust_rather_than_ignoring_it(model, capsys):
    assert main(["twin", str(model), "--perturb", "milk*=0.5", "--robust", "box"]) == 2
    assert "--robust does not apply here" in capsys.readouterr().err
