"""The robustness radius when several parameters are perturbed together (`--perturbation A
--perturbation B`).

Perturbations are measured relative to each parameter's nominal value (its value in the data
before any scenario): δ_p = (π_p − π0_p) / nominal_p, and their size in the Euclidean norm
‖δ‖₂: 10 % less yield and 10 % more price lie 14.1 % away. The radius is the least ‖δ‖ at which a
feature leaves its tolerance or no plan exists (Ali, Maciejewski and Siegel 2004 use the same
norm). There is no formula to invert, so it is searched along rays from the configuration's
origin: directions spread evenly (a circle for two parameters; for more, the ± axes and the
diagonals), each searched as search.along does (scan, hidden crossings, bisection); for two
parameters the angle around the nearest crossing is then halved three times. A ray ends where it
leaves the perturbation space, the box of the parameters' ranges.

What the answer guarantees: along each ray searched, the distance to the resolution; between
rays, nothing: a failure region narrower than the last angular step at the radius can be missed,
and the reported radius can exceed the true one by the factor 1 / cos(step / 2) at most when the
failure region is convex (a half-plane, as with features linear in the parameters).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from milkrun.compiler.studies.fepia.robustness import Radius
from milkrun.compiler.studies.fepia.search import Slopes, along, mapped

ANGLE_HALVINGS = 3   # for two parameters: the angle around the nearest crossing is halved this often


@dataclass
class Space:
    """The perturbation space: the parameters, their nominal values (the unit of δ) and ranges."""

    names: list[str]
    nominal: dict[str, float]
    lo: dict[str, float]
    hi: dict[str, float]

    def point(self, origin: dict[str, float], d: np.ndarray, t: float) -> dict[str, float]:
        """The parameters' values at distance t (relative, ‖δ‖₂) from `origin` along the unit direction d."""
        return {n: origin[n] + t * float(d[i]) * self.nominal[n] for i, n in enumerate(self.names)}

    def end(self, origin: dict[str, float], d: np.ndarray) -> float:
        """How far the ray goes before it leaves the box of the ranges."""
        ends = []
        for i, n in enumerate(self.names):
            step = float(d[i]) * self.nominal[n]
            if step > 0:
                ends.append((self.hi[n] - origin[n]) / step)
            elif step < 0:
                ends.append((self.lo[n] - origin[n]) / step)
        return max(0.0, min(ends)) if ends else 0.0

    def describe(self, d: np.ndarray, t: float) -> str:
        """`yield_per_cow -9.2 %, price +3.9 %`: the move of each parameter, relative to its nominal value."""
        moves = [100 * t * float(d[i]) for i in range(len(self.names))]
        return ", ".join(f"{n} {m if abs(m) > 1e-9 else 0.0:+.3g} %" for n, m in zip(self.names, moves))


def directions(n: int, count: int) -> np.ndarray:
    """Unit directions (rows): for two parameters `count` evenly spaced angles starting on the
    axes; for three or more, the ± axes and the 2^n diagonals (every parameter moved by the same
    share, in every combination of signs)."""
    if n == 1:
        return np.array([[1.0], [-1.0]])
    if n == 2:
        angles = 2 * math.pi * np.arange(count) / count
        return np.column_stack([np.cos(angles), np.sin(angles)])
    signs = np.array(list(itertools.product((1.0, -1.0), repeat=n))) / math.sqrt(n)
    return np.vstack([np.eye(n), -np.eye(n), signs])


def scan(space: Space, origin: dict[str, float], d: np.ndarray, steps: int) -> tuple[float, list[float]]:
    """The end of the ray and its scan distances: `steps` equal intervals up to the end."""
    end = space.end(origin, d)
    return end, [end * k / steps for k in range(1, steps + 1)] if end > 0 else []


def vector_radius(origin: dict[str, float], space: Space, count: int, steps: int, resolution: float,
                  slopes: Slopes | None = None):
    """The least ‖δ‖₂ from `origin` at which something fails, as a generator (search.py): it yields
    each point ({parameter: value}) to evaluate and returns a Radius; `resolution` in ‖δ‖ units."""
    calls = 0
    at_origin = yield dict(origin)
    calls += 1
    if at_origin.broken:
        return Radius(origin, 0.0, 0.0, at_origin.broken, "at the origin", origin, calls, relative=True)
    best = None  # (RaySearch, direction)
    hidden = 0
    farthest = 0.0

    def search(d: np.ndarray):
        nonlocal best, hidden, farthest, calls
        end, ts = scan(space, origin, d, steps)
        found = yield from mapped(along(at_origin, ts, end, resolution, slopes, None if best is None else best[0].high),
                                  lambda t: space.point(origin, d, t))
        calls += found.evaluations
        hidden += found.hidden_checks
        if found.high is None:
            farthest = max(farthest, found.low)
        elif best is None or found.high < best[0].high:
            best = (found, d)

    for d in directions(len(space.names), count):
        yield from search(d)
    if best is not None and len(space.names) == 2:
        step = 2 * math.pi / count
        for _ in range(ANGLE_HALVINGS):
            step /= 2
            centre = math.atan2(best[1][1], best[1][0])
            for angle in (centre - step, centre + step):
                yield from search(np.array([math.cos(angle), math.sin(angle)]))
    if best is None:
        return Radius(origin, farthest, None, [], "", None, calls, hidden, relative=True)
    found, d = best
    return Radius(origin, found.low, found.high, found.broken, space.describe(d, found.high),
                  space.point(origin, d, found.high), calls, hidden, direction=dict(zip(space.names, map(float, d))),
                  relative=True)
