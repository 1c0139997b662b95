"""Lark's contextual lexer, made cheaper to start: what a process pays the first time it parses.

Lark's contextual lexer gives each parser state a small lexer that knows only the tokens the
state accepts: one regular expression, the union of those terminals, compiled per set of
acceptable tokens. A model meets some thirty such sets, and compiling their unions was most of
a first parse (7 ms of 11, in every process; benchmarks/compile_overhead.py counts it). Two
savings, each giving Lark's own tokens:

* `LazyContextualLexer` makes a state's lexer when the parser first reaches the state, not all
  of them up front.
* `SharedScannerLexer`, the lexer of one state, first tries one scanner shared by every state:
  the union of all the grammar's terminals, in the order Lark sorts them (priority, then width).
  A union matches with its first alternative that matches. So when the shared scanner's match
  is a terminal of the state's own union, the state's union would have found the same one, with
  the same text: every alternative before it in the state's union is also before it in the
  shared one, and did not match. Only otherwise (a keyword where this state takes no names,
  say) is the state's own union compiled and asked, as Lark asks it. The keyword callbacks
  Lark attaches to a name-like terminal (a NAME that reads `where` is the keyword WHERE when the
  state takes it) are worked out without compiling their unions either: those keywords are
  plain strings, so a dictionary from text to keyword says what Lark's full match says.

These lean on Lark's internals, so dsl/lalr.py uses them only with the Lark version that
generated its tables; tests/test_parser_tables.py compares every token of every model, and
broken texts, with those of a parser built from the grammar by Lark alone.
"""
from __future__ import annotations

from copy import copy

from lark.lexer import BasicLexer, ContextualLexer, PatternRE, PatternStr, Scanner, UnlessCallback


class SharedScanner:
    """The union of all of a grammar's terminals, compiled on first use, and which name-like
    terminal fully matches which keyword (compiled once per terminal, not once per state)."""

    def __init__(self, terminals, conf) -> None:
        self._terminals = sorted(terminals, key=_lark_order)
        self._conf = conf
        self._scanner: Scanner | None = None
        self._matches: dict = {}

    def match(self, text, pos):
        if self._scanner is None:
            self._scanner = Scanner(self._terminals, self._conf.g_regex_flags, self._conf.re_module,
                                    self._conf.use_bytes)
        return self._scanner.match(text, pos)

    def fully_matches(self, regex_terminal, string_terminal) -> bool:
        """Lark's test for a keyword to be folded into a name-like terminal (lexer._create_unless)."""
        key = (regex_terminal.name, string_terminal.name)
        found = self._matches.get(key)
        if found is None:
            s = string_terminal.pattern.value
            m = self._conf.re_module.match(regex_terminal.pattern.to_regexp(), s, self._conf.g_regex_flags)
            found = self._matches[key] = m is not None and m.group(0) == s
        return found


class SharedScannerLexer(BasicLexer):
    """The lexer of a set of acceptable tokens: the shared scanner's match when it is one of this
    lexer's own alternatives, else this lexer's own union, compiled then (module docstring)."""

    def __init__(self, conf, shared: SharedScanner) -> None:
        super().__init__(conf, None)
        self.shared = shared
        self._direct, self.callback = self._plan()

    def _plan(self):
        """(the terminals in this lexer's union, the callbacks) as Lark's _build_scanner makes them,
        without compiling the union or the keyword unions."""
        strings = [t for t in self.terminals if isinstance(t.pattern, PatternStr)]
        folded, callback = set(), {}
        for regex in (t for t in self.terminals if isinstance(t.pattern, PatternRE)):
            unless = [s for s in strings if s.priority == regex.priority and self.shared.fully_matches(regex, s)]
            folded.update(s for s in unless if s.pattern.flags <= regex.pattern.flags)
            if unless:
                plain = self.g_regex_flags == 0 and not any(s.pattern.flags for s in unless)
                callback[regex.name] = (_KeywordByText(unless) if plain else
                                        UnlessCallback(Scanner(unless, self.g_regex_flags, self.re, self.use_bytes)))
        if any(type_ in callback for type_ in self.user_callbacks):  # chained callbacks: Lark's own way
            self.scanner  # noqa: B018  (builds the union and the callbacks as Lark does)
            return frozenset(), self.callback
        callback.update(self.user_callbacks)
        return frozenset(t.name for t in self.terminals if t not in folded), callback

    def match(self, text, pos):
        found = self.shared.match(text, pos)
        if found is not None and found[1] in self._direct:
            return found
        return self.scanner.match(text, pos)


class _KeywordByText:
    """Lark's UnlessCallback for keywords without flags: a token whose whole text is a keyword
    becomes that keyword (the first of them, in Lark's order, should two read the same)."""

    def __init__(self, keywords) -> None:
        self._by_text: dict[str, str] = {}
        for k in keywords:
            self._by_text.setdefault(k.pattern.value, k.name)

    def __call__(self, t):
        name = self._by_text.get(t.value)
        if name is not None:
            t.type = name
        return t


class LazyContextualLexer(ContextualLexer):
    """Lark's contextual lexer, making the small lexer of a parser state when the parser first reaches
    that state, not all of them up front: a model meets only a part of the grammar's sets of
    acceptable tokens. One lexer per set of acceptable tokens, shared by the states that accept the
    same set, as Lark makes them; each a SharedScannerLexer over one scanner of the whole grammar."""

    def __init__(self, conf, states, always_accept=()) -> None:
        self._conf = copy(conf)
        self._conf.terminals = list(conf.terminals)
        self._accepts = {state: frozenset(accepts) for state, accepts in states.items()}
        self._extra = set(conf.ignore) | set(always_accept)
        self._by_tokens: dict = {}
        self._shared = SharedScanner(self._conf.terminals, self._conf)
        self.lexers = _LexersByState(self._lexer_of)
        root_conf = copy(self._conf)
        root_conf.skip_validation = True
        self.root_lexer = BasicLexer(root_conf, None)  # Lark's, for its messages about unexpected text

    def _lexer_of(self, state: int):
        key = self._accepts[state]
        lexer = self._by_tokens.get(key)
        if lexer is None:
            conf = copy(self._conf)
            by_name = self._conf.terminals_by_name
            conf.terminals = [by_name[n] for n in key | self._extra if n in by_name]
            lexer = self._by_tokens[key] = SharedScannerLexer(conf, self._shared)
        return lexer


class _LexersByState(dict):
    """state -> lexer, each made on first use."""

    def __init__(self, make) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, state: int):
        lexer = self[state] = self._make(state)
        return lexer


def _lark_order(t):
    """The order BasicLexer sorts its terminals in, and so the order of the alternatives of its union."""
    return (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name)
