"""`milkrun solve --duals`: each row's dual and each variable's reduced cost, from HiGHS on the LP.

The sign convention (docs/language.md, "Duals"): a row is written `a·x (op) b`, its variables on the
left; its dual is the change of the optimal objective per unit increase of b, and a variable's
reduced cost the change per unit increase of the variable. The transport model must give the
marginals of GAMS's trnsport; the small models below are worked out by hand, and their duals are
also checked against the objective re-solved with b one higher.
"""
from __future__ import annotations

import json

import pytest

from conftest import REPO

TRANSPORT = REPO / "models" / "transport.mcp"

# maximise: a binding <= row written with its constant on the left, a binding >= row, a ranged row.
# Optimum x = 3, y = 1, z = 0, profit 8. By hand: room's cap +1 → x = 4, profit 11 (dual 3); least +1 →
# y = 2, x = 2, profit 4 (dual -4); z forced to 1 → x = 2, profit 6 (reduced cost -2).
MAX_LP = """
    model max_lp
    param cap default 4
    param least default 1
    var x >= 0
    var y >= 0
    var z >= 0
    maximize profit: 3 * x - y + z
    room: cap >= x + y + z
    minimum: y >= least
    band: -5 <= x - y <= 10
"""

# minimise: a binding >= row and a binding <= row. Optimum x = 3, y = 2, cost 12. By hand: need +1
# → y = 3, cost 15 (dual 3); cheap +1 → x = 4, y = 1, cost 11 (dual -1); w forced to 1 costs 4 - 3 = 1.
MIN_LP = """
    model min_lp
    param need default 5
    param cheap default 3
    var x >= 0
    var y >= 0
    var w >= 0
    minimize cost: 2 * x + 3 * y + 4 * w
    demand: x + y + w >= need
    limit: x <= cheap
"""

# a MIP: open = 1 at the optimum (cost 16); with it fixed, the LP left has the dual 2 on demand and 0 on
# cap, and open's reduced cost is its cost, 10.
MIP = """
    model mip
    var open binary
    var flow >= 0
    minimize cost: 10 * open + 2 * flow
    demand: flow >= 3
    cap: flow <= 5 * open
"""

NONLINEAR = """
    model nl
    var x >= 1 <= 4
    var y >= 1 <= 4
    minimize f: x * y
    c: x + y >= 3
"""

TOUR = """
    model rounds
    set Nodes
    param depot in Nodes default plant
    set Farms = Nodes diff {depot}
    set Tankers = {t1, t2}
    param x[Nodes]; param y[Nodes]
    param milk[Nodes] >= 0 default 0
    param cap[Tankers] > 0 default 6000
    param km[i in Nodes, j in Nodes] = euclid(x[i], y[i], x[j], y[j])
    var drive[i in Nodes, j in Nodes, k in Tankers] binary where i != j
    var visit[Nodes, Tankers] binary
    minimize distance: sum(i, j, k) km[i, j] * drive[i, j, k]
    out[i in Nodes, k in Tankers]:  sum(j) drive[i, j, k] == visit[i, k]
    back[i in Nodes, k in Tankers]: sum(j) drive[j, i, k] == visit[i, k]
    once[i in Farms]:               sum(k) visit[i, k] == 1
    load[k in Tankers]:             sum(i) milk[i] * visit[i, k] <= cap[k]
    routes[k in Tankers]:           tour(drive[*, *, k], visit[*, k], start = depot)
    data Nodes \"\"\"
    Nodes, x,  y,  milk
    plant, 0,  0,
    f1,    4,  3,  2500
    f2,    6,  8,  3000
    f3,   -3,  5,  1500
    f4,   -6,  2,  2000
    f5,    7, -2,  1800
    \"\"\"
"""


def solved(cli, *args):
    code, out, err = cli("solve", *args, "--duals", "--json")
    doc = json.loads(out)
    return code, doc, err


def test_transport_duals_are_gams_trnsport_marginals(cli):
    code, doc, _ = solved(cli, TRANSPORT)
    assert code == 0 and doc["status"] == "optimal" and doc["duals_of"] == "the LP"
    assert doc["duals"]["meet"] == pytest.approx({"new-york": 0.225, "chicago": 0.153, "topeka": 0.126})
    assert doc["duals"]["supply"] == {"seattle": 0.0, "san-diego": 0.0}
    costs = doc["reduced_costs"]["ship"]  # trnsport's x.m: the two routes not used cost this much more
    assert costs == pytest.approx({"seattle,new-york": 0, "seattle,chicago": 0, "seattle,topeka": 0.036,
                                   "san-diego,new-york": 0, "san-diego,chicago": 0.009, "san-diego,topeka": 0})


def test_transport_duals_printed(cli):
    code, out, _ = cli("solve", TRANSPORT, "--duals")
    assert code == 0
    tail = out[out.index("  duals of the LP"):]
    assert [line.rstrip() for line in tail.splitlines()[:8]] == [
        "  duals of the LP: the change of the optimal objective per unit increase of each row's right-hand side",
        "meet: 3 non-zero",
        " d        ┃  dual",
        "━━━━━━━━━━╇━━━━━━━",
        " new-york │ 0.225",
        " chicago  │ 0.153",
        " topeka   │ 0.126",
        "  dual 0 on every row of: supply",
    ]
    assert "  reduced costs: the change of the optimal objective per unit increase of each variable" in out
    assert " seattle   │ topeka  │        0.036" in out


def test_one_json_document_on_stdout(milkrun_process):
    proc = milkrun_process("solve", TRANSPORT, "--duals", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)  # the whole of stdout
    assert set(doc["duals"]) == {"supply", "meet"} and set(doc["reduced_costs"]) == {"ship"}


def test_without_duals_the_json_has_none(cli):
    code, out, _ = cli("solve", TRANSPORT, "--json")
    assert code == 0 and "duals" not in json.loads(out) and "reduced_costs" not in json.loads(out)


def test_maximise_signs_by_hand(cli, write_model):
    code, doc, _ = solved(cli, write_model(MAX_LP))
    assert code == 0 and doc["objective"] == pytest.approx(8)
    duals = doc["duals"]
    assert duals["room"] == pytest.approx(3)      # a scalar family: a number
    assert duals["minimum"] == pytest.approx(-4)
    assert duals["band_lo"] == pytest.approx(0) and duals["band_hi"] == pytest.approx(0)  # a range: two families
    assert doc["reduced_costs"] == pytest.approx({"x": 0, "y": 0, "z": -2})


def test_minimise_signs_by_hand(cli, write_model):
    code, doc, _ = solved(cli, write_model(MIN_LP))
    assert code == 0 and doc["objective"] == pytest.approx(12)
    assert doc["duals"] == pytest.approx({"demand": 3, "limit": -1})
    assert doc["reduced_costs"] == pytest.approx({"x": 0, "y": 0, "w": 1})


@pytest.mark.parametrize("model, param, row", [(MAX_LP, "cap", "room"), (MAX_LP, "least", "minimum"),
                                               (MIN_LP, "need", "demand"), (MIN_LP, "cheap", "limit")])
def test_a_dual_is_the_objective_per_unit_more_right_hand_side(cli, write_model, model, param, row):
    """The convention, measured: re-solve with the row's constant one higher."""
    path = write_model(model)
    _, doc, _ = solved(cli, path)
    code, out, _ = cli("solve", path, "--set", f"{param}+=1", "--json")
    assert code == 0
    assert json.loads(out)["objective"] - doc["objective"] == pytest.approx(doc["duals"][row])


def test_ranged_rows_are_reported_as_lo_and_hi(cli, write_model):
    path = write_model("""
        model band
        var x >= 0
        var y >= 0
        maximize f: x + 2 * y
        total: x + y <= 10
        band: 1 <= y <= 4
    """)
    code, doc, _ = solved(cli, path)
    assert code == 0 and doc["objective"] == pytest.approx(14)  # y = 4, x = 6
    assert doc["duals"] == pytest.approx({"total": 1, "band_lo": 0, "band_hi": 1})


def test_variables_on_both_sides_move_left(cli, write_model):
    """`x >= y + 3` is `x - y >= 3` (dual +1); `y + 3 <= x` is `y - x <= -3` (dual -1): b is what moves."""
    for row, dual in (("x >= y + 3", 1), ("y + 3 <= x", -1)):
        path = write_model(f"model m\nvar x >= 0\nvar y >= 0\nminimize f: x + y\nlink: {row}\n")
        code, doc, _ = solved(cli, path)
        assert code == 0 and doc["duals"]["link"] == pytest.approx(dual), row


def test_indexed_families_keyed_by_elements(cli, write_model):
    path = write_model("""
        model grid
        set A = {a, b}
        set B = {1, 2}
        param need[A, B] default 1
        var x[A, B] >= 0
        minimize f: sum(i, j) x[i, j]
        meet[i in A, j in B where i != 'b' or j != 2]: x[i, j] >= need[i, j]
    """)
    code, doc, _ = solved(cli, path)
    assert code == 0
    assert doc["duals"]["meet"] == pytest.approx({"a,1": 1, "a,2": 1, "b,1": 1})  # b,2 left out by the where
    assert set(doc["reduced_costs"]["x"]) == {"a,1", "a,2", "b,1", "b,2"}


def test_mip_duals_are_those_of_the_lp_with_integers_fixed(cli, write_model):
    path = write_model(MIP)
    code, doc, _ = solved(cli, path)
    assert code == 0 and doc["objective"] == pytest.approx(16)
    assert doc["duals_of"] == "the LP with the integer variables fixed at the plan"
    assert doc["duals"] == pytest.approx({"demand": 2, "cap": 0})
    assert doc["reduced_costs"] == pytest.approx({"open": 10, "flow": 0})
    code, out, _ = cli("solve", path, "--duals")
    assert code == 0
    assert "  duals of the LP with the integer variables fixed at the plan: the change of the optimal " in out


@pytest.mark.parametrize("solver", ["highs", "scip"])
def test_duals_come_from_highs_whichever_solver(cli, solver):
    code, doc, _ = solved(cli, TRANSPORT, "--solver", solver)
    assert code == 0 and doc["solver"] == solver
    assert doc["duals"]["meet"] == pytest.approx({"new-york": 0.225, "chicago": 0.153, "topeka": 0.126})


def test_nonlinear_model_is_a_located_error(cli, write_model):
    path = write_model(NONLINEAR)
    code, out, err = cli("solve", path, "--duals")
    assert code == 2 and out == ""
    assert err.startswith(f"{path}:4:13: error: --duals needs a linear model; this one is nonlinear here")
    code, out, _ = cli("solve", path, "--duals", "--json")
    doc = json.loads(out)
    assert code == 2 and doc["status"] == "error" and doc["location"] == f"{path}:4:13"


def test_lazy_tours_are_named_as_without_duals(cli, write_model):
    path = write_model(TOUR)
    code, doc, _ = solved(cli, path, "--tour", "lazy")
    assert code == 0 and doc["duals_of"] == "the LP with the integer variables fixed at the plan"
    assert "the rows of 'routes' are added lazily and are not in the model" in doc["duals_note"]
    assert {"out", "back", "once", "load"} <= set(doc["duals"])  # and the rows the lazy method adds up front
    code, doc, _ = solved(cli, path, "--tour", "flow")  # the flow rows are in the model: their duals too
    assert code == 0 and doc["duals_note"] is None
    assert {"routes_flow_cap", "routes_flow_balance"} <= set(doc["duals"])


def test_no_plan_no_duals(cli, write_model):
    path = write_model("model never\nvar x >= 0\nminimize f: x\nhigh: x >= 5\nlow: x <= 3\n")
    code, doc, _ = solved(cli, path)
    assert code == 1 and doc["duals"] == {} and doc["duals_note"] == "no duals: there is no plan"


def test_out_writes_dual_and_reduced_cost_tables(cli, tmp_path, write_model):
    out = tmp_path / "out"
    code, _, _ = cli("solve", TRANSPORT, "--duals", "--out", out, "-q")
    assert code == 0
    assert (out / "dual_meet.csv").read_text().splitlines() == ["d,dual", "new-york,0.225", "chicago,0.153",
                                                               "topeka,0.12599999999999997"]
    assert (out / "dual_supply.csv").read_text().splitlines()[0] == "c,dual"
    lines = (out / "reduced_cost_ship.csv").read_text().splitlines()
    assert lines[0] == "Centres,Dairies,reduced_cost" and len(lines) == 7
    summary = json.loads((out / "summary.json").read_text())
    assert summary["duals"]["meet"]["chicago"] == pytest.approx(0.153)
    out2 = tmp_path / "scalar"
    code, _, _ = cli("solve", write_model(MIN_LP), "--duals", "--out", out2, "-q")
    assert code == 0 and (out2 / "dual_demand.csv").read_text().splitlines() == ["dual", "3.0"]


def test_python_api(tmp_path):
    from milkrun.compiler.pipeline import RunOptions, compile_model, solve_compiled

    run = RunOptions(model=TRANSPORT)
    result = solve_compiled(compile_model(run), run, duals=True)
    meet = result.duals["meet"]
    assert meet.dims == ("d",) and meet.sel(d="chicago").item() == pytest.approx(0.153)
    assert result.reduced_costs["ship"].dims == ("Centres", "Dairies")
