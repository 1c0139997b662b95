"""What the language server knows of one document, apart from the protocol (server.py speaks that).

`analyse(text, path)` runs what `milkrun check` runs, on the editor's text rather than the file:
the parse, the includes (found next to `path`) and the checks (`load_model`); then, when the
model's data folder lies next to it (`models/transport/` for `models/transport.mcp`), the data
(`bind_data`) and the model's `check` statements on it. It stops at the first error, as the
command does, and keeps the error as a `Problem`. Nothing is built or solved.

It also keeps the declarations (from the deepest stage that succeeded: the checked model with its
includes, else the parsed document alone), for hover, go to definition, completion and the outline.
All positions here are milkrun's: 1-based lines, 1-based columns counted in characters (Python
code points, as Lark counts them); server.py turns them into the editor's units.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from milkrun.compiler.build.figures import run_checks
from milkrun.compiler.model.check import BUILTINS
from milkrun.compiler.model.global_constraints import GLOBAL_CONSTRAINTS
from milkrun.compiler.model.ir import BUILTIN_SETS
from milkrun.compiler.pipeline import bind_data, default_data_dir, load_model
from milkrun.dsl import ast
from milkrun.dsl.diagnostics import MilkrunError, Span, source_line
from milkrun.dsl.includes import load, resolve_include
from milkrun.dsl.parser import GRAMMAR, parse_text

KINDS = {ast.SetDecl: "set", ast.ParamDecl: "param", ast.VarDecl: "var", ast.Objective: "objective",
         ast.Constraint: "constraint", ast.Kpi: "kpi", ast.Check: "check", ast.Scenario: "scenario"}
# The keywords the grammar writes as regular expressions rather than quoted words.
_PATTERN_KEYWORDS = {"minimize", "maximize", "minimise", "maximise", "sum", "prod", "min", "max", "subject to"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A declaration's name: after its keyword (a constraint starts with its name).
_DECLARED = re.compile(r"(?:(?:set|param|var|kpi|check|scenario|minimi[sz]e|maximi[sz]e)\s+)?([A-Za-z_][A-Za-z0-9_]*)")


def keywords() -> list[str]:
    """The words of the language, read from the grammar (so a keyword added there is offered too)."""
    return sorted(set(re.findall(r'"([a-z]+)"', GRAMMAR.read_text(encoding="utf-8"))) | _PATTERN_KEYWORDS)


FUNCTIONS = {**{name: arity for name, arity in BUILTINS.items()}, **{name: None for name in GLOBAL_CONSTRAINTS}}


@dataclass
class Problem:
    """One error as the command line reports it: where, the message with its notes and hint."""

    span: Span | None
    message: str
    kind: str = "error"  # error | infeasible (a `check` statement fails on the data)
    related: list[tuple[str, Span]] = field(default_factory=list)


def problem_of(err: MilkrunError) -> Problem:
    text = err.message
    for note, span in err.notes:
        text += f"\nnote: {note}" + (f" ({span})" if span else "")
    if err.hint:
        text += f"\nhint: {err.hint}"
    return Problem(err.span, text, err.kind, [(note, span) for note, span in err.notes if span is not None])


@dataclass
class Declaration:
    name: str
    kind: str
    node: ast.Node
    span: Span  # the whole statement
    name_span: Span
    sets: list[str]  # the index sets, as written
    doc: str | None
    unit: str | None

    @property
    def signature(self) -> str:
        """`param dist[Nodes, Nodes]`, `minimize cost`."""
        word = self.node.sense if isinstance(self.node, ast.Objective) else self.kind
        return f"{word} {self.name}" + (f"[{', '.join(self.sets)}]" if self.sets else "")

    def hover(self, document: str) -> str:
        """Markdown: the signature, the description, the unit and, when not in `document`, the file."""
        parts = [f"```milkrun\n{self.signature}\n```"]
        if self.doc:
            parts.append(self.doc)
        if self.unit:
            parts.append(f"unit: {self.unit}")
        if self.span.file != document:
            parts.append(f"declared in {Path(self.span.file).name}, line {self.span.line}")
        return "\n\n".join(parts)


@dataclass
class Analysis:
    path: Path
    text: str
    problems: list[Problem] = field(default_factory=list)
    declarations: dict[str, Declaration] = field(default_factory=dict)  # the document's and its includes'
    includes: list[ast.Include] = field(default_factory=list)  # the document's own include statements
    data_checked: bool = False

    @property
    def file(self) -> str:
        return str(self.path)

    @property
    def outline(self) -> list[Declaration]:
        """The document's own declarations, in order."""
        return [d for d in self.declarations.values() if d.span.file == self.file]

    def lines(self, file: str) -> Lines:
        return Lines(self.text.split("\n")) if file == self.file else Lines(None, file)


class Lines:
    """The lines of a file: the document's text, or (another file) the text milkrun read of it."""

    def __init__(self, lines: list[str] | None, file: str | None = None):
        self._lines, self._file = lines, file

    def __getitem__(self, number: int) -> str:  # 1-based; "" past the end
        if self._lines is not None:
            return self._lines[number - 1] if 1 <= number <= len(self._lines) else ""
        return source_line(self._file, number) or ""


def normalised(text: str) -> str:
    """Line ends as the parser reads a file's (CRLF and CR become LF): the lines stay the same lines."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def analyse(text: str, path: str | Path, include_path=None, data: bool = True) -> Analysis:
    """The document's problems (at most one: milkrun stops at the first) and its declarations."""
    path = Path(path)
    a = Analysis(path, normalised(text))
    try:
        own = parse_text(a.text, a.file)
    except MilkrunError as e:
        a.problems.append(problem_of(e))
        return a
    a.includes = [st for st in own.statements if isinstance(st, ast.Include)]
    _declare(a, own.statements)
    try:
        ir = load_model(path, include_path, text=a.text)
    except MilkrunError as e:
        a.problems.append(problem_of(e))
        try:  # the included files' declarations, when only the checks failed
            _declare(a, load(path, include_path, text=a.text).statements)
        except MilkrunError:
            pass
        return a
    _declare(a, [sym.decl for sym in ir.symbols.values()])
    if data and default_data_dir(path) is not None:
        a.data_checked = True
        try:
            instance, _ = bind_data(ir, None)
            run_checks(ir, instance)
        except MilkrunError as e:
            a.problems.append(problem_of(e))
    return a


def _declare(a: Analysis, statements) -> None:
    found = {}
    for st in statements:
        kind = KINDS.get(type(st))
        if kind is None or st.name in found:
            continue
        found[st.name] = declaration(st, kind, a.lines(st.span.file))
    a.declarations = found


def declaration(st, kind: str, lines: Lines) -> Declaration:
    index = getattr(st, "index", None)
    sets = [text_of(b.set.span, lines) for b in index.bindings if b.set is not None] if index else []
    return Declaration(st.name, kind, st, st.span, name_span(st, lines), sets, getattr(st, "doc", None),
                       getattr(st, "unit", None))


def name_span(st, lines: Lines) -> Span:
    """Where a declaration's name stands: after its keyword, which may end its line."""
    s = st.span
    first = lines[s.line][s.column - 1:]
    text = "\n".join([first] + [lines[s.line + k] for k in range(1, 4)])
    m = _DECLARED.match(text)
    if m is None or m.group(1) != st.name:
        return Span(s.file, s.line, s.column, s.line, s.column + len(st.name))
    before = text[:m.start(1)]
    line = s.line + before.count("\n")
    column = (s.column + len(before)) if "\n" not in before else len(before) - before.rfind("\n")
    return Span(s.file, line, column, line, column + len(st.name))


def text_of(span: Span, lines: Lines) -> str:
    """The text a span covers, its lines joined by a space."""
    if span.end_line is None or span.end_column is None:
        m = _NAME.match(lines[span.line], span.column - 1)
        return m.group(0) if m else ""
    if span.end_line == span.line:
        return lines[span.line][span.column - 1:span.end_column - 1]
    parts = [lines[span.line][span.column - 1:]]
    parts += [lines[n].strip() for n in range(span.line + 1, span.end_line)]
    parts.append(lines[span.end_line][:span.end_column - 1].strip())
    return " ".join(p.strip() for p in parts if p.strip())


# ------------------------------------------------------------------ what stands at a position
def comment_start(line: str) -> int | None:
    """Where a `#` comment starts on a line (outside quotes), or None."""
    quote = None
    for k, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#":
            return k
    return None


def word_at(line: str, index: int) -> tuple[str, int, int] | None:
    """The name at (or just before) the 0-based character `index` of `line`, with its start and end;
    None in a comment or off any name."""
    hash_at = comment_start(line)
    for m in _NAME.finditer(line):
        if m.start() <= index <= m.end():
            if hash_at is not None and m.start() > hash_at or m.group(0)[0].isdigit():
                return None
            return m.group(0), m.start(), m.end()
        if m.start() > index:
            break
    return None


def include_at(a: Analysis, line: int, column: int) -> ast.Include | None:
    """The document's `include` statement that covers a (1-based) position."""
    for inc in a.includes:
        s = inc.span
        end_line = s.end_line or s.line
        end_column = s.end_column or s.column + 1
        if (s.line, s.column) <= (line, column) <= (end_line, end_column):
            return inc
    return None


def included_file(a: Analysis, inc: ast.Include, include_path=None) -> Path | None:
    try:
        return resolve_include(inc, a.path, include_path)
    except MilkrunError:
        return None


def function_hover(name: str) -> str:
    if name in GLOBAL_CONSTRAINTS:
        return f"```milkrun\n{name}(...)\n```\n\nglobal constraint (docs/language.md)"
    lo, hi = FUNCTIONS[name]
    count = f"{lo} argument{'s' if lo != 1 else ''}" if lo == hi else \
        f"{lo} or more arguments" if hi is None else f"{lo} to {hi} arguments"
    return f"```milkrun\n{name}(...)\n```\n\nbuilt-in function, {count}"


def builtin_sets() -> list[str]:
    return sorted(BUILTIN_SETS)
