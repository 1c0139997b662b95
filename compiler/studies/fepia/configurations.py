"""Configurations: the design a plan builds, collected along Pareto fronts, and near-identical
ones grouped (step 3 of FePIA).

A configuration is the set of non-zero entries of the model's `design` variables (for a tank
model: which tank type stands at which site). Fronts of several scenarios repeat the same
configuration or one that differs only by where a tank stands; a decision maker treats those
as one. Two configurations are near-identical when they have the same entries except for the
site: entry for entry the same variable, the same other indices and the same value, with the
sites matched one to one within a distance (great-circle, on the model's latitude and
longitude parameters over the sites). The seed also treats as one two configurations that
differ only by one extra small tank ("another cluster with a lower capacity tank"): one has
every entry of the other (sites matched as above) and one more entry of a small type with value
1, or one such entry larger by 1 (small.py says which types are small). Grouping is against
each group's representative, not chained, so a group never drifts farther than the distance
and one small tank from the configuration it keeps: the most often seen one (ties: the first
seen). Each member keeps the reason it joined.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from scipy.optimize import linear_sum_assignment

from milkrun.compiler.model.evaluate import EARTH_RADIUS_KM
from milkrun.dsl.diagnostics import MilkrunError, Span, did_you_mean

Entry = tuple  # (variable, index labels, value)


@dataclass
class Configuration:
    """One design: its non-zero entries (the identity) and the whole arrays (what gets fixed)."""

    entries: tuple[Entry, ...]
    values: dict[str, xr.DataArray]
    seen: list[tuple[str, int]] = field(default_factory=list)  # (scenario, front point), in order
    order: int = 0                                               # rank of first appearance

    @property
    def count(self) -> int:
        return len(self.seen)

    def text(self, single: bool | None = None) -> str:
        """`Z[3,t4] Z[21,t1]`; with one design variable and values 1, its name is left out: `3·t4 21·t1`."""
        names = {e[0] for e in self.entries}
        single = len(self.values) == 1 if single is None else single
        parts = []
        for name, labels, value in self.entries:
            idx = ",".join(str(x) for x in labels)
            val = "" if value == 1 else f"={value:g}"
            parts.append(f"{idx.replace(',', '·')}{val}" if single and len(names) <= 1 else f"{name}[{idx}]{val}")
        return " ".join(parts) or "(nothing)"


@dataclass(frozen=True)
class Match:
    """Why a configuration joins a group: its sites lie elsewhere within the distance, and/or one of
    the two has one more small tank."""

    moved: bool = False
    extra: Entry | None = None     # the small-type entry one of the two has in addition
    kept_has_it: bool = False      # the kept configuration has it, not the member

    def text(self, label: str, metres: float, small) -> str:
        """'same sites within 250 m', 'A plus one small tank at e', 'A without its t1 tank at 17, ...'."""
        sites = f"same sites within {metres:g} m"
        if self.extra is None:
            return sites if self.moved else "the same design"
        name, labels, value = self.extra
        k = small.position[name]
        kind, place = labels[k], ",".join(str(x) for x in labels[:k] + labels[k + 1:])
        if self.kept_has_it:
            tank = (f"{label} with one {kind} tank fewer at {place}" if value > 1
                    else f"{label} without its {kind} tank at {place}")
        else:
            tank = f"{label} plus one {'more ' if value > 1 else ''}{kind} tank at {place}"
        return f"{tank}, the other sites within {metres:g} m" if self.moved else tank


@dataclass
class Group:
    label: str
    kept: Configuration
    members: list[Configuration]
    matches: dict[tuple, Match] = field(default_factory=dict)  # member entries -> why it joined (not the kept)
    reasons: dict[tuple, str] = field(default_factory=dict)   # the same as text, once the group is labelled

    def why(self, c: Configuration) -> str:
        return "kept" if c is self.kept else self.reasons.get(c.entries, "")

    @property
    def seen(self) -> list[tuple[str, int]]:
        return [s for c in self.members for s in c.seen]

    @property
    def scenarios(self) -> list[str]:
        out = []
        for s, _ in self.seen:
            if s not in out:
                out.append(s)
        return out


def design_of(plan: xr.Dataset, names: list[str], integral: dict[str, bool]) -> Configuration:
    """The configuration of one plan: every design variable, masked entries as 0, integral ones rounded."""
    values, entries = {}, []
    for name in names:
        da = plan[name]
        da = da.where(np.isfinite(da), 0.0).astype(float)
        da = da.round() if integral.get(name) else da.round(9)
        values[name] = da
        nz = np.argwhere(np.asarray(da.values) != 0)
        for pos in nz:
            labels = tuple(_plain(da.indexes[d][int(p)]) for d, p in zip(da.dims, pos))
            entries.append((name, labels, float(da.values[tuple(pos)])))
    return Configuration(tuple(sorted(entries, key=_order)), values)


def _order(entry: Entry):
    """Variable, then labels with numbers in numeric order (farm 2 before farm 10), then value."""
    name, labels, value = entry
    return name, [(0, x, "") if isinstance(x, (int, float)) else (1, 0, str(x)) for x in labels], value


def _plain(x):
    return x.item() if hasattr(x, "item") else x


def collect(fronts: dict[str, list[Configuration]]) -> list[Configuration]:
    """The distinct configurations over all fronts, in order of first appearance, each with where it was seen."""
    found: dict[tuple, Configuration] = {}
    for scenario, designs in fronts.items():
        for point, c in enumerate(designs, start=1):
            if c.entries not in found:
                c.order = len(found)
                found[c.entries] = c
            found[c.entries].seen.append((scenario, point))
    return list(found.values())


# --------------------------------------------------------------------------- where sites lie
@dataclass
class Sites:
    """The site dimension of each design variable (None: it has none) and the sites' coordinates."""

    dims: dict[str, str | None]
    lat: dict
    lon: dict
    coords: tuple[str, str]

    def distances(self, a: list, b: list) -> np.ndarray:
        """Great-circle distances in metres between every site of `a` and every site of `b`."""
        la1, lo1 = (np.radians([self.lat[s] for s in a])[:, None], np.radians([self.lon[s] for s in a])[:, None])
        la2, lo2 = (np.radians([self.lat[s] for s in b])[None, :], np.radians([self.lon[s] for s in b])[None, :])
        h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
        return 2 * EARTH_RADIUS_KM * 1000 * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def find_sites(ir, instance, names: list[str], coords: tuple[str, str] | None) -> tuple[Sites | None, str]:
    """Sites from latitude/longitude parameters indexed like a dimension of the design variables.
    `coords` given (--coords) must exist; by default `lat`/`lon` are used when the model has them.
    Returns (Sites or None, a sentence saying how configurations are matched)."""
    explicit = coords is not None
    lat_name, lon_name = coords or ("lat", "lon")
    params = [s.name for s in ir.of_kind("param")]
    for name in (lat_name, lon_name):
        if name not in params:
            if explicit:
                raise MilkrunError(f"--coords: the model has no parameter '{name}'", Span("--coords", 1, 1),
                                   hint=did_you_mean(name, params))
            return None, (f"the model has no '{lat_name}'/'{lon_name}' parameters, so only identical "
                          "configurations are grouped (name others with --coords LAT,LON)")
    la_sym, lo_sym = ir.symbols[lat_name], ir.symbols[lon_name]
    if len(la_sym.positions) != 1 or len(lo_sym.positions) != 1 or \
            la_sym.positions[0].set_label != lo_sym.positions[0].set_label:
        raise MilkrunError(f"--coords: '{lat_name}' and '{lon_name}' must both be indexed over one set (the sites)",
                           la_sym.span)
    site_set = la_sym.positions[0].set_label
    dims = {}
    for name in names:
        pos = [p for p in ir.symbols[name].positions if p.set_label == site_set and p.arity == 1]
        dims[name] = pos[0].dim if pos else None
    if not any(dims.values()):
        if explicit:
            raise MilkrunError(f"--coords: no design variable is indexed over {site_set}, the set of "
                               f"'{lat_name}' and '{lon_name}'", la_sym.span)
        return None, (f"no design variable is indexed over {site_set} (the set of '{lat_name}'/'{lon_name}'), "
                      "so only identical configurations are grouped")
    la, lo = instance.param(lat_name), instance.param(lon_name)
    sites = Sites(dims, dict(zip(map(_plain, la.indexes[la.dims[0]]), la.values.astype(float))),
                  dict(zip(map(_plain, lo.indexes[lo.dims[0]]), lo.values.astype(float))), (lat_name, lon_name))
    return sites, f"great-circle distances on {lat_name}/{lon_name}"


# --------------------------------------------------------------------------- grouping
def _kinds(c: Configuration, sites: Sites | None) -> dict[tuple, list]:
    """Entries keyed by everything but the site: {(variable, other labels, value): [sites]}."""
    out: dict[tuple, list] = {}
    for name, labels, value in c.entries:
        dim = sites.dims.get(name) if sites else None
        if dim is None:
            out.setdefault((name, labels, value), []).append(None)
            continue
        k = list(c.values[name].dims).index(dim)
        out.setdefault((name, labels[:k] + ("*",) + labels[k + 1:], value), []).append(labels[k])
    return out


def near(a: Configuration, b: Configuration, sites: Sites | None, metres: float) -> bool:
    """Same entries but for the sites, and the sites of each kind matched one to one within `metres`."""
    if a.entries == b.entries:
        return True
    if sites is None or metres <= 0:
        return False
    ka, kb = _kinds(a, sites), _kinds(b, sites)
    if ka.keys() != kb.keys() or any(len(ka[k]) != len(kb[k]) for k in ka):
        return False
    for k, sa in ka.items():
        sb = kb[k]
        if sa[0] is None:
            continue
        far = (sites.distances(sa, sb) > metres).astype(float)
        rows, cols = linear_sum_assignment(far)  # a perfect matching using no far pair exists iff the cost is 0
        if far[rows, cols].sum() > 0:
            return False
    return True


def _less(c: Configuration, entry: Entry) -> Configuration:
    """`c` without one tank of this entry: the entry gone (value 1) or 1 lower."""
    name, labels, value = entry
    rest = [e for e in c.entries if e != entry] + ([(name, labels, value - 1)] if value > 1 else [])
    return Configuration(tuple(sorted(rest, key=_order)), c.values)


def match(kept: Configuration, c: Configuration, sites: Sites | None, metres: float, small=None) -> Match | None:
    """Why `c` belongs with `kept`, or None: near (same entries, sites within `metres`), or, with
    `small` (small.SmallTypes), one of them is the other plus one small tank."""
    if near(kept, c, sites, metres):
        return Match(moved=kept.entries != c.entries)
    if small is None:
        return None
    for big, little, kept_has_it in ((c, kept, False), (kept, c, True)):
        for e in big.entries:
            if small.holds(e) and e[2] >= 1 and float(e[2]).is_integer():
                rest = _less(big, e)
                if near(little, rest, sites, metres):
                    return Match(rest.entries != little.entries, e, kept_has_it)
    return None


def group(configs: list[Configuration], sites: Sites | None, metres: float, small=None) -> list[Group]:
    """Most often seen first (ties: first seen), each joins the first group whose kept configuration
    matches it (`match`), or starts one. Groups are labelled A, B, C, ... in order of first appearance."""
    groups: list[Group] = []
    for c in sorted(configs, key=lambda c: (-c.count, c.order)):
        for g in groups:
            why = match(g.kept, c, sites, metres, small)
            if why is not None:
                g.members.append(c)
                g.matches[c.entries] = why
                break
        else:
            groups.append(Group("", c, [c]))
    groups.sort(key=lambda g: min(c.order for c in g.members))
    for i, g in enumerate(groups):
        g.label = label(i)
        g.members.sort(key=lambda c: c.order)
        g.reasons = {k: m.text(g.label, metres, small) for k, m in g.matches.items()}
    return groups


def label(i: int) -> str:
    """A, B, ..., Z, AA, AB, ...: the paper's names for configurations."""
    letters = string.ascii_uppercase
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = letters[r] + out
    return out
