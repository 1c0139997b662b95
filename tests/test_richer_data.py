"""Richer data: indexed parameters whose values are elements (`param home[Farms] in Depots`, used as
`dist[i, home[i]]` and in conditions), and indexed sets defined by a formula (`set Near[i in Farms] =
{j in Farms where ...}`), with values worked out by hand."""
from __future__ import annotations

import pytest

import milkrun

HOMES = """
set Farms = {a, b, c}
set Depots = {d1, d2}
param home[Farms] in Depots
param dist[Farms, Depots] >= 0
var send[Farms] >= 0
minimize km: sum(i) dist[i, home[i]] * send[i]
subject to
  need[i in Farms]: send[i] >= 1
  first_depot[i in Farms where home[i] == 'd1']: send[i] >= 2
data {
  home = {a: d1, b: d2, c: d1};
}
data dist \"\"\"
Farms,d1,d2
a,1,2
b,3,4
c,5,6
\"\"\"
"""


def write(tmp_path, text, name="m.mcp"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_an_element_parameter_as_a_subscript_and_in_a_condition(tmp_path):
    result = milkrun.solve_model(write(tmp_path, HOMES))
    # a and c go home to d1 and send at least 2; b goes to d2: 1 * 2 + 4 * 1 + 5 * 2
    assert result.objective == pytest.approx(16)
    assert result.solution["send"].to_series().to_dict() == {"a": 2, "b": 1, "c": 2}


def test_an_element_parameter_compared_with_an_index(tmp_path):
    text = HOMES.replace("  first_depot[i in Farms where home[i] == 'd1']: send[i] >= 2\n",
                         "  via[i in Farms, k in Depots where k == home[i]]: send[i] >= ord(k)\n")
    result = milkrun.solve_model(write(tmp_path, text))
    # b's home d2 is the second depot: send[b] >= 2; a and c stay at 1: 1 + 4 * 2 + 5
    assert result.objective == pytest.approx(14)


def test_an_element_parameter_from_a_table_with_a_default(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "home.csv").write_text("Farms,home\nb,d2\n")
    text = HOMES.replace("param home[Farms] in Depots", "param home[Farms] in Depots default d1")
    text = text.replace("data {\n  home = {a: d1, b: d2, c: d1};\n}\n", "")
    result = milkrun.solve_model(write(tmp_path, text), data=folder)
    assert result.objective == pytest.approx(16)


def test_a_value_outside_its_set_is_located(cli, tmp_path):
    model = write(tmp_path, HOMES.replace("b: d2", "b: d3"))
    code, _, err = cli("check", str(model))
    assert code == 2
    line = HOMES.splitlines().index("  home = {a: d1, b: d2, c: d1};") + 1
    assert err.startswith(f"{model}:{line}:")
    assert "'home' for b is 'd3', which is not an element of Depots" in err


def test_a_missing_value_without_a_default(cli, tmp_path):
    model = write(tmp_path, HOMES.replace(", c: d1}", "}"))
    code, _, err = cli("check", str(model))
    assert code == 2
    assert "parameter 'home' has no value for c" in err


def test_only_element_parameters_go_inside_a_subscript(cli, tmp_path):
    model = write(tmp_path, HOMES.replace("dist[i, home[i]]", "dist[i, dist[i, 'd1']]"))
    code, _, err = cli("check", str(model))
    assert code == 2
    assert "'dist' is a param; in a subscript, an indexed name must be a parameter whose values are elements" in err


NEAR = """
set Farms = 1..5
param x[f in Farms] = ord(f)
param radius = 1.5
param dist[i in Farms, j in Farms] = abs(x[i] - x[j])
set Near[i in Farms] = {j in Farms where dist[i, j] <= radius and i != j}
set Shifts[i in Farms] = Shifts_all
var open[Farms] binary
var crew[Farms, Shifts_all] >= 0
set Shifts_all = {early, late}
minimize cost: sum(i) 10 * open[i] + sum(i, s) crew[i, s]
subject to
  covered[i in Farms]: open[i] + sum(j in Near[i]) open[j] >= 1
  staffed[i in Farms, s in Shifts[i]]: crew[i, s] >= open[i]
"""


def test_an_indexed_set_defined_by_a_filter(tmp_path):
    result = milkrun.solve_model(write(tmp_path, NEAR))
    # farms on a line 1..5, neighbours within 1.5: the path 1-2-3-4-5, dominated by two farms (2 and 4, or
    # 1 and 4, ...); each open farm staffs two shifts: 2 * 10 + 2 * 2
    assert result.objective == pytest.approx(24)
    assert result.solution["open"].sum().item() == pytest.approx(2)


def test_an_indexed_set_holds_each_index_values_members(tmp_path):
    compiled = milkrun.compile_model(write(tmp_path, NEAR))
    near = compiled.instance.set("Near").members
    assert list(near) == [(1, 2), (2, 1), (2, 3), (3, 2), (3, 4), (4, 3), (4, 5), (5, 4)]
    assert len(compiled.instance.set("Shifts").members) == 10  # {early, late} for each of 5 farms
    assert int(compiled.linopy.constraints["staffed"].mask.sum()) == 10
