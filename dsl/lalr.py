"""The Lark LALR parser of grammar.lark, from tables generated into the package.

Building the parser from the grammar computes its LALR tables: about 0.1 s, 0.2 s on a busy
machine, in every process, which was most of `milkrun check` on a small model. The tables are
plain data, so they are generated once into `parser_tables.py` (Python literals: imported like any
module of the package, never unpickled) and the parser is loaded from them in a few ms: Lark's
own loading, given its rules and terminals already made (`memo_objects`) and two classes through its
plugin option `_plugins` (the one lark-cython uses): the parse table read in one pass
(`TablesParser`), and the contextual lexer of dsl/contextual_lexer.py (a state's lexer made when the
state is first reached, most tokens matched by one scanner shared by every state). Each makes
Lark's own objects by Lark's rule and only skips work; as they lean on Lark's internals, they run
only with the Lark version that generated the tables (below).

The tables are used only when they were generated from this grammar (its SHA-256) by this version
of Lark; otherwise the parser is built from the grammar, as before, so an edited grammar is never
parsed with old tables. After editing grammar.lark, regenerate them:

    python -m milkrun.dsl.lalr

tests/test_parse.py fails while they are stale, and compares the loaded parser with a built one.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import lark
from lark import Lark
from lark.grammar import NonTerminal, Rule, RuleOptions, Terminal
from lark.lexer import PatternRE, PatternStr, TerminalDef
from lark.parsers.lalr_analysis import IntParseTable, Reduce, Shift
from lark.parsers.lalr_parser import LALR_Parser, _Parser

from .contextual_lexer import LazyContextualLexer

GRAMMAR = Path(__file__).with_name("grammar.lark")
TABLES = Path(__file__).with_name("parser_tables.py")
OPTIONS = {"parser": "lalr", "propagate_positions": True, "maybe_placeholders": True, "start": ["start", "expr"]}


def grammar_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def tables_fresh(text: str) -> bool:
    """The generated tables belong to this grammar text and this Lark."""
    from . import parser_tables

    return parser_tables.GRAMMAR_SHA256 == grammar_hash(text) and parser_tables.LARK_VERSION == lark.__version__


def build(text: str, lexer_callbacks: dict) -> Lark:
    """The parser computed from the grammar (never cached on disk: Lark's cache=True would unpickle a
    file in the shared temp folder, which anyone able to write there could plant to run code as the user)."""
    return Lark(text, **OPTIONS, cache=False, lexer_callbacks=lexer_callbacks)


def parser(lexer_callbacks: dict) -> Lark:
    """The parser: loaded from the generated tables when they are fresh, else built from the grammar."""
    text = GRAMMAR.read_text(encoding="utf-8")
    if not tables_fresh(text):
        return build(text, lexer_callbacks)
    from . import parser_tables

    return Lark._load_from_dict(parser_tables.DATA, memo_objects(parser_tables.MEMO), lexer_callbacks=lexer_callbacks,
                                _plugins={"ContextualLexer": LazyContextualLexer, "LALR_Parser": TablesParser})


MEMO_CLASSES = {c.__name__: c for c in (Rule, RuleOptions, NonTerminal, Terminal, TerminalDef, PatternRE, PatternStr)}


def memo_objects(memo: dict) -> dict:
    """The tables' rules and terminals as Lark's objects, made the way Lark's deserializer makes them
    (each field set as stored, then the class's `_deserialize` hook) but without its generic dispatch,
    which took a third of the parser's loading time. Lark finds the objects already made and keeps them."""

    def make(d: dict):
        cls = MEMO_CLASSES[d["__type__"]]
        inst = cls.__new__(cls)
        for f in cls.__serialize_fields__:
            v = d[f]
            if type(v) is dict:
                v = make(v)
            elif type(v) is list:
                v = [make(x) if type(x) is dict else x for x in v]
            setattr(inst, f, v)
        if hasattr(inst, "_deserialize"):
            inst._deserialize()
        return inst

    return {key: make(d) for key, d in memo.items()}


class TablesParser(LALR_Parser):
    """Lark's LALR parser, its parse table read from the generated tables in one pass: a reduce
    action names its rule by the rule's index in the tables' memo, looked up directly rather than by
    one call of Lark's generic deserializer per action (about 5,000 of them)."""

    @classmethod
    def deserialize(cls, data, memo, callbacks, debug=False):
        tokens = data["tokens"]
        states = {state: {tokens[token]: ((Reduce, memo[arg["@"]]) if action == 1 else (Shift, arg))
                          for token, (action, arg) in actions.items()}
                  for state, actions in data["states"].items()}
        inst = cls.__new__(cls)
        inst._parse_table = IntParseTable(states, data["start_states"], data["end_states"])
        inst.parser = _Parser(inst._parse_table, callbacks, debug)
        return inst


def generate(path: Path = TABLES) -> Path:
    """Write the tables of grammar.lark as a Python module (what Lark's standalone generator writes,
    without its copy of Lark's code: the installed Lark loads them)."""
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    text = GRAMMAR.read_text(encoding="utf-8")
    data, memo = build(text, {}).memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k != "lexer_callbacks"}  # given when loading
    states = data["parser"]["parser"].pop("states")
    path.write_text(
        '"""The LALR tables of grammar.lark, generated by `python -m milkrun.dsl.lalr`; do not edit (dsl/lalr.py)."""\n'
        "# fmt: off\n"
        f"GRAMMAR_SHA256 = {grammar_hash(text)!r}\n"
        f"LARK_VERSION = {lark.__version__!r}\n"
        f"DATA = {data!r}\n"
        f"MEMO = {_lines(memo)}\n"
        f"STATES = {_lines(states)}\n"  # the parse table, one state a line
        'DATA["parser"]["parser"]["states"] = STATES\n', encoding="utf-8")
    return path


def _lines(d: dict) -> str:
    return "{\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in d.items()) + "}"


if __name__ == "__main__":
    print(f"wrote {generate()}")
