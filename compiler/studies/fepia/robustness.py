"""Tolerances and the robustness radius of Ali, Maciejewski and Siegel (2004), the origin of FePIA.

A feature (an objective or a kpi) must stay within its tolerance, `active_use>=70`. The
perturbation parameter π moves away from the value π0 a configuration was designed for; the
radius is the smallest |π − π0| at which some feature leaves its tolerance, or at which no plan
exists with the design held. Each evaluation is a re-optimisation, so there is no formula to
invert: the radius is found by a scan of the range, then bisection on the nearest crossing on
each side. The range is the perturbation space: a side with no crossing up to the end of the
range does not bound the radius, and with no crossing on either side the radius is only known
to be at least the farther end's distance. A feature that leaves and comes back between two
scan points is not seen; the scan step says how fine the search was.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from milkrun.compiler.studies.fepia.search import Probe, Slopes, along, drive, mapped
from milkrun.dsl.diagnostics import MilkrunError, Span, did_you_mean

_TOLERANCE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*(>=|<=)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Tolerance:
    feature: str
    op: str       # >= or <=
    bound: float

    @property
    def text(self) -> str:
        return f"{self.feature} {self.op} {self.bound:g}"

    def holds(self, value: float) -> bool:
        if value is None or math.isnan(value):
            return False
        return value >= self.bound if self.op == ">=" else value <= self.bound


def parse_tolerance(text: str, features: list[str]) -> Tolerance:
    """`NAME>=VALUE` or `NAME<=VALUE`, NAME an objective or a scalar kpi of the model."""
    where = Span("--tolerance", 1, 1)
    m = _TOLERANCE.match(text)
    if not m:
        raise MilkrunError(f"--tolerance expects NAME>=VALUE or NAME<=VALUE (a number), got '{text}'", where,
                           hint="for example --tolerance 'active_use>=70' --tolerance 'npv>=0' (quote it for the shell)")
    name, op, value = m.groups()
    if name not in features:
        raise MilkrunError(f"--tolerance {text.strip()}: '{name}' is not an objective or a scalar kpi of the model",
                           where, hint=did_you_mean(name, features) or f"these are: {', '.join(features)}")
    return Tolerance(name, op, float(value))


def violations(feature: Callable[[str], float], tolerances: list[Tolerance]) -> list[str]:
    """The tolerances a plan's features break, as text (`active_use 64.2 < 70`)."""
    out = []
    for t in tolerances:
        v = feature(t.feature)
        if not t.holds(v):
            out.append(f"{t.feature} {v:.6g} {'<' if t.op == '>=' else '>'} {t.bound:g}")
    return out


@dataclass
class Radius:
    """The radius around one origin: it holds up to `low`, fails at `high` (None: no crossing in range)."""

    origin: float
    low: float
    high: float | None
    binding: list[str] = field(default_factory=list)  # what fails at the crossing
    side: str = ""            # below | above | at the origin
    at: float | None = None   # the π where it fails
    evaluations: int = 0
    hidden_checks: int = 0    # evaluations spent between holding points (search.py)
    direction: dict[str, float] | None = None  # several parameters: the unit direction of the crossing (vector.py)
    relative: bool = False    # several parameters: distances are ‖δ‖₂ of changes relative to the nominal values

    @property
    def found(self) -> bool:
        return self.high is not None

    @property
    def value(self) -> float:
        """The midpoint of what is known; with no crossing, the distance covered (a lower bound)."""
        return self.low if self.high is None else (self.low + self.high) / 2

    @property
    def resolution(self) -> float | None:
        return None if self.high is None else self.high - self.low

    def text(self, unit: str = "") -> str:
        if self.relative:
            return self._percent()
        u = f" {unit}" if unit else ""
        if self.high is None:
            return f">= {self.low:.6g}{u} (no crossing in the range)"
        if self.high == 0:
            return f"0{u} (fails at the origin)"
        half = self.resolution / 2
        digits = max(0, -math.floor(math.log10(half))) if half > 0 else 6  # as many as the bracket supports
        return f"{self.value:.{digits}f} ± {half:.{digits}f}{u}"


    def _percent(self) -> str:
        if self.high is None:
            return f">= {100 * self.low:.4g} % (no crossing in the range)"
        if self.high == 0:
            return "0 % (fails at the origin)"
        half = 100 * self.resolution / 2
        digits = max(0, -math.floor(math.log10(half))) if half > 0 else 6
        return f"{100 * self.value:.{digits}f} % ± {half:.{digits}f} %"


def probe_of(feature: Callable[[str], float], tolerances: list[Tolerance], broken: list[str]) -> Probe:
    """What a held run says at one point: what fails, and how far inside its tolerance each feature is."""
    margins = {}
    for t in tolerances:
        v = feature(t.feature)
        margins[t.text] = math.nan if v is None or math.isnan(v) else (v - t.bound if t.op == ">=" else t.bound - v)
    return Probe(broken, margins)


def radius(fails: Callable[[float], list[str] | Probe], origin: float, grid: list[float], lo: float, hi: float,
           resolution: float, slopes: Slopes | None = None) -> Radius:
    """`fails(π)` lists what breaks at π ([]: all holds), or gives a Probe with the tolerance margins
    too. The search of `radius_search`, run with that function."""
    return drive(radius_search(origin, grid, lo, hi, resolution, slopes), fails)


def radius_search(origin: float, grid: list[float], lo: float, hi: float, resolution: float,
                  slopes: Slopes | None = None):
    """The radius around π0 = `origin` as a generator (search.py): it yields each π to evaluate and
    returns a Radius. `grid` is the scan (within [lo, hi]); each crossing is bisected until its
    bracket is at most `resolution` wide. With `slopes` (and margins), holding intervals that could
    hide a crossing are searched as well."""
    calls = 0
    at_origin = yield origin
    calls += 1
    if at_origin.broken:
        return Radius(origin, 0.0, 0.0, at_origin.broken, "at the origin", origin, calls)
    done = []  # sides with a crossing: (holding distance, failing distance, what fails, side, failing π)
    hidden = 0
    for side, sign, end in (("above", 1, hi - origin), ("below", -1, origin - lo)):
        scan = [abs(g - origin) for g in grid if lo <= g <= hi and (g - origin) * sign > 0]
        nearest = min((d[1] for d in done), default=None)  # a side cannot matter beyond a crossing found
        found = yield from mapped(along(at_origin, scan, max(end, 0.0), resolution, slopes, nearest),
                                  lambda t, sign=sign: origin + sign * t)
        calls += found.evaluations
        hidden += found.hidden_checks
        if found.high is not None:
            done.append((found.low, found.high, found.broken, side, origin + sign * found.high))
    if not done:
        return Radius(origin, max(hi - origin, origin - lo, 0.0), None, [], "", None, calls, hidden)
    # the radius is the nearer crossing: it lies above every side's holding end, at most at the nearest failure
    low = min(d[0] for d in done)
    _, high, broken, side, bad = min(done, key=lambda d: d[1])
    return Radius(origin, low, high, broken, side, bad, calls, hidden)
