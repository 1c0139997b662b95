"""The robustness radius of `milkrun fepia` with several perturbed parameters, and the search for a
feature that leaves its tolerance and comes back between two scan points; every answer worked out
by hand on TWO below.

TWO: whatever the design, x = 2p + q/2 (the kpi `lin`) and the kpi `dip` = |p − 12|. Nominal
values p = 10, q = 20, so the origin (the scenario `nominal`) has lin = 30 and dip = 2.

- `lin <= 35`, p and q perturbed together. In changes relative to the nominal values,
  p = 10(1 + δp), q = 20(1 + δq): lin = 30 + 20 δp + 10 δq, and it reaches 35 on the line
  20 δp + 10 δq = 5. The nearest point of that line is at ‖δ‖₂ = 5 / √(20² + 10²) = 0.2236068,
  in the direction (2, 1)/√5, where p = 12 and q = 21 (lin = 24 + 10.5 + ... = 35).
- `dip >= 0.5`, p alone over [5, 15] with 4 scan intervals (5, 7.5, 10, 12.5, 15): every scan
  value holds (dip 7, 4.5, 2, 0.5, 3), yet dip < 0.5 for p in (11.5, 12.5): the radius is 1.5,
  above, found only by looking between scan points.
"""
from __future__ import annotations

import json
import math

import pytest
from conftest import dedent

from milkrun.compiler.cli.command import main
from milkrun.compiler.studies.fepia.run import FepiaSpec, run_fepia
from milkrun.compiler.studies.fepia.search import Probe, Slopes, along, drive
from milkrun.dsl.diagnostics import MilkrunError

TWO = """
    model two_params "a design whose features are linear in two parameters, or dip and come back"
    set Sites = {a, b}
    param p default 10 uncertain in [5, 15]
    param q default 20 uncertain in [10, 30]
    var Z[s in Sites] binary design
    var x >= 0
    maximize gain: 3 * Z["a"] + 2 * Z["b"] - 0.001 * x
    minimize cost: sum(s) Z[s]
    subject to
      one: sum(s) Z[s] <= 1
      level: x == 2 * p + 0.5 * q
    kpi lin "2p + q/2": x
    kpi dip "|p - 12|": abs(p - 12)
    scenario nominal "the data as given": p = 10
"""
NEAREST = 5 / math.hypot(20, 10)


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    path = tmp_path_factory.mktemp("two") / "two.mcp"
    path.write_text(dedent(TWO))
    return str(path)


def test_two_parameters_radius_is_the_distance_to_the_line(two):
    res = run_fepia(FepiaSpec(two, points=3, perturbation=["p", "q"], tolerances=["lin<=35"]))
    assert res.perturbations == ["p", "q"] and res.nominal == {"p": 10.0, "q": 20.0}
    assert [g.kept.text() for g in res.groups] == ["a", "(nothing)"]
    for row in res.radii:
        r = row.radius
        assert r.found and r.relative and r.binding[0].startswith("lin ")
        assert r.low <= NEAREST + 1e-3 and r.value == pytest.approx(NEAREST, abs=1.5e-3)
        assert r.high - r.low <= 1e-3  # the default resolution: 0.001 of the norm
        assert (r.direction["p"], r.direction["q"]) == pytest.approx((2 / 5 ** 0.5, 1 / 5 ** 0.5), abs=0.03)
        assert 2 * r.at["p"] + 0.5 * r.at["q"] == pytest.approx(35, abs=0.02)  # the failing point is on the line
        assert r.origin == {"p": 10.0, "q": 20.0}
    assert "16 directions, refined to 2.8125°" in res.guarantee


def test_a_dip_between_scan_points_is_found(two):
    spec = {"points": 3, "perturbation": "p", "tolerances": ["dip>=0.5"], "radius_steps": 4,
            "radius_resolution": 0.01}
    res = run_fepia(FepiaSpec(two, **spec))
    assert res.radius_grid == [5.0, 7.5, 10.0, 12.5, 15.0]
    for row in res.radii:
        r = row.radius
        assert r.found and r.side == "above" and r.value == pytest.approx(1.5, abs=0.01)
        assert 11.5 <= r.at <= 11.5 + 0.01 and r.hidden_checks > 0
        assert not r.relative and r.text() == "1.499 ± 0.005"
    assert res.slope_bounds["A"]["dip >= 0.5"] == pytest.approx(2 * 1.0)  # twice the fastest change seen: 1 a unit
    # without looking between scan points, every scanned value holds
    res = run_fepia(FepiaSpec(two, **spec, slope_factor=0))
    assert all(not row.radius.found and row.radius.low == 5.0 for row in res.radii)
    assert "not looked for" in res.guarantee


def test_along_splits_only_where_a_crossing_could_hide():
    def margin(t):  # a dip below zero at t in (2.4, 2.6), 1 per unit everywhere else
        return abs(t - 2.5) - 0.1

    def check(t):
        m = margin(t)
        return Probe(["dip"] if m < 0 else [], {"dip": m})

    scan = [1.0, 2.0, 3.0, 4.0]
    found = drive(along(check(0.0), scan, 4.0, 0.001, Slopes()), check)
    assert found.high == pytest.approx(2.4, abs=0.001) and found.low < 2.4 <= found.high and found.hidden_checks > 0
    assert drive(along(check(0.0), scan, 4.0, 0.001), check).high is None  # no slopes: the scan alone misses it
    flat = drive(along(Probe([], {"dip": 5.0}), scan, 4.0, 0.001, Slopes()), lambda t: Probe([], {"dip": 5.0}))
    assert flat.high is None and flat.evaluations == 4 and flat.hidden_checks == 0  # a constant margin hides nothing


def test_fepia_command_json_with_two_parameters(two, tmp_path, capsys):
    code = main(["fepia", two, "--perturbation", "p", "--perturbation", "q", "--tolerance", "lin<=35",
                 "--points", "3", "--radius-range", "p=8:14", "--radius-range", "q=16:24", "--radius-directions", "8",
                 "--out", str(tmp_path / "out"), "--json", "--quiet"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["perturbations"] == ["p", "q"]
    assert summary["scenarios"]["nominal"] == {"doc": "the data as given", "p": 10.0, "q": 20.0}
    radius = summary["radius"]
    assert radius["ranges"] == {"p": [8.0, 14.0], "q": [16.0, 24.0]} and radius["directions"] == 8
    row = radius["rows"][0]
    assert row["radius"] == pytest.approx(NEAREST, abs=1.5e-3) and row["p_failing"] == pytest.approx(12, abs=0.1)
    assert row["direction_p"] == pytest.approx(2 / 5 ** 0.5, abs=0.03)
    assert "refined to 5.625°" in radius["guaranteed"]
    assert (tmp_path / "out" / "features.png").exists()


@pytest.mark.parametrize("args, message, hint", [
    (["--perturbation", "p", "--perturbation", "qq"], "'qq' is not a parameter of the model", "did you mean 'q'?"),
    (["--perturbation", "p", "--perturbation", "p"], "a parameter is named twice", None),
    (["--perturbation", "p", "--perturbation", "q", "--radius-range", "8:14"],
     "with several perturbed parameters, give each its range as NAME=LO:HI", "--radius-range p=LO:HI"),
    (["--perturbation", "p", "--perturbation", "q", "--radius-range", "pp=8:14"],
     "'pp' is not a perturbed parameter", "did you mean 'p'?"),
    (["--perturbation", "p", "--perturbation", "q", "--set", "q=0", "--radius-range", "q=-1:1"],
     "its nominal value is 0", "perturb it alone"),
    (["--perturbation", "p", "--radius-range", "8:x"], "expects LO:HI or NAME=LO:HI", None),
    (["--perturbation", "p", "--perturbation", "q", "--radius-directions", "2"], "needs at least 4", None),
])
def test_radius_mistakes_are_refused_before_any_solve(two, tmp_path, capsys, args, message, hint):
    code = main(["fepia", two, "--tolerance", "lin<=35", "--points", "3", "--out", str(tmp_path / "o"), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err, err
    if hint:
        assert hint in err
    assert not (tmp_path / "o" / "fronts").exists()  # refused before the first front


def test_a_negative_slope_factor_is_refused(two):
    with pytest.raises(MilkrunError, match="--radius-slope-factor must not be negative"):
        run_fepia(FepiaSpec(two, points=3, perturbation="p", tolerances=["dip>=0.5"], slope_factor=-1))


def test_workers_give_the_same_answers(two):
    """Fronts, held runs and the radius searches on two worker processes: the same numbers as here."""
    spec = {"points": 3, "perturbation": ["p", "q"], "tolerances": ["lin<=35"], "radius_directions": 4,
            "radius_steps": 3, "radius_resolution": 0.01}
    here = run_fepia(FepiaSpec(two, **spec))
    there = run_fepia(FepiaSpec(two, **spec, workers=2))
    assert [(r.label, r.origin, r.radius.low, r.radius.high, r.radius.binding) for r in there.radii] == \
        [(r.label, r.origin, r.radius.low, r.radius.high, r.radius.binding) for r in here.radii]
    assert {k: e.objectives for k, e in there.evaluations.items()} == {k: e.objectives for k, e in here.evaluations.items()}
    assert there.radii[0].radius.value == pytest.approx(NEAREST, abs=0.01)
    assert there.seconds["solves"] == here.seconds["solves"]


def test_a_killed_run_resumes_without_repeating_finished_solves(two, tmp_path):
    """A run's checkpoint, then one front and the last held runs lost as if it had been killed:
    --resume solves only those, and the answers are the run's own."""
    spec = {"points": 3, "perturbation": "p", "tolerances": ["dip>=0.5"], "radius_steps": 4, "radius_resolution": 0.01}
    out = tmp_path / "out"
    first = run_fepia(FepiaSpec(two, **spec), out)
    checkpoint = out / "checkpoint"
    lines = (checkpoint / "held.jsonl").read_text().splitlines()
    assert len(lines) == first.seconds["solves"] > 10
    again = run_fepia(FepiaSpec(two, **spec, resume=True), out)
    assert again.seconds["solves"] == 0 and again.seconds["resumed_solves"] == first.seconds["solves"]
    assert again.seconds["resumed_fronts"] == 1
    assert [(r.radius.low, r.radius.high) for r in again.radii] == [(r.radius.low, r.radius.high) for r in first.radii]
    assert again.fronts["nominal"].front.points == first.fronts["nominal"].front.points
    assert [c.entries for c in again.fronts["nominal"].designs] == [c.entries for c in first.fronts["nominal"].designs]
    # killed: the front's file and the last 5 held runs (half a line too) never reached the disk
    (checkpoint / "front_nominal.json").unlink()
    (checkpoint / "held.jsonl").write_text("\n".join(lines[:-5]) + "\n" + lines[-5][:20])
    resumed = run_fepia(FepiaSpec(two, **spec, resume=True), out)
    assert resumed.seconds["resumed_fronts"] == 0 and resumed.seconds["solves"] == 5
    assert [(r.radius.low, r.radius.high) for r in resumed.radii] == [(r.radius.low, r.radius.high) for r in first.radii]
    # another setting, or the model changed: refused, naming what
    with pytest.raises(MilkrunError, match="the setting 'radius_steps' was 4, now 5"):
        run_fepia(FepiaSpec(two, **{**spec, "radius_steps": 5}, resume=True), out)
    with open(two, "a") as f:
        f.write("\n# a comment changes the file\n")
    with pytest.raises(MilkrunError, match="the model file 'two.mcp' changed since the run"):
        run_fepia(FepiaSpec(two, **spec, resume=True), out)


def test_a_dask_cluster_gives_the_same_answers(two):
    """--cluster local: fronts, held runs and every round of the radius search as Dask tasks (each
    round's tasks under keys of their own, so no round is answered with an earlier one's results)."""
    spec = {"points": 3, "perturbation": "p", "tolerances": ["dip>=0.5"], "radius_steps": 4, "radius_resolution": 0.01}
    here = run_fepia(FepiaSpec(two, **spec))
    there = run_fepia(FepiaSpec(two, **spec, workers=2, cluster="local"))
    assert [(r.radius.low, r.radius.high, r.radius.binding) for r in there.radii] == \
        [(r.radius.low, r.radius.high, r.radius.binding) for r in here.radii]
    assert there.radii[0].radius.value == pytest.approx(1.5, abs=0.01)
    assert there.seconds["solves"] == here.seconds["solves"]
