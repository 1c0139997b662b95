"""The ε grid of AUGMECON2 and what is known about each of its points (AUGMECON-R's flag array).

Grid point j has an index j_k per secondary objective k (the innermost first) and
ε_k(j) = lo_k + j_k·step_k. At j the pass solves max F(x) = g_1 + Σ w_k·g_k subject to
g_k(x) ≥ ε_k(j): AUGMECON2's slack bonus Σ w_k·(g_k − ε_k) is F less a constant. Two facts
let one solve settle many grid points (Nikas, Fountoulakis, Forouli and Doukas 2020):

- a plan x optimal at i is optimal at every j with i ≤ j ≤ reach(g(x)), componentwise: the
  feasible set at j lies inside the one at i and still holds x. That box is recorded.
- when i is infeasible, so is every j ≥ i: that corner is recorded.

Boxes and corners are kept as lists, not as a flag per grid point, so a fine grid costs
memory in the number of solves only. The grid is walked line by line (a line: every index of
the innermost objective, the others fixed; lines in lexicographic order, the outermost
objective slowest), and a point is solved only when no box or corner settles it. With two
objectives this is AUGMECON2's bypass and early exit; with more, both reach across the outer
objectives too.

Points being solved elsewhere (parallel workers) shadow every point ≥ them, whose answer they
may settle; `next_point` never hands out a shadowed point. With one point in flight at most,
nothing is in flight while the next is chosen, and the walk is the sequential one.
"""
from __future__ import annotations

import numpy as np

INDEX_TOL = 1e-9  # a value within this share of a step below a grid value still reaches it


class Boxes:
    """Rows of lower and upper grid indices (an upper index of n-1 for a corner), grown in place."""

    def __init__(self, dims: int):
        self.lo = np.zeros((16, dims), dtype=np.int64)
        self.hi = np.zeros((16, dims), dtype=np.int64)
        self.size = 0

    def add(self, lo, hi) -> None:
        if self.size == len(self.lo):
            self.lo = np.concatenate([self.lo, np.zeros_like(self.lo)])
            self.hi = np.concatenate([self.hi, np.zeros_like(self.hi)])
        self.lo[self.size], self.hi[self.size] = lo, hi
        self.size += 1

    def on_line(self, outer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The inner intervals [lo, hi] of the boxes that the line with these outer indices crosses."""
        lo, hi = self.lo[: self.size], self.hi[: self.size]
        hit = np.all((lo[:, 1:] <= outer) & (outer <= hi[:, 1:]), axis=1)
        return lo[hit, 0], hi[hit, 0]


class Grid:
    """lo, hi: each secondary objective's first and last grid value (maximise form, innermost
    first); n: its number of grid values (1 for a zero range)."""

    def __init__(self, lo, hi, n):
        self.lo = np.asarray(lo, dtype=float)
        self.hi = np.asarray(hi, dtype=float)
        self.n = np.asarray(n, dtype=np.int64)
        self.step = np.where(self.n > 1, (self.hi - self.lo) / np.maximum(self.n - 1, 1), 0.0)
        self.dims = len(self.n)
        self.total = int(np.prod(self.n))
        self.lines = int(np.prod(self.n[1:]))  # 1 with two objectives
        self.solved = Boxes(self.dims)      # boxes settled by a solve, each point its own box at least
        self.infeasible = Boxes(self.dims)  # corners [i, n-1] proven infeasible
        self.flying: dict[int, np.ndarray] = {}
        self._next_token = 0
        self.line_done = np.zeros(self.lines, dtype=bool)  # every point of the line settled
        self.cursor = 0                     # the first line not settled
        self.dispatched: dict[int, list[int]] = {}  # line → inner indices handed out
        self.skipped_bypass = 0
        self.skipped_infeasible = 0

    # -- values -------------------------------------------------------------------------------
    def eps(self, j) -> np.ndarray:
        """ε at grid point j; the last index is exactly the best value (no rounding drift)."""
        j = np.asarray(j)
        return np.where((j == self.n - 1) & (self.n > 1), self.hi, self.lo + j * self.step)

    def reach(self, g) -> np.ndarray:
        """Per objective, the largest index whose ε the value g still meets."""
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.floor((np.asarray(g, dtype=float) - self.lo) / self.step + INDEX_TOL)
        k = np.where(self.step > 0, k, 0)
        return np.clip(k, -1, self.n - 1).astype(np.int64)

    def outer(self, line: int) -> np.ndarray:
        """The outer indices of a line (the second objective fastest, the last slowest)."""
        if self.dims == 1:
            return np.zeros(0, dtype=np.int64)
        return np.array(np.unravel_index(line, tuple(self.n[1:][::-1]))[::-1], dtype=np.int64)

    def line_of(self, j) -> int:
        if self.dims == 1:
            return 0
        return int(np.ravel_multi_index(tuple(np.asarray(j[1:])[::-1]), tuple(self.n[1:][::-1])))

    # -- what is known ------------------------------------------------------------------------
    def covered(self, line: int) -> tuple[np.ndarray, np.ndarray]:
        """Masks over the line's inner indices: settled by a box, settled by a corner."""
        o = self.outer(line)
        n0 = int(self.n[0])
        return _mask(*self.solved.on_line(o), n0), _mask(*self.infeasible.on_line(o), n0)

    def _shadowed(self, line: int) -> np.ndarray:
        o = self.outer(line)
        starts = [int(p[0]) for p in self.flying.values() if np.all(p[1:] <= o)]
        mask = np.zeros(int(self.n[0]), dtype=bool)
        if starts:
            mask[min(starts):] = True
        return mask

    def next_point(self) -> np.ndarray | None:
        """The first grid point in walking order that nothing settles or shadows; None when there
        is none now (all settled, or the rest waits for the points in flight). A line found
        settled is counted once and not looked at again."""
        for line in np.flatnonzero(~self.line_done[self.cursor:]) + self.cursor:
            box, corner = self.covered(line)
            if (box | corner).all():
                self._settle(int(line), box, corner)
                continue
            free = ~(box | corner) & ~self._shadowed(line)
            if free.any():
                return np.concatenate([[int(np.argmax(free))], self.outer(line)]).astype(np.int64)
        return None

    def _settle(self, line: int, box: np.ndarray, corner: np.ndarray) -> None:
        handed = np.zeros(len(box), dtype=bool)
        handed[self.dispatched.pop(line, [])] = True
        self.skipped_bypass += int((box & ~handed).sum())
        self.skipped_infeasible += int((corner & ~box & ~handed).sum())
        self.line_done[line] = True
        while self.cursor < self.lines and self.line_done[self.cursor]:
            self.cursor += 1

    def settled_points(self) -> int:
        """Grid points settled so far (for progress): whole lines, and the first open line's part."""
        done = int(self.line_done.sum()) * int(self.n[0])
        if self.cursor < self.lines:
            box, corner = self.covered(self.cursor)
            done += int((box | corner).sum())
        return done

    # -- changes ------------------------------------------------------------------------------
    def fly(self, j) -> int:
        """j is being solved: hand out a token for `land`."""
        token = self._next_token
        self._next_token += 1
        self.flying[token] = np.asarray(j, dtype=np.int64)
        self.dispatched.setdefault(self.line_of(j), []).append(int(j[0]))
        return token

    def land(self, token: int, outcome: str, g=None) -> None:
        """The answer at a point in flight: 'optimal' with the plan's values g (maximise form)
        settles its box; 'infeasible' its corner; anything else (a limit) the point alone."""
        j = self.flying.pop(token)
        if outcome == "optimal":
            self.solved.add(j, np.maximum(j, self.reach(g)))
        elif outcome == "infeasible":
            self.infeasible.add(j, self.n - 1)
        else:
            self.solved.add(j, j)


def _mask(lo: np.ndarray, hi: np.ndarray, n: int) -> np.ndarray:
    """Indices 0..n-1 inside any of the intervals [lo, hi]."""
    diff = np.zeros(n + 1, dtype=np.int64)
    np.add.at(diff, lo, 1)
    np.add.at(diff, hi + 1, -1)
    return np.cumsum(diff[:n]) > 0
