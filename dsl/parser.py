"""Parse .mcp text with the Lark grammar and turn the parse tree into typed nodes.

Syntax errors become `MilkrunError`s that say, in words, what was expected.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer_NonRecursive
from lark.exceptions import (GrammarError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken,
                             VisitError)

from . import ast, lalr
from .diagnostics import MilkrunError, NotText, Span, register_source, utf8_text

GRAMMAR = lalr.GRAMMAR

# What each terminal means to a person reading the error.
_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "SIGNED_NUMBER": "a number",
    "STRING": "a quoted string",
    "LONG_STRING": 'a """...""" block',
    "LSQB": "'['",
    "RSQB": "']'",
    "LPAR": "'('",
    "RPAR": "')'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "COLON": "':'",
    "SEMICOLON": "';'",
    "COMMA": "','",
    "EQUAL": "'='",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "CIRCUMFLEX": "'^'",
    "PERCENT": "'%'",
    "SENSE": "'minimize' or 'maximize'",
    "SUM": "'sum'",
    "MINMAX": "'min' or 'max'",
    "SUBJECT_TO": "'subject to'",
    "$END": "the end of the file",
}
_GROUPS = [
    ({"LESSTHAN", "MORETHAN", "__ANON_0", "__ANON_1", "__ANON_2", "__ANON_3"}, "a comparison (<=, >=, ==)"),
]


def _describe(expected: set[str]) -> str:
    words: list[str] = []
    names = set(expected) - {"PERCENT"}  # may follow any number, but has a meaning only in an uncertain clause
    if {"PLUS", "MINUS", "STAR", "SLASH"} <= names:
        words.append("an operator (+ - * /)")
        names -= {"PLUS", "MINUS", "STAR", "SLASH", "CIRCUMFLEX"}
    statement_words = {"SET", "PARAM", "VAR", "SENSE", "INCLUDE", "DATA", "SUBJECT_TO"}
    if len(statement_words & names) >= 4:
        words.append("a new statement (set, param, var, minimize/maximize, a constraint name)")
        names -= statement_words | {"NAME", "SEMICOLON", "MODEL"}
    for n in sorted(names):
        if n in _WORDS:
            w = _WORDS[n]
        elif n.startswith("__ANON") or n in {"LESSTHAN", "MORETHAN"}:
            w = "a comparison (<=, >=, ==, <, >)"
        else:
            w = f"'{n.lower()}'"
        if w not in words:
            words.append(w)
    if not words:
        return "something else"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


# The most arithmetic operators (+ - * / ^) one statement may write. Parsing costs about 45 µs
# per written term and building a few more, so 100,000 terms take some seconds; a statement of
# a million would take a minute and gigabytes before anything could be said about it. Counting
# happens while the text is read, so such a statement is refused after its first 100,000
# operators, not after all of them.
MAX_OPERATORS = 100_000

_OPERATORS = ("PLUS", "MINUS", "STAR", "SLASH", "CIRCUMFLEX")
# Tokens after which a new expression starts: a statement's keyword, a constraint's ':' or a ';'.
_RESTARTS = ("SET", "PARAM", "VAR", "SENSE", "SUBJECT_TO", "KPI", "CHECK", "SCENARIO", "INCLUDE", "DATA",
             "MODEL", "COLON", "SEMICOLON", "EQUAL")


class _Count(threading.local):
    """Operators written since the current expression started (one counter per parsing thread)."""

    file = "<model>"
    count = 0
    shift = (0, 0)


_COUNT = _Count()


def _on_operator(tok: Token) -> Token:
    _COUNT.count += 1
    if _COUNT.count > MAX_OPERATORS:
        dl, dc = _COUNT.shift
        line, column = tok.line + dl, tok.column + (dc if tok.line == 1 else 0)
        raise MilkrunError(
            f"this expression is too long: more than {MAX_OPERATORS:,} operators (+ - * / ^) in one statement",
            Span(_COUNT.file, line, column, line, column + 1),
            hint="put long lists of numbers in a data table and sum over its set, like "
                 "sum(k in Terms) coef[k] * x[k]; or split the expression into parameters")
    return tok


def _on_restart(tok: Token) -> Token:
    _COUNT.count = 0
    return tok


@lru_cache(maxsize=1)
def _lark() -> Lark:
    """The LALR parser, loaded once per process from the tables generated into the package (lalr.py)."""
    callbacks = {**{t: _on_operator for t in _OPERATORS}, **{t: _on_restart for t in _RESTARTS}}
    return lalr.parser(callbacks)


def _parse(text: str, start: str, file: str, shift=(0, 0)):
    _COUNT.file, _COUNT.count, _COUNT.shift = file, 0, shift
    return _lark().parse(text, start=start)


def _to_ast(tree, file: str, line: int = 1, column: int = 1):
    try:
        return _ToAst(file, line=line, column=column).transform(tree)
    except VisitError as e:  # errors found while building nodes
        if isinstance(e.orig_exc, MilkrunError):
            raise e.orig_exc from None
        raise


def parse_text(text: str, file: str = "<model>") -> ast.Model:
    """Parse one .mcp source into a `Model` (includes are not followed here)."""
    register_source(file, text)
    try:
        tree = _parse(text, "start", file)
    except UnexpectedInput as e:
        raise _syntax_error(e, text, file) from None
    return _to_ast(tree, file)


def parse_file(path: str | Path) -> ast.Model:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise MilkrunError(f"model file '{path}' does not exist") from None
    return parse_text(decode_model(data, str(path)), str(path))


def decode_model(data: bytes, file: str) -> str:
    """The text of a model file: UTF-8 (a byte-order mark is dropped), else an error located at
    the first byte that is not, saying which encoding the file looks like; never guessed."""
    text = utf8_text(data, file)
    name = Path(file).name
    if isinstance(text, NotText) and text.nul:
        raise MilkrunError(f"model file '{name}' holds {text.where}; a model is text (a file with NUL bytes is "
                           "most likely UTF-16: save it as UTF-8)", text.span,
                           hint="convert it: iconv -f UTF-16 -t UTF-8 OLD.mcp > NEW.mcp")
    if isinstance(text, NotText):
        hint = ("a model is a text file: save it as UTF-8 from your editor"
                + (f", or convert it: iconv -f {text.iconv} -t UTF-8 OLD.mcp > NEW.mcp" if text.iconv else ""))
        raise MilkrunError(f"model file '{name}' is not UTF-8: {text.where} ({text.looks})", text.span, hint=hint)
    if "\r" in text:  # Windows (CRLF) and old Mac (CR) line ends: a CR alone would not end a # comment
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _syntax_error(e: UnexpectedInput, text: str, file: str) -> MilkrunError:
    line, column = getattr(e, "line", 1) or 1, getattr(e, "column", 1) or 1
    if isinstance(e, UnexpectedToken):
        tok = e.token
        if tok.type == "$END":
            lines = text.splitlines() or [""]
            line, column = len(lines), len(lines[-1]) + 1
            found = "the end of the file"
            span = Span(file, line, max(column - 1, 1), line, column)
        else:
            found = f"'{tok.value}'"
            span = Span(file, tok.line, tok.column, tok.end_line, tok.end_column)
        acceptable = _acceptable(e)
        expected = _describe(acceptable)
        if tok.value == "=" and any(a.startswith("__ANON") or a in {"LESSTHAN", "MORETHAN"} for a in acceptable):
            return MilkrunError("'=' is not a comparison; write '==' (or '<=', '>=')", span,
                                hint="'=' defines a set or a parameter; constraints compare with '==', '<=' or '>='")
        if tok.type == "$END":
            return MilkrunError(f"unexpected end of the file in the middle of a statement; expected {expected}", span)
        hint = _hint(tok, e, acceptable)
        before = text.splitlines()[tok.line - 1][:tok.column - 1] if tok.type != "$END" else ""
        if acceptable == {"STRING"} and before.rstrip().endswith("unit"):
            hint = ("'unit' is a keyword after a declaration: unit \"kg\" gives its unit; "
                    "call the constraint otherwise")
        return MilkrunError(f"unexpected {found}; expected {expected}", span, hint=hint)
    if isinstance(e, UnexpectedCharacters):
        ch = text[e.pos_in_stream] if e.pos_in_stream < len(text) else "?"
        span = Span(file, line, column, line, column + 1)
        expected = _describe(set(e.allowed) if e.allowed else set())
        hint = None
        if ch == "=":
            hint = "comparisons are written '==' in constraints; '=' defines a set or parameter"
        elif ch == '"':
            hint = "a quoted string must close on the same line"
        return MilkrunError(f"unexpected character '{ch}'; expected {expected}", span, hint=hint)
    if isinstance(e, UnexpectedEOF):
        lines = text.splitlines() or [""]
        span = Span(file, len(lines), len(lines[-1]) + 1)
        return MilkrunError("the file ends in the middle of a statement", span)
    return MilkrunError(str(e), Span(file, line, column))


def _acceptable(e: UnexpectedToken) -> set[str]:
    """The terminals that could really come next (LALR's table merges contexts and over-reports)."""
    expected = set(e.expected or ())
    ip = getattr(e, "interactive_parser", None)
    if ip is not None:
        try:
            exact = set(ip.accepts())
            if exact:
                return exact
        except Exception:  # fall back to the table's view
            pass
    return expected


def _hint(tok: Token, e: UnexpectedToken, acceptable: set[str]) -> str | None:
    if tok.type == "PERCENT":
        return "a percentage has a meaning only in an uncertain clause (uncertain +- 2%); elsewhere write 0.02"
    if tok.value == "=" and any(x.startswith("__ANON") or x in {"LESSTHAN", "MORETHAN"} for x in e.expected):
        return "equality in a constraint is written '=='"
    if tok.type == "NAME" and "COLON" in e.expected:
        return "a constraint or objective name is followed by ':'"
    if tok.value in {"set", "param", "var", "minimize", "maximize"}:
        return "the statement before this one is incomplete"
    if tok.type == "UNIT":
        return "'unit' is a keyword after a declaration (unit \"kg\" gives its unit): call the constraint otherwise"
    if "RSQB" in acceptable and tok.type != "RSQB":
        return "is a closing ']' missing?"
    if "RPAR" in acceptable and tok.type != "RPAR":
        return "is a closing ')' missing?"
    return None


def _message_parts(quoted: str, tok: Token, file: str) -> list:
    """Split a check's message into text and `{expression}` placeholders, each parsed by the grammar."""
    text = quoted[1:-1]
    parts: list = []
    pos = 0
    while pos < len(text):
        open_ = text.find("{", pos)
        if open_ < 0:
            parts.append(text[pos:])
            break
        close = text.find("}", open_)
        if close < 0:
            col = tok.column + 1 + open_
            raise MilkrunError("a '{' in the message is not closed by '}'", Span(file, tok.line, col, tok.line, col + 1))
        if open_ > pos:
            parts.append(text[pos:open_])
        inner = text[open_ + 1:close]
        col = tok.column + 1 + open_ + 1  # column of the first character inside the braces
        try:
            tree = _parse(inner, "expr", file, shift=(tok.line - 1, col - 1))
        except UnexpectedInput as e:
            c = col + (getattr(e, "column", 1) or 1) - 1
            raise MilkrunError(f"cannot read '{{{inner}}}' in the message as an expression", Span(file, tok.line, c, tok.line, c + 1)) from None
        node = _to_ast(tree, file, line=tok.line, column=col)
        parts.append(ast.Placeholder(node, span=Span(file, tok.line, col - 1, tok.line, col + len(inner) + 1)))
        pos = close + 1
    return parts


# ------------------------------------------------------------------ tree → typed nodes
def _span(file: str, meta) -> Span:
    return Span(file, meta.line, meta.column, meta.end_line, meta.end_column)


def _tok_span(file: str, tok: Token) -> Span:
    return Span(file, tok.line, tok.column, tok.end_line, tok.end_column)


def _unquote(s: str) -> str:
    return s[1:-1]


def _bool(op: str, c: list, span: Span) -> ast.BoolOp:
    """`a or b or c` as one BoolOp of three, not nested: a generated condition may list hundreds."""
    left, right = c
    if isinstance(left, ast.BoolOp) and left.op == op and len(left.args) > 1:
        return ast.BoolOp(op, [*left.args, right], span=span)
    return ast.BoolOp(op, [left, right], span=span)


def _number(text: str, span: Span | None = None):
    v = int(text) if not any(c in text for c in ".eE") else float(text)
    if abs(v) > _LARGEST if isinstance(v, int) else not math.isfinite(v):  # isfinite(10**400) overflows
        raise MilkrunError(f"the number {text.lstrip('+')} is too large: numbers go up to about 1.8e308", span,
                           hint="write the value in larger units; for no limit at all, leave the bound out")
    return v  # a whole number stays exact, however long (a range's bound is checked where used)


_LARGEST = int(1.7976931348623157e308)


@dataclass
class _Unit:
    text: str
    span: Span


@dataclass
class _Notes:
    """What may follow a declaration's head: its description and its unit."""

    doc: str | None = None
    unit: str | None = None
    unit_span: Span | None = None


def _merge_notes(notes: _Notes, doc, unit):
    """A parameter's notes before `=` and after its expression, as one description and one unit."""
    if notes.unit is not None and unit is not None:
        raise MilkrunError(f"a unit is given twice (unit \"{unit}\" comes first)", notes.unit_span,
                           hint="give the unit once, before '=' or after the expression")
    return (notes.doc if notes.doc is not None else doc), (notes.unit if notes.unit is not None else unit)


class _ToAst(Transformer_NonRecursive):
    """`line`/`column` shift the spans of a fragment parsed out of a string (a check's message).

    Non-recursive: a constraint of thousands of written terms is a parse tree as deep as it is long.
    Each rule's method takes (meta, children); they are called directly rather than through
    lark's v_args wrapper, which costs a functools.update_wrapper per node."""

    __visit_tokens__ = False  # tokens stay tokens

    def _call_userfunc(self, tree, new_children=None):
        children = new_children if new_children is not None else tree.children
        f = getattr(self, tree.data, None)
        if f is None:
            return self.__default__(tree.data, children, tree.meta)
        try:
            return f(tree.meta, children)
        except GrammarError:
            raise
        except Exception as e:
            raise VisitError(tree.data, tree, e)

    def __init__(self, file: str, line: int = 1, column: int = 1):
        super().__init__()
        self.file = file
        self.shift = (line - 1, column - 1)

    def S(self, meta) -> Span:
        if self.shift == (0, 0):
            return _span(self.file, meta)
        dl, dc = self.shift
        return Span(self.file, meta.line + dl, meta.column + dc, meta.end_line + dl, meta.end_column + dc)

    # ---- top level
    def start(self, meta, children):
        header = children[0] if children and isinstance(children[0], tuple) else None
        stmts = [c for c in children[1 if header else 0:] if isinstance(c, ast.Node)]
        span = Span(self.file, 1, 1)
        return ast.Model(header[0] if header else None, header[1] if header else None, self.file, stmts, span=span)

    def header(self, meta, children):
        name, notes = children[0], children[1] if len(children) > 1 else None
        return (str(name), self._no_unit(notes, "a model"))

    def T(self, tok: Token) -> Span:
        dl, dc = self.shift
        return Span(self.file, tok.line + dl, tok.column + dc, tok.end_line + dl, tok.end_column + dc)

    def doc(self, meta, children):
        """A description, a `unit "..."`, or both in either order; each at most once."""
        notes = _Notes()
        for c in children:
            if isinstance(c, _Unit):
                if notes.unit is not None:
                    raise MilkrunError(f"a unit is given twice (unit \"{notes.unit}\" comes first)", c.span,
                                       hint="give one unit; a description goes in quotes without the word 'unit'")
                notes.unit, notes.unit_span = c.text, c.span
            else:
                if notes.doc is not None:
                    raise MilkrunError("a declaration takes one description; this is a second one", self.T(c),
                                       hint='join them in one string, or write unit "..." for a unit')
                notes.doc = _unquote(str(c))
        return notes

    def unit(self, meta, children):
        text = _unquote(str(children[0])).strip()
        if not text:
            raise MilkrunError("a unit cannot be empty", self.S(meta), hint='write it like unit "kg" or unit "k$"')
        return _Unit(text, self.S(meta))

    def _no_unit(self, notes, what: str):
        """The description of a declaration that takes no unit (a set, the model, a scenario)."""
        if notes is None:
            return None
        if notes.unit is not None:
            raise MilkrunError(f"{what} has no unit; units go on parameters, variables, objectives and kpis",
                               notes.unit_span, hint="put the unit in the description if it helps the reader")
        return notes.doc

    def include(self, meta, children):
        return ast.Include(_unquote(str(children[0])), span=self.S(meta))

    # ---- sets
    def set_decl(self, meta, children):
        name, rest = children[0], children[1:]
        index = within = definition = doc = None
        ordered = False
        for c in rest:
            if isinstance(c, ast.IndexList):
                index = c
            elif isinstance(c, tuple) and c[0] == "within":
                within = c[1]
            elif isinstance(c, tuple) and c[0] == "def":
                definition = c[1]
            elif c == "ordered":
                ordered = True
            elif isinstance(c, _Notes):
                doc = self._no_unit(c, f"set '{name}'")
        return ast.SetDecl(str(name), index, within, definition, ordered, doc, span=self.S(meta))

    def within(self, meta, c):
        return ("within", c[0])

    def set_def(self, meta, c):
        return ("def", c[0])

    def ordered(self, meta, c):
        return "ordered"

    # ---- params
    def param_decl(self, meta, children):
        name = str(children[0])
        p = ast.ParamDecl(name, None, False, False, [], None, None, None, None, span=self.S(meta))
        for c in children[1:]:
            if isinstance(c, ast.IndexList):
                p.index = c
            elif c == "integer":
                p.integer = True
            elif c == "binary":
                p.binary = True
            elif isinstance(c, ast.Bound):
                p.bounds.append(c)
            elif isinstance(c, tuple) and c[0] == "interval":
                p.bounds += [c[1], c[2]]
            elif isinstance(c, tuple) and c[0] == "element_of":
                p.element_of = c[1]
            elif isinstance(c, tuple) and c[0] == "default":
                p.default = c[1]
            elif isinstance(c, ast.Uncertainty):
                if p.uncertain is not None:
                    raise MilkrunError(f"parameter '{name}' is declared uncertain twice", c.span)
                p.uncertain = c
            elif isinstance(c, _Notes):  # before `=` and after its expression: merged
                p.doc, p.unit = _merge_notes(c, p.doc, p.unit)
            elif c is not None:
                p.definition = c
        return p

    def integer(self, meta, c):
        return "integer"

    def binary(self, meta, c):
        return "binary"

    def continuous(self, meta, c):
        return "continuous"

    def bound(self, meta, c):
        return ast.Bound(str(c[0]), c[1], span=self.S(meta))

    def interval(self, meta, c):
        s = self.S(meta)
        return ("interval", ast.Bound(">=", c[0], span=s), ast.Bound("<=", c[1], span=s))

    def uncertain_interval(self, meta, c):
        return ast.Uncertainty(lo=c[0], hi=c[1], span=self.S(meta))

    def uncertain_deviation(self, meta, c):
        return ast.Uncertainty(deviation=c[-1], span=self.S(meta))

    def design(self, meta, c):
        return ("design",)

    def element_of(self, meta, c):
        return ("element_of", c[0])

    def default(self, meta, c):
        return ("default", c[0])

    def bound_op(self, meta, c):
        return str(c[0])

    rel_op = cmp_op = bound_op

    # ---- vars
    def var_decl(self, meta, children):
        v = ast.VarDecl(str(children[0]), None, "continuous", [], None, None, span=self.S(meta))
        kinds = []
        for c in children[1:]:
            if isinstance(c, ast.IndexList):
                v.index = c
            elif c in ("binary", "integer", "continuous"):
                kinds.append(c)
            elif isinstance(c, ast.Bound):
                v.bounds.append(c)
            elif isinstance(c, tuple) and c[0] == "interval":
                v.bounds += [c[1], c[2]]
            elif isinstance(c, tuple) and c[0] == "where":
                if v.where is not None:
                    raise MilkrunError("a variable takes one 'where' condition", self.S(meta))
                v.where = c[1]
            elif c == ("design",):
                v.design = True
            elif isinstance(c, _Notes):
                v.doc, v.unit = c.doc, c.unit
        if len(set(kinds)) > 1:
            raise MilkrunError(f"variable '{v.name}' is declared both {kinds[0]} and {kinds[1]}", self.S(meta))
        if kinds:
            v.kind = kinds[0]
        return v

    def where(self, meta, c):
        return ("where", c[0])

    # ---- objectives, constraints
    def objective(self, meta, c):
        sense = "minimize" if str(c[0]).startswith("minimi") else "maximize"
        notes = next((x for x in c[2:] if isinstance(x, _Notes)), _Notes())
        return ast.Objective(sense, str(c[1]), c[-1], notes.doc, notes.unit, span=self.S(meta))

    def constraint(self, meta, c):
        name, index, rel = c[0], (c[1] if len(c) == 3 else None), c[-1]
        return ast.Constraint(str(name), index, rel[0], rel[1], span=self.S(meta))

    def relation(self, meta, c):
        c = [x for x in c if x is not None]
        terms, ops = c[0::2], c[1::2]
        if len(ops) == 2:
            if "==" in ops or ops[0] != ops[1]:
                raise MilkrunError(
                    "a ranged constraint is written 'low <= expression <= high' (or with >= both times)",
                    self.S(meta),
                )
        return (terms, ops)

    # ---- index lists and bindings
    def index_list(self, meta, c):
        bindings = [x for x in c if isinstance(x, ast.Binding)]
        where = next((x for x in c if x is not None and not isinstance(x, ast.Binding)), None)
        return ast.IndexList(bindings, where, span=self.S(meta))

    reduce_bindings = index_list

    def reduce_slices(self, meta, c):
        return None

    def named_binding(self, meta, c):
        return ast.Binding([str(c[0])], c[1], span=self.S(meta))

    def tuple_binding(self, meta, c):
        tup, set_expr = c
        names = []
        for el in tup.value:
            if not isinstance(el, str) or not tup.is_name:
                raise MilkrunError("a tuple of index names is expected here, like (k, l)", tup.span)
            names.append(el)
        return ast.Binding(names, set_expr, span=self.S(meta))

    def bare_binding(self, meta, c):
        return ast.Binding([], c[0], span=self.S(meta))

    def infer_binding(self, meta, c):
        return ast.Binding([str(c[0])], None, inferred=True, span=self.S(meta))

    # ---- set expressions
    def set_ref(self, meta, c):
        return ast.SetRef(str(c[0]), span=self.S(meta))

    def indexed_set_ref(self, meta, c):
        return ast.IndexedSetRef(str(c[0]), c[1], span=self.S(meta))

    def set_literal(self, meta, c):
        return ast.SetLiteral([x for x in c if x is not None], span=self.S(meta))

    def set_filter(self, meta, c):
        return ast.SetFilter(c[:-1], c[-1], span=self.S(meta))

    def set_range(self, meta, c):
        return ast.SetRange(c[0], c[1], span=self.S(meta))

    def _setop(op):
        def f(self, meta, c):
            return ast.SetOp(op, c[0], c[1], span=self.S(meta))

        return f

    set_union = _setop("union")
    set_diff = _setop("diff")
    set_inter = _setop("inter")
    set_cross = _setop("cross")

    # ---- elements
    def elem_name(self, meta, c):
        return ast.Element(str(c[0]), is_name=True, span=self.S(meta))

    def elem_number(self, meta, c):
        return ast.Element(_number(str(c[0]), self.S(meta)), span=self.S(meta))

    def elem_string(self, meta, c):
        return ast.Element(_unquote(str(c[0])), span=self.S(meta))

    def elem_tuple(self, meta, c):
        names_only = all(e.is_name for e in c)
        return ast.Element(tuple(e.value for e in c), is_name=names_only, parts=list(c), span=self.S(meta))

    # ---- expressions
    def if_expr(self, meta, c):
        return ast.IfExpr(c[0], c[1], c[2], span=self.S(meta))

    def _binop(op):
        def f(self, meta, c):
            return ast.BinOp(op, c[0], c[1], span=self.S(meta))

        return f

    add = _binop("+")
    sub = _binop("-")
    circular_add = _binop("++")
    circular_sub = _binop("--")
    mul = _binop("*")
    div = _binop("/")
    pow = _binop("^")

    def neg(self, meta, c):
        return ast.Neg(c[0], span=self.S(meta))

    def percent(self, meta, c):
        return ast.Percent(c[0], span=self.S(meta))

    def reduction(self, meta, c):
        return ast.Reduction(str(c[0]), c[1], c[2], span=self.S(meta))

    def minmax_reduction(self, meta, c):
        op, rest = str(c[0]), c[1:]
        body = rest[-1]
        bindings = [x for x in rest[:-1] if isinstance(x, ast.Binding)]
        where = next((x for x in rest[:-1] if x is not None and not isinstance(x, ast.Binding)), None)
        first = bindings[0].span
        return ast.Reduction(op, ast.IndexList(bindings, where, span=first), body, span=self.S(meta))

    def number(self, meta, c):
        return ast.Number(_number(str(c[0]), self.S(meta)), span=self.S(meta))

    def name(self, meta, c):
        return ast.Name(str(c[0]), span=self.S(meta))

    def subscript(self, meta, c):
        return ast.Subscript(str(c[0]), c[1], span=self.S(meta))

    def subscripts(self, meta, c):
        return [_as_shift(item) for item in c]

    def literal_element(self, meta, c):
        return ast.Element(_unquote(str(c[0])), span=self.S(meta))

    def slice(self, meta, c):
        return ast.Slice(span=self.S(meta))

    def call(self, meta, c):
        args = [x for x in c[1:] if x is not None]
        positional = [a for a in args if not isinstance(a, ast.KeywordArg)]
        keywords = [a for a in args if isinstance(a, ast.KeywordArg)]
        seen_kw = False
        for a in args:
            if isinstance(a, ast.KeywordArg):
                seen_kw = True
            elif seen_kw:
                raise MilkrunError("a positional argument cannot follow a keyword argument", a.span)
        return ast.Call(str(c[0]), positional, keywords, span=self.S(meta))

    def keyword_arg(self, meta, c):
        value = c[1]
        if isinstance(value, ast.Element) and isinstance(value.value, str):  # method = "lazy"
            value = value.value
        return ast.KeywordArg(str(c[0]), value, span=self.S(meta))

    # ---- conditions
    def compare(self, meta, c):
        return ast.Compare(c[1], c[0], c[2], span=self.S(meta))

    def member(self, meta, c):
        return ast.Member([c[0]], c[1], span=self.S(meta))

    def tuple_member(self, meta, c):
        tup, set_expr = c
        items = []
        for part in tup.parts:  # (k, 1) in Slots: names are values in scope, numbers and quotes are elements
            if part.is_name:
                items.append(ast.Name(part.value, span=part.span))
            elif isinstance(part.value, (int, float)):
                items.append(ast.Number(part.value, span=part.span))
            else:
                items.append(part)
        return ast.Member(items, set_expr, span=self.S(meta))

    def or_(self, meta, c):
        return _bool("or", c, self.S(meta))

    def and_(self, meta, c):
        return _bool("and", c, self.S(meta))

    def not_(self, meta, c):
        return ast.BoolOp("not", list(c), span=self.S(meta))

    # ---- reported figures and checks
    def kpi_decl(self, meta, c):
        name, rest = c[0], [x for x in c[1:] if x is not None]
        index = next((x for x in rest if isinstance(x, ast.IndexList)), None)
        notes = next((x for x in rest if isinstance(x, _Notes)), _Notes())
        return ast.Kpi(str(name), index, notes.doc, rest[-1], notes.unit, span=self.S(meta))

    def check_decl(self, meta, c):
        name, rest = c[0], [x for x in c[1:] if x is not None]
        index = next((x for x in rest if isinstance(x, ast.IndexList)), None)
        tok = rest[-1]
        message = _message_parts(str(tok), tok, self.file)
        return ast.Check(str(name), index, rest[-2], message, span=self.S(meta))

    # ---- scenarios
    def scenario_decl(self, meta, c):
        doc = self._no_unit(c[1], f"scenario '{c[0]}'") if len(c) > 1 and isinstance(c[1], _Notes) else None
        changes = [x for x in c[1:] if isinstance(x, ast.Change)]
        return ast.Scenario(str(c[0]), doc, changes, span=self.S(meta))

    def change(self, meta, c):
        keys = [x for x in c[1:-2]]
        return ast.Change(str(c[0]), keys, str(c[-2]), c[-1], span=self.S(meta))

    def assign_op(self, meta, c):
        return str(c[0])

    # ---- data
    def data_block(self, meta, c):
        return ast.DataBlock(list(c), span=self.S(meta))

    def data_entry(self, meta, c):
        kind, value = c[1]
        return ast.DataEntry(str(c[0]), kind, value, span=self.S(meta))

    def data_scalar(self, meta, c):
        return ("scalar", c[0])

    def data_set(self, meta, c):
        return ("set", [x for x in c if x is not None])

    def data_map(self, meta, c):
        return ("map", list(c))

    def data_pair(self, meta, c):
        return (c[0], c[1])

    def data_table(self, meta, c):
        name, tok = c
        body = str(tok)[3:-3]
        # The CSV starts on the line after the opening quotes when they end their line.
        first_line = tok.line
        if body.startswith("\n"):
            body = body[1:]
            first_line += 1
        return ast.DataTable(str(name), body, first_line, span=self.S(meta))


SHIFTS = {"-": (-1, False), "+": (1, False), "--": (-1, True), "++": (1, True)}


def _as_shift(item):
    """A subscript that moves an index along its set (`t-1`, `t++2`, `prev(t)`, `next(t, circular)`)
    as a Shift; anything else unchanged (the checker says what a subscript may be)."""
    if isinstance(item, ast.BinOp) and item.op in SHIFTS and isinstance(item.left, ast.Name):
        sign, circular = SHIFTS[item.op]
        return ast.Shift(item.left, item.right, sign, circular, span=item.span)
    if (isinstance(item, ast.Call) and item.func in ("prev", "next") and item.args
            and isinstance(item.args[0], ast.Name) and not item.keywords):
        circular = len(item.args) == 2 and isinstance(item.args[1], ast.Name) and item.args[1].name == "circular"
        if len(item.args) == 1 or circular:
            one = ast.Number(1, span=item.span)
            return ast.Shift(item.args[0], one, -1 if item.func == "prev" else 1, circular, span=item.span)
    return item
