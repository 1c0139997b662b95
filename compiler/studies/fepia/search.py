"""The search along one ray from a configuration's origin: where does it first leave a tolerance?

Searches are generators: they yield the point they want evaluated next and are sent what was
found there. One configuration's search never waits on a solver itself, so the caller can gather
the points every configuration asks for, compile each distinct point once and solve them side by
side, in this process or on workers (fepia/held.py); `drive` runs one search with a plain function.

Every point of the ray costs a re-optimisation, so the search cannot look everywhere. It scans
given distances, then bisects the first failure down to the resolution. Between two scan points
that both hold, a feature could still leave its tolerance and come back. That cannot be ruled out
in general (the held model is re-optimised, and its integer decisions make features jump), but
it can be bounded: if a tolerance margin (how far a feature is inside its tolerance) changes by
at most L per unit of distance, a dip below zero between a and b needs

    margin(a) + margin(b) < L · (b − a).

L is not known in advance; the search takes the fastest change it has seen on this
configuration (between neighbouring points, over every ray so far), times a safety factor, and
splits every interval that could hide a crossing until it cannot or is narrower than the
resolution. The result says what this guarantees: any excursion of a feature changing no faster
than the bound, or wider than the resolution, is found; a narrower jump can still be missed.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

SLOPE_FACTOR = 2.0  # the bound assumed: twice the fastest change seen


@dataclass
class Probe:
    """One point of a ray: what fails there ([]: every tolerance holds and a plan exists), and how
    far inside its tolerance each feature is (NaN without a plan)."""

    broken: list[str]
    margins: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, found) -> Probe:
        """A Probe from a callback's answer: a Probe, or just the list of what fails (no margins known)."""
        return found if isinstance(found, Probe) else cls(list(found))


class Slopes:
    """The fastest change of each tolerance margin seen on one configuration, per unit of distance."""

    def __init__(self, factor: float = SLOPE_FACTOR):
        self.factor = factor
        self.seen: dict[str, float] = {}

    def learn(self, a: float, pa: Probe, b: float, pb: Probe) -> None:
        if b == a:
            return
        for name, ma in pa.margins.items():
            mb = pb.margins.get(name, math.nan)
            if math.isfinite(ma) and math.isfinite(mb):
                self.seen[name] = max(self.seen.get(name, 0.0), abs(mb - ma) / abs(b - a))

    def can_hide(self, a: float, pa: Probe, b: float, pb: Probe) -> bool:
        """Could a margin dip below zero between a and b (both holding) without changing faster than the bound?"""
        for name, ma in pa.margins.items():
            mb = pb.margins.get(name, math.nan)
            slope = self.factor * self.seen.get(name, 0.0)
            if math.isfinite(ma) and math.isfinite(mb) and slope > 0 and ma + mb < slope * (b - a):
                return True
        return False

    def bounds(self) -> dict[str, float]:
        """The bound assumed per tolerance: what the guarantee is stated in."""
        return {name: self.factor * s for name, s in self.seen.items()}


@dataclass
class RaySearch:
    """Along one ray: every tolerance holds up to `low`; something fails at `high` (None: nothing
    failed up to the end searched, `low`)."""

    low: float
    high: float | None
    broken: list[str] = field(default_factory=list)
    evaluations: int = 0
    hidden_checks: int = 0   # evaluations spent looking between holding points


def along(origin: Probe, scan: list[float], end: float, resolution: float, slopes: Slopes | None = None,
          within: float | None = None):
    """Search distances in (0, end] for the first failure: a generator that yields each distance it
    wants looked at and is sent the Probe there (see `drive`); it returns a RaySearch. `origin`: the
    probe at distance 0 (it holds). `scan`: the distances to look at first (those above `end` are
    ignored). `within`: only a failure nearer than this matters (another ray already failed there):
    the search stops at it. `slopes`: look for hidden crossings between holding points (None: scan
    and bisection only)."""
    limit = end if within is None else min(end, within)
    ts = sorted({t for t in scan if 0 < t <= limit} | ({limit} if limit > 0 else set()))
    out = RaySearch(0.0, None)
    points = [(0.0, origin)]           # holding points, by distance
    failure = None                     # (t, probe) of the first failure seen
    for t in ts:
        p = yield t
        out.evaluations += 1
        if p.broken:
            failure = (t, p)
            break
        if slopes is not None:
            slopes.learn(points[-1][0], points[-1][1], t, p)
        points.append((t, p))
    if slopes is not None:
        failure = yield from _hidden(points, failure, resolution, slopes, out)
    if failure is None:
        out.low = points[-1][0]
        return out
    ok, bad, broken = points[-1][0], failure[0], failure[1].broken
    while bad - ok > resolution:
        mid = (ok + bad) / 2
        p = yield mid
        out.evaluations += 1
        if p.broken:
            bad, broken = mid, p.broken
        else:
            ok = mid
    out.low, out.high, out.broken = ok, bad, broken
    return out


def _hidden(points: list, failure, resolution: float, slopes: Slopes, out: RaySearch):
    """Split the holding intervals, nearest first, where the slope bound says a crossing could
    hide; a failure found there becomes the first failure and `points` ends before it."""
    i = 0
    while i < len(points) - 1:
        (a, pa), (b, pb) = points[i], points[i + 1]
        if b - a > resolution and slopes.can_hide(a, pa, b, pb):
            mid = (a + b) / 2
            pm = yield mid
            out.evaluations += 1
            out.hidden_checks += 1
            if pm.broken:
                del points[i + 1:]
                return (mid, pm)
            slopes.learn(a, pa, mid, pm)
            slopes.learn(mid, pm, b, pb)
            points.insert(i + 1, (mid, pm))
            continue  # look at (a, mid) again before moving on
        i += 1
    return failure


def mapped(search, where: Callable):
    """The same search asking for `where(request)` instead of each request (a distance becomes a point)."""
    try:
        request = next(search)
        while True:
            probe = yield where(request)
            request = search.send(probe)
    except StopIteration as stop:
        return stop.value


def drive(search, check: Callable):
    """Run a search generator to its end, answering each request with `check(request)`."""
    try:
        request = next(search)
        while True:
            request = search.send(Probe.of(check(request)))
    except StopIteration as stop:
        return stop.value


def side_by_side(searches: dict, answer: Callable) -> dict:
    """Run many searches together: each round, `answer({key: request})` gives {key: Probe} for every
    search's pending request (so it can evaluate shared points once, and the rest in parallel).
    Returns {key: what each search returned}."""
    requests, results = {}, {}
    for key, search in searches.items():
        try:
            requests[key] = next(search)
        except StopIteration as stop:
            results[key] = stop.value
    while requests:
        probes = answer(requests)
        pending = {}
        for key in requests:
            try:
                pending[key] = searches[key].send(probes[key])
            except StopIteration as stop:
                results[key] = stop.value
        requests = pending
    return results
