"""Model text that used to crash milkrun (exit 3, a Python exception) and now gets a located
message and exit 2: unknown names in a declaration's `where`, text where a number belongs,
very long expressions, numbers too large for a float or for a solver, domains too large to
build. And the parser's tables are never read back from the shared temp folder.

Each test runs the `milkrun` command (in this process with `cli`, or as the console script
with `milkrun_process`) and checks the exit code, the `file:line:column` of the message and
its key words."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap

import pytest

import milkrun.dsl.parser as parser
from milkrun.compiler.model import sets as S

BASE = """\
set I = {a, b}
var x[I] >= 0
minimize o: sum(i) x[i]
"""


@pytest.fixture
def bad(write_model, cli):
    """bad(text, line, column, *words, command="check", code=2, args=()) -> stderr.

    Writes the model, runs `milkrun COMMAND model ARGS`, and checks the exit code, that the
    message is located at line:column of the model, holds every word, and shows no traceback."""

    def run(text, line, column, *words, command="check", code=2, args=()):
        path = write_model(text)
        got, out, err = cli(command, path, *args)
        assert got == code, f"exit {got}, not {code}\n{out}{err}"
        assert f"{path}:{line}:{column}: " in err, f"not located at {line}:{column}:\n{err}"
        for w in words:
            assert w in err, f"{w!r} not in:\n{err}"
        assert "Traceback" not in out + err and "internal error" not in err
        return err

    return run


# ------------------------------------------------------------------ names in a declaration's `where`
@pytest.mark.parametrize("decl, column", [
    ("r[i in I where q > 0]: x[i] >= 0", 16),
    ("param p[i in I where q > 0] default 1", 22),
    ("check c[i in I where q > 0]: 1 > 0 else \"never\"", 22),
    ("kpi k[i in I where q > 0]: x[i]", 20),  # used to pass `check` and fail after solving
    ("var y[i in I where q > 0] >= 0", 20),
    ("set S[i in I where q > 0]", 20),
])
def test_unknown_name_in_a_declarations_where(bad, decl, column):
    bad(BASE + decl + "\n", 4, column, "error: unknown name 'q'")


def test_unknown_name_in_a_where_suggests_the_nearest(bad):
    bad(BASE + "param quota[I] default 1\nr[i in I where qouta[i] > 0]: x[i] >= 1\n", 5, 16,
        "unknown name 'qouta'", "did you mean 'quota'?")


def test_a_kpi_where_is_checked_before_solving(bad):
    bad(BASE + "kpi k[i in I where q > 0]: x[i]\n", 4, 20, "unknown name 'q'", command="solve")


def test_a_constraint_named_in_a_where(bad):
    bad(BASE + "lim[i in I]: x[i] <= 5\nr[i in I where lim > 0]: x[i] >= 0\n", 5, 16,
        "'lim' is a constraint and has no value")


def test_a_set_compared_in_a_where(bad):
    bad(BASE + "r[i in I where I == 1]: x[i] >= 0\n", 4, 16, "'I' is a set, but a value is expected",
        "card(I)")


def test_nan_is_not_a_name(bad):
    bad(BASE + "r[i in I where ord(i) == nan]: x[i] >= 0\n", 4, 26, "unknown name 'nan'")


# ------------------------------------------------------------------ text where a number belongs
@pytest.mark.parametrize("decl, column, what", [
    ('param cap[I] >= "litres" default 1', 17, "a parameter's bound"),
    ('param cap[I] default "km/h"', 22, "a default value"),
    ('param cap[I] in ["a", 3] default 1', 18, "a parameter's bound"),
    ('param cap[I] default 1 uncertain +- "wide"', 37, "an uncertainty range"),
    ('var y[I] >= "none"', 13, "a variable's bound"),
    ('r[i in I]: x[i] >= "one"', 20, "each side of a constraint"),
])
def test_quoted_text_where_a_number_belongs(bad, decl, column, what):
    bad(BASE + decl + "\n", 4, column, "is text, but", f"{what} must be a number")


def test_a_description_in_the_place_of_a_bound_gets_a_hint(bad):
    bad(BASE + 'param cap[I] >= "litres" default 1\n', 4, 17, '"litres" is text',
        'A description in quotes goes at the end of the declaration')


def test_quoted_text_in_arithmetic(bad):
    bad(BASE + 'param p = 2 * "x"\n', 4, 15, '"x" is text and cannot take part in arithmetic')


def test_a_quoted_number_is_still_a_number(write_model, cli):
    path = write_model(BASE + "param cap[I] >= '0' default '3'\nr[i in I]: x[i] >= cap[i]\n")
    code, out, err = cli("solve", path)
    assert code == 0, err
    assert "objective o (minimise): 6" in out


@pytest.mark.parametrize("decl, column, what", [
    ("param cap[I] >= depot default 1", 17, "a parameter's bound"),
    ("param cap[I] default depot", 22, "a default value"),
    ("var y >= depot", 10, "a variable's bound"),
    ("r[i in I]: x[i] >= depot", 20, "each side of a constraint"),
])
def test_an_element_used_as_a_number(bad, decl, column, what):
    text = BASE + "set N = {plant, farm}\nparam depot in N default plant\n" + decl + "\n"
    bad(text, 6, column, f"{what} must be a number, but here it is the element 'plant'")


def test_an_element_as_a_range_bound(bad):
    bad(BASE + "set N = {plant}\nparam depot in N default plant\nset R = 1..depot\n", 6, 12,
        "a range bound must be a number, got 'plant'")


# ------------------------------------------------------------------ long expressions
def _terms(n: int, term: str = "1*x") -> str:
    return " + ".join([term] * n)


@pytest.mark.parametrize("n", [500, 3000])
def test_a_constraint_of_many_written_terms_solves(write_model, cli, n):
    # 500 terms used to raise RecursionError (450 worked, in 4.6 s)
    path = write_model(f"var x >= 0\nminimize o: x\nc: {_terms(n)} >= {2 * n}\n")
    code, out, err = cli("solve", path)
    assert code == 0, err
    assert "objective o (minimise): 2" in out


def test_a_parameter_of_many_written_terms(write_model, cli):
    path = write_model(f"param p = {_terms(2000, '1')} - 1000\nvar x >= 0\nminimize o: x\nc: x >= p\n")
    code, out, err = cli("solve", path)
    assert code == 0, err
    assert "objective o (minimise): 1,000" in out


def test_a_long_mixed_chain_keeps_its_meaning(write_model, cli):
    # entries of indexed variables, numbers, data, subtraction and negation, long enough for the
    # one-pass gathering of terms; the same written short is the reference
    many = " + ".join(["2*x['a'] - x['b'] + cap['b'] - -1 * x['a']"] * 20)
    text = BASE + f"param cap[I] default 1\nr1: {many} >= 100\nr2[i in I]: {_terms(30, 'x[i]')} >= 30\n"
    code, out, err = cli("solve", write_model(text))
    assert code == 0, err
    # r1 reads 60 x[a] - 20 x[b] + 20 >= 100, r2 x[i] >= 1: the cheapest plan is x[a] = 4/3 + 1/3 x[b]
    # with x[b] = 1, so x[a] = 5/3 and the objective 8/3
    assert "objective o (minimise): 2.66667" in out


def test_a_long_kpi(write_model, cli):
    import json

    xa = "x['a']"
    text = BASE + f"r[i in I]: x[i] >= 1\nkpi k: {_terms(40, xa)} + {_terms(40, '0.5')}\n"
    code, out, err = cli("solve", write_model(text), "--json")
    assert code == 0, err
    assert json.loads(out)["kpis"]["k"] == 60


def test_a_long_condition(write_model, cli):
    # 100 alternatives joined by `or`: one condition of 100 parts, not 100 levels deep
    cond = " or ".join(f"i == {k}" for k in range(1, 301, 3))
    path = write_model(f"set A = 1..300\nvar x[A] >= 0\nminimize o: sum(i) x[i]\nr[i in A where {cond}]: x[i] >= 1\n")
    code, out, err = cli("solve", path)
    assert code == 0, err
    assert "objective o (minimise): 100" in out


def test_a_statement_past_the_operator_limit_is_refused_while_read(bad, monkeypatch):
    monkeypatch.setattr(parser, "MAX_OPERATORS", 1000)
    text = f"var x >= 0\nminimize o: x\nc: {_terms(1500)} >= 1\n"
    # the 1001st operator: term k (0-based) starts at column 4 + 6k; operators '*' then '+'
    err = bad(text, 3, 4 + 6 * 500 + 1, "this expression is too long", "more than 1,000 operators",
              "sum(k in Terms)")
    assert "Traceback" not in err


def test_the_operator_count_restarts_with_each_statement(write_model, cli, monkeypatch):
    monkeypatch.setattr(parser, "MAX_OPERATORS", 1000)
    lines = "\n".join(f"c{k}: {_terms(300)} >= 1" for k in range(5))
    code, out, err = cli("check", write_model(f"var x >= 0\nminimize o: x\n{lines}\n"))
    assert code == 0, err


def test_nesting_too_deep_is_refused(bad):
    # the 101st sign, at column 10 + 101
    bad("param p = " + "-" * 150 + "1\n", 1, 111, "nested too deeply", "more than 100 levels")


def test_nesting_within_the_limit_works(write_model, cli):
    path = write_model("param p = " + "(1 + " * 60 + "1" + ")" * 60 + "\nvar x >= 0\nminimize o: x\nc: x >= p\n")
    code, out, err = cli("solve", path)
    assert code == 0, err
    assert "objective o (minimise): 61" in out


# ------------------------------------------------------------------ numbers too large
def test_a_power_that_overflows(bad):
    bad(BASE + "param huge = 10 ^ 400\n", 4, 14, "the result of '^' here is too large for a number")


def test_an_overflow_in_a_check_message(bad):
    bad(BASE + 'check c: 1 > 2 else "value {10 ^ 400}"\n', 4, 29, "too large for a number")


def test_an_overflow_in_data_arrays_names_the_entry(bad):
    bad(BASE + "param v[I] default 1e300\nparam q[i in I] = v[i] * 1e10\n", 5, 19,
        "the result of '*' here is too large", "at i=a")


def test_exp_that_overflows(bad):
    bad(BASE + "param q = exp(1000)\n", 4, 11, "exp() of this value is too large")


def test_a_number_literal_beyond_floats(bad):
    bad(BASE + "set S = 1..1e309\n", 4, 12, "the number 1e309 is too large")


def test_an_objective_constant_beyond_floats(bad):
    # used to print "optimal", then crash
    bad("var x >= 0\nminimize o: x + 1e309\n", 2, 17, "the number 1e309 is too large", command="solve")


def test_a_range_of_a_huge_whole_number(bad):
    bad("set S = 1..99999999999999999999999\nvar y >= 0\nminimize o: y\n", 1, 9,
        "the range 1..99999999999999999999999 has 99,999,999,999,999,999,999,999 entries",
        f"more than the limit of {S.MAX_ENTRIES:,}")


def test_max_over_an_empty_set(bad):
    bad("set E = {a} diff {a}\nparam m = max(i in E) 1\nvar x >= 0\nminimize o: x\n", 2, 11,
        "max() over an empty set has no value", "this set has no elements")


@pytest.mark.parametrize("row, column, words", [
    ("r: 1e23 * x >= 1", 1, ("constraint 'r' has the coefficient 1e+23 on x",)),
    ("r: x >= 1e23", 1, ("constraint 'r' has the right-hand side 1e+23",)),
    ("r[i in 1..3]: x + (if i == 2 then 1e21 else 1) * y >= 1", 1, ("constraint 'r' at i=2", "on y")),
])
def test_a_number_scip_reads_as_infinite(milkrun_process, write_model, row, column, words):
    path = write_model(f"var x >= 0\nvar y >= 0\nminimize o: x\n{row}\n")
    proc = milkrun_process("solve", path, "--solver", "scip")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{path}:4:{column}: error:" in proc.stderr
    for w in words + ("solvers read numbers of 1e20 and more as infinite",):
        assert w in proc.stderr
    # SCIP's own C error ("[cons_linear.c:...] ERROR: ...") never reaches the terminal
    assert "ERROR" not in proc.stderr and ".c:" not in proc.stderr


@pytest.mark.parametrize("text, line, column, words", [
    ("var x >= 0\nminimize o: 1e23 * x\n", 2, 1, "objective 'o' has the coefficient 1e+23 on x"),
    ("var x >= 1e21\nminimize o: x\n", 1, 7, "variable 'x' has the bound >= 1e+21"),
])
def test_objective_and_bounds_scip_reads_as_infinite(bad, text, line, column, words):
    bad(text, line, column, words, command="solve", args=("--solver", "scip"))


def test_a_nonlinear_row_scip_reads_as_infinite(bad):
    bad("var x >= 0\nvar y >= 0\nminimize o: x * y\nr: 1e23 * x * y >= 1\n", 4, 1,
        "constraint 'r' holds the number 1e+23", command="solve", args=("--solver", "scip"))


def test_a_huge_bound_meaning_no_limit_is_left_alone(write_model, cli):
    path = write_model("var x >= 0 <= 1e23\nminimize o: x\nr: x >= -1e23\n")
    code, out, err = cli("solve", path, "--solver", "scip")
    assert code == 0, err


# ------------------------------------------------------------------ domains too large to build
def test_a_range_too_large_to_build(bad):
    bad("set S = 1..1000000000\nvar y >= 0\nminimize o: y\n", 1, 9,
        "the range 1..1000000000 has 1,000,000,000 entries", "more than the limit of 50,000,000",
        "--max-entries", "MILKRUN_MAX_ENTRIES")


def test_a_variable_over_a_product_too_large_to_build(bad):
    bad("set A = 1..100000\nvar x[A, A] >= 0\nminimize o: sum(i, j) x[i, j]\n", 2, 6,
        "the domain of variable 'x' has 10,000,000,000 entries (A: 100,000 × A_2: 100,000)")


def test_a_parameter_over_a_product_too_large_to_build(bad):
    bad("set A = 1..100000\nparam p[A, A] default 0\nvar y >= 0\nminimize o: y\n", 2, 8,
        "the domain of parameter 'p' has 10,000,000,000 entries")


def test_a_cross_product_too_large_to_build(bad):
    bad("set A = 1..100000\nset B = A * A\nvar y >= 0\nminimize o: y\n", 2, 9,
        "this product of sets has 10,000,000,000 entries")


def test_a_sum_too_large_to_build(bad, monkeypatch):
    monkeypatch.setenv("MILKRUN_MAX_ENTRIES", "1000")
    bad("set A = 1..100\nvar x[A] >= 0\nminimize o: sum(i) x[i]\nr[i in A]: sum(j in A) x[j] >= 1\n", 4, 16,
        "the domain of this sum(...) (its indices with those around it) has 10,000 entries",
        "(i: 100 × j: 100)", "the limit of 1,000")


def test_the_limit_follows_the_environment(write_model, cli, monkeypatch):
    path = write_model("set A = 1..20\nvar x[A, A] >= 0\nminimize o: sum(i, j) x[i, j]\n")
    monkeypatch.setenv("MILKRUN_MAX_ENTRIES", "399")
    code, out, err = cli("check", path)
    assert code == 2 and f"{path}:2:6:" in err and "400 entries" in err and "limit of 399" in err
    monkeypatch.setenv("MILKRUN_MAX_ENTRIES", "400")
    code, out, err = cli("check", path)
    assert code == 0, err


def test_a_bad_limit_in_the_environment(write_model, cli, monkeypatch):
    monkeypatch.setenv("MILKRUN_MAX_ENTRIES", "lots")
    code, out, err = cli("check", write_model("var y >= 0\nminimize o: y\n"))
    assert code == 2
    assert "MILKRUN_MAX_ENTRIES must be a whole number of at least 1, got 'lots'" in err


def test_compile_model_takes_the_limit(write_model, monkeypatch):
    from milkrun.compiler.pipeline import compile_model
    from milkrun.dsl.diagnostics import MilkrunError

    monkeypatch.delenv("MILKRUN_MAX_ENTRIES", raising=False)
    path = write_model("set A = 1..20\nvar x[A, A] >= 0\nminimize o: sum(i, j) x[i, j]\n")
    with pytest.raises(MilkrunError) as info:
        compile_model(path, max_entries=100)
    assert (info.value.span.line, info.value.span.column) == (2, 6)
    assert "400 entries" in info.value.message and "limit of 100" in info.value.message
    assert compile_model(path, max_entries=400).linopy.nvars == 400


# ------------------------------------------------------------------ the parser's tables (item 7)
_OLD_LARK = textwrap.dedent("""
    # how milkrun built its parser before: Lark's cache=True reads TMPDIR/.lark_cache_*.tmp
    import sys
    from pathlib import Path
    from lark import Lark
    Lark(Path(sys.argv[1]).read_text(), parser="lalr", propagate_positions=True, maybe_placeholders=True,
         start=["start", "expr"], cache=True)
""")


class _Payload:
    """Unpickling this creates a directory: proof that a planted file was loaded."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_a_planted_parser_cache_is_never_loaded(tmp_path, write_model, milkrun_process, monkeypatch):
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    marker = tmp_path / "payload-ran"
    env = {**os.environ, "TMPDIR": str(tmp)}
    # 1. the cache file the old code wrote, under the name it would look for ...
    subprocess.run([sys.executable, "-c", _OLD_LARK, str(parser.GRAMMAR)], env=env, check=True)
    planted = sorted(tmp.glob(".lark_cache_*.tmp"))
    assert planted, "lark wrote no cache file to plant over"
    # 2. ... replaced by a malicious one: a header line, then the pickle lark loads first
    for f in planted:
        f.write_bytes(b"0" * 64 + b"\n" + pickle.dumps(_Payload(str(marker))))
    # 3. the plant is live: a parser built with cache=True runs it
    subprocess.run([sys.executable, "-c", _OLD_LARK, str(parser.GRAMMAR)], env=env, capture_output=True)
    assert marker.exists(), "the planted file was not loaded by cache=True: the test would prove nothing"
    marker.rmdir()
    # 4. milkrun parses models with the same temp folder and never runs it
    monkeypatch.setenv("TMPDIR", str(tmp))
    path = write_model("set I = {a}\nvar x[I] >= 0\nminimize o: sum(i) x[i]\ncheck c: 1 > 0 else \"{1 + 1}\"\n")
    proc = milkrun_process("check", path)
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists(), "milkrun unpickled a file from the shared temp folder"
    assert sorted(tmp.glob(".lark_cache_*.tmp")) == planted  # and wrote no cache of its own


def test_scip_gets_no_infinite_number_a_pass_added_after_building(write_model):
    # the build refuses what the model writes; rows changed afterwards (robust and tour passes,
    # Pareto's objective rows) meet a last check before SCIP, located at the family's declaration
    from milkrun.compiler.solve.scip import to_scip
    from milkrun.compiler.pipeline import compile_model
    from milkrun.dsl.diagnostics import MilkrunError

    path = write_model(BASE + "r[i in I]: x[i] >= 1\n")
    compiled = compile_model(path)
    compiled.linopy.constraints["r"].update(coeffs=compiled.linopy.constraints["r"].coeffs * 1e25)
    with pytest.raises(MilkrunError) as info:
        to_scip(compiled.linopy)
    assert (info.value.span.line, info.value.span.column) == (4, 1)
    assert "constraint 'r' at i=a has the coefficient 1e+25 on x[a]" in info.value.message
