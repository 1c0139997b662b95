"""Progress of a sweep on stderr: points done, running and failed, elapsed time and an ETA.

On a terminal a rich bar; otherwise (CI, a pipe, a log file) a plain line every 5 s, as the
solve and pareto progress do (compiler/solve/progress.py), so a long sweep is never silent.
The ETA is the mean time per finished point of this run times the points left, divided by the
points that run at once.
"""
from __future__ import annotations

import sys
import time

from rich.console import Console

from milkrun.compiler.solve.progress import PLAIN_EVERY


class SweepProgress:
    def __init__(self, total: int, already: int = 0, slots: int = 1, enabled: bool = True,
                 console: Console | None = None):
        self.total, self.slots, self.enabled = total, max(1, slots), enabled
        self.done = already          # finished before this run (--resume) count as done
        self.already = already
        self.failed = self.running = 0
        self.console = console or Console(stderr=True, highlight=False)
        self.t0 = time.perf_counter()
        self._last_plain = self.t0
        self._bar = self._task = None

    def __enter__(self) -> SweepProgress:
        self.t0 = self._last_plain = time.perf_counter()
        if self.enabled and self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[state]}"), TimeElapsedColumn(),
                                 TextColumn("ETA {task.fields[eta]}"), console=self.console, transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task("sweep", total=self.total, completed=self.done, state="", eta="…")
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
            self._bar = None

    def update(self, done: int | None = None, running: int | None = None, failed: int | None = None) -> None:
        if done is not None:
            self.done = done
        if running is not None:
            self.running = running
        if failed is not None:
            self.failed = failed
        self.tick()

    def eta(self) -> float | None:
        ran = self.done - self.already
        if ran <= 0:
            return None
        per_point = (time.perf_counter() - self.t0) / ran  # already divided by the parallelism
        return per_point * (self.total - self.done)

    def state(self) -> str:
        return f"{self.running} running, {self.failed} failed"

    def tick(self) -> None:
        if not self.enabled:
            return
        eta = self.eta()
        eta_text = "…" if eta is None else _duration(eta)
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, state=self.state(), eta=eta_text)
            return
        now = time.perf_counter()
        if now - self._last_plain >= PLAIN_EVERY:
            self._last_plain = now
            sys.stderr.write(f"sweep {now - self.t0:6.1f} s | {self.done}/{self.total} done, {self.state()} | "
                             f"ETA {eta_text}\n")
            sys.stderr.flush()


def _duration(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
