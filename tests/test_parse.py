"""The parser: every construct of the language becomes the expected typed syntax-tree node."""
from __future__ import annotations

import pytest

from milkrun.compiler.model.check import check
from milkrun.dsl import ast
from milkrun.dsl.includes import load
from milkrun.dsl.parser import parse_file, parse_text

from conftest import MODELS, REPO, dedent


def parse(src: str) -> ast.Model:
    return parse_text(dedent(src), "t.mcp")


def one(src: str):
    """The single statement of a source text."""
    statements = parse(src).statements
    assert len(statements) == 1, statements
    return statements[0]


def last(src: str):
    return parse(src).statements[-1]


def sref(name):
    return ast.SetRef(name, span=None)


def name(n):
    return ast.Name(n, span=None)


def num(v):
    return ast.Number(v, span=None)


# Nodes compare without their spans, so these build expected trees compactly.
def elem(v, is_name=False):
    return ast.Element(v, is_name, span=None)


# ------------------------------------------------------------------ header, comments, separators
def test_header_with_doc():
    m = parse('model milk_collection "Collect milk from farms"\nset A = {a}\n')
    assert m.name == "milk_collection"
    assert m.doc == "Collect milk from farms"
    assert m.file == "t.mcp"
    assert len(m.statements) == 1


def test_header_without_doc():
    m = parse("model transport\n")
    assert (m.name, m.doc, m.statements) == ("transport", None, [])


def test_no_header():
    m = parse("set A = {a}\n")
    assert (m.name, m.doc) == (None, None)


def test_empty_and_comment_only_sources():
    assert parse("").statements == []
    assert parse("# nothing but a comment\n   # and another\n").statements == []


def test_comments_semicolons_and_line_breaks_carry_no_meaning():
    m = parse("""
        set A = {a, b}; param p = 1 ;  # a comment with set param var in it
        var x[A]
           >= 0      # the bound is on the next line
        ;;
        minimize o:
            sum(i in A)
                x[i]
    """)
    kinds = [type(s) for s in m.statements]
    assert kinds == [ast.SetDecl, ast.ParamDecl, ast.VarDecl, ast.Objective]
    assert m.statements[2].bounds[0].op == ">="


def test_subject_to_marker_is_not_a_statement():
    m = parse("""
        var x >= 0
        minimize o: x
        subject to
          c: x >= 1
    """)
    assert [type(s) for s in m.statements] == [ast.VarDecl, ast.Objective, ast.Constraint]


# ------------------------------------------------------------------ sets
def test_set_read_from_data_with_doc():
    s = one('set Nodes "stops"')
    assert isinstance(s, ast.SetDecl)
    assert (s.name, s.index, s.within, s.definition, s.ordered, s.doc) == ("Nodes", None, None, None, False, "stops")


def test_set_literal_elements():
    s = one("set Types = {alpha, beta, 'c d', \"e\", 3, 2.5, -1}")
    assert isinstance(s.definition, ast.SetLiteral)
    assert s.definition.elements == [elem("alpha", True), elem("beta", True), elem("c d"), elem("e"), elem(3),
                                     elem(2.5), elem(-1)]
    assert isinstance(s.definition.elements[4].value, int)


def test_empty_set_literal():
    s = one("set E = {}")
    assert s.definition == ast.SetLiteral([], span=None)


def test_set_literal_of_tuples():
    s = one("set P = {(a, 1), (b, 2)}")
    assert s.definition.elements == [elem(("a", 1)), elem(("b", 2))]


def test_set_range_with_numbers_and_a_parameter():
    s = one("set K = 1..5")
    assert s.definition == ast.SetRange(num(1), num(5), span=None)
    s = one("set K = 1..n")
    assert s.definition == ast.SetRange(num(1), name("n"), span=None)
    s = one("set K = -2..2")
    assert s.definition == ast.SetRange(num(-2), num(2), span=None)


@pytest.mark.parametrize("word, op", [("union", "union"), ("diff", "diff"), ("inter", "inter"), ("*", "cross")])
def test_set_operations(word, op):
    s = one(f"set C = A {word} B")
    assert s.definition == ast.SetOp(op, sref("A"), sref("B"), span=None)


def test_set_operation_precedence():
    # cross binds tighter than inter, inter tighter than union/diff; all left-associative
    s = one("set C = A union B inter C * D")
    assert s.definition == ast.SetOp("union", sref("A"),
                                     ast.SetOp("inter", sref("B"), ast.SetOp("cross", sref("C"), sref("D"), span=None),
                                               span=None), span=None)
    s = one("set C = A diff B diff C")
    assert s.definition == ast.SetOp("diff", ast.SetOp("diff", sref("A"), sref("B"), span=None), sref("C"), span=None)
    s = one("set C = A diff (B union C)")
    assert s.definition == ast.SetOp("diff", sref("A"), ast.SetOp("union", sref("B"), sref("C"), span=None),
                                     span=None)


def test_set_diff_of_a_literal_holding_an_element_parameter():
    s = one("set Farms = Nodes diff {depot}")
    assert s.definition == ast.SetOp("diff", sref("Nodes"), ast.SetLiteral([elem("depot", True)], span=None),
                                     span=None)


def test_set_within():
    s = one("set Farms within Nodes")
    assert (s.within, s.definition) == (sref("Nodes"), None)


def test_tuple_set_within_a_product_with_a_builtin_set():
    s = one("set Slots within Vehicles * Ints")
    assert s.within == ast.SetOp("cross", sref("Vehicles"), sref("Ints"), span=None)


def test_filtered_set():
    s = one("set Arcs = {(i, j) in Nodes * Nodes where i != j}")
    f = s.definition
    assert isinstance(f, ast.SetFilter)
    assert len(f.bindings) == 1
    assert f.bindings[0].names == ["i", "j"]
    assert f.bindings[0].set == ast.SetOp("cross", sref("Nodes"), sref("Nodes"), span=None)
    assert f.condition == ast.Compare("!=", name("i"), name("j"), span=None)


def test_filtered_set_with_two_bindings():
    s = one("set Pairs = {i in A, j in B where c[i, j] > 0}")
    assert [b.names for b in s.definition.bindings] == [["i"], ["j"]]
    assert isinstance(s.definition.condition, ast.Compare)


def test_indexed_set_and_its_use():
    m = parse("""
        set L[k in Vehicles] within Ints
        minimize o: sum(k in Vehicles, l in L[k]) y[k, l]
    """)
    s, o = m.statements
    assert s.index.bindings == [ast.Binding(["k"], sref("Vehicles"), span=None)]
    assert s.within == sref("Ints")
    b = o.expr.index.bindings[1]
    assert b.names == ["l"]
    assert b.set == ast.IndexedSetRef("L", [name("k")], span=None)


def test_ordered_set():
    assert one("set T ordered").ordered is True


# ------------------------------------------------------------------ parameters
def test_param_with_index_bounds_default_and_doc():
    p = one('param cap[Centres] >= 0 <= 10 default 5 "cases"')
    assert isinstance(p, ast.ParamDecl)
    assert p.index.bindings == [ast.Binding([], sref("Centres"), span=None)]
    assert [(b.op, b.value) for b in p.bounds] == [(">=", num(0)), ("<=", num(10))]
    assert (p.default, p.doc, p.definition, p.element_of) == (num(5), "cases", None, None)
    assert (p.integer, p.binary) == (False, False)


@pytest.mark.parametrize("op", [">=", "<=", ">", "<"])
def test_param_bound_operators(op):
    p = one(f"param speed {op} 0")
    assert [(b.op, b.value) for b in p.bounds] == [(op, num(0))]


def test_param_interval():
    p = one("param share in [0, 1]")
    assert [(b.op, b.value) for b in p.bounds] == [(">=", num(0)), ("<=", num(1))]


def test_param_integer_and_binary():
    p = one("param n integer >= 1")
    assert (p.integer, p.binary) == (True, False)
    p = one("param flag[A] binary")
    assert (p.integer, p.binary) == (False, True)


def test_element_parameter():
    p = one("param depot in Nodes")
    assert p.element_of == sref("Nodes")
    assert p.bounds == []


def test_computed_parameter():
    p = one("param dist[i in Nodes, j in Nodes] = euclid(x[i], y[i], x[j], y[j]) / 10")
    assert [b.names for b in p.index.bindings] == [["i"], ["j"]]
    d = p.definition
    assert isinstance(d, ast.BinOp) and d.op == "/" and d.right == num(10)
    call = d.left
    assert isinstance(call, ast.Call) and call.func == "euclid"
    assert call.args == [ast.Subscript("x", [name("i")], span=None), ast.Subscript("y", [name("i")], span=None),
                         ast.Subscript("x", [name("j")], span=None), ast.Subscript("y", [name("j")], span=None)]


def test_computed_parameter_doc_after_formula():
    p = one('param cost[c in C, d in D] = freight * distance[c, d] / 1000 "thousand dollars"')
    assert p.doc == "thousand dollars"
    assert isinstance(p.definition, ast.BinOp)


def test_param_index_with_where_in_brackets():
    p = one("param d[i in N, j in N where i != j] >= 0")
    assert p.index.where == ast.Compare("!=", name("i"), name("j"), span=None)


def test_repeated_bare_sets_in_an_index_list():
    p = one("param d[Nodes, Nodes]")
    assert [b.set for b in p.index.bindings] == [sref("Nodes"), sref("Nodes")]
    assert all(b.names == [] for b in p.index.bindings)


# ------------------------------------------------------------------ variables
@pytest.mark.parametrize("kind", ["binary", "integer", "continuous"])
def test_variable_kinds(kind):
    v = one(f"var x[A] {kind}")
    assert isinstance(v, ast.VarDecl)
    assert v.kind == kind


def test_variable_is_continuous_by_default():
    assert one("var x").kind == "continuous"


def test_variable_bounds():
    v = one('var u[Nodes, Vehicles] >= 0 <= 100 "order"')
    assert [(b.op, b.value) for b in v.bounds] == [(">=", num(0)), ("<=", num(100))]
    assert v.doc == "order"
    v = one("var share[F, V] in [0, 1]")
    assert [(b.op, b.value) for b in v.bounds] == [(">=", num(0)), ("<=", num(1))]


def test_variable_bound_from_a_parameter_of_its_index():
    v = one("var f[i in I] >= 0 <= cap[i]")
    assert v.bounds[1].value == ast.Subscript("cap", [name("i")], span=None)


def test_variable_where_after_the_type():
    v = one("var drive[i in N, j in N, k in K] binary where i != j")
    assert v.kind == "binary"
    assert v.where == ast.Compare("!=", name("i"), name("j"), span=None)
    assert v.index.where is None


def test_variable_where_inside_the_brackets():
    v = one("var drive[i in N, j in N where i != j] >= 0")
    assert v.where is None
    assert v.index.where == ast.Compare("!=", name("i"), name("j"), span=None)


# ------------------------------------------------------------------ objectives and constraints
@pytest.mark.parametrize("word, sense", [("minimize", "minimize"), ("minimise", "minimize"),
                                         ("maximize", "maximize"), ("maximise", "maximize")])
def test_objective_senses(word, sense):
    o = last(f"var x\n{word} total: 2 * x")
    assert isinstance(o, ast.Objective)
    assert (o.sense, o.name) == (sense, "total")
    assert o.expr == ast.BinOp("*", num(2), name("x"), span=None)


def test_several_objectives_in_order():
    m = parse("""
        var x
        maximize profit: x
        minimize cost: x
    """)
    assert [(s.sense, s.name) for s in m.statements[1:]] == [("maximize", "profit"), ("minimize", "cost")]


def test_constraint_without_index():
    c = one("c: x + y <= 5")
    assert isinstance(c, ast.Constraint)
    assert (c.name, c.index, c.ops) == ("c", None, ["<="])
    assert c.terms == [ast.BinOp("+", name("x"), name("y"), span=None), num(5)]


@pytest.mark.parametrize("op", ["<=", ">=", "=="])
def test_constraint_operators(op):
    assert one(f"c: x {op} 1").ops == [op]


def test_indexed_constraint_with_where():
    c = one("mtz[i in Farms, j in Farms, k in Vehicles where i != j]: u[i,k] - u[j,k] + 100 * drive[i,j,k] <= 99")
    assert [b.names for b in c.index.bindings] == [["i"], ["j"], ["k"]]
    assert c.index.where == ast.Compare("!=", name("i"), name("j"), span=None)
    assert c.terms[1] == num(99)


def test_constraint_over_a_tuple_set():
    c = one("one_type[(k, l) in Slots]: sum(m) carries[k, l, m] <= 1")
    assert c.index.bindings == [ast.Binding(["k", "l"], sref("Slots"), span=None)]


@pytest.mark.parametrize("op", ["<=", ">="])
def test_ranged_constraint(op):
    c = one(f"r[i in I]: lo[i] {op} x[i] + y {op} hi[i]")
    assert c.ops == [op, op]
    assert len(c.terms) == 3
    assert c.terms[0] == ast.Subscript("lo", [name("i")], span=None)
    assert c.terms[2] == ast.Subscript("hi", [name("i")], span=None)


# ------------------------------------------------------------------ sums and reductions
def test_sum_with_explicit_bindings_and_where():
    o = last("var x\nminimize o: sum(i in I, j in J where c[i, j] > 0) c[i, j] * x[i, j]")
    r = o.expr
    assert isinstance(r, ast.Reduction) and r.op == "sum"
    assert [(b.names, b.set, b.inferred) for b in r.index.bindings] == [(["i"], sref("I"), False),
                                                                        (["j"], sref("J"), False)]
    assert isinstance(r.index.where, ast.Compare) and r.index.where.op == ">"
    assert r.body == ast.BinOp("*", ast.Subscript("c", [name("i"), name("j")], span=None),
                               ast.Subscript("x", [name("i"), name("j")], span=None), span=None)


def test_sum_with_inferred_index_sets():
    o = last("var x\nminimize o: sum(c, d) cost[c, d] * ship[c, d]")
    bindings = o.expr.index.bindings
    assert [(b.names, b.set, b.inferred) for b in bindings] == [(["c"], None, True), (["d"], None, True)]


def test_checker_fills_in_inferred_index_sets():
    m = parse("""
        set Centres = {a}
        set Dairies = {b}
        param cost[Centres, Dairies] = 1
        var ship[Centres, Dairies] >= 0
        minimize o: sum(c, d) cost[c, d] * ship[c, d]
    """)
    check(m)
    bindings = m.statements[-1].expr.index.bindings
    assert [b.set for b in bindings] == [sref("Centres"), sref("Dairies")]
    assert all(b.inferred for b in bindings)


def test_sum_over_a_tuple_set():
    r = last("var x\nminimize o: sum((k, l) in Slots) capacity[k, l] * carries[k, l, m]").expr
    assert r.index.bindings == [ast.Binding(["k", "l"], sref("Slots"), span=None)]


def test_sum_of_open_slice_positions():
    r = last("var x\nminimize o: sum(*) drive[i, *, k]").expr
    assert isinstance(r, ast.Reduction)
    assert (r.op, r.index) == ("sum", None)
    assert r.body == ast.Subscript("drive", [name("i"), ast.Slice(span=None), name("k")], span=None)


def test_sum_body_is_a_product_term():
    # `sum(i) a[i]*x[i] + 3` is `(sum(i) a[i]*x[i]) + 3`
    e = last("var x\nminimize o: sum(i) a[i] * x[i] + 3").expr
    assert isinstance(e, ast.BinOp) and e.op == "+"
    assert e.right == num(3)
    assert isinstance(e.left, ast.Reduction)
    assert e.left.body == ast.BinOp("*", ast.Subscript("a", [name("i")], span=None),
                                    ast.Subscript("x", [name("i")], span=None), span=None)


def test_nested_sums():
    e = last("var x\nminimize o: sum(i) sum(j) x[i, j]").expr
    assert isinstance(e, ast.Reduction) and isinstance(e.body, ast.Reduction)


def test_prod_reduction():
    p = one("param f = prod(a in A) (a + 1)")
    assert isinstance(p.definition, ast.Reduction) and p.definition.op == "prod"
    assert p.definition.body == ast.BinOp("+", name("a"), num(1), span=None)


@pytest.mark.parametrize("op", ["min", "max"])
def test_min_max_reduction_versus_function(op):
    p = one(f"param m = {op}(i in A where p[i] > 1) p[i]")
    r = p.definition
    assert isinstance(r, ast.Reduction) and r.op == op
    assert r.index.bindings == [ast.Binding(["i"], sref("A"), span=None)]
    assert isinstance(r.index.where, ast.Compare)
    assert r.body == ast.Subscript("p", [name("i")], span=None)

    p = one(f"param m = {op}(a, b, 3)")
    assert p.definition == ast.Call(op, [name("a"), name("b"), num(3)], span=None)


@pytest.mark.parametrize("func, n", [("sqrt", 1), ("abs", 1), ("ceil", 1), ("floor", 1), ("round", 1),
                                     ("exp", 1), ("log", 1), ("card", 1), ("haversine", 4), ("euclid", 4)])
def test_builtin_function_calls(func, n):
    args = ", ".join(f"a{k}" for k in range(n))
    p = one(f"param v = {func}({args})")
    assert p.definition == ast.Call(func, [name(f"a{k}") for k in range(n)], span=None)


# ------------------------------------------------------------------ expressions
def test_if_then_else():
    p = one("param c[i in A] = if i in Farms and w[i] > 0 then 1 else -1")
    e = p.definition
    assert isinstance(e, ast.IfExpr)
    assert e.condition == ast.BoolOp("and", [ast.Member([name("i")], sref("Farms"), span=None),
                                             ast.Compare(">", ast.Subscript("w", [name("i")], span=None), num(0),
                                                         span=None)], span=None)
    assert e.then == num(1)
    assert e.otherwise == ast.Neg(num(1), span=None)


def test_subscript_items_quoted_element_number_name_and_slice():
    e = last("var x\nminimize o: supply[i, 'alpha', 3, \"b c\", depot, *]").expr
    assert isinstance(e, ast.Subscript)
    assert e.items == [name("i"), elem("alpha"), num(3), elem("b c"), name("depot"), ast.Slice(span=None)]


@pytest.mark.parametrize("text, value, typ", [("3", 3, int), ("2.5", 2.5, float), ("1e3", 1000.0, float),
                                              ("1.5e-2", 0.015, float), ("0", 0, int), ("10.0", 10.0, float)])
def test_numbers(text, value, typ):
    p = one(f"param a = {text}")
    assert p.definition == num(value)
    assert type(p.definition.value) is typ


def test_arithmetic_precedence_and_associativity():
    assert one("param a = b + c * d ^ 2").definition == ast.BinOp(
        "+", name("b"), ast.BinOp("*", name("c"), ast.BinOp("^", name("d"), num(2), span=None), span=None),
        span=None)
    assert one("param a = b - c - d").definition == ast.BinOp(
        "-", ast.BinOp("-", name("b"), name("c"), span=None), name("d"), span=None)
    assert one("param a = b / c * d").definition == ast.BinOp(
        "*", ast.BinOp("/", name("b"), name("c"), span=None), name("d"), span=None)
    assert one("param a = 2 ^ 3 ^ 2").definition == ast.BinOp(
        "^", num(2), ast.BinOp("^", num(3), num(2), span=None), span=None)
    assert one("param a = -b ^ 2").definition == ast.Neg(ast.BinOp("^", name("b"), num(2), span=None), span=None)
    assert one("param a = (b + c) * d").definition == ast.BinOp(
        "*", ast.BinOp("+", name("b"), name("c"), span=None), name("d"), span=None)


def test_minus_without_spaces_is_subtraction():
    assert one("param a = 3-1").definition == ast.BinOp("-", num(3), num(1), span=None)
    assert last("var x\nc: x-1 >= 0").terms[0] == ast.BinOp("-", name("x"), num(1), span=None)


# ------------------------------------------------------------------ conditions
def test_condition_precedence_not_and_or():
    e = one("param a[i in A where not i == 1 and i != 2 or i in B]").index.where
    assert e == ast.BoolOp("or", [
        ast.BoolOp("and", [ast.BoolOp("not", [ast.Compare("==", name("i"), num(1), span=None)], span=None),
                           ast.Compare("!=", name("i"), num(2), span=None)], span=None),
        ast.Member([name("i")], sref("B"), span=None)], span=None)


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_comparison_operators(op):
    assert one(f"param a[i in A where i {op} 2]").index.where == ast.Compare(op, name("i"), num(2), span=None)


def test_tuple_membership_condition():
    e = one("param a[k in K, l in L where (k, l) in Slots]").index.where
    assert e == ast.Member([name("k"), name("l")], sref("Slots"), span=None)


def test_parenthesised_condition():
    e = one("param a[i in A where (i == 1 or i == 2) and i in B]").index.where
    assert e.op == "and" and e.args[0].op == "or"


# ------------------------------------------------------------------ include and data
def test_include():
    s = one('include "geo_network"')
    assert s == ast.Include("geo_network", span=None)


def test_data_block_entries():
    b = one("data { speed = 60; Types = {a, b}; cap = {a: 10, b: 20}; cost = {(a, x): 3, (b, y): -1.5} }")
    assert isinstance(b, ast.DataBlock)
    speed, types, cap, cost = b.entries
    assert (speed.name, speed.kind, speed.value) == ("speed", "scalar", elem(60))
    assert (types.name, types.kind, types.value) == ("Types", "set", [elem("a", True), elem("b", True)])
    assert (cap.name, cap.kind) == ("cap", "map")
    assert cap.value == [(elem("a", True), elem(10)), (elem("b", True), elem(20))]
    assert cost.value == [(elem(("a", "x"), True), elem(3)), (elem(("b", "y"), True), elem(-1.5))]


def test_data_block_without_separators():
    b = one("data {\n  speed = 60\n  Types = {a, b}\n}")
    assert [e.name for e in b.entries] == ["speed", "Types"]


def test_inline_data_table():
    m = parse('''
        set A
        data A """
        A,cap
        a,10
        b,20
        """
    ''')
    t = m.statements[1]
    assert isinstance(t, ast.DataTable)
    assert t.name == "A"
    assert t.text.splitlines() == ["A,cap", "a,10", "b,20"]
    assert t.text_line == 3  # the CSV header is on line 3 of the model


# ------------------------------------------------------------------ spans
def test_statement_and_expression_spans():
    m = parse("""
        set A = {a}
        var x[A] >= 0
        minimize o: sum(i in A) 2 * x[i]
    """)
    var, obj = m.statements[1], m.statements[2]
    assert (var.span.line, var.span.column) == (2, 1)
    assert var.span.file == "t.mcp"
    assert (obj.span.line, obj.span.column) == (3, 1)
    sub = obj.expr.body.right
    assert isinstance(sub, ast.Subscript)
    assert (sub.span.line, sub.span.column, sub.span.end_line, sub.span.end_column) == (3, 29, 3, 33)


# ------------------------------------------------------------------ whole models
def test_transport_model_parses():
    m = parse_file(REPO / "models" / "transport.mcp")
    assert m.name == "transport"
    kinds = [type(s).__name__ for s in m.statements]
    assert kinds == ["SetDecl", "SetDecl", "ParamDecl", "ParamDecl", "ParamDecl", "ParamDecl", "ParamDecl",
                     "VarDecl", "Objective", "Constraint", "Constraint"]


def test_collection_model_parses():
    m = load(MODELS / "collection_mtz.mcp")
    assert m.name == "milk_collection"
    by_kind = {}
    for s in m.statements:
        by_kind.setdefault(type(s).__name__, []).append(s)
    assert [s.name for s in by_kind["VarDecl"]] == ["drive", "visit", "carries", "share", "u"]
    assert [s.name for s in by_kind["Constraint"]] == ["leave", "enter", "split", "served", "one_type", "load",
                                                       "duration", "mtz", "used"]
    assert len(by_kind["DataBlock"]) == 1
