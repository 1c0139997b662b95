"""Periods: an index moved along its ordered set (`t-1`, `t+k`, circular `t--1`, `prev`, `next`,
`first`, `last`), with optima worked out independently of milkrun."""
from __future__ import annotations

import numpy as np
import pytest

import milkrun

LOT_SIZING = """
set T = 1..{n}
param demand[T] >= 0
param setup_cost[T] >= 0
param hold >= 0
param unit_cost >= 0
param big = sum(t) demand[t]
var make[T] >= 0
var inv[T] >= 0
var setup[T] binary
minimize cost: sum(t) (unit_cost * make[t] + setup_cost[t] * setup[t] + hold * inv[t])
subject to
  balance[t in T]: inv[t] == inv[{previous}] + make[t] - demand[t]
  only_after_setup[t in T]: make[t] <= big * setup[t]
data {{
  demand = {{{demand}}};
  setup_cost = {{{setup}}};
  hold = {hold};
  unit_cost = {unit};
}}
"""


def write(tmp_path, text, name="m.mcp"):
    path = tmp_path / name
    path.write_text(text)
    return path


def lot_sizing(tmp_path, demand, setup, hold, unit, previous="t-1"):
    n = len(demand)
    text = LOT_SIZING.format(n=n, previous=previous, hold=hold, unit=unit,
                             demand=", ".join(f"{t + 1}: {d}" for t, d in enumerate(demand)),
                             setup=", ".join(f"{t + 1}: {k}" for t, k in enumerate(setup)))
    return write(tmp_path, text, f"lot_{previous.replace('-', 'm')}.mcp")


def wagner_whitin(demand, setup, hold, unit) -> float:
    """The uncapacitated lot-sizing optimum by dynamic programming (Wagner and Whitin 1958): the
    periods i..j are served by one setup in period i, each unit of period k held k - i periods."""
    n = len(demand)
    best = [0.0] + [np.inf] * n
    for j in range(1, n + 1):
        for i in range(1, j + 1):
            if sum(demand[i - 1:j]) == 0 and i < j:
                continue
            serve = setup[i - 1] + unit * sum(demand[i - 1:j]) + hold * sum((k - i) * demand[k - 1]
                                                                           for k in range(i, j + 1))
            if sum(demand[i - 1:j]) == 0:  # nothing to make: no setup needed
                serve = 0.0
            best[j] = min(best[j], best[i - 1] + serve)
    return best[n]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lot_sizing_with_t_minus_1_reaches_the_dynamic_programming_optimum(tmp_path, seed):
    rng = np.random.default_rng(seed)
    n = 8
    demand = [int(x) for x in rng.integers(0, 60, n)]
    setup = [int(x) for x in rng.integers(30, 120, n)]
    hold, unit = 2, 1
    expected = wagner_whitin(demand, setup, hold, unit)
    result = milkrun.solve_model(lot_sizing(tmp_path, demand, setup, hold, unit))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(expected, abs=1e-6)


def test_the_dynamic_program_itself_on_a_hand_case():
    # demand 20, 30, 0, 40; setup 50; holding 2: setups in periods 1, 2 and 4 cost 150 + 90 made = 240;
    # one setup in 1 for everything: 50 + 90 + 2 * (70 + 40 + 40) = 440; setups in 1 and 4: 100 + 90 + 60 = 250
    assert wagner_whitin([20, 30, 0, 40], [50] * 4, 2, 1) == 240


def test_a_lag_past_the_first_period_is_absent(tmp_path):
    # inv[t-1] at t = 1 drops out: the plan starts with an empty store, so period 1's demand is made in 1
    result = milkrun.solve_model(lot_sizing(tmp_path, [20, 30, 0, 40], [50] * 4, 2, 1))
    assert result.objective == pytest.approx(240)
    assert result.solution["make"].sel(T=1).item() == pytest.approx(20)


def test_a_circular_plan_carries_stock_from_the_last_period_to_the_first(tmp_path):
    # with inv[t--1] the store at the end of period 4 opens period 1: setups in 2 and 4 (make 30, then
    # 60 of which 20 wait for period 1) cost 100 + 90 + 2 * 20 = 230, below the open plan's 240
    result = milkrun.solve_model(lot_sizing(tmp_path, [20, 30, 0, 40], [50] * 4, 2, 1, previous="t--1"))
    assert result.objective == pytest.approx(230)
    assert result.solution["inv"].sel(T=4).item() == pytest.approx(20)
    prev_circular = milkrun.solve_model(lot_sizing(tmp_path, [20, 30, 0, 40], [50] * 4, 2, 1,
                                                   previous="prev(t, circular)"))
    assert prev_circular.objective == pytest.approx(230)


NAMED = """
set Days = {mon, tue, wed, thu}
param lag = 2
param milk[Days] = 10
var tank[Days] >= 0
var pick[Days] >= 0
minimize picked: sum(d) pick[d]
subject to
  balance[d in Days]: tank[d] == tank[prev(d)] + milk[d] - pick[d]
  fresh[d in Days]: tank[d] <= milk[d]
  after_two_days[d in Days]: pick[d] >= milk[d-lag] - 5
kpi carried[d in Days]: tank[d+1]
kpi ahead[d in Days]: tank[next(d, circular)]
"""


def test_named_members_keep_their_declared_order(tmp_path):
    result = milkrun.solve_model(write(tmp_path, NAMED))
    # 40 L arrive, at most 10 stay in the tank at the end; from wed on at least 5 L a day go out
    assert result.objective == pytest.approx(30)
    assert result.solution["tank"].sel(Days="thu").item() == pytest.approx(10)
    carried = result.kpis["carried"].to_series()
    assert carried["wed"] == pytest.approx(10) and carried["thu"] == 0  # thu+1 is past the end: absent, 0
    assert result.kpis["ahead"].to_series()["wed"] == pytest.approx(10)  # next(wed, circular) is thu


def test_first_last_prev_next_in_conditions_and_subscripts(tmp_path):
    model = write(tmp_path, """
set T = 1..3
var inv[T] >= 0
minimize z: sum(t) inv[t]
subject to
  start: inv[first(T)] >= 5
  ends[t in T where t == last(T)]: inv[t] >= 2
  step[t in T where t != last(T)]: inv[next(t)] >= inv[t] - 1
  after[t in T where prev(t) == first(T)]: inv[t] >= 4.5
""")
    result = milkrun.solve_model(model)
    # inv[1] >= 5, inv[2] >= max(4, 4.5), inv[3] >= max(3.5, 2)
    assert result.objective == pytest.approx(5 + 4.5 + 3.5)


def test_a_shift_by_a_scalar_parameter(tmp_path):
    model = write(tmp_path, """
set T = 1..5
param lag = 2
param arrive[t in T] = ord(t)
var out[T] >= 0
minimize z: sum(t) out[t]
subject to
  ship[t in T]: out[t] >= arrive[t-lag]
""")
    # out[t] >= t - 2 where t - 2 is a period: 0 + 0 + 1 + 2 + 3
    assert milkrun.solve_model(model).objective == pytest.approx(6)


def test_a_shift_beyond_the_whole_set_leaves_only_absent_terms(tmp_path):
    model = write(tmp_path, """
set T = 1..3
var x[T] >= 0
minimize z: sum(t) x[t]
subject to
  far[t in T]: x[t] >= 1 + x[t+5]
  back[t in T]: x[t] >= 2 * x[t-3]
""")
    # x[t+5] and x[t-3] are always outside T: every row reads x[t] >= 1 (and x[t] >= 0)
    assert milkrun.solve_model(model).objective == pytest.approx(3)


ERRORS = [  # (the term, the message, where in the term the error points: 0 is its first character)
    ("x[t-0.5]", "an index moves by a whole number of places; got 0.5", 4),
    ("x[t-s]", "'s' is an index; an index moves by a number of places, not by another index", 4),
    ("x[u-1]", "unknown index 'u'", 2),
    ("x[n-1]", "'n' is a param; only an index moves along its set", 2),
    ("x[prev(t, round)]", "the second argument of prev() can only be 'circular'", 10),
    ("x[t]--1", "'--' moves an index around its set, in a subscript such as x[t--1]; it is not arithmetic", 0),
]


@pytest.mark.parametrize("term, message, at", ERRORS)
def test_located_errors(cli, tmp_path, term, message, at):
    line = f"  c[t in T, s in T]: y >= {term}"
    model = write(tmp_path, f"set T = 1..3\nparam n = 2\nvar x[T] >= 0\nvar y >= 0\nminimize z: y\n"
                            f"subject to\n{line}\n")
    code, out, err = cli("check", str(model))
    assert code == 2 and out == ""
    column = line.index(term) + at + 1
    assert err.startswith(f"{model}:7:{column}: error: {message}"), err


def test_a_tuple_member_does_not_move(cli, tmp_path):
    model = write(tmp_path, "set Slots = {(a, 1), (a, 2), (b, 1)}\nvar x[Slots] >= 0\n"
                            "minimize z: sum((k, l) in Slots) x[k, l]\nsubject to\n"
                            "  c[(k, l) in Slots]: x[k, l] >= x[k-1, l]\n")
    code, _, err = cli("check", str(model))
    assert code == 2
    assert err.startswith(f"{model}:5:36: error: 'k' is component 1 of the tuple set Slots; a member of a tuple "
                          "has no single order to move along")


def test_a_lag_that_is_not_whole_is_refused_with_the_data(cli, tmp_path):
    model = write(tmp_path, "set T = 1..3\nparam lag = 1.5\nvar x[T] >= 0\nminimize z: sum(t) x[t]\n"
                            "subject to\n  c[t in T]: x[t] >= x[t-lag]\n")
    code, _, err = cli("solve", str(model))
    assert code == 2
    assert err.startswith(f"{model}:6:26: error: an index moves by a whole number of places; 'lag' is 1.5")


def test_a_variable_the_shift_reaches_outside_its_domain(cli, tmp_path):
    model = write(tmp_path, "set T = 1..4\nset Early within T = {1, 2}\nvar x[Early] >= 0\nvar y[T] >= 0\n"
                            "minimize z: sum(t) y[t]\nsubject to\n  c[t in Early]: y[t] >= x[t+1]\n")
    code, _, err = cli("solve", str(model))
    # t ranges over Early (1, 2): t+1 is 2, then past Early's end (absent); x is defined for both
    assert code == 0, err


def test_a_shift_in_a_nonlinear_model(tmp_path):
    model = write(tmp_path, """
set T = 1..3
var x[T] >= 0 <= 10
minimize squares: sum(t) x[t]^2
subject to
  cover[t in T]: x[t] + x[t-1] >= 2
""")
    # x1 >= 2 (x0 is absent), x1 + x2 >= 2, x2 + x3 >= 2: the least squares are x = (2, 1, 1), 4 + 1 + 1
    result = milkrun.solve_model(model)
    assert result.solver == "scip"
    assert result.objective == pytest.approx(6, abs=1e-4)


def test_order_words_stay_free_for_a_models_own_names(tmp_path):
    model = write(tmp_path, """
set T = 1..3
var x[T] >= 0
minimize z: sum(t) x[t]
subject to
  first: x[first(T)] >= 1
  next[t in T where t != last(T)]: x[next(t)] >= x[t]
""")
    assert milkrun.solve_model(model).objective == pytest.approx(3)


def test_a_shift_reads_the_order_of_the_items_own_set(tmp_path):
    """With j over Years = 1..3 and final over Periods = 0..3, final[j-1] in year 1 is period 0; with
    t over Odd = {1, 3} and y over 1..4, y[t+1] is y[2] and y[4]."""
    model = write(tmp_path, """
set Periods = 0..3
set Years within Periods = 1..3
set T = 1..4
set Odd within T = {1, 3}
param final[p in Periods] = 10 * (ord(p) - 1)
var cash[Years] >= 0
var y[T] >= 0
minimize z: sum(j) cash[j] + sum(t) y[t]
subject to
  carried[j in Years]: cash[j] >= final[j-1]
  after_odd[t in Odd]: y[t+1] >= t
""")
    result = milkrun.solve_model(model)
    # final = 0, 10, 20, 30 for periods 0..3: cash = 0, 10, 20; y[2] >= 1, y[4] >= 3
    assert result.solution["cash"].to_series().to_dict() == {1: 0, 2: 10, 3: 20}
    assert result.solution["y"].to_series().to_dict() == {1: 0, 2: 1, 3: 0, 4: 3}
    assert result.objective == pytest.approx(34)
