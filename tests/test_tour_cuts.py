"""Subtour cuts at fractional points (compiler/solve/min_cuts.py) and tours on undirected edges
(`tour(..., graph = "undirected")`).

The fractional point below is worked out by hand. Nodes 0 (the start) to 5, one vehicle; the
edges and their values:

    0-1: 1    0-5: 1    1-2: 0.6    4-5: 0.6    1-5: 0.4    2-3: 1    3-4: 1    2-4: 0.4

Every node has degree 2 (visited once, y = 1). The edges above 0.5 join every node to the start,
so a search for subtours among the arcs driven (what an integral point needs) finds nothing. But
S = {2, 3, 4} is left only along 1-2 and 4-5, 1.2 in all, less than the 2 a visited set needs: its
cut  x(2-3) + x(3-4) + x(2-4) <= y2 + y3 + y4 - y_m  reads 2.4 <= 2, broken by 0.4. No other set
is broken: {1}, {5} and every set holding 1 or 5 is left along 2 or more.

The small routing case at the end is solved by enumeration in the test itself: five farms, two
vehicles that hold three farms each; the best plan is 0-1-2-5-0 and 0-4-3-0, 44.113.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from pytest import approx

import milkrun
from milkrun.compiler.solve.lazy_tours import SubtourSeparator
from milkrun.compiler.solve.min_cuts import violated_sets, violation
from milkrun.dsl.diagnostics import MilkrunError

EDGES = {(0, 1): 1.0, (0, 5): 1.0, (1, 2): 0.6, (4, 5): 0.6, (1, 5): 0.4, (2, 3): 1.0, (3, 4): 1.0, (2, 4): 0.4}


def hand_point(directed: bool):
    x = np.zeros((6, 6))
    for (i, j), v in EDGES.items():
        if directed:  # the same point as arcs: half of each edge either way
            x[i, j] = x[j, i] = v / 2
        else:
            x[i, j] = v
    y = np.ones(6)
    return x, y


@pytest.mark.parametrize("directed", [False, True])
def test_a_fractional_point_gives_the_one_broken_set_that_no_subtour_shows(directed):
    x, y = hand_point(directed)
    assert violated_sets(x, y, start=0, fractional=False) == []  # the arcs driven reach the start
    found = violated_sets(x, y, start=0)
    assert [(S.tolist(), m) for S, m in found] == [([2, 3, 4], 2)]
    assert violation(x, y, found[0][0], 2) == approx(0.4)


def test_a_subtour_at_an_integral_point_is_its_own_part():
    x = np.zeros((5, 5))
    x[0, 1], x[1, 0], x[2, 3], x[3, 4], x[4, 2] = 1, 1, 1, 1, 1  # 0-1-0 and the cycle 2-3-4
    S, m = violated_sets(x, np.ones(5), start=0, fractional=False)[0]
    assert S.tolist() == [2, 3, 4] and violation(x, np.ones(5), S, m) == approx(1)


LINE = """\
model line "one vehicle; drive[i, j] an edge"
set N = 0..5
param start in N default 0
var drive[i in N, j in N] binary where ord(i) < ord(j)
var visit[N] binary
minimize length: sum(i, j) drive[i, j]
degree[i in N]: sum(j) drive[i, j] + sum(j) drive[j, i] == 2 * visit[i]
route: tour(drive[*, *], visit[*], start = start, graph = "undirected")
"""


def test_the_separator_cuts_the_edges_inside_the_set_for_the_vehicle_that_breaks_it(tmp_path):
    path = tmp_path / "line.mcp"
    path.write_text(LINE)
    c = milkrun.compile_model(path, tour_method="lazy")
    drive, visit = c.linopy.variables["drive"].labels, c.linopy.variables["visit"].labels
    values = np.zeros(max(int(v.labels.max()) for v in c.linopy.variables.data.values()) + 1)
    for (i, j), v in EDGES.items():
        values[int(drive.sel(i=i, j=j))] = v
    values[visit.values] = 1
    rows = SubtourSeparator(c.built.lazy_tours).broken(values)
    assert len(rows) == 1
    labels, coeffs, upper = rows[0]
    terms = {int(lab): float(k) for lab, k in zip(labels, coeffs)}
    assert terms == {int(drive.sel(i=2, j=3)): 1, int(drive.sel(i=2, j=4)): 1, int(drive.sel(i=3, j=4)): 1,
                     int(visit.sel(N=3)): -1, int(visit.sel(N=4)): -1}  # y2 is the y_m on the right
    assert upper == 0
    assert sum(k * values[lab] for lab, k in terms.items()) == approx(0.4)  # broken by 0.4


@pytest.mark.parametrize("text, message", [
    (LINE.replace("where ord(i) < ord(j)", "where i != j"), "edges exist both ways between 0 and 1"),
    (LINE.replace('graph = "undirected"', 'graph = "undirected", method = "mtz"'), "with graph = \"undirected\""),
    (LINE.replace('graph = "undirected"', 'graph = "sideways"'), "graph must be one of"),
    (LINE.replace('graph = "undirected"', 'graph = "directed"').replace("binary where", "integer >= 0 where"),
     "must be binary variables"),
])
def test_undirected_tours_refuse_what_they_cannot_mean(tmp_path, text, message):
    path = tmp_path / "bad.mcp"
    path.write_text(text)
    with pytest.raises(MilkrunError) as info:
        milkrun.compile_model(path)
    assert message in info.value.message
    assert info.value.span.line == 8  # the tour's line


# Five farms, two vehicles of 6 units, 2 units per farm: the best plan by enumeration, then by the
# model written with arcs and with edges, on each solver (SCIP with lazy cuts, HiGHS with flow rows).
XY = {0: (0, 0), 1: (4, 3), 2: (6, 8), 3: (-3, 5), 4: (-6, 2), 5: (7, -2)}

SMALL = """\
model small "two vehicles, five farms"
set Nodes = 0..5
param depot in Nodes default 0
set Farms = Nodes diff {depot}
set Vehicles = {1, 2}
param px[Nodes]; param py[Nodes]
param km[i in Nodes, j in Nodes] = euclid(px[i], py[i], px[j], py[j])
param trips[i in Nodes, j in Nodes] = if i == depot or j == depot then 2 else 1
var drive[i in Nodes, j in Nodes, k in Vehicles] ARCS
var visit[Nodes, Vehicles] binary
minimize distance: sum(i, j, k) km[i, j] * drive[i, j, k]
subject to
  DEGREE
  once[i in Farms]: sum(k) visit[i, k] == 1
  load[k in Vehicles]: sum(i in Farms) 2 * visit[i, k] <= 6
  routes[k in Vehicles]: tour(drive[*, *, k], visit[*, k], start = depot GRAPH)
data {
  px = {0: 0, 1: 4, 2: 6, 3: -3, 4: -6, 5: 7}
  py = {0: 0, 1: 3, 2: 8, 3: 5, 4: 2, 5: -2}
}
"""
DIRECTED = {"ARCS": "binary where i != j", "GRAPH": "",
            "DEGREE": "out[i in Nodes, k in Vehicles]: sum(j) drive[i, j, k] == visit[i, k]\n"
                      "  back[i in Nodes, k in Vehicles]: sum(j) drive[j, i, k] == visit[i, k]"}
UNDIRECTED = {"ARCS": "integer in [0, trips[i, j]] where ord(i) < ord(j)",
              "GRAPH": ', graph = "undirected"',
              "DEGREE": "degree[i in Nodes, k in Vehicles]: sum(j) drive[i, j, k] + sum(j) drive[j, i, k] "
                        "== 2 * visit[i, k]"}


def best_by_enumeration() -> float:
    def length(route):
        stops = [0, *route, 0]
        return sum(math.dist(XY[a], XY[b]) for a, b in zip(stops, stops[1:]))

    def tour(farms):
        return min((length(p) for p in itertools.permutations(farms)), default=0.0)

    farms = [1, 2, 3, 4, 5]
    return min(tour(part) + tour([f for f in farms if f not in part])
               for n in range(2, 4) for part in itertools.combinations(farms, n))  # at most 3 farms each


@pytest.mark.parametrize("form", ["arcs", "edges"])
@pytest.mark.parametrize("solver", ["auto", "scip", "highs"])
def test_a_small_case_gives_the_enumerated_optimum_with_arcs_and_with_edges(tmp_path, form, solver):
    text = SMALL
    for key, value in (DIRECTED if form == "arcs" else UNDIRECTED).items():
        text = text.replace(key, value)
    path = tmp_path / "small.mcp"
    path.write_text(text)
    r = milkrun.solve_model(path, solver=solver)
    assert r.status == "optimal"
    want = "scip" if solver == "scip" or (solver == "auto" and form == "edges") else "highs"
    assert r.solver == want  # auto: SCIP for a tour on edges, HiGHS for one on arcs
    assert r.objective == approx(best_by_enumeration(), rel=1e-6)
    assert r.objective == approx(5 + math.sqrt(29) + math.sqrt(101) + math.sqrt(53)  # 0-1-2-5-0
                                 + math.sqrt(40) + math.sqrt(18) + math.sqrt(34), rel=1e-9)  # 0-4-3-0: 44.113
    for cycles in r.tours["routes"].values():
        assert len(cycles) == 1 and cycles[0][0] == cycles[0][-1] == 0  # one closed route each


def test_the_two_farm_cuts_read_x_ij_plus_x_ji_at_most_y_j():
    # lazy tours start with every two-farm subtour cut (passes/tour.py, _pairs); on the shipped
    # routing model's edges one of x_ij, x_ji exists: each row reads drive[i,j,k] - visit[j,k] <= 0
    from milkrun.compiler.pipeline import compile_model

    c = compile_model("routing", tour_method="lazy")
    m = c.linopy
    con = m.constraints["routes_pairs"]
    drive, visit = m.variables["drive"].labels, m.variables["visit"].labels
    rows = 0
    for i, j, k in itertools.product(con.labels.coords["tour_from"].values, con.labels.coords["tour_to"].values,
                                      con.labels.coords["k"].values):
        at = {"tour_from": i, "tour_to": j, "k": k}
        if int(con.labels.sel(at)) == -1:
            continue
        rows += 1
        lhs = con.lhs.data.sel(at)
        terms = sorted((int(v), float(a)) for v, a in zip(lhs.vars.values, lhs.coeffs.values) if v != -1)
        edge = int(drive.sel(i=min(i, j, key=int), j=max(i, j, key=int), k=k))
        assert terms == sorted([(edge, 1.0), (int(visit.sel(Nodes=j, Vehicles=k)), -1.0)])
        assert con.sign.sel(at).item() == "<=" and float(con.rhs.sel(at)) == 0.0
    farms = len(con.labels.coords["tour_from"])
    assert rows == farms * (farms - 1) * len(con.labels.coords["k"])
