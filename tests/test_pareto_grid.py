"""AUGMECON2's grid with three objectives: AUGMECON-R's boxes and corners (compiler/studies/pareto/grid.py),
and grid points solved by worker processes (`--workers`).

- The walk of the grid on its own, with a numpy oracle in place of the solver: over a set of
  integer objective vectors, the answer at a grid point is the best of those meeting its ε
  bounds. The walk must return exactly the non-dominated vectors in the grid's box, solve each
  grid point at most once, and, with several points in flight answered in a random order, find the
  same front with the same number of solves (a point is handed out only when every point below it
  is settled, so the solved points are the same).
- A small three-objective knapsack solved by HiGHS, whose whole front the test enumerates; the
  box rule must skip whole lines of the grid (the bypass along the innermost objective alone
  costs at least one solve per line).
- `milkrun pareto --workers 2` gives the same front, payoff table and solve count as one worker.
"""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from milkrun.compiler.solve.session import Outcome
from milkrun.compiler.studies.pareto.augmecon import Front, _walk
from milkrun.compiler.studies.pareto.grid import Grid
from milkrun.compiler.studies.pareto.run import run_pareto

from test_pareto import make_instance, points_of


def non_dominated(G: np.ndarray) -> set[tuple[int, ...]]:
    ge = (G[None, :, :] >= G[:, None, :]).all(axis=2)
    gt = (G[None, :, :] > G[:, None, :]).any(axis=2)
    return {tuple(int(v) for v in row) for row in np.unique(G[~(ge & gt).any(axis=1)], axis=0)}


class Oracle:
    """A pool that answers grid points from a list of objective vectors (maximise form), `capacity`
    points in flight, answered in a random order; records where it was asked."""

    workers = 1

    def __init__(self, G: np.ndarray, names: list[str], capacity: int, seed: int = 0):
        self.G, self.names, self.capacity = G, names, capacity
        self.rng = np.random.default_rng(seed)
        self.pending: list = []
        self.asked: list[tuple] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def room(self) -> bool:
        return len(self.pending) < self.capacity

    def busy(self) -> bool:
        return bool(self.pending)

    def submit(self, token, weights, eps, start):
        self.pending.append((token, weights, eps))
        self.asked.append(tuple(eps[k] for k in self.names[1:]))

    def result(self):
        token, weights, eps = self.pending.pop(int(self.rng.integers(len(self.pending))))
        ok = np.all(self.G[:, 1:] >= np.array([eps[k] for k in self.names[1:]]) - 1e-9, axis=1)
        if not ok.any():
            return token, Outcome("infeasible", None, {}, 0.0)
        F = self.G @ np.array([weights[k] for k in self.names])
        best = int(np.flatnonzero(ok)[np.argmax(F[ok])])
        return token, Outcome("optimal", np.array([float(best)]), dict(zip(self.names, map(float, self.G[best]))), 0.0)


def walk(G: np.ndarray, lo, hi, capacity: int, seed: int = 0):
    names = [f"z{k}" for k in range(1, G.shape[1] + 1)]
    session = SimpleNamespace(sign={k: 1.0 for k in names})
    grid = Grid(lo, hi, [h - l + 1 for l, h in zip(lo, hi)])  # one grid value per integer: the exact front
    front = Front("augmecon2", names, {k: "max" for k in names}, np.zeros((len(names), len(names))))
    weights = {names[0]: 1.0, **{k: 1e-3 * 10.0 ** -j / (h - l) for j, (k, l, h) in enumerate(zip(names[1:], lo, hi))}}
    pool = Oracle(G, names, capacity, seed)
    _walk(session, front, grid, weights, pool, None)
    found = {tuple(int(p[k]) for k in names) for p in front.points}
    return found, pool.asked, grid, front


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_walk_finds_exactly_the_non_dominated_points_and_no_grid_point_twice(seed):
    rng = np.random.default_rng(seed)
    G = rng.integers(0, 40, size=(300, 3))
    lo, hi = G[:, 1:].min(axis=0), G[:, 1:].max(axis=0)
    found, asked, grid, front = walk(G, lo, hi, capacity=1)
    assert found == non_dominated(G)
    assert len(asked) == len(set(asked)), "a grid point was solved twice"
    assert asked == sorted(asked, key=lambda e: e[::-1]), "one worker walks the lines in order"
    assert len(asked) + grid.skipped_bypass + grid.skipped_infeasible == grid.total
    lines = int(hi[1] - lo[1] + 1)
    assert len(asked) < lines  # boxes reach across lines: the inner bypass alone needs one solve per line
    infeasible = sum(not np.any(np.all(G[:, 1:] >= np.array(e) - 1e-9, axis=1)) for e in asked)
    assert front.found_again == len(asked) - len(found) - infeasible  # each solve: new, again, or infeasible


@pytest.mark.parametrize("capacity, seed", [(2, 3), (4, 4), (7, 5)])
def test_points_in_flight_give_the_same_front_and_the_same_solves(capacity, seed):
    rng = np.random.default_rng(seed)
    G = rng.integers(0, 30, size=(200, 4))  # four objectives: boxes over three grid dimensions
    lo, hi = G[:, 1:].min(axis=0), G[:, 1:].max(axis=0)
    one, asked_one, _, _ = walk(G, lo, hi, capacity=1)
    many, asked_many, grid, _ = walk(G, lo, hi, capacity=capacity, seed=seed)
    assert one == many == non_dominated(G)
    assert sorted(asked_many) == sorted(asked_one)
    assert len(asked_many) + grid.skipped_bypass + grid.skipped_infeasible == grid.total


def test_a_grid_starting_above_the_worst_values_keeps_to_its_box():
    rng = np.random.default_rng(9)
    G = rng.integers(0, 40, size=(300, 3))
    lo = G[:, 1:].min(axis=0) + 10
    hi = G[:, 1:].max(axis=0)
    found, _, _, _ = walk(G, lo, hi, capacity=1)
    inside = G[np.all(G[:, 1:] >= lo, axis=1)]
    assert found == non_dominated(inside)


# ------------------------------------------------------------------ a knapsack solved by HiGHS
SENSES = [1, -1, 1]


def exact_grid(exact: set, senses) -> tuple[dict, int]:
    """--nadir at the front's worst values and one grid value per integer: the whole front."""
    g = np.array(sorted(exact)) * np.asarray(senses)
    worst, best = g.min(axis=0), g.max(axis=0)
    nadir = {f"z{k + 1}": float(senses[k] * worst[k]) for k in (1, 2)}
    return nadir, int((best - worst)[1:].max()) + 1


def test_three_objective_knapsack_gives_its_whole_front(tmp_path, monkeypatch):
    from milkrun.compiler.solve.session import Session

    model, data, exact = make_instance(tmp_path, 11, 10, SENSES)
    nadir, points = exact_grid(exact, SENSES)
    real, lines_solved = Session.solve, set()

    def solve(self, weights, bounds, start=None):
        if len(weights) > 1:  # a grid point (the payoff table optimises one objective at a time)
            lines_solved.add(bounds["z3"])
        return real(self, weights, bounds, start)

    monkeypatch.setattr(Session, "solve", solve)
    _, front = run_pareto(str(model), str(data), points=points, nadir=nadir)
    assert points_of(front, ["z1", "z2", "z3"]) == exact
    assert len(exact) >= 10, "an instance with a front worth the name"
    grid_solves = front.solves - 9
    assert grid_solves + front.skipped_bypass + front.skipped_infeasible == points ** 2
    # AUGMECON2's bypass along z2 alone solves at least once on each of the `points` values of z3
    # (15 of 28 here); the boxes skip whole lines
    assert len(lines_solved) < points, (len(lines_solved), points)
    assert front.found_again <= grid_solves - len(exact)


def test_two_workers_give_the_front_of_one(tmp_path, cli):
    model, data, exact = make_instance(tmp_path, 12, 9, SENSES)
    nadir, points = exact_grid(exact, SENSES)
    runs = {}
    for workers in ("1", "2"):
        code, out, err = cli("pareto", model, "--data", data, "--points", str(points), "--json", "--workers", workers,
                             *[a for k, v in nadir.items() for a in ("--nadir", f"{k}={v:g}")])
        assert code == 0, err
        runs[workers] = json.loads(out)
    one, two = runs["1"], runs["2"]
    assert two["workers"] == 2 and one["workers"] == 1
    assert {(p["z1"], p["z2"], p["z3"]) for p in two["front"]} == exact
    assert [(p["z1"], p["z2"], p["z3"]) for p in two["front"]] == [(p["z1"], p["z2"], p["z3"]) for p in one["front"]]
    assert two["payoff"] == one["payoff"]
    # a point is handed to a worker only when every grid point below it is settled: the same points are solved
    assert two["solves"] == one["solves"]
    assert two["skipped_by_bypass"] == one["skipped_by_bypass"]
