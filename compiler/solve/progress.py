"""Progress of a running solve on stderr: incumbent, bound, gap, nodes, rounds of cuts.

On a terminal it is a live line (rich); otherwise (CI, a pipe, a log file) a plain line
every few seconds, so a long run is never silent. Solver callbacks feed it. rich (about 20 ms to
import) is loaded only when stderr may be a terminal: a run piped or under `--json` in a script
does without it.
"""
from __future__ import annotations

import os
import sys
import time

PLAIN_EVERY = 5.0  # seconds between plain lines when stderr is not a terminal


def stderr_console(console=None):
    """The rich console to draw on, or None where rich would not find a terminal: stderr is not a
    tty and none of the variables that make rich treat it as one (TTY_COMPATIBLE, FORCE_COLOR) is set."""
    if console is not None:
        return console
    if not (_isatty(sys.stderr) or "TTY_COMPATIBLE" in os.environ or "FORCE_COLOR" in os.environ):
        return None
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _on_terminal(console) -> bool:
    return console is not None and console.is_terminal


class SolveProgress:
    def __init__(self, solver: str, enabled: bool = True, console=None):
        self.solver = solver
        self.enabled = enabled
        self.console = stderr_console(console) if enabled else console
        self.fields: dict[str, object] = {}
        self.t0 = time.perf_counter()
        self._live = None
        self._last_plain = 0.0

    def __enter__(self) -> "SolveProgress":
        self.t0 = time.perf_counter()
        if self.enabled and _on_terminal(self.console):
            from rich.live import Live

            self._live = Live(self._render(), console=self.console, refresh_per_second=4, transient=True)
            self._live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)
            self._live = None

    def update(self, **fields) -> None:
        self.fields.update({k: v for k, v in fields.items() if v is not None})
        if not self.enabled:
            return
        if self._live is not None:
            self._live.update(self._render())
            return
        now = time.perf_counter()
        if now - self._last_plain >= PLAIN_EVERY and now - self.t0 >= PLAIN_EVERY:
            self._last_plain = now
            sys.stderr.write(self._line() + "\n")
            sys.stderr.flush()

    def _render(self):
        from rich.text import Text

        return Text(self._line())

    def _line(self) -> str:
        f = self.fields
        parts = [f"{self.solver} {time.perf_counter() - self.t0:6.1f} s"]
        if f.get("incumbent") is not None:
            parts.append(f"best plan {f['incumbent']:,.6g}")
        else:
            parts.append("no plan yet")
        if f.get("bound") is not None:
            parts.append(f"bound {f['bound']:,.6g}")
        if f.get("gap") is not None and f.get("incumbent") is not None:
            parts.append(f"gap {100 * f['gap']:.2f} %")
        if f.get("nodes") is not None:
            parts.append(f"{f['nodes']:,} nodes")
        if f.get("round") is not None:
            parts.append(f"round {f['round']}, {f.get('cuts', 0)} cuts")
        return " | ".join(parts)


def finite(v) -> float | None:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if abs(v) < 1e30 else None


class GridProgress:
    """Progress of a multi-objective run: payoff solves, then grid points done (solved or
    skipped) out of the grid, and points found. A rich bar on a terminal, plain lines otherwise."""

    def __init__(self, enabled: bool = True, console=None):
        self.enabled = enabled
        self.console = stderr_console(console) if enabled else console
        self.total = self.done = self.found = self.payoff = 0
        self.t0 = time.perf_counter()
        self._last_plain = 0.0
        self._bar = None
        self._task = None

    def __enter__(self) -> "GridProgress":
        if self.enabled and _on_terminal(self.console):
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=self.console, transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task("payoff table", total=None)
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
            self._bar = None

    def advance_payoff(self) -> None:
        self.payoff += 1
        self._show(f"payoff table: {self.payoff} solve(s)")

    def start_grid(self, total: int) -> None:
        self.total = total
        if self._bar is not None:
            self._bar.update(self._task, total=total, completed=0, description="grid points")

    def advance_grid(self, n: int, found: int) -> None:
        self.done += n
        self.found = found
        self._show(f"grid {self.done}/{self.total}, {found} point(s)")

    def _show(self, text: str) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done,
                             description=text.split(",")[0] if self.total else text)
            return
        now = time.perf_counter()
        if now - self._last_plain >= PLAIN_EVERY and now - self.t0 >= PLAIN_EVERY:
            self._last_plain = now
            sys.stderr.write(f"pareto {now - self.t0:6.1f} s | {text}\n")
            sys.stderr.flush()
