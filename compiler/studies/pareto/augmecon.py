"""The multi-objective pass: payoff table, AUGMECON2 ε-constraint front, weighted sums.

It works on the compiled model through a Session (compiler/solve/session.py): one row per
declared objective whose lower bound is the ε, and a cost vector changed per solve. The
user's declarations are never renamed or changed; objectives keep their names and signs.

AUGMECON2 (Mavrotas and Florios 2013), in maximise form g_k = ±f_k:
  max g_1 + eps·Σ_{k≥2} 10^-(k-2)·s_k/r_k   subject to  g_k − s_k = e_k, s_k ≥ 0  (k ≥ 2)
Here the slack is s_k = g_k(x) − e_k, so the model gets the rows g_k ≥ e_k and the
augmented cost, and s_k is read off the plan. The grid e_k runs from the payoff table's
worst value of g_k (nadir) to its best in `points` steps; the innermost loop is objective 2.
Which grid points are solved is grid.py's (AUGMECON-R's box and corner rules, which are
AUGMECON2's bypass and early exit when there are two objectives); where they are solved,
pool.py's (this session, or worker processes). A zero range (r_k = 0) gets one grid point
and range 1 in the augmentation, never a 0/0.
With two objectives the payoff table's worst values are the front's. With three or more the
front can reach below them (3kp40: z2 down to 1134, the table says 1246), so `nadir` lets
the user start the grid lower, as pyaugmecon's nadir_points do; the output says when the
payoff table's values were used.
"""
from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from milkrun.compiler.build.linopy_model import solution_dataset
from milkrun.compiler.solve.session import Outcome, Session
from milkrun.compiler.studies.pareto.grid import Grid
from milkrun.compiler.studies.pareto.pool import InProcess
from milkrun.dsl.diagnostics import MilkrunError, did_you_mean

AUGMENTATION = 1e-3  # eps of AUGMECON2 (the paper's and pyaugmecon's default)


@dataclass
class Front:
    """The result of a multi-objective run: the points kept, the payoff table, and counts."""

    method: str
    objectives: list[str]          # primary first
    senses: dict[str, str]
    payoff: np.ndarray             # row: objective optimised first (lexicographically); column: value
    points: list[dict] = field(default_factory=list)      # objective values (+ eps/weights) per point
    plans: list[np.ndarray] = field(default_factory=list)  # values by label per point
    statuses: list[str] = field(default_factory=list)
    solves: int = 0
    skipped_bypass: int = 0
    skipped_infeasible: int = 0
    dropped: int = 0               # dominated or duplicate points removed
    no_plan_in_time: int = 0       # grid points whose solve hit the time limit without a plan
    found_again: int = 0           # grid solves that returned objective values found before
    workers: int = 1               # processes that solved grid points
    seconds: float = 0.0
    normalised_by: dict[str, float] = field(default_factory=dict)  # weighted: ranges the weights divide
    nadir_from: dict[str, str] = field(default_factory=dict)  # augmecon2: where each grid starts

    def summary(self) -> dict:
        return {
            "method": self.method, "objectives": self.objectives, "senses": self.senses,
            "payoff": {row: dict(zip(self.objectives, map(float, self.payoff[i])))
                       for i, row in enumerate(self.objectives)},
            "front": [{k: (float(v) if isinstance(v, (int, float, np.floating)) else v) for k, v in p.items()}
                      for p in self.points],
            "points": len(self.points), "solves": self.solves, "skipped_by_bypass": self.skipped_bypass,
            "skipped_after_infeasible": self.skipped_infeasible, "found_again": self.found_again,
            "workers": self.workers, "dropped_dominated_or_duplicate": self.dropped,
            "not_proven_optimal": sum(s != "optimal" for s in self.statuses),
            "no_plan_within_time_limit": self.no_plan_in_time, "seconds": round(self.seconds, 3),
            **({"weights_normalised_by_range": self.normalised_by} if self.normalised_by else {}),
            **({"grid_starts_from": self.nadir_from} if self.nadir_from else {}),
        }

    def dataset(self, m) -> xr.Dataset:
        """Every objective and every decision variable along a `point` dimension."""

        n = len(self.points)
        plans = [solution_dataset(m, v) for v in self.plans]
        ds = xr.concat(plans, dim="point") if plans else xr.Dataset()
        ds = ds.assign_coords(point=np.arange(1, n + 1))
        for key in self.points[0] if self.points else []:
            ds[key] = ("point", np.array([p[key] for p in self.points], dtype=float))
        ds["status"] = ("point", np.array(self.statuses, dtype=object).astype(str))
        ds["payoff"] = xr.DataArray(self.payoff, dims=("optimised", "objective"),
                                    coords={"optimised": self.objectives, "objective": self.objectives})
        ds.attrs = {k: json.dumps(v) if isinstance(v, (dict, list)) else v
                    for k, v in self.summary().items() if k != "front"}
        return ds


def order_objectives(session: Session, primary: str | None) -> list[str]:
    names = session.names
    if len(names) < 2:
        raise MilkrunError(f"a Pareto front needs two or more objectives; the model declares "
                           f"{len(names)}{': ' + names[0] if names else ''}")
    if primary is None:
        return names
    if primary not in names:
        raise MilkrunError(f"--primary: no objective named '{primary}'",
                           hint=did_you_mean(primary, names) or f"the model's objectives: {', '.join(names)}")
    return [primary] + [k for k in names if k != primary]


def _g(session: Session, out: Outcome, k: str) -> float:
    return session.sign[k] * out.objectives[k]


def payoff_table(session: Session, order: list[str], progress=None) -> tuple[np.ndarray, list[Outcome]]:
    """Row i: optimise objective i, then the others in turn without losing what came before
    (lexicographic), so every row is a non-dominated plan. Values in the user's sign."""
    table = np.zeros((len(order), len(order)))
    outs = []
    for i, first in enumerate(order):
        bounds: dict[str, float] = {}
        out = None
        for k in [first] + [o for o in order if o != first]:
            out = session.solve({k: 1.0}, bounds)
            if progress:
                progress.advance_payoff()
            if out.values is None:
                what = {"infeasible": "the model is infeasible", "unbounded": f"objective '{k}' is unbounded"}
                raise MilkrunError(f"payoff table: {what.get(out.status, f'the solver failed ({out.status})')} "
                                   f"when optimising '{k}'" + (f" after '{first}'" if k != first else ""))
            g = _g(session, out, k)
            bounds[k] = g - 1e-6 * max(1.0, abs(g))  # keep what this objective reached
        table[i] = [out.objectives[k] for k in order]
        outs.append(out)
    return table, outs


def _ranges(session: Session, order: list[str], table: np.ndarray):
    """Best and worst of each g_k over the payoff table (maximise form)."""
    g = table * np.array([session.sign[k] for k in order])
    return g.max(axis=0), g.min(axis=0)


def augmecon2(session: Session, primary: str | None = None, points: int = 10, progress=None,
              nadir: dict[str, float] | None = None, pool=None) -> Front:
    """`nadir`: the worst value to start the grid from, per secondary objective, in the user's
    sign (default: the payoff table's worst). `pool`: where grid points are solved (pool.py;
    default this session, one at a time)."""
    t0 = time.perf_counter()
    order = order_objectives(session, primary)
    nadir = dict(nadir or {})
    for k in nadir:
        if k not in order[1:]:
            raise MilkrunError(f"--nadir: '{k}' is not a secondary objective",
                               hint=did_you_mean(k, order[1:]) or f"secondary objectives: {', '.join(order[1:])}")
    table, _ = payoff_table(session, order, progress)
    front = Front("augmecon2", order, {k: "max" if session.sign[k] > 0 else "min" for k in order}, table)
    best, worst = _ranges(session, order, table)
    for i, k in enumerate(order):
        if k in nadir:
            g = session.sign[k] * nadir[k]
            if g > best[i]:
                raise MilkrunError(f"--nadir {k}={nadir[k]:g} is better than the best value of '{k}' "
                                   f"({session.sign[k] * best[i]:g}): the grid would be empty")
            worst[i] = g
    front.nadir_from = {k: ("given" if k in nadir else "payoff table") for k in order[1:]}
    sec = order[1:]
    rng = best[1:] - worst[1:]
    tol = 1e-9 * np.maximum(1.0, np.maximum(np.abs(best[1:]), np.abs(worst[1:])))
    n = np.where(rng <= tol, 1, max(2, int(points)))
    grid = Grid(worst[1:], best[1:], n)
    weights = {order[0]: 1.0}
    for j, k in enumerate(sec):  # the slack term; a zero range divides by 1 instead
        weights[k] = AUGMENTATION * 10.0 ** (-j) / (rng[j] if rng[j] > tol[j] else 1.0)
    if progress:
        progress.start_grid(grid.total)
    _walk(session, front, grid, weights, pool or InProcess(session), progress)
    front.solves = session.solves + getattr(pool, "solves", 0)
    front.skipped_bypass, front.skipped_infeasible = grid.skipped_bypass, grid.skipped_infeasible
    front.workers = getattr(pool, "workers", 1)
    _filter(session, front)
    front.seconds = time.perf_counter() - t0
    return front


def _walk(session: Session, front: Front, grid: Grid, weights: dict, pool, progress) -> None:
    """Hand out the grid points that nothing settles yet, as long as the pool has room; record
    each answer in the grid (its box or corner) and the front. Every plan found is a start for
    the later points it meets: the best of them (by the solved objective) goes to the solver."""
    order = front.objectives
    sec = order[1:]
    tokens: dict[int, np.ndarray] = {}
    known_g: list[np.ndarray] = []      # every plan's objectives, maximise form
    known_f: list[float] = []           # and its value of the solved objective
    seen: set[tuple] = set()
    w = np.array([weights[k] for k in order])
    settled = 0
    with pool:
        while True:
            while pool.room():
                j = grid.next_point()
                if j is None:
                    break
                eps = grid.eps(j)
                token = grid.fly(j)
                tokens[token] = eps
                pool.submit(token, weights, dict(zip(sec, eps)), _start(front, known_g, known_f, eps))
            if not pool.busy():
                break
            token, out = pool.result()
            eps = tokens.pop(token)
            if out.values is None and out.status == "time_limit":
                front.no_plan_in_time += 1  # this point is lost, the others go on (said in the summary)
                grid.land(token, "time_limit")
            elif out.values is None:
                if out.status not in ("infeasible",):
                    raise MilkrunError(f"ε point {_eps_text(session, dict(zip(sec, eps)))}: "
                                       f"the solver ended with '{out.status}'")
                grid.land(token, "infeasible")
            else:
                g = np.array([_g(session, out, k) for k in order])
                grid.land(token, out.status, g[1:])
                key = tuple(np.round(g, 9))
                if key in seen:
                    front.found_again += 1
                seen.add(key)
                known_g.append(g)
                known_f.append(float(w @ g))
                rec = {k: out.objectives[k] for k in order}
                rec.update({f"epsilon_{k}": session.sign[k] * e for k, e in zip(sec, eps)})
                front.points.append(rec)
                front.plans.append(out.values)
                front.statuses.append(out.status)
            if progress:
                now = grid.settled_points()
                progress.advance_grid(now - settled, len(front.points))
                settled = now
        grid.next_point()  # nothing in flight: counts the lines left


def _start(front: Front, known_g: list, known_f: list, eps: np.ndarray) -> np.ndarray | None:
    """The known plan that meets every ε bound with the best solved objective, or None."""
    if not known_g:
        return None
    G = np.asarray(known_g)[:, 1:]
    meets = np.all(G >= eps - 1e-9 * np.maximum(1.0, np.abs(eps)), axis=1)
    if not meets.any():
        return None
    i = int(np.flatnonzero(meets)[np.argmax(np.asarray(known_f)[meets])])
    return front.plans[i]


def weighted(session: Session, primary: str | None = None, weights: list[float] | None = None,
             points: int = 10, progress=None) -> Front:
    """Maximise Σ w_k·g_k/r_k: each objective divided by its payoff-table range r_k (1 if zero),
    so weights compare objectives in units of their ranges. Given weights: one solve; none: a
    lattice of weight vectors with `points` steps per objective (all summing to 1)."""
    t0 = time.perf_counter()
    order = order_objectives(session, primary)
    table, _ = payoff_table(session, order, progress)
    front = Front("weighted", order, {k: "max" if session.sign[k] > 0 else "min" for k in order}, table)
    best, worst = _ranges(session, order, table)
    rng = {k: (best[i] - worst[i]) if best[i] - worst[i] > 1e-9 * max(1.0, abs(best[i])) else 1.0
           for i, k in enumerate(order)}
    front.normalised_by = {k: float(v) for k, v in rng.items()}
    if weights is not None:
        if len(weights) != len(order):
            raise MilkrunError(f"--weights: {len(weights)} value(s) for {len(order)} objectives "
                               f"({', '.join(order)})")
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise MilkrunError("--weights: weights must be >= 0 and not all 0")
        grid = [tuple(weights)]
    else:
        steps = max(2, int(points)) - 1
        grid = [tuple(c / steps for c in combo) for combo in itertools.product(range(steps + 1), repeat=len(order))
                if sum(combo) == steps]
    if progress:
        progress.start_grid(len(grid))
    for w in grid:
        total = sum(w)
        # a tiny share for every objective keeps a zero weight from picking a weakly dominated plan
        cost = {k: (wk / total + 1e-6) / rng[k] for k, wk in zip(order, w)}
        out = session.solve(cost, {})
        if out.values is None and out.status == "time_limit":
            front.no_plan_in_time += 1
        if out.values is not None:
            rec = {k: out.objectives[k] for k in order}
            rec.update({f"weight_{k}": wk / total for k, wk in zip(order, w)})
            front.points.append(rec)
            front.plans.append(out.values)
            front.statuses.append(out.status)
        if progress:
            progress.advance_grid(1, len(front.points))
    front.solves = session.solves
    _filter(session, front)
    front.seconds = time.perf_counter() - t0
    return front


def _filter(session: Session, front: Front) -> None:
    """Drop duplicate and dominated points (compared in maximise form, with a small tolerance)."""
    order = front.objectives
    if not front.points:
        return
    G = np.array([[session.sign[k] * p[k] for k in order] for p in front.points])
    scale = np.maximum(1.0, np.abs(G).max(axis=0))
    tol = 1e-6 * scale
    ge = np.all(G[None, :, :] >= G[:, None, :] - tol, axis=2)   # [i, j]: j at least as good as i
    gt = np.any(G[None, :, :] > G[:, None, :] + tol, axis=2)    # [i, j]: j better somewhere
    same = ge & np.all(G[None, :, :] <= G[:, None, :] + tol, axis=2)
    earlier = np.arange(len(G))[None, :] < np.arange(len(G))[:, None]
    dominated = (ge & gt).any(axis=1) | (same & earlier).any(axis=1)
    keep = list(np.flatnonzero(~dominated))
    front.dropped = len(G) - len(keep)
    # sort by the primary objective, best first, then by the others: the same order however
    # the points were found (workers finish in any order)
    keep.sort(key=lambda i: tuple(-G[i]))
    front.points = [front.points[i] for i in keep]
    front.plans = [front.plans[i] for i in keep]
    front.statuses = [front.statuses[i] for i in keep]


def _eps_text(session, eps):
    return ", ".join(f"{k} {'>=' if session.sign[k] > 0 else '<='} {session.sign[k] * v:g}" for k, v in eps.items())
