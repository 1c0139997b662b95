"""Solving: small models whose optimum is worked out by hand, with HiGHS and with SCIP."""
from __future__ import annotations

import math

import numpy as np
import pytest

import milkrun
from milkrun.compiler.build.linopy_model import InfeasibleByConstruction
from milkrun.compiler.pipeline import solve_compiled
from milkrun.compiler.solve.start import read_start, start_problems
from milkrun.dsl.diagnostics import MilkrunError

from conftest import MODELS

KNAPSACK = """
    model knapsack "Pick items of most worth within a weight limit"
    set Items = {a, b, c, d}
    param value[Items] >= 0
    param weight[Items] > 0
    param capacity = 10
    var take[Items] binary
    maximize worth: sum(i) value[i] * take[i]
    fits: sum(i) weight[i] * take[i] <= capacity
    data { value = {a: 10, b: 13, c: 7, d: 8}; weight = {a: 5, b: 6, c: 3, d: 4} }
"""
# Weights 5, 6, 3, 4 and capacity 10: no three items fit (the lightest three weigh 12).
# Pairs that fit: a+c 17, a+d 18, b+c 20, b+d 21, c+d 15  ->  optimum 21 with b and d.

FACILITY = """
    model facility "Open sites and serve customers at least fixed plus unit cost"
    set Sites = {A, B}
    set Customers = {c1, c2, c3}
    param fixed[Sites] >= 0
    param cap[Sites] >= 0
    param demand[Customers] >= 0
    param unit[Sites, Customers] >= 0
    var open[Sites] binary
    var serve[Sites, Customers] >= 0
    minimize cost: sum(s) fixed[s] * open[s] + sum(s, c) unit[s, c] * serve[s, c]
    subject to
      meet[c in Customers]: sum(s) serve[s, c] >= demand[c]
      room[s in Sites]:     sum(c) serve[s, c] <= cap[s] * open[s]
    data {
      fixed = {A: 10, B: 6}; cap = {A: 20, B: 15}; demand = {c1: 8, c2: 7, c3: 5}
      unit = {(A, c1): 1, (A, c2): 2, (A, c3): 3, (B, c1): 2, (B, c2): 1, (B, c3): 1}
    }
"""
# Demand 20. B alone (capacity 15) cannot serve it. A alone: 10 + 8*1 + 7*2 + 5*3 = 47.
# Both: 16 + the cheapest unit cost of each customer, 8*1 (A) + 7*1 (B) + 5*1 (B) = 36, and
# the loads (A 8, B 12) fit.  Optimum 36.  With fixed[B] = 20 both cost 50 > 47: optimum 47.


def approx(v, rel=1e-6):
    return pytest.approx(v, rel=rel, abs=1e-6)


# ------------------------------------------------------------------ LP and MILP optima
def test_transport_lp(solver):
    r = milkrun.solve_model("transport", solver=solver)
    assert r.status == "optimal"
    assert r.objective == approx(153.675)
    assert r.bound == approx(153.675)
    assert r.gap == approx(0)
    assert r.objectives == {"total_cost": approx(153.675)}
    assert r.primary == "total_cost" and r.sense == "min"
    ship = r.solution["ship"]
    assert float(ship.sum("Centres").sel(Dairies="new-york")) >= 325 - 1e-6
    assert float(ship.sum("Dairies").sel(Centres="seattle")) <= 350 + 1e-6
    assert r.exit_code == 0


def test_knapsack_milp_maximize(write_model, solver):
    r = milkrun.solve_model(write_model(KNAPSACK), solver=solver)
    assert r.status == "optimal"
    assert r.objective == approx(21)
    assert r.bound == approx(21)
    assert r.sense == "max"
    take = r.solution["take"]
    assert take.sel(Items=["b", "d"]).values.round().tolist() == [1, 1]
    assert take.sel(Items=["a", "c"]).values.round().tolist() == [0, 0]
    assert sorted(r.nonzero("take").index) == ["b", "d"]


def test_facility_location_milp(write_model, solver):
    r = milkrun.solve_model(write_model(FACILITY), solver=solver)
    assert r.status == "optimal"
    assert r.objective == approx(36)
    assert r.solution["open"].values.round().tolist() == [1, 1]
    serve = r.solution["serve"]
    assert serve.sel(Sites="A", Customers="c1").item() == approx(8)
    assert serve.sel(Sites="B", Customers="c2").item() == approx(7)


def test_set_override_changes_the_optimum(write_model, solver):
    r = milkrun.solve_model(write_model(FACILITY), solver=solver, overrides=["fixed[B]=20"])
    assert r.objective == approx(47)
    assert r.solution["open"].values.round().tolist() == [1, 0]


def test_csv_case_and_overrides(plants, solver):
    # plants.mcp: P1, P2 ship 10 each; M1 needs 8, M2 12; unit costs P1: 1, 4 and P2: 3, 2;
    # x[P2,M2] <= 9 (long table); cost is multiplied by markup = 2 (scalar table).
    # All capacity is used; with a = x[P1,M1] the cost is 68 - 4a, and x[P2,M2] = 2 + a <= 9
    # gives a = 7: cost 40, times 2 = 80.
    r = milkrun.solve_model(plants, solver=solver)
    assert r.status == "optimal"
    assert r.objective == approx(80)
    x = r.solution["x"]
    assert x.sel(Plants="P1", Markets="M1").item() == approx(7)
    assert x.sel(Plants="P2", Markets="M2").item() == approx(9)
    # markup 3: 120; lifting the limit lets a = 8: 36 * 2 = 72
    assert milkrun.solve_model(plants, solver=solver, overrides=["markup=3"]).objective == approx(120)
    assert milkrun.solve_model(plants, solver=solver, overrides=["limit[P2,M2]=100"]).objective == approx(72)


def test_constant_in_the_objective(write_model, solver):
    path = write_model("""
        var x >= 0
        var z integer >= 0
        minimize o: x + z + 100
        c: x + z >= 2.5
    """)
    r = milkrun.solve_model(path, solver=solver)
    assert r.objective == approx(102.5)
    assert r.bound == approx(102.5)
    assert r.gap == approx(0)


def test_constant_in_a_maximised_objective(write_model, solver):
    path = write_model(KNAPSACK.replace("maximize worth: sum(i) value[i] * take[i]",
                                        "maximize worth: 5 + sum(i) value[i] * take[i] - 2"))
    r = milkrun.solve_model(path, solver=solver)
    assert r.objective == approx(24)
    assert r.bound == approx(24)


def test_ranged_constraints(write_model, solver):
    src = """
        set I = {1, 2, 3}
        param lo[i in I] = i
        param hi[i in I] = 2 * i
        var x[I] >= 0
        var y >= 0 <= 0.5
        {sense} o: sum(i) x[i] - y
        r[i in I]: lo[i] <= x[i] + y <= hi[i]
        s: 10 >= sum(i) x[i] >= 1
    """
    # maximise: x[i] <= 2i would give 12, but s caps the sum at 10; y = 0.  -> 10
    r = milkrun.solve_model(write_model(src.replace("{sense}", "maximize")), solver=solver)
    assert r.objective == approx(10)
    # minimise: x[i] + y >= i with y = 0.5 gives x = 0.5, 1.5, 2.5: 4.5 - 0.5 = 4
    r = milkrun.solve_model(write_model(src.replace("{sense}", "minimize"), name="min.mcp"), solver=solver)
    assert r.objective == approx(4)


def test_ranged_constraint_makes_two_row_families(write_model):
    path = write_model("""
        set I = {1, 2, 3}
        var x[I] >= 0
        minimize o: sum(i) x[i]
        r[i in I]: 1 <= x[i] <= 2
    """)
    m = milkrun.compile_model(path).linopy
    assert sorted(m.constraints) == ["r_hi", "r_lo"]
    assert int(m.ncons) == 6


def test_variable_with_a_where_mask(write_model, solver):
    path = write_model("""
        set N = 1..3
        param c[i in N, j in N] = 10 * i + j
        var a[i in N, j in N] binary where i != j
        minimize o: sum(i, j) c[i, j] * a[i, j]
        out[i in N]: sum(j) a[i, j] == 1
    """)
    compiled = milkrun.compile_model(path)
    assert int(compiled.linopy.nvars) == 6  # the diagonal is not a variable
    r = milkrun.solve_model(path, solver=solver)
    # each i picks its cheapest j != i: (1,2) 12, (2,1) 21, (3,1) 31
    assert r.objective == approx(64)
    a = r.solution["a"]
    assert np.isnan(a.sel(i=2, j=2).item())
    assert a.sel(i=3, j=1).item() == approx(1)


def test_where_inside_the_brackets_and_parameter_bounds(write_model, solver):
    path = write_model("""
        set I = 1..4
        param cap[i in I] = i * 10
        var f[i in I where i >= 3] >= 1 <= cap[i]
        maximize o: sum(i in I where i >= 3) f[i]
    """)
    assert int(milkrun.compile_model(path).linopy.nvars) == 2
    assert milkrun.solve_model(path, solver=solver).objective == approx(70)


def test_computed_euclid_parameter(write_model, solver):
    path = write_model("""
        set Nodes = {o, p, q}
        param x[Nodes]; param y[Nodes]
        param dist[i in Nodes, j in Nodes] = euclid(x[i], y[i], x[j], y[j])
        var go[j in Nodes where not j in {o}] binary
        minimize length: sum(j in Nodes where not j in {o}) dist['o', j] * go[j]
        pick: sum(j in Nodes diff {o}) go[j] == 1
        data { x = {o: 0, p: 3, q: 6}; y = {o: 0, p: 4, q: 8} }
    """)
    r = milkrun.solve_model(path, solver=solver)
    assert r.objective == approx(5)  # o-p is the 3-4-5 triangle, o-q is 10
    assert r.solution["go"].sel(j="p").item() == approx(1)


@pytest.mark.parametrize("kind", ["binary", "integer >= 0 <= 5", ">= 0 <= 5"])
def test_variable_used_in_no_row_and_not_in_the_objective(write_model, solver, kind):
    # go[c] appears in no row and not in the objective; the model still solves as usual
    path = write_model(f"""
        set N = {{a, b, c}}
        var go[N] {kind}
        maximize o: go['a'] + go['b']
        cap: go['a'] <= 1
    """)
    r = milkrun.solve_model(path, solver=solver)
    assert r.status == "optimal"
    assert r.objective == approx(2 if kind == "binary" else 6)


def test_defaults_and_inline_data_block(write_model, solver):
    path = write_model("""
        set A
        param c[i in A] >= 0 default 7
        param k
        var x[A] >= 0 <= 1
        maximize o: sum(a) c[a] * x[a] + k
        data { A = {a, b, c}; c = {a: 1, b: 2}; k = 100 }
    """)
    r = milkrun.solve_model(path, solver=solver)
    assert r.objective == approx(1 + 2 + 7 + 100)


def test_default_computed_from_the_index(write_model, solver):
    path = write_model("""
        set I = {1, 2, 3}
        param c[i in I] default 10 * i
        var x[I] >= 0 <= 1
        maximize o: sum(i) c[i] * x[i]
        data { c = {2: 1} }
    """)
    assert milkrun.solve_model(path, solver=solver).objective == approx(10 + 1 + 30)


def test_several_objectives_are_all_reported(write_model, solver):
    src = """
        var x >= 0 <= 4
        var y >= 0 <= 3
        maximize profit: 3 * x + 2 * y
        minimize cost: x + y
        maximise other: y
        c: x + y <= 5
    """
    path = write_model(src)
    # profit: x = 4, y = 1 -> 14; at that plan cost = 5, other = 1
    r = milkrun.solve_model(path, solver=solver)
    assert r.primary == "profit"
    assert r.objective == approx(14)
    assert r.objectives == {"profit": approx(14), "cost": approx(5), "other": approx(1)}
    # other: y = 3 (x anything in [0, 2]); profit is then between 6 and 12
    r = milkrun.solve_model(path, solver=solver, objective="other")
    assert r.primary == "other" and r.sense == "max"
    assert r.objective == approx(3)
    assert set(r.objectives) == {"profit", "cost", "other"}
    assert r.objectives["cost"] == approx(r.solution["x"].item() + 3)
    r = milkrun.solve_model(path, solver=solver, objective="cost")
    assert r.objective == approx(0)
    assert r.sense == "min"


def test_unknown_objective_name(write_model):
    path = write_model("var x >= 0\nminimize cost: x\nmaximize profit: x\n")
    with pytest.raises(MilkrunError) as info:
        milkrun.solve_model(path, objective="proft")
    assert "no objective named 'proft'" in info.value.message
    assert info.value.hint == "did you mean 'profit'?"


def test_model_without_objective_finds_a_feasible_point(write_model, solver):
    path = write_model("var x >= 0 <= 3\nc: x >= 2\n")
    r = milkrun.solve_model(path, solver=solver)
    assert r.status == "optimal"
    assert 2 - 1e-6 <= r.solution["x"].item() <= 3 + 1e-6


# ------------------------------------------------------------------ language features, solved
def test_slice_sum(write_model, solver):
    path = write_model("""
        set N = 1..3
        set K = {a, b}
        var d[i in N, j in N, k in K] >= 0 <= 1 where i != j
        maximize o: sum(*) d[1, *, 'a'] + 10 * sum(*) d[*, *, 'b']
    """)
    # d[1, j, a] for j = 2, 3 -> 2; d[i, j, b] for the 6 pairs i != j -> 60
    assert milkrun.solve_model(path, solver=solver).objective == approx(62)


def test_tuple_sum_with_an_outer_index_as_filter(write_model, solver):
    path = write_model("""
        set V = {1, 2}
        set S within V * Ints
        param cap[S]
        var c[S] >= 0 <= 1
        var y[V] >= 0
        maximize o: sum(k in V) y[k]
        lim[k in V]: y[k] <= sum((k, l) in S) cap[k, l] * c[k, l]
        data { S = {(1, 1), (2, 1), (2, 2)}; cap = {(1, 1): 5, (2, 1): 3, (2, 2): 4} }
    """)
    # y[1] <= 5, y[2] <= 3 + 4
    assert milkrun.solve_model(path, solver=solver).objective == approx(12)


def test_filtered_set_and_card(write_model, solver):
    path = write_model("""
        set N = {1, 2, 3}
        set Arcs = {(i, j) in N * N where i != j}
        param n = card(Arcs)
        var x[Arcs] >= 0 <= 1
        maximize o: sum((i, j) in Arcs) x[i, j] + n
    """)
    assert milkrun.solve_model(path, solver=solver).objective == approx(12)


def test_indexed_set_with_numeric_index(write_model, solver):
    path = write_model("""
        set V = {1, 2}
        set L[k in V] within Ints
        set P within V * Ints
        var y[P] >= 0 <= 1
        maximize o: sum(k in V) sum(l in L[k]) l * y[k, l]
        data { L = {(1, 1), (1, 2), (2, 5)}; P = {(1, 1), (1, 2), (2, 5)} }
    """)
    assert milkrun.solve_model(path, solver=solver).objective == approx(1 + 2 + 5)


def test_indexed_set_with_text_index_within_ints(write_model, solver):
    # `within Ints` constrains the members of L[k], not the index k
    path = write_model("""
        set V = {u, v}
        set L[k in V] within Ints
        set P within V * Ints
        var y[P] >= 0 <= 1
        maximize o: sum(k in V, l in L[k]) l * y[k, l]
        data { L = {(u, 1), (u, 2), (v, 5)}; P = {(u, 1), (u, 2), (v, 5)} }
    """)
    assert milkrun.solve_model(path, solver=solver).objective == approx(1 + 2 + 5)


def test_indexed_set_within_a_declared_set(write_model, solver):
    path = write_model("""
        set V = {u, v}
        set T = {1, 2, 5}
        set L[k in V] within T
        var y[V, T] >= 0 <= 1
        maximize o: sum(k in V, l in L[k]) l * y[k, l]
        data { L = {(u, 1), (u, 2), (v, 5)} }
    """)
    assert milkrun.solve_model(path, solver=solver).objective == approx(1 + 2 + 5)


def test_min_max_reductions_and_functions(write_model, solver):
    path = write_model("""
        set A = {1, 2, 3}
        param p[A]
        param hi = max(a in A) p[a]
        param lo = min(a in A where p[a] > 1) p[a]
        param f = max(lo, 4) + min(hi, 2, 7)
        var x >= 0 <= 1
        maximize o: x * f + hi * 100 + lo * 10
        data { p = {1: 1, 2: 5, 3: 3} }
    """)
    # hi = 5, lo = 3, f = 4 + 2 = 6  ->  6 + 500 + 30
    assert milkrun.solve_model(path, solver=solver).objective == approx(536)


def test_if_then_else_coefficients_and_variables(write_model, solver):
    path = write_model("""
        set A = {1, 2, 3}
        var x[A] >= 0 <= 1
        maximize o: sum(a in A) (if a >= 2 then 10 else -1) * x[a]
                  + sum(a in A) (if a == 2 then x[a] else 2 * x[a])
    """)
    # first sum 20 (x[1] = 0 would lose 1 there but gains 2 in the second: x = 1 everywhere)
    # -> -1 + 10 + 10 + 2 + 1 + 2 = 24
    assert milkrun.solve_model(path, solver=solver).objective == approx(24)


def test_element_parameter_in_a_set_and_a_subscript(write_model, solver):
    path = write_model("""
        set Nodes = 1..4
        param depot in Nodes
        set Farms = Nodes diff {depot}
        var v[Nodes] >= 0 <= 1
        maximize o: sum(i in Farms) i * v[i] + 100 * v[depot]
        data { depot = 3 }
    """)
    assert milkrun.solve_model(path, solver=solver).objective == approx(1 + 2 + 4 + 100)


def test_quoted_and_numeric_elements_in_subscripts(write_model, solver):
    path = write_model("""
        set N = {1, 2, 3}
        set T = {alpha, beta}
        param s[N, T] default 0
        var x[N, T] >= 0 <= 1
        maximize o: x['3', 'alpha'] + 2 * x[3.0, 'beta'] + s[2, 'beta']
        data { s = {(2, beta): 10} }
    """)
    assert milkrun.solve_model(path, solver=solver).objective == approx(13)


def test_set_operations_as_domains(write_model, solver):
    path = write_model("""
        param n = 4
        set K = 2..n
        set U = {1, 2} union {5}
        set I = K inter {3, 4, 9}
        set C = {a, b} * {1, 2}
        var x[K] >= 0 <= 1
        var y[U] >= 0 <= 1
        var z[I] >= 0 <= 1
        var w[C] >= 0 <= 1
        maximize o: sum(k) x[k] + 10 * sum(u) y[u] + 100 * sum(i) z[i] + 1000 * sum((p, q) in C) w[p, q]
    """)
    assert milkrun.solve_model(path, solver=solver).objective == approx(3 + 30 + 200 + 4000)


def test_diagonal_of_a_variable(write_model, solver):
    path = write_model("""
        set N = {1, 2, 3}
        var x[N, N] >= 0 <= 1
        maximize o: sum(i) x[i, i] + 0.5 * x[1, 2]
    """)
    assert milkrun.solve_model(path, solver=solver).objective == approx(3.5)


def test_fixed_element_in_a_position_named_like_the_sum_index(write_model, solver):
    # d's positions are named i and j; the sum's own index is also called i
    path = write_model("""
        set N = {o, p, q}
        param d[i in N, j in N] = if i == j then 0 else 2
        var go[N] >= 0 <= 1
        maximize obj: sum(i) d['o', i] * go[i]
    """)
    assert milkrun.solve_model(path, solver=solver).objective == approx(4)


def test_included_module(write_model, solver):
    write_model("""
        # shared pieces
        set Nodes
        param x[Nodes]; param y[Nodes]
        param dist[i in Nodes, j in Nodes] = euclid(x[i], y[i], x[j], y[j])
    """, name="parts/plane.mcp")
    path = write_model("""
        include "parts/plane.mcp"
        var go[Nodes] binary
        maximize far: sum(j) dist[0, j] * go[j]
        one: sum(j) go[j] <= 1
        data { Nodes = {0, 1, 2}; x = {0: 0, 1: 3, 2: 6}; y = {0: 0, 1: 4, 2: 8} }
    """)
    assert milkrun.solve_model(path, solver=solver).objective == approx(10)


def test_stdlib_geo_network(write_model, solver):
    path = write_model('''
        include "geo_network"
        var go[Sites] binary
        maximize far: sum(z in Sites) km['origin', z] * go[z]
        one: sum(z in Sites) go[z] <= 1
        data Sites """
        Sites,lon,lat
        origin,0,0
        east,90,0
        north,0,45
        """
    ''')
    # a quarter of the equator, on a sphere of the mean Earth radius 6371.0088 km
    r = milkrun.solve_model(path, solver=solver)
    assert r.objective == pytest.approx(math.pi / 2 * 6371.0088, rel=1e-6)


# ------------------------------------------------------------------ variable bounds
def test_crossed_variable_bounds_from_parameters_are_an_error(write_model):
    path = write_model("""
        set I = {a, b}
        param lo[I] = 3
        param hi[I] = 1
        var f[i in I] >= lo[i] <= hi[i]
        minimize o: sum(i) f[i]
    """)
    with pytest.raises(MilkrunError) as info:
        milkrun.compile_model(path)
    assert "lower bound above its upper bound" in info.value.message
    assert info.value.span.line == 4


def test_crossed_constant_variable_bounds_are_an_error(write_model):
    path = write_model("""
        set I = {a, b}
        var f[i in I] in [3, 1]
        minimize o: sum(i) f[i]
    """)
    with pytest.raises(MilkrunError) as info:
        milkrun.compile_model(path)
    assert "lower bound above its upper bound" in info.value.message
    assert info.value.span.line == 2


# ------------------------------------------------------------------ no solution
def test_infeasible_model(write_model, solver):
    path = write_model("""
        var x >= 0
        minimize o: x
        c1: x >= 2
        c2: x <= 1
    """)
    r = milkrun.solve_model(path, solver=solver)
    assert r.status == "infeasible"
    assert r.objective is None
    assert r.exit_code == 1


def test_infeasible_milp(write_model, solver):
    path = write_model("""
        var x integer >= 0 <= 3
        minimize o: x
        c: 2 * x >= 7
    """)
    r = milkrun.solve_model(path, solver=solver)
    assert r.status == "infeasible"
    assert r.exit_code == 1


def test_unbounded_lp(write_model, solver):
    path = write_model("""
        var x >= 0
        var y >= 0
        maximize o: x + y
        c: x - y <= 1
    """)
    r = milkrun.solve_model(path, solver=solver)
    assert r.status == "unbounded"
    assert r.objective is None
    assert r.exit_code == 1


def test_unbounded_milp(write_model, solver):
    path = write_model("var x integer >= 0\nvar y binary\nmaximize o: x + y\n")
    r = milkrun.solve_model(path, solver=solver)
    assert r.status == "unbounded"
    assert r.exit_code == 1


EMPTY_ROW = """
    set I = {1, 2}
    set J = {1, 2}
    param a[I, J] default 0
    var x[J] >= 0 <= 5
    maximize o: sum(j) x[j]
    c[i in I]: sum(j in J where a[i, j] > 0) x[j] {op} 1
    data { a = {(1, 1): 1} }
"""


def test_empty_row_that_cannot_hold(write_model, expect_error):
    # for i = 2 no a[2, j] > 0: the row reads 0 >= 1
    path = write_model(EMPTY_ROW.replace("{op}", ">="))
    err = expect_error(milkrun.compile_model, path, line=6, column=1, file=path,
                       contains=["constraint 'c' at i=2", "0 >= 1"])
    assert isinstance(err, InfeasibleByConstruction)
    assert err.kind == "infeasible"


def test_empty_row_that_holds_is_dropped(write_model, solver):
    path = write_model(EMPTY_ROW.replace("{op}", "<="))
    compiled = milkrun.compile_model(path)
    assert compiled.built.dropped_rows == {"c": 1}
    assert int(compiled.linopy.ncons) == 1
    r = milkrun.solve_model(path, solver=solver)
    assert r.objective == approx(1 + 5)  # x[1] <= 1, x[2] <= 5


def test_empty_ranged_row(write_model):
    # `2 <= 0 <= 5` for i = 2 is false
    path = write_model(EMPTY_ROW.replace("{op} 1", "<= 5").replace("c[i in I]: ", "c[i in I]: 2 <= "))
    with pytest.raises(InfeasibleByConstruction) as info:
        milkrun.compile_model(path)
    assert info.value.span.line == 6


# ------------------------------------------------------------------ limits and options
def test_time_limit_keeps_the_incumbent(solver):
    """A solve stopped by its time limit returns the best plan it has, with its bound and gap. The solver
    starts from the optimal plan (tests/models/collection_mtz_plan/, the non-zero values `solve --out`
    wrote): without it, on a machine busy enough, 2 s found no plan at all (SCIP, load average 5)."""
    compiled = milkrun.compile_model(MODELS / "collection_mtz.mcp")
    start, _ = read_start(compiled.linopy, MODELS / "collection_mtz_plan")
    assert start_problems(compiled.linopy, start) == []
    r = solve_compiled(compiled, milkrun.RunOptions(model=str(MODELS / "collection_mtz.mcp"), solver=solver,
                                                    time_limit=2.0), start=start)
    assert r.status in ("time_limit", "optimal")
    assert r.objective is not None and r.exit_code == 0
    assert r.objective >= 535.686 * (1 - 1e-4)
    assert r.bound is not None and r.bound <= r.objective + 1e-6
    assert 0 <= r.gap <= 1
    # the incumbent is a plan: every farm is fully assigned
    assert np.allclose(r.solution["share"].sum("Vehicles").values, 1, atol=1e-6)


def test_gap_option(write_model, solver):
    r = milkrun.solve_model(write_model(FACILITY), solver=solver, gap=0.5)
    assert r.status == "optimal"
    assert 36 - 1e-6 <= r.objective <= 36 * 1.5 + 1e-6


@pytest.mark.parametrize("solver_name, typo, right", [("highs", "mip_rel_gapp", "mip_rel_gap"),
                                                      ("scip", "limits/tim", "limits/time")])
def test_unknown_solver_option_suggests_the_right_one(solver_name, typo, right):
    with pytest.raises(MilkrunError) as info:
        milkrun.solve_model("transport", solver=solver_name, options={typo: "0.1"})
    assert f"'{typo}' is not an option of solver {solver_name}" in info.value.message
    assert info.value.hint == f"did you mean '{right}'?"


def test_known_solver_option_is_accepted(solver):
    option = {"highs": {"mip_rel_gap": "0.0"}, "scip": {"limits/gap": "0.0"}}[solver]
    assert milkrun.solve_model("transport", solver=solver, options=option).objective == approx(153.675)


def test_badly_typed_solver_option():
    with pytest.raises(MilkrunError) as info:
        milkrun.solve_model("transport", solver="highs", options={"mip_rel_gap": "lots"})
    assert "mip_rel_gap" in info.value.message


def test_unknown_solver():
    with pytest.raises(MilkrunError) as info:
        milkrun.solve_model("transport", solver="gurobbi")
    assert "solver 'gurobbi' is not installed" in info.value.message


# ------------------------------------------------------------------ the routing model of the paper
def test_collection_mtz_reaches_the_published_optimum():
    r = milkrun.solve_model(MODELS / "collection_mtz.mcp", solver="highs")
    assert r.status == "optimal"
    assert r.objective == pytest.approx(535.69, rel=1e-4)
    assert r.objective == pytest.approx(535.686, rel=1e-5)
    sol = r.solution
    assert np.allclose(sol["share"].sum("Vehicles").values, 1, atol=1e-6)
    # every vehicle that visits a farm leaves the depot
    visit = sol["visit"]
    used = visit.sel(Nodes=1)
    assert bool(((visit.drop_sel(Nodes=1) <= used + 1e-6)).all())
