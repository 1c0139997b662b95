"""Mistakes in a model's text: each is a MilkrunError located at the exact line and column,
said in words (never Lark's token names), and shown by the command line as
`file:line:col` with exit code 2 and no traceback."""
from __future__ import annotations

import pytest

import milkrun
from milkrun.dsl.diagnostics import MilkrunError
from milkrun.dsl.parser import parse_text

from conftest import RAW_TOKEN_NAMES, dedent


def assert_words_only(err: MilkrunError):
    text = err.message + " " + (err.hint or "")
    for raw in RAW_TOKEN_NAMES:
        assert raw not in text, f"raw token name {raw!r} in: {text}"


# ------------------------------------------------------------------ syntax
def syntax(src: str) -> MilkrunError:
    with pytest.raises(MilkrunError) as info:
        parse_text(dedent(src), "bad.mcp")
    return info.value


def test_missing_colon_after_objective_name():
    err = syntax("""
        var x >= 0
        minimize obj x
    """)
    assert (err.span.file, err.span.line, err.span.column) == ("bad.mcp", 2, 14)
    assert "':'" in err.message
    assert "':'" in err.hint
    assert_words_only(err)


def test_missing_colon_after_constraint_index():
    err = syntax("""
        set A = {a}
        var x[A]
        c[i in A] x[i] >= 1
    """)
    assert (err.span.line, err.span.column) == (3, 11)
    assert "expected ':'" in err.message
    assert_words_only(err)


def test_single_equals_in_a_constraint():
    err = syntax("""
        var x >= 0
        minimize obj: x
        c: x = 1
    """)
    assert (err.span.line, err.span.column) == (3, 6)
    assert "'='" in err.message
    assert "==" in err.hint
    assert_words_only(err)


def test_unclosed_bracket_in_a_declaration():
    err = syntax("""
        set A = {a}
        var x[A >= 0
    """)
    assert (err.span.line, err.span.column) == (2, 9)
    assert "']'" in err.message
    assert_words_only(err)


def test_unclosed_bracket_at_the_end_of_the_file():
    err = syntax("""
        set A = {a}
        var x[A] >= 0
        minimize o: x[a
    """)
    assert err.span.line == 3
    assert "end of the file" in err.message
    assert "']'" in err.message
    assert_words_only(err)


def test_unclosed_brace_reported_at_the_next_statement():
    err = syntax("""
        set A = {a, b
        var x >= 0
    """)
    assert (err.span.line, err.span.column) == (2, 1)
    assert "'var'" in err.message and "'}'" in err.message
    assert_words_only(err)


def test_stray_closing_parenthesis():
    err = syntax("""
        var x >= 0
        minimize obj: x )
    """)
    assert (err.span.line, err.span.column) == (2, 17)
    assert "unexpected ')'" in err.message
    assert "new statement" in err.message
    assert_words_only(err)


def test_stray_number_after_a_constraint():
    err = syntax("""
        var x
        minimize o: x
        c: x >= 1 1
    """)
    assert (err.span.line, err.span.column) == (3, 11)
    assert_words_only(err)


def test_unexpected_character():
    err = syntax("var x >= 0 $\n")
    assert (err.span.line, err.span.column) == (1, 12)
    assert "'$'" in err.message
    assert_words_only(err)


def test_unterminated_string():
    err = syntax('set A "no end\nset B\n')
    assert err.span.line == 1
    assert_words_only(err)


def test_chained_equalities_are_not_a_ranged_constraint():
    err = syntax("""
        var x
        minimize o: x
        c: x == 1 == 2
    """)
    assert (err.span.line, err.span.column) == (3, 4)
    assert "low <= expression <= high" in err.message


def test_mixed_directions_in_a_ranged_constraint():
    err = syntax("""
        var x
        c: 1 <= x >= 2
    """)
    assert (err.span.line, err.span.column) == (2, 4)


def test_variable_of_two_kinds():
    err = syntax("var x integer binary\n")
    assert (err.span.line, err.span.column) == (1, 1)
    assert "both integer and binary" in err.message


# ------------------------------------------------------------------ names, kinds, indices
@pytest.fixture
def static_error(write_model, expect_error):
    """static_error(src, line, column, *contains): load_model must fail there."""

    def run(src, line, column, *contains):
        path = write_model(src)
        return expect_error(milkrun.load_model, path, line=line, column=column, file=path, contains=contains)

    return run


def test_unknown_set_with_did_you_mean(static_error):
    err = static_error("""
        set Nodes = {a}
        var x[Nodes] >= 0
        minimize obj: sum(i in Nodse) x[i]
    """, 3, 24, "unknown set 'Nodse'")
    assert err.hint == "did you mean 'Nodes'?"
    assert (err.span.end_line, err.span.end_column) == (3, 29)


def test_unknown_parameter_with_did_you_mean(static_error):
    err = static_error("""
        set Nodes = {a}
        param cost[Nodes] = 1
        var x[Nodes] >= 0
        minimize obj: sum(i in Nodes) cots[i] * x[i]
    """, 4, 31, "unknown name 'cots'")
    assert err.hint == "did you mean 'cost'?"


def test_unknown_scalar_with_did_you_mean(static_error):
    err = static_error("""
        param speed = 1
        var x >= 0
        minimize obj: sped * x
    """, 3, 15, "unknown name 'sped'")
    assert "speed" in err.hint


def test_unknown_name_without_any_close_match(static_error):
    err = static_error("""
        var x >= 0
        minimize obj: zzzqqq * x
    """, 2, 15, "unknown name 'zzzqqq'")
    assert not err.hint or "did you mean" not in err.hint


def test_unknown_function(static_error):
    err = static_error("""
        param a = sqr(4)
        var x
        minimize o: a * x
    """, 1, 11, "unknown function 'sqr'")
    assert "sqrt" in err.hint


def test_wrong_argument_count_of_a_builtin(static_error):
    static_error("param a = euclid(1, 2, 3)\n", 1, 11, "euclid() takes 4 arguments, got 3")


def test_too_many_indices(static_error):
    static_error("""
        set A = {a}
        var x[A]
        minimize o: x[a, a]
    """, 3, 13, "'x' takes 1 index [A], got 2")


def test_too_few_indices(static_error):
    static_error("""
        set A = {a}
        set B = {b}
        param p[A, B] = 1
        var x >= 0
        minimize o: p['a'] * x
    """, 5, 13, "'p' takes 2 indices [A, B], got 1")


def test_index_on_a_scalar(static_error):
    static_error("""
        var x >= 0
        minimize o: x[1]
    """, 2, 13, "has no index")


def test_indexed_item_used_without_index(static_error):
    static_error("""
        set A = {a}
        var x[A] >= 0
        minimize o: x
    """, 3, 13, "indexed over [A]")


def test_set_used_as_a_value(static_error):
    err = static_error("""
        set A = {a}
        var x
        minimize o: A * x
    """, 3, 13, "'A' is a set, but a value is expected here")
    assert "card(A)" in err.hint


def test_set_used_with_a_subscript(static_error):
    static_error("""
        set A = {a}
        var x[A] >= 0
        minimize o: sum(i in A) A[i] * x[i]
    """, 3, 25, "'A' is a set")


def test_parameter_used_as_a_set(static_error):
    static_error("""
        param n = 3
        var x >= 0
        minimize o: sum(i in n) x
    """, 3, 22, "'n' is a param, but a set is expected here")


def test_unbound_index(static_error):
    err = static_error("""
        set A = {a}
        var x[A]
        minimize o: x[i]
    """, 3, 15, "unknown index 'i'")
    assert "quote" in err.hint


def test_unbound_index_suggests_a_bound_one(static_error):
    err = static_error("""
        set A = {a}
        var x[A, A] >= 0
        c[node in A]: x[node, nod] >= 1
    """, 3, 23, "unknown index 'nod'")
    assert err.hint == "did you mean 'node'?"


def test_duplicate_declaration(static_error):
    err = static_error("""
        set A = {a}
        var x
        param A = 3
    """, 3, 1, "'A' is declared twice")
    (text, span), = err.notes
    assert "first declared here as a set" in text
    assert (span.line, span.column) == (1, 1)


def test_duplicate_constraint_name(static_error):
    static_error("""
        var x
        c: x >= 1
        c: x <= 2
    """, 3, 1, "'c' is declared twice")


def test_index_name_already_bound(static_error):
    static_error("""
        set A = {a}
        var x[A] >= 0
        c[i in A]: sum(i in A) x[i] >= 0
    """, 3, 16, "index 'i' is already bound here")


def test_index_name_that_is_a_declared_name(static_error):
    static_error("""
        set A = {a}
        param i = 1
        var x[i in A] >= 0
    """, 3, 7, "index name 'i' is already the name of a param")


def test_sum_index_whose_set_cannot_be_inferred(static_error):
    static_error("""
        set A = {a}
        param p = 2
        var x >= 0
        minimize o: sum(i) p * x
    """, 4, 17, "cannot tell which set 'i' ranges over")


def test_builtin_set_outside_within(write_model, expect_error):
    path = write_model("""
        var x[i in Ints] >= 0
        minimize o: sum(i in Ints) x[i]
    """)
    expect_error(milkrun.compile_model, path, line=1, column=12, contains="can only follow 'within'")


def test_constraint_without_variables(static_error):
    static_error("""
        param a = 1
        var x
        minimize o: x
        c: a >= 0
    """, 4, 1, "constraint 'c' has no variables")


def test_where_on_an_unindexed_variable(static_error):
    static_error("""
        var x where x > 1
        minimize o: x
    """, 1, 13, "'where' needs an indexed variable")


def test_bounds_on_a_binary_variable(static_error):
    static_error("var x binary >= 0\n", 1, 14, "binary variable 'x' takes no bounds")


def test_strict_bound_on_a_variable(static_error):
    static_error("var x > 0\n", 1, 7, "must be '>=' or '<='")


def test_variable_in_a_ranged_constraint_bound(static_error):
    static_error("""
        var x
        var y
        minimize o: x
        r: y <= x <= 5
    """, 4, 1, "bounds must be data")


def test_variable_in_a_parameter_formula(static_error):
    static_error("""
        var x
        param p = 2 * x
    """, 2, 11, "must not depend on variables")


def test_names_starting_with_underscore_are_refused(static_error):
    static_error("param _hidden = 1\n", 1, 1, "may not start with '_'")


def test_builtin_names_cannot_be_declared(static_error):
    static_error("set Ints = {1}\n", 1, 1, "built-in name")


# ------------------------------------------------------------------ index domains
def test_index_over_the_wrong_set_is_reported_at_the_subscript(write_model, expect_error):
    path = write_model("""
        set Nodes = {1, 2, 3}
        set Farms = Nodes diff {1}
        param supply[Farms] = 5
        var x[Nodes] >= 0
        minimize o: sum(i in Nodes) x[i]
        c[i in Nodes]: x[i] >= supply[i]
    """)
    # Nodes is not a part of Farms: refused by the checker, before any data (tests/test_typed_indices.py)
    err = expect_error(milkrun.load_model, path, line=6, column=31, file=path,
                       contains=["index 'i' ranges over Nodes, but position 1 of 'supply' is over Farms"])
    assert (err.span.end_line, err.span.end_column) == (6, 32)
    assert "'where i in Farms'" in err.hint


def test_the_same_reference_with_a_where_compiles(write_model):
    path = write_model("""
        set Nodes = {1, 2, 3}
        set Farms = Nodes diff {1}
        param supply[Farms] = 5
        var x[Nodes] >= 0
        minimize o: sum(i in Nodes) x[i]
        c[i in Nodes where i in Farms]: x[i] >= supply[i]
    """)
    compiled = milkrun.compile_model(path)
    assert int(compiled.linopy.ncons) == 2


def test_index_over_the_wrong_set_inside_a_sum(write_model, expect_error):
    path = write_model("""
        set Nodes = {1, 2, 3}
        set Farms = Nodes diff {1}
        param supply[Farms] = 5
        var x[Nodes] >= 0
        minimize o: sum(i in Nodes) supply[i] * x[i]
    """)
    expect_error(milkrun.load_model, path, line=5, column=36, file=path,
                 contains="index 'i' ranges over Nodes, but position 1 of 'supply' is over Farms")


def test_quoted_element_that_is_not_in_the_set(write_model, expect_error):
    path = write_model("""
        set T = {alpha, beta}
        var x[T] >= 0
        minimize o: x['gamma']
    """)
    expect_error(milkrun.compile_model, path, line=3, column=15, contains="'gamma' is not an element of T")


# ------------------------------------------------------------------ nonlinear
# A nonlinear model checks (SCIP solves it, tests/test_minlp.py); a linear solver refuses it,
# located at the construct that made it nonlinear.
@pytest.fixture
def linear_solver_error(write_model, expect_error):
    """linear_solver_error(src, line, column, *contains): solving with HiGHS named (not auto) must fail there."""

    def run(src, line, column, *contains):
        path = write_model(src)
        milkrun.load_model(path)  # the model itself is fine
        return expect_error(milkrun.solve_model, path, solver="highs", line=line, column=column, file=path,
                            contains=contains + ("solver 'highs' solves linear models only",))

    return run


def test_product_of_two_variables(linear_solver_error):
    err = linear_solver_error("""
        var x <= 1
        var y <= 1
        minimize o: x * y
    """, 3, 13, "a product of two expressions with variables makes the model nonlinear")
    assert (err.span.end_line, err.span.end_column) == (3, 18)
    assert err.hint == "solve it with --solver scip (MINLP)"


def test_product_of_variables_inside_an_indexed_constraint(linear_solver_error):
    linear_solver_error("""
        set A = {a}
        var x[A] >= 0
        var y >= 0
        minimize o: y
        c[i in A]: 2 * x[i] * y <= 3
    """, 5, 12, "product")


def test_product_of_two_sums_of_variables(linear_solver_error):
    # the body of a sum is a product term, so the product sits inside the first sum
    linear_solver_error("""
        set A = {a}
        var x[A] >= 0
        minimize o: sum(i in A) x[i] * sum(j in A) x[j]
    """, 3, 25, "product")
    linear_solver_error("""
        set A = {a}
        var x[A] >= 0
        minimize o: (sum(i in A) x[i]) * (sum(j in A) x[j])
    """, 3, 13, "product")


def test_division_by_a_variable(linear_solver_error):
    linear_solver_error("""
        var x >= 1
        minimize o: 1 / x
    """, 2, 13, "a division by an expression with variables")


def test_power_of_a_variable(linear_solver_error):
    linear_solver_error("""
        var x >= 1
        minimize o: x ^ 2
    """, 2, 13, "power")


def test_exponent_with_a_variable_is_refused(static_error):
    static_error("""
        var x >= 1
        minimize o: 2 ^ x
    """, 2, 17, "an exponent that holds variables", "exp(y * log(a))")


def test_nonsmooth_function_of_a_variable(static_error):
    static_error("""
        var x >= 1
        minimize o: abs(x)
    """, 2, 17, "abs() of an expression with variables is not supported")


# ------------------------------------------------------------------ include
def test_include_of_an_unknown_stdlib_module(static_error):
    static_error('include "no_such_module"\nvar x\n', 1, 1, "no standard-library module 'no_such_module'")


def test_include_of_a_misspelt_stdlib_module_suggests_the_name(static_error):
    err = static_error('include "geo_netwrk"\n', 1, 1, "no standard-library module 'geo_netwrk'")
    assert err.hint == "did you mean 'geo_network'?"


def test_include_of_a_missing_file(static_error):
    static_error('var x\ninclude "parts/none.mcp"\n', 2, 1, "not found")


def test_error_inside_an_included_file_points_into_it(write_model, expect_error):
    part = write_model("""
        # a module
        param speed > 0 default 60
        var y[Nowhere] >= 0
    """, name="parts/common.mcp")
    path = write_model("""
        include "parts/common.mcp"
        var x >= 0
        minimize o: x
    """)
    expect_error(milkrun.load_model, path, line=3, column=7, file=part, contains="unknown set 'Nowhere'")


def test_include_cycle(write_model, expect_error):
    write_model('include "b.mcp"\nvar y\n', name="a.mcp")
    write_model('include "a.mcp"\nvar z\n', name="b.mcp")
    path = write_model('include "a.mcp"\nvar x\n')
    with pytest.raises(MilkrunError) as info:
        milkrun.load_model(path)
    assert "includes itself" in info.value.message


# ------------------------------------------------------------------ the command line shows them
@pytest.mark.parametrize("src, line, column", [
    ("var x >= 0\nminimize obj x\n", 2, 14),                       # missing ':'
    ("var x >= 0\nminimize obj: x\nc: x = 1\n", 3, 6),              # '=' for '=='
    ("set A = {a}\nvar x\nminimize o: A * x\n", 3, 13),             # set used as a value
    ("var x\nminimize o: abs(x)\n", 2, 17),                         # not smooth
])
def test_cli_shows_location_and_exits_2(tmp_path, cli, src, line, column):
    path = tmp_path / "bad.mcp"
    path.write_text(src)
    code, out, err = cli("check", path)
    assert code == 2
    assert f"{path}:{line}:{column}: error:" in err
    assert "Traceback" not in out + err
    # the offending source line is shown, with a caret under the error
    shown = src.splitlines()[line - 1]
    assert f"{line} | {shown}" in err
    assert "^" in err


def test_cli_solve_of_a_broken_model_prints_no_traceback(tmp_path, milkrun_process):
    path = tmp_path / "bad.mcp"
    path.write_text("set Nodes = {a}\nvar x[Nodes] >= 0\nminimize obj: sum(i in Nodse) x[i]\n")
    proc = milkrun_process("solve", path)
    assert proc.returncode == 2
    assert f"{path}:3:24: error: unknown set 'Nodse'" in proc.stderr
    assert "did you mean 'Nodes'?" in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_cli_solve_json_reports_a_model_error_as_json(tmp_path, cli):
    import json

    path = tmp_path / "bad.mcp"
    path.write_text("var x >= 0\nminimize obj: y\n")
    code, out, err = cli("solve", path, "--json")
    assert code == 2
    data = json.loads(out)
    assert data["status"] == "error"
    assert data["location"] == f"{path}:2:15"
    assert "unknown name 'y'" in data["message"]


def test_cli_missing_model_file(tmp_path, cli):
    code, out, err = cli("check", tmp_path / "nope.mcp")
    assert code == 2
    assert "does not exist" in err
    assert "Traceback" not in out + err


# ------------------------------------------------------------------ arithmetic without a value
def test_division_by_zero_in_a_scalar_formula(write_model):
    path = write_model("""
        param a = 1 / 0
        var x >= 0
        minimize o: x + a
    """)
    with pytest.raises(MilkrunError) as info:
        milkrun.compile_model(path)
    assert info.value.span is not None and info.value.span.line == 1, str(info.value)


def test_division_by_zero_in_an_indexed_formula(write_model):
    path = write_model("""
        set A = {1, 2}
        param d[i in A] = 1 / (i - 1)
        var x[A] >= 0 <= 1
        maximize o: sum(i) d[i] * x[i]
    """)
    with pytest.raises(MilkrunError) as info:
        milkrun.compile_model(path)
    # located at the divisor (i - 1), with the index where it is zero
    assert (info.value.span.line, info.value.span.column) == (2, 24)
    assert "division by zero" in info.value.message and "i=1" in info.value.message


def test_variable_divided_by_a_zero_parameter(write_model):
    # the coefficient of x would be infinite: refused, not handed to the solver
    path = write_model("""
        set A = {1, 2}
        param z = 0
        var x[A] >= 0 <= 1
        maximize o: sum(i) x[i] / z
    """)
    with pytest.raises(MilkrunError) as info:
        milkrun.compile_model(path)
    assert info.value.span is not None and info.value.span.line == 4, str(info.value)


def test_arithmetic_on_text_elements(write_model):
    path = write_model("""
        set A = {a, b}
        var x[A] >= 0
        minimize o: sum(i in A) i * x[i]
    """)
    with pytest.raises(MilkrunError) as info:
        milkrun.compile_model(path)
    assert info.value.span is not None and info.value.span.line == 3, str(info.value)


def test_comparing_text_with_numbers(write_model, expect_error):
    path = write_model("""
        set A = {a, 1}
        var x[A] >= 0
        minimize o: sum(i in A where i > 0) x[i]
    """)
    expect_error(milkrun.compile_model, path, line=3, column=30, contains="text and numbers do not order")


def test_log_of_a_negative_number(write_model, expect_error):
    path = write_model("""
        param a = log(-1)
        var x >= 0
        minimize o: x + a
    """)
    expect_error(milkrun.compile_model, path, line=1, column=11, contains="log() needs positive values")


def test_max_over_an_empty_set(write_model, expect_error):
    path = write_model("""
        set A = {1}
        param p[A] = 1
        param m = max(a in A where p[a] > 5) p[a]
    """)
    expect_error(milkrun.compile_model, path, line=3, column=11, contains="max() over an empty set has no value")


def test_parameter_defined_in_terms_of_itself(write_model, expect_error):
    path = write_model("""
        param a = b + 1
        param b = a * 2
    """)
    expect_error(milkrun.compile_model, path, line=1, column=1, contains="defined in terms of itself")


def test_objective_without_variables(write_model, expect_error):
    path = write_model("""
        var x >= 0
        minimize o: 5
        c: x >= 1
    """)
    expect_error(milkrun.compile_model, path, line=2, column=1, contains="objective 'o' has no variables")


def test_parameter_outside_its_domain_is_located(write_model, expect_error):
    path = write_model("""
        set N = {1, 2, 3}
        param d[i in N, j in N where i != j] = i + j
        var x[N, N] >= 0 <= 1
        maximize o: sum(i, j) d[i, j] * x[i, j]
    """)
    expect_error(milkrun.compile_model, path, line=4, column=23, contains="'d' has no value at i=1, j=1")


def test_cli_division_by_zero_exits_2_without_traceback(tmp_path, cli):
    path = tmp_path / "div.mcp"
    path.write_text("param a = 1 / 0\nvar x >= 0\nminimize o: x + a\n")
    code, out, err = cli("check", path)
    assert "Traceback" not in out + err
    assert code == 2, err
    assert f"{path}:1:" in err
