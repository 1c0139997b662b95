"""The TextMate grammar of editors/vscode/ (syntax colours in VS Code and any editor that reads
TextMate grammars), held against the language's own grammar, dsl/grammar.lark.

The models are tokenised with a TextMate engine (textmate-grammar-python, a Python port of
vscode-textmate that uses the Oniguruma regex library, as VS Code does), and the reference is the
Lark lexer of the parser itself, run with a callback on every token, comments included. So every
keyword milkrun reads in a shipped model must be coloured as a keyword, every comment as a
comment, every operator as an operator, and every declared name as a name being declared.
"""
from __future__ import annotations

import json
import logging
import os
import re

import onigurumacffi
import pytest
from conftest import REPO
from lark import Lark
from lark.lexer import PatternStr

from milkrun.dsl.parser import GRAMMAR, parse_text

EXTENSION = REPO / "editors" / "vscode"
SYNTAX = EXTENSION / "syntaxes" / "mcp.tmLanguage.json"
MODELS = sorted([*REPO.glob("models/*.mcp"), *REPO.glob("stdlib/*.mcp"), *REPO.glob("tests/models/*.mcp")])
# Keywords that other branches add to the language; the grammar colours them already.
COMING = {"unit", "uncertain"}
# Terminals that are keywords although the grammar writes them as patterns, not quoted words.
PATTERN_KEYWORDS = {"SENSE", "SUM", "MINMAX", "SUBJECT_TO"}
OPERATORS = {"+", "-", "*", "/", "^", "%", "--", "++", "+-", "±", "=", "==", "!=", "<=", ">=", "<", ">",
             "*=", "+=", "-=", ".."}
# Regular expressions Python's `re` cannot compile although Oniguruma (VS Code) does; each is named here
# with the reason. None so far: the grammar keeps to what both read alike.
PYTHON_CANNOT: dict[str, str] = {}


def grammar() -> dict:
    return json.loads(SYNTAX.read_text(encoding="utf-8"))


def regexes(node, where="") -> list[tuple[str, str]]:
    """Every (place, regex) of a TextMate grammar: match, begin and end, at any depth."""
    out = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("match", "begin", "end", "while") and isinstance(value, str):
                out.append((f"{where}/{key}", value))
            else:
                out += regexes(value, f"{where}/{key}")
    elif isinstance(node, list):
        for k, value in enumerate(node):
            out += regexes(value, f"{where}[{k}]")
    return out


# --------------------------------------------------------------------------- the files themselves
def test_the_extension_folder_declares_the_language_and_its_grammar():
    package = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    [language] = package["contributes"]["languages"]
    assert language["id"] == "milkrun" and ".mcp" in language["extensions"]
    assert (EXTENSION / language["configuration"]).is_file()
    [tm] = package["contributes"]["grammars"]
    assert tm["language"] == "milkrun" and tm["scopeName"] == grammar()["scopeName"] == "source.mcp"
    assert (EXTENSION / tm["path"]).resolve() == SYNTAX.resolve()
    if "main" in package:  # the language client: one JS file
        assert (EXTENSION / package["main"]).is_file()
    config = json.loads((EXTENSION / language["configuration"]).read_text(encoding="utf-8"))
    assert config["comments"] == {"lineComment": "#"}
    assert ["[", "]"] in config["brackets"] and ["{", "}"] in config["brackets"] and ["(", ")"] in config["brackets"]
    closing = {p["open"]: p["close"] for p in config["autoClosingPairs"]}
    assert closing == {"{": "}", "[": "]", "(": ")", '"': '"', "'": "'"}


def test_every_include_names_a_rule_of_the_repository():
    g = grammar()
    text = json.dumps(g)
    names = set(re.findall(r'"include": "#([\w-]+)"', text))
    assert names and names <= set(g["repository"]), names - set(g["repository"])


@pytest.mark.parametrize("where,regex", regexes(grammar()), ids=[w for w, _ in regexes(grammar())])
def test_every_regex_compiles(where, regex):
    onigurumacffi.compile(regex)  # what VS Code runs
    if regex in PYTHON_CANNOT:
        with pytest.raises(re.error):
            re.compile(regex)
    else:
        re.compile(regex)


# --------------------------------------------------------------------------- the reference: Lark's tokens
def lark_keywords(lark: Lark) -> dict[str, str]:
    """Terminal name → the keyword, for every keyword terminal of the grammar."""
    out = {}
    for t in lark.terminals:
        if isinstance(t.pattern, PatternStr) and t.pattern.value.isalpha():
            out[t.name] = t.pattern.value
        elif t.name in PATTERN_KEYWORDS:
            out[t.name] = t.name.lower()
    return out


class Recorder:
    """A Lark parser of the language whose lexer reports every token it reads, comments too."""

    def __init__(self):
        self.tokens: list = []
        plain = Lark(GRAMMAR.read_text(), parser="lalr", start=["start", "expr"])
        names = [t.name for t in plain.terminals]
        self.lark = Lark(GRAMMAR.read_text(), parser="lalr", propagate_positions=True, maybe_placeholders=True,
                         start=["start", "expr"], lexer_callbacks={n: self._keep for n in names})
        self.keywords = lark_keywords(self.lark)

    def _keep(self, token):
        self.tokens.append(token)
        return token

    def read(self, text: str) -> list[tuple[str, str, int, int]]:
        """(terminal, text, 1-based line, 1-based column) of every token, the expressions inside a check's
        "{...}" holes included (parsed as the parser parses them)."""
        self.tokens.clear()
        self.lark.parse(text, start="start")
        out = [(t.type, str(t), t.line, t.column) for t in self.tokens]
        for t in [t for t in self.tokens if t.type == "STRING"]:
            for start, hole in holes(str(t)):
                self.tokens.clear()
                self.lark.parse(hole, start="expr")
                out += [(h.type, str(h), t.line, t.column + start + h.column - 1) for h in self.tokens]
        return out


def holes(s: str) -> list[tuple[int, str]]:
    """The {...} holes of a quoted string: (offset of the hole's text, its text)."""
    out, depth, begin = [], 0, 0
    for k, c in enumerate(s):
        if c == "{":
            depth += 1
            if depth == 1:
                begin = k + 1
        elif c == "}" and depth:
            depth -= 1
            if depth == 0:
                out.append((begin, s[begin:k]))
    return out


@pytest.fixture(scope="module")
def recorder():
    return Recorder()


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """The TextMate engine with the grammar loaded. It makes a cache folder where it is first
    imported, so it is imported from a scratch folder."""
    here = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("textmate"))
    try:
        from textmate_grammar.parsers.base import LanguageParser
    finally:
        os.chdir(here)
    logging.getLogger("textmate_grammar").setLevel(logging.ERROR)
    return LanguageParser(grammar())


def scopes_by_line(engine, text: str) -> dict[int, list[tuple[int, int, list[str]]]]:
    """0-based line → the engine's tokens on it: (start, end, scopes), columns in characters."""
    element = engine.parse_string(text)
    out: dict[int, list] = {}
    for (line, column), content, scopes in element.flatten():
        out.setdefault(line, []).append((column, column + len(content), scopes))
    return out


def scopes_at(tokens, line: int, column: int, length: int) -> list[list[str]]:
    """The scopes of every engine token that overlaps [column, column + length) on a 0-based line."""
    found = [s for start, end, s in tokens.get(line, []) if start < column + length and end > column]
    return found


def test_the_keyword_patterns_cover_every_keyword_of_the_language(recorder, engine):
    words = set(recorder.keywords.values()) - {"sense", "sum", "minmax", "subject_to"}
    words |= {"minimize", "maximize", "minimise", "maximise", "sum", "prod", "min", "max", "subject to"} | COMING
    assert {"set", "param", "var", "within", "where", "include", "data", "kpi", "check", "scenario"} <= words
    uncovered = []
    for word in sorted(words):
        line = f'{word} "km"' if word == "unit" else word  # `unit` is a keyword before its quoted unit only
        first = scopes_by_line(engine, line + "\n").get(0, [(0, 0, ["not coloured"])])[0]
        if not (first[:2] == (0, len(word)) and first[2][-1].startswith("keyword.")):
            uncovered.append((word, first))
    assert not uncovered


# --------------------------------------------------------------------------- every shipped model
@pytest.mark.parametrize("model", MODELS, ids=[str(m.relative_to(REPO)) for m in MODELS])
def test_shipped_models_are_coloured_as_milkrun_reads_them(model, recorder, engine):
    text = model.read_text(encoding="utf-8")
    tokens = scopes_by_line(engine, text)
    lines = text.split("\n")
    wrong = []
    counted = {"keyword": 0, "comment": 0, "operator": 0}
    for kind, value, line, column in recorder.read(text):
        covering = scopes_at(tokens, line - 1, column - 1, len(value))
        where = f"{model.name}:{line}:{column} {value!r}"
        if kind in recorder.keywords:
            counted["keyword"] += 1
            if not covering or any(not s[-1].startswith("keyword.") for s in covering):
                wrong.append(f"{where}: a keyword, coloured {covering}")
        elif kind == "COMMENT":
            counted["comment"] += 1
            if not covering or any("comment.line.number-sign.mcp" not in s for s in covering):
                wrong.append(f"{where}: a comment, coloured {covering}")
            if sum(min(e, len(lines[line - 1])) - max(b, column - 1) for b, e, _ in tokens[line - 1]
                   if e > column - 1) != len(value):
                wrong.append(f"{where}: the comment is not coloured to the end of its line")
        elif value in OPERATORS and kind not in ("STRING", "NUMBER", "SIGNED_NUMBER"):
            counted["operator"] += 1
            if not covering or any(not s[-1].startswith("keyword.operator.") for s in covering):
                wrong.append(f"{where}: an operator, coloured {covering}")
    assert not wrong, "\n".join(wrong[:30])
    assert counted["keyword"] > 0


@pytest.mark.parametrize("model", MODELS, ids=[str(m.relative_to(REPO)) for m in MODELS])
def test_declared_names_are_coloured_as_declarations(model, engine):
    from milkrun.compiler.lsp.analysis import KINDS, Lines, name_span

    text = model.read_text(encoding="utf-8")
    tokens = scopes_by_line(engine, text)
    lines = Lines(text.split("\n"))
    wrong = []
    for st in parse_text(text, str(model)).statements:
        if type(st) not in KINDS:
            continue
        s = name_span(st, lines)
        covering = scopes_at(tokens, s.line - 1, s.column - 1, len(st.name))
        if not covering or any(not c[-1].startswith("entity.name.") for c in covering):
            wrong.append(f"{model.name}:{s.line}:{s.column} {st.name}: coloured {covering}")
    assert not wrong, "\n".join(wrong)


def test_check_messages_holes_and_data_tables(engine):
    text = (
        'check fits[f in Farms]: milk[f] <= cap\n'
        '    else "farm {f} gives {sum(k in {a, b}) milk[f]} L, 🐄 more than {cap}" # said\n'
        'data Farms """\n'
        'Farms, milk  # not a comment: a cell\n'
        'f1, 3\n'
        '"""\n'
        'param share in [0, 1] uncertain +- 5% unit "L/day"\n'
        'stock[f in Farms, d in Days]: tank[f, d] == tank[f, d--1] + made[f, d++2]\n'
    )
    tokens = scopes_by_line(engine, text)

    def scopes(line, needle, after=""):
        row = text.split("\n")[line]
        column = row.index(needle, row.index(after) + len(after) if after else 0)
        return scopes_at(tokens, line, column, len(needle))

    assert scopes(1, "farm {")[0][-1] == "string.quoted.double.mcp"
    assert any("meta.embedded.expression.mcp" in s for s in scopes(1, "{f}"))
    assert scopes(1, "sum")[0][-1].startswith("keyword.") and "meta.embedded.expression.mcp" in scopes(1, "sum")[0]
    assert scopes(1, "in", "sum(k")[0][-1] == "keyword.operator.word.mcp"
    assert scopes(1, " L, ")[0][-1] == "string.quoted.double.mcp"  # after the nested braces, still the string
    assert "meta.embedded.expression.mcp" in scopes(1, "cap")[0]
    assert "comment.line.number-sign.mcp" in scopes(1, "# said")[0]
    assert scopes(2, "data")[0][-1].startswith("keyword.") and scopes(2, "Farms")[0][-1].startswith("entity.name.")
    assert scopes(3, "# not")[0][-1] == "string.unquoted.table.csv.mcp"
    assert scopes(6, "uncertain")[0][-1].startswith("keyword.") and scopes(6, "unit")[0][-1].startswith("keyword.")
    assert scopes(6, "+-")[0][-1] == "keyword.operator.uncertain.mcp"
    assert scopes(6, "%")[0][-1] == "keyword.operator.percent.mcp"
    assert scopes(7, "stock")[0][-1] == "entity.name.function.constraint.mcp"
    assert scopes(7, "--")[0][-1] == "keyword.operator.shift.circular.mcp"
    assert scopes(7, "++")[0][-1] == "keyword.operator.shift.circular.mcp"
    assert scopes(7, "1", "d--")[0][-1] == "constant.numeric.mcp"
