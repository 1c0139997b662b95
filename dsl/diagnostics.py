"""Located, plain-language errors.

Every mistake a user can make (syntax, names, index domains, data) is raised as a
`MilkrunError` carrying a `Span`; the command line renders it as
``file:line:column``, the source line with the offending text underlined, and a hint.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# Source texts by file name, so a span can be shown without re-reading files
# (inline data blocks and CSV files register here too).
_SOURCES: dict[str, str] = {}


def register_source(file: str, text: str) -> None:
    _SOURCES[file] = text


def forget_source(file: str) -> None:
    """Drop a registered text (data given as Python objects is registered only while it is read)."""
    _SOURCES.pop(file, None)


def source_line(file: str, line: int) -> str | None:
    text = _SOURCES.get(file)
    if text is None:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except OSError:
            return None
        _SOURCES[file] = text
    lines = text.splitlines()
    if 1 <= line <= len(lines):
        return lines[line - 1]
    return None


@dataclass(frozen=True)
class Span:
    """A region of a source file, 1-based lines and columns, end exclusive."""

    file: str
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass
class MilkrunError(Exception):
    """A user's mistake: always shown located, never as a traceback (exit 2)."""

    message: str
    span: Span | None = None
    hint: str | None = None
    notes: list[tuple[str, Span | None]] = field(default_factory=list)
    kind: str = "error"

    def __str__(self) -> str:  # plain form, used by tests and logs
        return render(self, color=False)


def render(err: MilkrunError, color: bool = False) -> str:
    """Render an error the way compilers do: location, source line, underline."""
    red, blue, bold, reset = ("\x1b[31m", "\x1b[34m", "\x1b[1m", "\x1b[0m") if color else ("",) * 4
    out = []
    loc = f"{err.span}: " if err.span else ""
    out.append(f"{bold}{loc}{red}{err.kind}:{reset}{bold} {err.message}{reset}")
    out.extend(_excerpt(err.span, blue, red, reset))
    for text, span in err.notes:
        out.append(f"{blue}note:{reset} {text}" + (f" ({span})" if span else ""))
        out.extend(_excerpt(span, blue, red, reset))
    if err.hint:
        out.append(f"{blue}hint:{reset} {err.hint}")
    return "\n".join(out)


EXCERPT_WIDTH = 160  # longer source lines are shown as this many characters around the error


def _excerpt(span: Span | None, blue: str, red: str, reset: str) -> list[str]:
    if span is None:
        return []
    text = source_line(span.file, span.line)
    if text is None:
        return []
    gutter = str(span.line)
    pad = " " * len(gutter)
    start = max(span.column - 1, 0)
    if span.end_line == span.line and span.end_column and span.end_column > span.column:
        width = span.end_column - span.column
    elif span.end_line and span.end_line > span.line:
        width = max(len(text.rstrip()) - start, 1)
    else:
        width = 1
    expanded = text.replace("\t", " ")
    if len(expanded) > EXCERPT_WIDTH:  # a generated line of megabytes: a window around the column
        left = max(0, min(start - EXCERPT_WIDTH // 3, len(expanded) - EXCERPT_WIDTH))
        right = left + EXCERPT_WIDTH
        width = max(1, min(width, right - start))
        expanded = ("…" if left else "") + expanded[left:right] + ("…" if right < len(expanded) else "")
        start = start - left + (1 if left else 0)
    return [
        f"{blue}{pad} |{reset}",
        f"{blue}{gutter} |{reset} {expanded}",
        f"{blue}{pad} |{reset} {' ' * start}{red}{'^' * width}{reset}",
    ]


def nearest(name: str, candidates) -> str | None:
    """The closest known name, for 'did you mean' hints."""
    import difflib

    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if not found:
        lowered = {c.lower(): c for c in candidates}
        if name.lower() in lowered:
            return lowered[name.lower()]
        return None
    return found[0]


def did_you_mean(name: str, candidates) -> str | None:
    best = nearest(name, candidates)
    return f"did you mean '{best}'?" if best else None


# ------------------------------------------------------------------ files that are not UTF-8
BOM = b"\xef\xbb\xbf"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class NotText:
    """Why a file's bytes are not UTF-8 text: where (a located span and its words), what they
    look like, and the encoding to convert from (None: not text at all). Each reader words its
    own message around it."""

    span: Span
    where: str  # "byte 0xe9 at line 3, column 6 (byte offset 22)" or "a NUL byte at line 1, column 2"
    looks: str
    iconv: str | None
    nul: bool


def utf8_text(data: bytes, file: str) -> str | NotText:
    """The text of a file (a byte-order mark dropped) or, when it is not UTF-8 text, why not;
    never decoded another way."""
    base = len(BOM) if data.startswith(BOM) else 0
    try:
        text = data[base:].decode("utf-8")
    except UnicodeDecodeError as e:
        span, where = not_utf8(data, file, e, base)
        looks, iconv = looks_like(data)
        return NotText(span, where, looks, iconv, nul=False)
    if "\0" not in text:
        return text
    offset = text.index("\0")
    line = len(_LINE_BREAK.findall(text, 0, offset)) + 1
    column = offset - max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset))
    register_source(file, text.replace("\0", "\ufffd"))
    return NotText(Span(file, line, column, line, column + 1), f"a NUL byte at line {line}, column {column}",
                   "it looks like UTF-16", "UTF-16", nul=True)


def not_utf8(data: bytes, file: str, error: UnicodeDecodeError, base: int = 0) -> tuple[Span, str]:
    """Where the first byte that is not UTF-8 stands in `data` (decoded from byte `base`, after a
    byte-order mark) and its words: "byte 0xe9 at line 3, column 6 (byte offset 22)". The text
    is registered with the bad bytes shown as U+FFFD; it is never read that way."""
    offset = base + error.start
    line_start = max(data.rfind(b"\n", 0, offset), data.rfind(b"\r", 0, offset)) + 1
    line = len(_LINE_BREAK.findall(data[base:line_start].decode("utf-8", errors="replace"))) + 1
    column = len(data[max(line_start, base):offset].decode("utf-8", errors="replace")) + 1
    register_source(file, data[base:].decode("utf-8", errors="replace").replace("\0", "\ufffd"))
    where = f"byte 0x{data[offset]:02x} at line {line}, column {column} (byte offset {offset})"
    return Span(file, line, column, line, column + 1), where


def looks_like(data: bytes) -> tuple[str, str | None]:
    """What a file that is not UTF-8 looks like, and its name for iconv (None: not text at all)."""
    if data.startswith(b"PK\x03\x04"):
        return "it is a zip file, most likely an Excel workbook saved under a .csv name", None
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "it looks like an old Excel .xls workbook saved under a .csv name", None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data.count(b"\0") > len(data) // 4:
        return "it looks like UTF-16", "UTF-16"
    if len(data.translate(None, bytes(range(0x80, 0xA0)))) < len(data):  # C1 bytes: Windows-1252
        try:
            data.decode("cp1252")
            return "it looks like Windows-1252", "WINDOWS-1252"
        except UnicodeDecodeError:
            return "it is in an 8-bit encoding other than Latin-1 or Windows-1252", "YOUR-ENCODING"
    return "it looks like Latin-1", "LATIN1"
