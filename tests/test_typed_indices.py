"""Index positions have types (compiler/model/index_types.py), and an index used after its sum ended.

An index bound over one set may stand only in a position declared over that set, a set it is
declared `within`, or a set it is defined from; the checker refuses the rest before any data is
read, located at the index, and suggests exchanging two subscripts when that makes them all fit.
"""
from __future__ import annotations

import pytest

import milkrun
from conftest import run_milkrun

# The same numbers in both sets: no check on the data could tell cost[m, p] from cost[p, m].
SWAPPED = """
    set Plants = 1..3
    set Markets = 1..3
    param cost[Plants, Markets] default 1
    var ship[Plants, Markets] >= 0
    minimize total: sum(m in Markets, p in Plants) cost[m, p] * ship[p, m]
"""


# ------------------------------------------------------------------ the swap
def test_swapped_subscripts_over_sets_of_the_same_numbers_are_refused(write_model, cli):
    path = write_model(SWAPPED)
    code, out, err = cli("check", path)
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"{path}:5:53: error: index 'm' ranges over Markets, but position 1 of 'cost' is over Plants",
        "  |",
        "5 | minimize total: sum(m in Markets, p in Plants) cost[m, p] * ship[p, m]",
        "  |                                                     ^",
        "hint: cost[p, m]: swap the two subscripts",
    ]


def test_the_swap_is_refused_by_the_command_as_a_user_runs_it(write_model):
    path = write_model(SWAPPED)
    proc = run_milkrun("solve", path)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{path}:5:53: error: index 'm' ranges over Markets")
    assert "hint: cost[p, m]: swap the two subscripts" in proc.stderr


def test_written_the_right_way_round_it_solves(write_model, cli):
    path = write_model(SWAPPED.replace("cost[m, p]", "cost[p, m]"))
    code, out, err = cli("check", path)
    assert code == 0, err


def test_different_elements_swapped_are_refused_before_the_data(write_model, expect_error):
    path = write_model("""
        set Foods
        set Nutrients
        param content[Foods, Nutrients]
        var buy[Foods] >= 0
        need[n in Nutrients]: sum(f) content[n, f] * buy[f] >= 10
        minimize c: sum(f) buy[f]
    """)
    # no data at all: the checker alone refuses it; f's set, inferred from content[n, f], moves with it
    err = expect_error(milkrun.load_model, path, line=5, column=38, file=path,
                       contains="index 'n' ranges over Nutrients, but position 1 of 'content' is over Foods")
    assert err.hint == "content[f, n]: swap the two subscripts"


def test_different_elements_the_checker_cannot_tell_apart_suggest_the_swap_when_built(write_model, expect_error):
    """Sets written in place have no name to compare: the build finds the values, and the swap."""
    path = write_model("""
        set Foods = {bread, milk}
        set Nutrients = {calories, protein}
        param content[Foods, Nutrients] default 1
        var buy[Foods] >= 0
        need[n in {calories, protein}]: sum(f in {bread, milk}) content[n, f] * buy[f] >= 10
        minimize c: sum(f) buy[f]
    """)
    milkrun.load_model(path)
    err = expect_error(milkrun.compile_model, path, line=5, column=57, file=path,
                       contains="index 'n' takes the value 'calories', which 'content' is not defined for")
    assert err.hint == "content[f, n]: swap the two subscripts"


def test_a_value_missing_without_a_swap_that_fits_keeps_the_where_hint(write_model, expect_error):
    path = write_model("""
        set Foods = {bread, milk}
        param price[Foods] default 1
        var buy[Foods] >= 0
        minimize c: sum(f in {bread, milk, jam}) price[f] * buy[f]
    """)
    err = expect_error(milkrun.compile_model, path, line=4, column=42, file=path,
                       contains="index 'f' takes the value 'jam', which 'price' is not defined for")
    assert "restrict 'f' with a 'where'" in err.hint


def test_the_swap_among_three_positions(write_model, expect_error):
    path = write_model("""
        set A
        set B
        set C
        var x[A, B, C] >= 0
        minimize o: sum(a in A, b in B, c in C) x[a, c, b]
    """)
    err = expect_error(milkrun.load_model, path, line=5, column=46,
                       contains="index 'c' ranges over C, but position 2 of 'x' is over B")
    assert err.hint == "x[a, b, c]: swap the two subscripts"


def test_no_swap_is_offered_when_none_fits(write_model, expect_error):
    path = write_model("""
        set Plants
        set Markets
        set Depots
        param cost[Plants, Markets]
        var y[Depots] >= 0
        minimize o: sum(d in Depots, m in Markets) cost[d, m] * y[d]
    """)
    err = expect_error(milkrun.load_model, path, line=6, column=49,
                       contains="index 'd' ranges over Depots, but position 1 of 'cost' is over Plants")
    assert "swap" not in err.hint
    assert "declare 'set Depots within Plants'" in err.hint


# ------------------------------------------------------------------ what fits
@pytest.mark.parametrize("declaration, data", [
    ("set Big within Nodes", "Big = {n2}"),                                # read from data, declared within
    ("set Big = Nodes diff {n1}", ""),                                     # defined from Nodes
    ("set Big = {n in Nodes where n != 'n1'}", ""),                        # a filter of Nodes
    ("set Big = Nodes inter {n2, n3}", ""),
    ("set Big = Mid; set Mid within Nodes", "Mid = {n2}"),                 # followed along the chain
    ("set Big within Mid; set Mid = Nodes diff {n3}", "Big = {n2}"),
    ("set Big = Mid union Low; set Mid within Nodes; set Low = Nodes diff {n1}", "Mid = {n1}"),  # both sides
    ("set Big = {depot}; param depot in Nodes default n2", ""),            # an element parameter of Nodes
])
def test_a_part_of_the_set_fits(write_model, cli, declaration, data):
    path = write_model(f"""
        set Nodes = {{n1, n2, n3}}
        {declaration}
        var x[Nodes] >= 0 <= 1
        maximize o: sum(b in Big) x[b]
        data {{ {data} }}
    """)
    code, out, err = cli("check", path)
    assert code == 0, err


def test_a_union_with_something_else_does_not_fit(write_model, cli):
    path = write_model("""
        set Nodes = {n1, n2}
        set Extra = {e1}
        set Both = Nodes union Extra
        var x[Nodes] >= 0 <= 1
        maximize o: sum(b in Both) x[b]
    """)
    code, out, err = cli("check", path)
    assert code == 2
    assert err.startswith(f"{path}:5:30: error: index 'b' ranges over Both, but position 1 of 'x' is over Nodes")
    assert err.endswith("hint: Nodes is a part of Both; bind 'b' over Nodes, or restrict it with 'where b in Nodes'\n")


def test_a_union_holds_its_parts(write_model, cli):
    """Farms fits a position over `Farms union {depot}`, and so does depot."""
    path = write_model("""
        set Nodes = {plant, f1, f2}
        param depot in Nodes default plant
        set Farms = Nodes diff {depot}
        set Stops = Farms union {depot}
        param wait[Stops] default 1
        var x[Nodes] >= 0 <= 1
        maximize o: sum(f in Farms) wait[f] * x[f] + wait[depot] * x[depot]
    """)
    code, out, err = cli("check", path)
    assert code == 0, err


def test_a_set_read_from_data_without_within_is_only_within_itself(write_model, expect_error):
    path = write_model("""
        set Nodes
        set Big
        var x[Nodes] >= 0 <= 1
        maximize o: sum(b in Big) x[b]
    """)
    err = expect_error(milkrun.load_model, path, line=4, column=29,
                       contains="index 'b' ranges over Big, but position 1 of 'x' is over Nodes")
    assert "declare 'set Big within Nodes'" in err.hint


def test_a_within_read_from_a_csv_file_is_checked_on_the_data(tmp_path, cli):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "Nodes.csv").write_text("Nodes\nn1\nn2\n")
    (tmp_path / "data" / "Big.csv").write_text("Big\nn2\nn9\n")
    model = tmp_path / "m.mcp"
    model.write_text("set Nodes\nset Big within Nodes\nvar x[Nodes] >= 0 <= 1\nmaximize o: sum(b in Big) x[b]\n")
    code, out, err = cli("check", model, "--data", tmp_path / "data")
    assert code == 2
    assert "set 'Big' holds 'n9', which is not an element of Nodes" in err


def test_a_superset_fits_once_a_where_keeps_it_to_the_part(write_model, cli, expect_error):
    src = """
        set Nodes = {1, 2, 3}
        set Farms = Nodes diff {1}
        param supply[Farms] default 5
        var x[Nodes] >= 0
        minimize o: sum(i in Nodes) x[i]
        c[i in Nodes WHERE]: x[i] >= supply[i]
    """
    assert cli("check", write_model(src.replace("WHERE", "where i in Farms and i > 0")))[0] == 0
    # a test that need not hold does not count
    err = expect_error(milkrun.load_model, write_model(src.replace("WHERE", "where i in Farms or i > 2")),
                       line=6, column=57, contains="index 'i' ranges over Nodes, but position 1 of 'supply' is over Farms")
    assert err.hint == "Farms is a part of Nodes; bind 'i' over Farms, or restrict it with 'where i in Farms'"


def test_builtin_sets_and_sets_written_in_place_take_any_index(write_model, cli):
    path = write_model("""
        set Vehicles = {v1, v2}
        set Levels = 1..3
        set Slots within Vehicles * Ints
        param size[Slots] default 1
        var fill[Slots] >= 0
        maximize o: sum((k, l) in Slots) fill[k, l]
        lim[k in Vehicles, l in Levels where (k, l) in Slots]: fill[k, l] <= size[k, l]
        some[t in 1..2]: sum(k in Vehicles where (k, t) in Slots) fill[k, t] <= 5
        data { Slots = {(v1, 1), (v1, 2), (v2, 1)} }
    """)
    code, out, err = cli("check", path)
    assert code == 0, err


# ------------------------------------------------------------------ tuples, element parameters, indexed sets
def test_tuple_components_have_the_sets_of_the_components(write_model, cli, expect_error):
    src = """
        set Vehicles = {v1, v2}
        set Markets = {a, b}
        set Slots within Vehicles * Ints
        set Arcs = {(i, j) in Markets * Markets where i != j}
        var fill[Slots] >= 0
        var go[Arcs] >= 0
        maximize o: sum((k, l) in Slots) fill[k, l] + sum((i, j) in Arcs) go[i, j]
        per[k in Vehicles]: sum((k, l) in Slots) fill[k, l] <= 3
        out[m in Markets]: sum(j in Markets where (m, j) in Arcs) go[m, j] <= 1
        data { Slots = {(v1, 1), (v2, 1)} }
    """
    assert cli("check", write_model(src))[0] == 0
    bad = write_model(src.replace("per[k in Vehicles]: sum((k, l) in Slots) fill[k, l]",
                                  "per[m in Markets]: sum(l in 1..2) fill[m, l]"))
    expect_error(milkrun.load_model, bad, line=8, column=40,
                 contains="index 'm' ranges over Markets, but position 1 of 'fill' is over Vehicles "
                          "(the first component of Slots)")
    bad = write_model(src.replace("go[i, j]", "go[i, k]").replace("sum((i, j) in Arcs)",
                                                                  "sum((i, j) in Arcs, (k, l) in Slots)"))
    expect_error(milkrun.load_model, bad, line=7, column=90,
                 contains="index 'k' ranges over Vehicles (the first component of Slots), but position 2 of 'go' "
                          "is over Markets (the second component of Arcs)")


def test_an_element_parameter_has_the_set_it_is_declared_in(write_model, expect_error):
    path = write_model("""
        set Nodes = {plant, f1, f2}
        param depot in Nodes default plant
        set Farms = Nodes diff {depot}
        var visit[Nodes] binary
        var milk[Farms] >= 0
        minimize o: visit[depot] + milk[depot]
    """)
    err = expect_error(milkrun.load_model, path, line=6, column=33,
                       contains="'depot' is an element of Nodes, but position 1 of 'milk' is over Farms")
    assert err.hint == "declare 'param depot in Farms' if it is always one of Farms"


def test_an_element_parameter_of_a_set_written_in_place_is_not_typed(write_model, cli):
    path = write_model("""
        set Types = {a, b}
        param pick in {a, b} default a
        var x[Types] >= 0 <= 1
        maximize o: x[pick]
    """)
    code, out, err = cli("check", path)
    assert code == 0, err


def test_the_subscript_of_an_indexed_set_is_typed(write_model, expect_error):
    path = write_model("""
        set Nodes = {a, b}
        set Vehicles = {v1}
        set L[f in Nodes]
        var w[f in Nodes, l in L[f]] >= 0
        minimize o: sum(f in Nodes, l in L[f]) w[f, l] + sum(k in Vehicles, l in L[k]) w['a', l]
    """)
    expect_error(milkrun.load_model, path, line=5, column=76,
                 contains="index 'k' ranges over Vehicles, but position 1 of 'L' is over Nodes")


def test_slices_quoted_elements_and_numbers_are_not_typed(write_model, cli):
    path = write_model("""
        set Plants = {1, 2}
        set Markets = {1, 2}
        param n default 1
        var ship[Plants, Markets] >= 0
        minimize o: sum(*) ship[*, 2] + ship['1', n] + sum(m in Markets) sum(*) ship[*, m]
    """)
    code, out, err = cli("check", path)
    assert code == 0, err


def test_every_shipped_model_checks(cli):
    """Shipped models that rely on a relation between sets declare it (location.mcp: Years within Periods)."""
    for name in ("transport", "location", "routing", "dairy_chain", "cvrp", "sdvrp", "knapsack2", "knapsack3",
                 "portfolio"):
        code, out, err = cli("check", name)
        assert code == 0, f"{name}: {err}"


# ------------------------------------------------------------------ the body of a sum
def test_an_index_used_after_its_sum_ended_says_so(write_model, cli):
    path = write_model("""
        set T = 1..3
        param unit_cost default 2
        param setup_cost default 5
        var make[T] >= 0
        var setup[T] binary
        minimize cost: sum(t) unit_cost * make[t] + setup_cost * setup[t]
    """)
    code, out, err = cli("check", path)
    assert code == 2
    assert err.splitlines() == [
        f"{path}:6:64: error: 't' is the index of the sum at line 6:16, whose body ends at the '+'",
        "  |",
        "6 | minimize cost: sum(t) unit_cost * make[t] + setup_cost * setup[t]",
        "  |                                                                ^",
        "hint: write sum(t) (unit_cost * make[t] + setup_cost * setup[t])",
    ]


def test_the_sum_may_end_further_back_and_lines_may_wrap(write_model, expect_error):
    path = write_model("""
        set T = 1..3
        set S = {a, b}
        var x[T, S] >= 0
        var y[T] >= 0
        minimize o: 2 * sum(t in T, s in S) x[t, s]
                    - 3 + y[t]
    """)
    err = expect_error(milkrun.load_model, path, line=6, column=21,
                       contains="'t' is the index of the sum at line 5:17, whose body ends at the '-'")
    assert err.hint == "write sum(t in T, s in S) (x[t, s] - 3 + y[t])"
    assert [text for text, _ in err.notes] == ["the sum that binds 't'"]


def test_an_index_of_a_sum_on_the_other_side_of_a_comparison(write_model, expect_error):
    path = write_model("""
        set T = 1..3
        param cap[T] default 2
        var x[T] >= 0
        minimize o: sum(t) x[t]
        c: sum(t) x[t] <= cap[t]
    """)
    err = expect_error(milkrun.load_model, path, line=5, column=23,
                       contains="'t' is the index of the sum at line 5:4, whose body ends at the '<='")
    assert err.hint == "'t' is bound only inside the sum; for one row per 't', bind it in the index list of the constraint"


def test_a_sum_closed_by_its_bracket_is_not_blamed(write_model, expect_error):
    path = write_model("""
        set T = 1..3
        var x[T] >= 0
        minimize o: 2 * (sum(t) x[t]
                        ) + x[t]
    """)
    err = expect_error(milkrun.load_model, path, line=4, column=23, contains="unknown index 't'")
    assert "quote it" in err.hint


def test_an_unknown_index_no_sum_binds_is_still_unknown(write_model, expect_error):
    path = write_model("""
        set T = 1..3
        var x[T] >= 0
        minimize o: sum(s in T) x[s] + x[t]
    """)
    err = expect_error(milkrun.load_model, path, line=3, column=34, contains="unknown index 't'")
    assert "quote it" in err.hint


def test_a_long_chain_of_set_definitions_is_not_compared_past_a_depth(write_model, cli):
    """Sets defined from sets 200 deep (a generated model): no crash; past the depth the data decides."""
    chain = "\n".join(f"set S{k} = S{k - 1} union {{t{k}}}" for k in range(1, 200))
    path = write_model("set N = {a, b}\nset S0 = N diff {a}\n" + chain + "\nvar y[S199] >= 0\n"
                       "minimize o: sum(j in S0) y[j]\n")
    code, out, err = cli("check", path)
    assert code == 0, err


def test_shifts_and_element_parameters_are_typed_too(tmp_path):
    """`t-1` keeps t's set, and `home[i]` holds an element of the set it is declared in."""
    from milkrun.dsl.diagnostics import MilkrunError

    base = ("set Days = 1..3\nset Plants = 1..3\nset Depots = 1..3\nparam home[Plants] in Depots default 1\n"
            "param cost[Plants, Depots] default 1\nvar x[Plants] >= 0\nminimize z: sum(p) x[p]\nsubject to\n")
    rows = {"Days": "  c[d in Days]: x[d-1] >= 0\n",
            "Depots": "  c[p in Plants]: x[p] >= cost[home[p], p]\n"}
    for wrong, row in rows.items():
        model = tmp_path / f"m{wrong}.mcp"
        model.write_text(base + row)
        with pytest.raises(MilkrunError) as info:
            milkrun.load_model(model)
        assert f"of {wrong}, but position 1" in info.value.message or f"over {wrong}, but" in info.value.message
    ok = tmp_path / "ok.mcp"
    ok.write_text(base + "  c[p in Plants]: x[p-1] >= cost[p, home[p]]\n")
    milkrun.load_model(ok)
