"""`milkrun lsp`: a language server over stdin and stdout (pygls), for any editor that speaks LSP.

- Diagnostics: on opening, changing (a moment after the typing stops) and saving a model, and
  when the editor reports changed files (workspace/didChangeWatchedFiles: a CSV table edited), what
  `milkrun check` would say, up to its checks on the data (analysis.py): the same message, with
  its notes and its hint ("did you mean ..."), at the same place.
  An error in another file is published on that file's URI (an included module, or a CSV table of
  the data folder) and also on the document, with that file's place in the message: on the
  `include` line that brings the module in, else on the document's first line.
- Hover on a declared name: its kind, index sets, description and unit; go to definition of a name
  (its declaration, in the document or an included module) and of an `include` (the file);
  completion of declared names, keywords and built-in functions; the outline (document symbols).

Positions: milkrun counts 1-based lines and 1-based columns in characters; LSP counts 0-based lines
and columns in the code units the client and pygls agreed on (UTF-16 unless the client offers
another), so every position is converted through the line's text.

Nothing the user writes may stop the server: a MilkrunError is a diagnostic, and any other
exception is logged to the client (window/logMessage) and shown as one diagnostic,
"internal error in milkrun: ...", on the document.
"""
from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from functools import wraps
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from milkrun.compiler.lsp import analysis
from milkrun.compiler.lsp.analysis import Analysis, Lines, Problem
from milkrun.dsl.diagnostics import Span

DEBOUNCE = 0.25  # seconds after the last change before a document is checked again

SYMBOL_KINDS = {"set": types.SymbolKind.Enum, "param": types.SymbolKind.Constant, "var": types.SymbolKind.Variable,
                "objective": types.SymbolKind.Function, "constraint": types.SymbolKind.Interface,
                "kpi": types.SymbolKind.Property, "check": types.SymbolKind.Event, "scenario": types.SymbolKind.Module}
COMPLETION_KINDS = {k: getattr(types.CompletionItemKind, v.name) for k, v in SYMBOL_KINDS.items()}

log = logging.getLogger("milkrun.lsp")


class MilkrunServer(LanguageServer):
    def __init__(self):
        from milkrun import __version__

        super().__init__("milkrun", __version__)
        self.analyses: dict[str, Analysis] = {}
        self.published: dict[str, set[str]] = {}  # a document's URI -> the other URIs it published on
        self.generation: dict[str, int] = {}  # changes seen per document, for the debounce

    # ------------------------------------------------------------------ positions
    @property
    def codec(self):
        return self.workspace.position_codec

    def position(self, lines: Lines, line: int, column: int) -> types.Position:
        """milkrun's 1-based line and character column → LSP's 0-based line and code units."""
        text = lines[line]
        index = min(max(column - 1, 0), len(text))
        return types.Position(line=max(line - 1, 0), character=self.codec.client_num_units(text[:index]))

    def range(self, lines: Lines, span: Span) -> types.Range:
        start = self.position(lines, span.line, span.column)
        if span.end_line is None or span.end_column is None:
            end = self.position(lines, span.line, span.column + 1)
        else:
            end = self.position(lines, span.end_line, span.end_column)
        if (end.line, end.character) < (start.line, start.character):
            end = start
        return types.Range(start=start, end=end)

    def index(self, line: str, units: int) -> int:
        """LSP code units on a line → the 0-based character index."""
        n = 0
        for k, c in enumerate(line):
            if n >= units:
                return k
            n += self.codec.client_num_units(c)
        return len(line)

    # ------------------------------------------------------------------ documents
    def document_path(self, uri: str) -> Path:
        path = to_fs_path(uri) if uri.startswith("file:") else None
        return Path(path) if path else Path.cwd() / "untitled.mcp"

    def analysis(self, uri: str) -> Analysis:
        """The latest analysis of a document (made now if there is none yet)."""
        if uri not in self.analyses:
            doc = self.workspace.get_text_document(uri)
            self.analyses[uri] = analysis.analyse(doc.source, self.document_path(uri))
        return self.analyses[uri]

    def refresh(self, uri: str) -> None:
        """Check the document again and publish what is wrong, never raising."""
        try:
            doc = self.workspace.get_text_document(uri)
            a = analysis.analyse(doc.source, self.document_path(uri))
            self.analyses[uri] = a
            found = self.diagnostics(uri, a)
        except Exception as e:  # a bug in milkrun: the editor shows it, the server goes on
            self.log_exception(f"checking {uri}", e)
            found = {uri: [types.Diagnostic(range=types.Range(start=types.Position(line=0, character=0),
                                                              end=types.Position(line=0, character=0)),
                                            message=f"internal error in milkrun: {type(e).__name__}: {e}",
                                            severity=types.DiagnosticSeverity.Error, source="milkrun")]}
        before = self.published.get(uri, set())
        self.published[uri] = set(found) - {uri}
        for other in before - set(found):
            found[other] = []
        for target, diagnostics in found.items():
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=target,
                                                                                  diagnostics=diagnostics))

    def forget(self, uri: str) -> None:
        self.analyses.pop(uri, None)
        self.generation.pop(uri, None)
        for target in {uri} | self.published.pop(uri, set()):
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=target, diagnostics=[]))

    def diagnostics(self, uri: str, a: Analysis) -> dict[str, list[types.Diagnostic]]:
        """The diagnostics of one analysis, by the URI they are published on (the document's always)."""
        out: dict[str, list[types.Diagnostic]] = {uri: []}
        doc_lines = a.lines(a.file)
        for p in a.problems:
            related = [types.DiagnosticRelatedInformation(location=self.location(span), message=note)
                       for note, span in p.related]
            code = "infeasible" if p.kind == "infeasible" else None
            if p.span is None or p.span.file == a.file:
                span = p.span or Span(a.file, 1, 1, 1, max(len(doc_lines[1]), 1) + 1)
                out[uri].append(self.diagnostic(self.range(doc_lines, span), p.message, code, related))
                continue
            here = self.location(p.span)
            out.setdefault(here.uri, []).append(self.diagnostic(here.range, p.message, code, related))
            anchor = self.anchor(a, p)
            where = f"{Path(p.span.file).name}:{p.span.line}:{p.span.column}"
            out[uri].append(self.diagnostic(self.range(doc_lines, anchor), f"in {where}: {p.message}", code,
                                            [types.DiagnosticRelatedInformation(location=here, message=p.message),
                                             *related]))
        return out

    def diagnostic(self, where: types.Range, message: str, code, related) -> types.Diagnostic:
        return types.Diagnostic(range=where, message=message, severity=types.DiagnosticSeverity.Error,
                                source="milkrun", code=code, related_information=related or None)

    @staticmethod
    def anchor(a: Analysis, p: Problem) -> Span:
        """Where an error in another file shows on the document: the include that brings that module in."""
        stem = Path(p.span.file).stem
        if p.span.file.endswith(".mcp"):
            for inc in a.includes:
                if Path(inc.path).stem == stem:
                    return inc.span
        first = a.lines(a.file)[1]
        return Span(a.file, 1, 1, 1, max(len(first), 1) + 1)

    def location(self, span: Span) -> types.Location:
        lines = self._lines_of(span.file)
        return types.Location(uri=self.uri_of(span.file), range=self.range(lines, span))

    def _lines_of(self, file: str) -> Lines:
        for a in self.analyses.values():
            if a.file == file:
                return a.lines(file)
        return Lines(None, file)

    @staticmethod
    def uri_of(file: str) -> str:
        return from_fs_path(str(Path(file).absolute())) or file

    # ------------------------------------------------------------------ what stands at a position
    def word(self, uri: str, position: types.Position) -> tuple[str, int, int] | None:
        doc = self.workspace.get_text_document(uri)
        lines = analysis.normalised(doc.source).split("\n")
        if position.line >= len(lines):
            return None
        line = lines[position.line]
        return analysis.word_at(line, self.index(line, position.character))

    def include_at(self, uri: str, position: types.Position, a: Analysis):
        doc = self.workspace.get_text_document(uri)
        lines = analysis.normalised(doc.source).split("\n")
        line = lines[position.line] if position.line < len(lines) else ""
        return analysis.include_at(a, position.line + 1, self.index(line, position.character) + 1)

    def log_exception(self, doing: str, e: Exception) -> None:
        text = f"internal error in milkrun while {doing}: {type(e).__name__}: {e}\n{traceback.format_exc()}"
        log.error(text)
        try:
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Error, message=text))
        except Exception:  # the client is gone: nothing more to tell it
            pass


def _safe(default=None):
    """A request handler that answers `default` instead of failing, and logs why."""

    def wrap(f):
        @wraps(f)
        def run(ls: MilkrunServer, params):
            try:
                return f(ls, params)
            except Exception as e:
                ls.log_exception(f"answering {f.__name__}", e)
                return default

        return run

    return wrap


def make_server() -> MilkrunServer:
    server = MilkrunServer()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: MilkrunServer, params: types.DidOpenTextDocumentParams):
        ls.refresh(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: MilkrunServer, params: types.DidChangeTextDocumentParams):
        uri = params.text_document.uri
        ls.generation[uri] = mine = ls.generation.get(uri, 0) + 1
        await asyncio.sleep(DEBOUNCE)
        if ls.generation.get(uri) == mine and uri in ls.workspace.text_documents:  # no newer change, still open
            ls.refresh(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: MilkrunServer, params: types.DidSaveTextDocumentParams):
        ls.refresh(params.text_document.uri)  # the data folder may have changed too

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files_changed(ls: MilkrunServer, params: types.DidChangeWatchedFilesParams):
        for uri in [u for u in ls.analyses if u in ls.workspace.text_documents]:  # a table or module changed
            ls.refresh(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: MilkrunServer, params: types.DidCloseTextDocumentParams):
        ls.forget(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @_safe()
    def hover(ls: MilkrunServer, params: types.HoverParams):
        uri = params.text_document.uri
        a = ls.analysis(uri)
        inc = ls.include_at(uri, params.position, a)
        if inc is not None:
            target = analysis.included_file(a, inc)
            text = f"include `{inc.path}`: {target}" if target else f"include `{inc.path}`: not found"
            return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))
        found = ls.word(uri, params.position)
        if found is None:
            return None
        name, start, end = found
        if name in a.declarations:
            text = a.declarations[name].hover(a.file)
        elif name in analysis.FUNCTIONS:
            text = analysis.function_hover(name)
        else:
            return None
        where = types.Range(start=types.Position(line=params.position.line,
                                                 character=ls.codec.client_num_units(_line(ls, uri, params)[:start])),
                            end=types.Position(line=params.position.line,
                                               character=ls.codec.client_num_units(_line(ls, uri, params)[:end])))
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text), range=where)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @_safe()
    def definition(ls: MilkrunServer, params: types.DefinitionParams):
        uri = params.text_document.uri
        a = ls.analysis(uri)
        inc = ls.include_at(uri, params.position, a)
        if inc is not None:
            target = analysis.included_file(a, inc)
            if target is None:
                return None
            zero = types.Position(line=0, character=0)
            return types.Location(uri=ls.uri_of(str(target)), range=types.Range(start=zero, end=zero))
        found = ls.word(uri, params.position)
        if found is None or found[0] not in a.declarations:
            return None
        return ls.location(a.declarations[found[0]].name_span)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION)
    @_safe()
    def completion(ls: MilkrunServer, params: types.CompletionParams):
        a = ls.analysis(params.text_document.uri)
        items = [types.CompletionItem(label=d.name, kind=COMPLETION_KINDS[d.kind], detail=d.signature,
                                      documentation=d.doc) for d in a.declarations.values()]
        items += [types.CompletionItem(label=k, kind=types.CompletionItemKind.Keyword) for k in analysis.keywords()]
        items += [types.CompletionItem(label=f, kind=types.CompletionItemKind.Function, detail="built-in")
                  for f in sorted(analysis.FUNCTIONS)]
        items += [types.CompletionItem(label=s, kind=types.CompletionItemKind.Class, detail="built-in set")
                  for s in analysis.builtin_sets()]
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @_safe(default=[])
    def document_symbol(ls: MilkrunServer, params: types.DocumentSymbolParams):
        a = ls.analysis(params.text_document.uri)
        lines = a.lines(a.file)
        out = []
        for d in a.outline:
            detail = (f"[{', '.join(d.sets)}]" if d.sets else "") + (f" {d.doc}" if d.doc else "")
            out.append(types.DocumentSymbol(name=d.name, kind=SYMBOL_KINDS[d.kind], range=ls.range(lines, d.span),
                                            selection_range=ls.range(lines, d.name_span),
                                            detail=detail.strip() or d.kind))
        return out

    return server


def _line(ls: MilkrunServer, uri: str, params) -> str:
    lines = analysis.normalised(ls.workspace.get_text_document(uri).source).split("\n")
    return lines[params.position.line] if params.position.line < len(lines) else ""


def serve() -> None:
    """Speak LSP on stdin and stdout until the client says exit. Nothing else may write to stdout
    meanwhile: `print` goes to stderr."""
    sys.stdout.flush()
    stdin, stdout = sys.stdin.buffer, sys.stdout.detach()  # detached: the text layer cannot close it now
    sys.stdout = sys.stderr
    make_server().start_io(stdin, stdout)
