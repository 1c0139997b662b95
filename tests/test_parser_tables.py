"""The parser loaded from the tables generated into the package (dsl/parser_tables.py) is the one the
grammar gives: the tables are fresh, and both parse every model of the repository, and broken text, alike."""
from __future__ import annotations

import importlib.util
import re

import lark
import pytest
from conftest import REPO
from lark import Token, Tree
from lark.exceptions import UnexpectedInput

from milkrun.dsl import contextual_lexer, lalr, parser_tables

GRAMMAR_TEXT = lalr.GRAMMAR.read_text(encoding="utf-8")
FILES = sorted(p for folder in ("models", "stdlib", "tests/models", "benchmarks/models")
               for p in (REPO / folder).rglob("*.mcp"))
# and the models the docs show: a fenced block after <!-- file: NAME.mcp -->
SHOWN = [m.group(1) for page in sorted((REPO / "docs").glob("*.md"))
         for m in re.finditer(r"<!-- file: \S+\.mcp -->\n```\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)]
BROKEN = [
    "set I = {a, b\nparam p[I] = 1\n",
    "var x[I] >= \n",
    "minimize cost: sum(i) c[i] * x[i] +\n",
    "r[i in I]: x[i] <= 3 3\n",
    "param p[I] default\n",
    'data t """\n',
    "set = {}\n",
]


@pytest.fixture(scope="module")
def parsers():
    return lalr.parser({}), lalr.build(GRAMMAR_TEXT, {})


def shape(node):
    """A tree with everything the syntax tree is made from: rule names, token types, values and places."""
    if isinstance(node, Tree):
        m = node.meta
        where = (m.line, m.column, m.end_line, m.end_column) if not m.empty else None
        return (node.data, where, [shape(c) for c in node.children])
    if isinstance(node, Token):
        return (node.type, str(node), node.line, node.column, node.end_line, node.end_column)
    return node  # a placeholder (None)


def test_the_tables_are_those_of_this_grammar():
    assert parser_tables.GRAMMAR_SHA256 == lalr.grammar_hash(GRAMMAR_TEXT), \
        "grammar.lark changed: run python -m milkrun.dsl.lalr"


def test_the_parser_is_loaded_from_the_tables_with_the_lark_that_made_them(parsers):
    """With another Lark (a newer release pip resolved) the tables are not trusted and the parser is
    built from the grammar: slower to start, the same parser (the tests below compare them)."""
    loaded, built = parsers
    made_by_this_lark = parser_tables.LARK_VERSION == lark.__version__
    assert lalr.tables_fresh(GRAMMAR_TEXT) == made_by_this_lark
    assert (loaded.source_path == "<deserialized>") == made_by_this_lark and built.source_path != "<deserialized>"


def test_stale_tables_are_not_used(monkeypatch):
    monkeypatch.setattr(parser_tables, "GRAMMAR_SHA256", "0" * 64)  # as if grammar.lark had been edited
    monkeypatch.setattr(lalr, "build", lambda text, callbacks: ("built from", text))
    assert lalr.parser({}) == ("built from", GRAMMAR_TEXT)


def outcome(p, text: str, start: str = "start"):
    try:
        return shape(p.parse(text, start=start))
    except UnexpectedInput as e:
        return (type(e).__name__, e.line, e.column, sorted(getattr(e, "expected", None) or []),
                str(getattr(e, "token", "")))


def test_every_model_parses_alike(parsers):
    loaded, built = parsers
    texts = [f.read_text(encoding="utf-8") for f in FILES] + SHOWN
    assert len(FILES) >= 15 and len(SHOWN) >= 15
    for text in texts:
        assert outcome(loaded, text) == outcome(built, text), text[:200]
    assert outcome(loaded, "sum(i) a[i] * x[i] + 3", "expr") == outcome(built, "sum(i) a[i] * x[i] + 3", "expr")


def tokens(p, text: str):
    """Every token the parser's lexer gives, as the parser asks for them, then how the parse ended."""
    seen = []
    try:
        for t in p.parse_interactive(text, start="start").iter_parse():
            seen.append((t.type, str(t), t.start_pos, t.line, t.column, t.end_line, t.end_column))
    except UnexpectedInput as e:
        seen.append((type(e).__name__, e.line, e.column))
    return seen


def test_every_token_of_every_model_is_lark_s(parsers):
    # the shared scanner (dsl/contextual_lexer.py) against Lark's own per-state lexers, token by token;
    # then the same texts cut short and with a character dropped or doubled at many places, so that
    # tokens meet states they never meet in a whole model, and lexing fails in many ways
    loaded, built = parsers
    texts = [f.read_text(encoding="utf-8") for f in FILES] + SHOWN
    checked = 0
    for text in texts:
        assert tokens(loaded, text) == tokens(built, text), text[:200]
        for k in range(7, len(text), max(1, len(text) // 10)):
            for variant in (text[:k], text[:k] + text[k + 1:], text[:k] + text[k] + text[k:]):
                assert tokens(loaded, variant) == tokens(built, variant), variant[max(0, k - 60):k + 60]
                checked += 1
    assert checked > 800


@pytest.mark.parametrize("text", BROKEN)
def test_broken_text_fails_alike(parsers, text):
    loaded, built = parsers
    assert outcome(loaded, text)[0].startswith("Unexpected")
    assert outcome(loaded, text) == outcome(built, text)


def test_the_generator_writes_tables_that_load(tmp_path):
    out = lalr.generate(tmp_path / "tables.py")
    spec = importlib.util.spec_from_file_location("generated_tables", out)  # imported as the package imports its own
    tables = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tables)
    assert tables.GRAMMAR_SHA256 == lalr.grammar_hash(GRAMMAR_TEXT)
    assert tables.DATA["parser"]["parser"]["states"] is tables.STATES
    assert len(tables.STATES) == len(parser_tables.STATES)  # the same automaton, maybe numbered otherwise


def test_the_lazy_lexer_makes_lark_s_lexers_when_a_state_needs_them(parsers):
    # dsl/contextual_lexer.py's LazyContextualLexer against Lark's ContextualLexer of the parser built from the
    # grammar: none made up front, then for every parser state the same terminals in the same order,
    # one lexer per set of acceptable tokens as Lark shares them
    loaded, built = parsers
    if not lalr.tables_fresh(GRAMMAR_TEXT):  # another Lark: neither the tables nor this lexer are used
        assert type(loaded.parser.lexer) is not contextual_lexer.LazyContextualLexer
        return
    assert type(loaded.parser.lexer) is contextual_lexer.LazyContextualLexer
    theirs = built.parser.lexer
    states = {state: list(actions) for state, actions in built.parser.parser._parse_table.states.items()}
    lazy = contextual_lexer.LazyContextualLexer(built.lexer_conf, states)
    assert dict(lazy.lexers) == {}
    for state, lexer in theirs.lexers.items():
        assert [t.name for t in lazy.lexers[state].terminals] == [t.name for t in lexer.terminals]
    assert len({id(x) for x in lazy.lexers.values()}) == len({id(x) for x in theirs.lexers.values()}) > 100
    assert [t.name for t in lazy.root_lexer.terminals] == [t.name for t in theirs.root_lexer.terminals]


def test_the_tables_rules_and_terminals_are_made_as_lark_makes_them(parsers):
    if not lalr.tables_fresh(GRAMMAR_TEXT):  # another Lark: the tables are not used (the parser is built)
        assert parsers[0].source_path != "<deserialized>"
        return
    from lark.grammar import Rule
    from lark.lexer import TerminalDef
    from lark.utils import SerializeMemoizer

    def fields(o):
        if hasattr(o, "__serialize_fields__"):
            return (type(o).__name__, *(fields(getattr(o, f)) for f in o.__serialize_fields__))
        if isinstance(o, list):
            return ("list", *(fields(x) for x in o))
        return (type(o).__name__, o)

    theirs = SerializeMemoizer.deserialize(parser_tables.MEMO, {"Rule": Rule, "TerminalDef": TerminalDef}, {})
    mine = lalr.memo_objects(parser_tables.MEMO)
    assert mine.keys() == theirs.keys()
    assert {type(o) for o in mine.values()} == {Rule, TerminalDef}
    for key, obj in theirs.items():
        assert fields(mine[key]) == fields(obj)
        if isinstance(obj, Rule):  # a rule's hash is computed when it is made: parse tables are keyed by it
            assert hash(mine[key]) == hash(obj)
