"""Data: CSV tables (set, wide, long and scalar layouts), data blocks, inline tables and
--set overrides, and every data mistake located at its file, line and cell."""
from __future__ import annotations

import numpy as np
import pytest

import milkrun
from milkrun.dsl.diagnostics import MilkrunError



def csv(path, text):
    path.write_text(text)


def data_dir(model):
    return model.with_suffix("")


# ------------------------------------------------------------------ the four layouts
def test_csv_layouts_are_bound(plants):
    inst = milkrun.compile_model(plants).instance
    assert list(inst.set("Plants").members) == ["P1", "P2"]                  # set table
    assert list(inst.set("Markets").members) == ["M1", "M2"]
    assert inst.param("cap").sel(Plants="P2").item() == 10                  # parameter column of a set table
    assert inst.param("demand").sel(Markets="M2").item() == 12
    cost = inst.param("cost")                                               # wide table
    assert cost.dims == ("Plants", "Markets")
    assert cost.sel(Plants="P1", Markets="M2").item() == 4
    assert cost.sel(Plants="P2", Markets="M1").item() == 3
    limit = inst.param("limit")                                             # long table, with default
    assert limit.sel(Plants="P2", Markets="M2").item() == 9
    assert limit.sel(Plants="P1", Markets="M1").item() == 100
    assert float(inst.param("markup")) == 2                                 # scalar table


def test_default_data_folder_and_explicit_data_folder(plants, tmp_path):
    compiled = milkrun.compile_model(plants)
    assert compiled.data_dir.resolve() == data_dir(plants).resolve()
    other = tmp_path / "elsewhere"
    data_dir(plants).rename(other)
    compiled = milkrun.compile_model(plants, data=other)
    assert float(compiled.instance.param("markup")) == 2


def test_missing_data_folder(plants, tmp_path):
    with pytest.raises(MilkrunError) as info:
        milkrun.compile_model(plants, data=tmp_path / "no_such_folder")
    assert "does not exist" in info.value.message


def test_spaces_around_cells_are_ignored(plants):
    csv(data_dir(plants) / "Plants.csv", "Plants, cap\n P1 , 10\nP2,  10\n")
    inst = milkrun.compile_model(plants).instance
    assert list(inst.set("Plants").members) == ["P1", "P2"]
    assert inst.param("cap").sel(Plants="P1").item() == 10


def test_utf8_bom_is_ignored(plants):
    (data_dir(plants) / "Plants.csv").write_bytes("\ufeffPlants,cap\nP1,10\nP2,10\n".encode())
    assert list(milkrun.compile_model(plants).instance.set("Plants").members) == ["P1", "P2"]


def test_wide_table_with_an_empty_cell_takes_the_default(plants):
    # `limit` has `default 100`: an empty cell of its wide table is a missing entry, not an error
    (data_dir(plants) / "limits.csv").unlink()
    csv(data_dir(plants) / "limit.csv", "Plants,M1,M2\nP1,,\nP2,50,9\n")
    limit = milkrun.compile_model(plants).instance.param("limit")
    assert limit.sel(Plants="P1", Markets="M1").item() == 100
    assert limit.sel(Plants="P1", Markets="M2").item() == 100
    assert limit.sel(Plants="P2", Markets="M1").item() == 50
    assert limit.sel(Plants="P2", Markets="M2").item() == 9


def test_elements_written_3_and_3_point_0_are_the_same(write_model):
    path = write_model('''
        set N = {1, 2, 3}
        param w[N] default 0
        param d[N, N] default 0
        var x[N] >= 0 <= 1
        maximize o: sum(i) w[i] * x[i] + x['3']
        data w """
        N,w
        3.0,5
        "2",7
        """
        data d """
        N,1,2.0
        1,4,5
        """
    ''')
    inst = milkrun.compile_model(path).instance
    w = inst.param("w")
    assert w.sel(N=3).item() == 5 and w.sel(N=2).item() == 7 and w.sel(N=1).item() == 0
    d = inst.param("d")
    assert d.sel(N=1, N_2=2).item() == 5
    assert d.sel(N=1, N_2=1).item() == 4


def test_tuple_set_table_with_a_parameter(write_model, tmp_path):
    path = write_model("""
        set V
        set Slots within V * Ints
        param capacity[Slots] > 0
        var y[Slots] >= 0
        minimize o: sum((k, l) in Slots) capacity[k, l] * y[k, l]
    """)
    (tmp_path / "model").mkdir()
    csv(tmp_path / "model" / "V.csv", "V\n1\n2\n")
    csv(tmp_path / "model" / "Slots.csv", "V,compartment,capacity\n1,1,5000\n2,1,4000\n2,2,3000\n")
    inst = milkrun.compile_model(path).instance
    assert list(inst.set("Slots").members) == [(1, 1), (2, 1), (2, 2)]
    cap = inst.param("capacity")
    assert cap.sel(Slots_1=2, Slots_2=2).item() == 3000


# ------------------------------------------------------------------ data blocks and inline tables
def test_data_block_values_and_defaults(write_model):
    path = write_model("""
        set A
        set P
        param c[A] >= 0 default 7
        param k
        param t[A, P] default 0
        param depot in A
        data { A = {a, b, c}; P = {1, 2}; c = {a: 1, b: 2}; k = 100; t = {(a, 1): 3, (c, 2): -4.5}; depot = b }
    """)
    inst = milkrun.compile_model(path).instance
    assert list(inst.set("A").members) == ["a", "b", "c"]
    assert inst.param("c").values.tolist() == [1, 2, 7]
    assert float(inst.param("k")) == 100
    t = inst.param("t")
    assert t.sel(A="a", P=1).item() == 3 and t.sel(A="c", P=2).item() == -4.5 and t.sel(A="b", P=1).item() == 0
    assert inst.param("depot") == "b"


def test_inline_table_binds_a_set_and_its_parameter(write_model):
    path = write_model('''
        set Farms
        param supply[Farms] >= 0
        data Farms """
        Farms,supply
        f1,10
        f2,20
        """
    ''')
    inst = milkrun.compile_model(path).instance
    assert list(inst.set("Farms").members) == ["f1", "f2"]
    assert inst.param("supply").values.tolist() == [10, 20]


def test_scalar_table_with_a_missing_value_takes_the_default(write_model):
    path = write_model('''
        param a
        param b default 3
        data settings """
        a,b
        2,
        """
    ''')
    inst = milkrun.compile_model(path).instance
    assert (float(inst.param("a")), float(inst.param("b"))) == (2, 3)


def test_computed_parameters(write_model):
    path = write_model("""
        set Nodes = {1, 2, 3}
        param x[Nodes]; param y[Nodes]
        param dist[i in Nodes, j in Nodes] = euclid(x[i], y[i], x[j], y[j]) / 10
        param far = max(i in Nodes, j in Nodes) dist[i, j]
        param near = min(i in Nodes, j in Nodes where i != j) dist[i, j]
        param total = sum(i in Nodes) x[i]
        param f = prod(i in Nodes) (i + 1)
        param n = card(Nodes)
        param m = max(near, 0.2) + min(far, 7, 3)
        param quarter = haversine(0, 0, 0, 90)
        param mix[i in Nodes] = if i == 2 then sqrt(16) + abs(-1) else floor(2.7) + ceil(0.2) + round(2.4)
        param e = log(exp(2))
        data { x = {1: 0, 2: 30, 3: 60}; y = {1: 0, 2: 40, 3: 80} }
    """)
    inst = milkrun.compile_model(path).instance
    dist = inst.param("dist")
    assert dist.dims == ("i", "j")
    assert dist.sel(i=1, j=2).item() == pytest.approx(5.0)
    assert dist.sel(i=3, j=1).item() == pytest.approx(10.0)
    assert dist.sel(i=2, j=2).item() == 0
    assert float(inst.param("far")) == pytest.approx(10.0)
    assert float(inst.param("near")) == pytest.approx(5.0)
    assert float(inst.param("total")) == 90
    assert float(inst.param("f")) == 24
    assert float(inst.param("n")) == 3
    assert float(inst.param("m")) == pytest.approx(5 + 3)
    # a quarter of the equator on a sphere of the mean Earth radius, 6371.0088 km
    assert float(inst.param("quarter")) == pytest.approx(np.pi / 2 * 6371.0088)
    assert inst.param("mix").values.tolist() == [2 + 1 + 2, 5, 2 + 1 + 2]
    assert float(inst.param("e")) == pytest.approx(2)


def test_set_expressions(write_model):
    path = write_model("""
        param n = 4
        param depot in Nodes
        set Nodes = 1..n
        set Farms = Nodes diff {depot}
        set U = {1, 2} union {5, 1}
        set I = Nodes inter {3, 4, 9}
        set C = {a, b} * {1, 2}
        set Arcs = {(i, j) in Farms * Farms where i < j}
        data { depot = 3 }
    """)
    inst = milkrun.compile_model(path).instance
    assert list(inst.set("Nodes").members) == [1, 2, 3, 4]
    assert list(inst.set("Farms").members) == [1, 2, 4]
    assert list(inst.set("U").members) == [1, 2, 5]
    assert list(inst.set("I").members) == [3, 4]
    assert list(inst.set("C").members) == [("a", 1), ("a", 2), ("b", 1), ("b", 2)]
    assert list(inst.set("Arcs").members) == [(1, 2), (1, 4), (2, 4)]


# ------------------------------------------------------------------ CSV mistakes, located at the cell
def test_unknown_element_in_a_long_table(plants, expect_error):
    f = data_dir(plants) / "limits.csv"
    csv(f, "Plants,Markets,limit\nP2,M3,9\n")
    err = expect_error(milkrun.compile_model, plants, line=2, column=4, file=f,
                       contains="'M3' is not an element of Markets")
    assert (err.span.end_line, err.span.end_column) == (2, 6)


def test_unknown_element_in_a_set_table_parameter_column(plants, expect_error):
    f = data_dir(plants) / "limits.csv"
    csv(f, "Plants,Markets,limit\nP2,M2,9\nP3,M1,4\n")
    expect_error(milkrun.compile_model, plants, line=3, column=1, file=f, contains="'P3' is not an element of Plants")


def test_unknown_row_element_in_a_wide_table(plants, expect_error):
    f = data_dir(plants) / "cost.csv"
    csv(f, "Plants,M1,M2\nP1,1,4\nP3,3,2\n")
    # the unknown element is the row key in the first cell
    expect_error(milkrun.compile_model, plants, line=3, column=1, file=f, contains="'P3' is not an element of Plants")


def test_unknown_column_element_in_a_wide_table(plants, expect_error):
    f = data_dir(plants) / "cost.csv"
    csv(f, "Plants,M1,M3\nP1,1,4\nP2,3,2\n")
    # the unknown element is the column key in the header
    expect_error(milkrun.compile_model, plants, line=1, column=11, file=f,
                 contains="'M3' is not an element of Markets")


def test_missing_entry_without_default_in_a_long_table(plants, expect_error):
    csv(data_dir(plants) / "Markets.csv", "Markets,demand\nM1,8\nM2,\n")
    err = expect_error(milkrun.compile_model, plants, line=7, column=1, file=plants,
                       contains="parameter 'demand' has no value for M2")
    assert "default" in err.hint


def test_missing_row_of_a_wide_table(plants, expect_error):
    csv(data_dir(plants) / "cost.csv", "Plants,M1,M2\nP1,1,4\n")
    expect_error(milkrun.compile_model, plants, line=8, column=1, file=plants,
                 contains="parameter 'cost' has no value for (P2, M1) and 1 more")


def test_missing_entry_without_default_in_a_wide_table(plants):
    csv(data_dir(plants) / "cost.csv", "Plants,M1,M2\nP1,1,4\nP2,,2\n")
    with pytest.raises(MilkrunError) as info:
        milkrun.compile_model(plants)
    assert "parameter 'cost' has no value for (P2, M1)" in info.value.message, str(info.value)


def test_duplicate_key_in_a_long_table(plants, expect_error):
    f = data_dir(plants) / "limits.csv"
    csv(f, "Plants,Markets,limit\nP2,M2,9\nP2,M2,8\n")
    expect_error(milkrun.compile_model, plants, line=3, column=7, file=f,
                 contains="parameter 'limit' is given twice for (P2, M2)")


def test_duplicate_member_in_a_set_table(plants, expect_error):
    f = data_dir(plants) / "Plants.csv"
    csv(f, "Plants,cap\nP1,10\nP1,10\n")
    expect_error(milkrun.compile_model, plants, line=3, column=1, file=f, contains="set 'Plants' lists 'P1' twice")


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-inf", "Infinity"])
def test_non_finite_cell_in_a_wide_table(plants, expect_error, bad):
    f = data_dir(plants) / "cost.csv"
    csv(f, f"Plants,M1,M2\nP1,1,{bad}\nP2,3,2\n")
    expect_error(milkrun.compile_model, plants, line=2, column=6, file=f, contains=[f"'{bad}'", "finite"])


def test_non_finite_cell_in_a_set_table(plants, expect_error):
    f = data_dir(plants) / "Plants.csv"
    csv(f, "Plants,cap\nP1,10\nP2,inf\n")
    expect_error(milkrun.compile_model, plants, line=3, column=4, file=f, contains="'inf'")


def test_overflowing_number_is_infinite(plants, expect_error):
    f = data_dir(plants) / "Plants.csv"
    csv(f, "Plants,cap\nP1,10\nP2,1e999\n")
    expect_error(milkrun.compile_model, plants, line=3, column=4, file=f, contains="infinite")


def test_text_where_a_number_is_expected(plants, expect_error):
    f = data_dir(plants) / "Plants.csv"
    csv(f, "Plants,cap\nP1,10\nP2,abc\n")
    expect_error(milkrun.compile_model, plants, line=3, column=4, file=f, contains="'abc' is not a number")


def test_value_below_bound_in_a_wide_table(plants, expect_error):
    f = data_dir(plants) / "cost.csv"
    csv(f, "Plants,M1,M2\nP1,1,4\nP2,-3,2\n")
    err = expect_error(milkrun.compile_model, plants, line=3, column=4, file=f,
                       contains="cost[P2, M1] = -3, but it must be at least 0")
    (text, span), = err.notes
    assert (span.line, span.column) == (8, 1)  # the declaration


def test_value_below_bound_in_a_set_table(plants, expect_error):
    f = data_dir(plants) / "Markets.csv"
    csv(f, "Markets,demand\nM1,8\nM2,-12\n")
    expect_error(milkrun.compile_model, plants, line=3, column=4, file=f,
                 contains="demand[M2] = -12, but it must be at least 0")


def test_strict_bound_in_a_scalar_table(plants, expect_error):
    f = data_dir(plants) / "settings.csv"
    csv(f, "markup\n0\n")
    expect_error(milkrun.compile_model, plants, line=2, column=1, file=f,
                 contains="markup = 0, but it must be greater than 0")


def test_non_integer_for_an_integer_parameter(plants, expect_error):
    f = data_dir(plants) / "Markets.csv"
    csv(f, "Markets,demand\nM1,8\nM2,12.5\n")
    expect_error(milkrun.compile_model, plants, line=3, column=4, file=f,
                 contains="demand[M2] = 12.5, but it must be a whole number")


def test_column_that_is_not_a_parameter(plants, expect_error):
    f = data_dir(plants) / "limits.csv"
    csv(f, "Plants,Markets,limit,foo\nP2,M2,9,1\n")
    expect_error(milkrun.compile_model, plants, line=1, column=22, file=f,
                 contains="column 'foo' of table 'limits' is not a parameter")


def test_table_whose_only_value_column_is_misspelt(plants, expect_error):
    f = data_dir(plants) / "limits.csv"
    csv(f, "Plants,Markets,limt\nP2,M2,9\n")
    err = expect_error(milkrun.compile_model, plants, line=1, column=16, file=f, contains="names no parameter")
    assert err.hint == "did you mean 'limit'?"


def test_column_naming_a_computed_parameter(write_model, tmp_path, expect_error):
    path = write_model("""
        set A
        param base[A]
        param twice[a in A] = 2 * base[a]
    """)
    (tmp_path / "model").mkdir()
    f = tmp_path / "model" / "A.csv"
    csv(f, "A,base,twice\na,1,2\n")
    expect_error(milkrun.compile_model, path, line=1, column=8, file=f, contains="'twice' is computed by a formula")


def test_scalar_table_with_two_rows(plants, expect_error):
    f = data_dir(plants) / "settings.csv"
    csv(f, "markup\n2\n3\n")
    expect_error(milkrun.compile_model, plants, line=1, column=1, file=f, contains="exactly one row")


def test_set_table_with_the_wrong_number_of_key_columns(plants, expect_error):
    f = data_dir(plants) / "Plants.csv"
    csv(f, "Plants,site,cap\nP1,a,10\nP2,b,10\n")
    expect_error(milkrun.compile_model, plants, line=1, column=1, file=f, contains="needs 1 key column")


def test_parameter_value_given_twice_in_two_tables(plants, expect_error):
    f = data_dir(plants) / "more_limits.csv"
    csv(f, "Plants,Markets,limit\nP1,M1,5\nP2,M2,9\n")
    expect_error(milkrun.compile_model, plants, line=3, column=7, file=f,
                 contains="parameter 'limit' is given twice for (P2, M2)")


def test_different_entries_of_one_parameter_may_come_from_two_tables(plants):
    csv(data_dir(plants) / "more_limits.csv", "Plants,Markets,limit\nP1,M1,5\n")
    limit = milkrun.compile_model(plants).instance.param("limit")
    assert limit.sel(Plants="P1", Markets="M1").item() == 5
    assert limit.sel(Plants="P2", Markets="M2").item() == 9


def test_scalar_given_twice(plants, expect_error):
    f = data_dir(plants) / "zz_settings.csv"
    csv(f, "markup\n3\n")
    expect_error(milkrun.compile_model, plants, line=2, column=1, file=f, contains="'markup' is given twice")


def test_set_given_twice(plants, expect_error):
    plants.write_text(plants.read_text() + "\ndata { Plants = {P1, P2} }\n")
    with pytest.raises(MilkrunError) as info:
        milkrun.compile_model(plants)
    assert "set 'Plants' is given data twice" in info.value.message


def test_set_member_outside_its_within_set(write_model, tmp_path, expect_error):
    path = write_model("""
        set Nodes
        set Farms within Nodes
    """)
    (tmp_path / "model").mkdir()
    csv(tmp_path / "model" / "Nodes.csv", "Nodes\na\nb\n")
    f = tmp_path / "model" / "Farms.csv"
    csv(f, "Farms\na\nc\n")
    expect_error(milkrun.compile_model, path, line=3, column=1, file=f,
                 contains="set 'Farms' holds 'c', which is not an element of Nodes")


def test_tuple_set_component_outside_ints(write_model, tmp_path, expect_error):
    path = write_model("""
        set V = {1, 2}
        set Slots within V * Ints
    """)
    (tmp_path / "model").mkdir()
    f = tmp_path / "model" / "Slots.csv"
    csv(f, "V,compartment\n1,1\n2,x\n")
    # 'x' is in the second cell of line 3
    expect_error(milkrun.compile_model, path, line=3, column=3, file=f, contains="'x', which is not a whole number")


def test_element_parameter_outside_its_set(write_model, tmp_path, expect_error):
    path = write_model("""
        set Nodes = {a, b}
        param depot in Nodes
    """)
    (tmp_path / "model").mkdir()
    f = tmp_path / "model" / "settings.csv"
    csv(f, "depot\nz\n")
    expect_error(milkrun.compile_model, path, line=2, column=1, file=f, contains="'depot' is 'z'")


def test_set_without_data(write_model, expect_error):
    path = write_model("set Nodes\nparam p[Nodes]\n")
    expect_error(milkrun.compile_model, path, line=1, column=1, contains="set 'Nodes' has no data")


def test_inline_table_errors_point_into_the_model(write_model, expect_error):
    path = write_model('''
        set A
        param c[A] >= 0
        data A """
        A,c
        a,1
        b,nan
        """
    ''')
    expect_error(milkrun.compile_model, path, line=6, column=3, file=path, contains="'nan'")


# ------------------------------------------------------------------ data block mistakes
def test_data_block_unknown_element(write_model, expect_error):
    # located at the unknown key 'z', not at its value
    path = write_model("""
        set A
        param c[A] >= 0
        data { A = {a, b}; c = {a: 1, z: 2} }
    """)
    expect_error(milkrun.compile_model, path, line=3, column=31, contains="'z' is not an element of A")


def test_data_block_value_outside_bounds(write_model, expect_error):
    path = write_model("""
        set A
        param c[A] >= 0
        data { A = {a, b}; c = {a: 1, b: -2} }
    """)
    expect_error(milkrun.compile_model, path, line=3, column=34, contains="c[b] = -2, but it must be at least 0")


def test_data_block_non_integer_for_a_binary_parameter(write_model, expect_error):
    path = write_model("""
        param flag binary
        data { flag = 2 }
    """)
    expect_error(milkrun.compile_model, path, line=2, column=15, contains="must be 0 or 1")


def test_data_block_entry_given_twice(write_model, expect_error):
    path = write_model("""
        set A = {a, b}
        param c[A]
        data { c = {a: 1, b: 2} }
        data { c = {a: 3} }
    """)
    expect_error(milkrun.compile_model, path, line=4, column=16, contains="parameter 'c' is given twice for a")


def test_data_block_and_inline_table_give_the_same_value(write_model):
    path = write_model('''
        set A = {a, b}
        param c[A]
        data { c = {a: 1, b: 2} }
        data c """
        A,c
        a,5
        """
    ''')
    with pytest.raises(MilkrunError) as info:
        milkrun.compile_model(path)
    assert "parameter 'c' is given twice for a" in info.value.message


def test_data_for_an_undeclared_name(write_model, expect_error):
    path = write_model("""
        param speed
        data { sped = 3 }
    """)
    err = expect_error(milkrun.load_model, path, line=2, column=8, contains="data for 'sped', which is not declared")
    assert err.hint == "did you mean 'speed'?"


def test_data_for_a_computed_parameter(write_model, expect_error):
    path = write_model("""
        param k = 3
        data { k = 4 }
    """)
    expect_error(milkrun.load_model, path, line=2, column=8, contains="defined in the model by a formula")


def test_data_for_a_variable(write_model, expect_error):
    path = write_model("""
        var x
        data { x = 4 }
    """)
    expect_error(milkrun.load_model, path, line=2, column=8, contains="'x' is a var")


def test_text_for_a_numeric_parameter_in_a_data_block(write_model, expect_error):
    path = write_model("""
        param k
        data { k = fast }
    """)
    expect_error(milkrun.compile_model, path, line=2, column=12, contains="takes numbers")


# ------------------------------------------------------------------ --set overrides
def test_set_override_replaces_a_csv_value(plants):
    inst = milkrun.compile_model(plants, overrides=["markup=3", "limit[P1,M1]=4", "cap[P2]=11"]).instance
    assert float(inst.param("markup")) == 3
    assert inst.param("limit").sel(Plants="P1", Markets="M1").item() == 4
    assert inst.param("cap").sel(Plants="P2").item() == 11


def test_set_override_of_an_unknown_parameter(plants):
    with pytest.raises(MilkrunError) as info:
        milkrun.compile_model(plants, overrides=["mrkup=3"])
    assert "'mrkup' is not declared" in info.value.message
    assert info.value.hint == "did you mean 'markup'?"


def test_set_override_of_a_computed_parameter():
    with pytest.raises(MilkrunError) as info:
        milkrun.compile_model("transport", overrides=["cost=3"])
    assert "'cost' is computed by a formula" in info.value.message


def test_set_override_of_a_variable(plants):
    with pytest.raises(MilkrunError) as info:
        milkrun.compile_model(plants, overrides=["x=3"])
    assert "only parameters can be set" in info.value.message


def test_set_override_with_an_unknown_element(plants):
    with pytest.raises(MilkrunError) as info:
        milkrun.compile_model(plants, overrides=["cap[P9]=3"])
    assert "'P9' is not an element of Plants" in info.value.message


def test_set_override_with_the_wrong_number_of_keys(plants):
    with pytest.raises(MilkrunError) as info:
        milkrun.compile_model(plants, overrides=["cap=3"])
    assert "takes 1 key(s), got 0" in info.value.message


def test_set_override_outside_bounds(plants):
    with pytest.raises(MilkrunError) as info:
        milkrun.compile_model(plants, overrides=["cap[P1]=-1"])
    assert "cap[P1] = -1, but it must be at least 0" in info.value.message


@pytest.mark.parametrize("text", ["markup=fast", "markup=inf", "markup=nan", "markup"])
def test_set_override_that_is_not_a_finite_number(plants, text):
    with pytest.raises(MilkrunError):
        milkrun.compile_model(plants, overrides=[text])


def test_set_override_of_an_element_parameter(write_model):
    path = write_model("""
        set Nodes = {a, b, c}
        param depot in Nodes
        data { depot = a }
    """)
    assert milkrun.compile_model(path, overrides=["depot=c"]).instance.param("depot") == "c"
    with pytest.raises(MilkrunError) as info:
        milkrun.compile_model(path, overrides=["depot=z"])
    assert "'z'" in info.value.message


def test_shipped_transport_data():
    inst = milkrun.compile_model("transport").instance
    assert list(inst.set("Centres").members) == ["seattle", "san-diego"]
    assert inst.param("cost").sel(c="seattle", d="new-york").item() == pytest.approx(90 * 2.5 / 1000)
