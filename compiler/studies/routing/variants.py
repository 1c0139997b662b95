"""The seed's base case and its variants (more farms, more milk, a shorter day, more vehicles)
as data folders for models/routing.mcp: the 16 cases benchmarks/routing.py times.

The seed file in this repository stops after Table 4, so the variants of the paper's
sensitivity analysis are rebuilt here from what it varies, with fixed data (no random draw):

- more farms: farms 10 to 13 below (coordinates, milk and service in the paper's ranges),
  added one at a time (9 to 12 farms);
- more milk: farm 3 with 9,000 L of gamma (split over vehicles), every farm's milk times 1.25
  and 1.5, and farm 3 with 30,000 L of gamma (more than the fleet holds: infeasible);
- a shorter day: max_duration 450, 400 and 350 minutes, and 300 (farm 9's round trip alone
  takes 305.7 min: infeasible);
- more vehicles: a vehicle 5 of four 5,000 L compartments; a copy of vehicle 2; copies of
  vehicles 3 and 4.

Each case is a folder with every table, so any program (milkrun, the hand formulation in
benchmarks/routing_reference.py) reads the same data.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from milkrun.models import shipped

BASE = shipped("routing").with_suffix("")  # models/routing/: the seed's Tables 1 and 2

# node, x, y, service (min), alpha, beta, gamma (L)
MORE_FARMS = [
    (10, 612.4, 705.9, 20, 400, 0, 300),
    (11, 201.7, 538.6, 10, 0, 600, 0),
    (12, 803.1, 121.4, 15, 250, 250, 0),
    (13, 95.3, 846.2, 25, 0, 300, 700),
]


@dataclass(frozen=True)
class Variant:
    label: str
    group: str
    feasible: bool


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_csv(p, dtype=str) for p in sorted(folder.glob("*.csv"))}


def _write(tables: dict[str, pd.DataFrame], out: Path) -> Path:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name, frame in tables.items():
        frame.to_csv(out / f"{name}.csv", index=False)
    return out


def _add_farms(t, count):
    rows = MORE_FARMS[:count]
    nodes = pd.DataFrame([[str(n), str(x), str(y), str(s)] for n, x, y, s, *_ in rows], columns=t["Nodes"].columns)
    supply = pd.DataFrame([[str(n), *map(str, milk)] for n, _, _, _, *milk in rows], columns=t["supply"].columns)
    t["Nodes"] = pd.concat([t["Nodes"], nodes], ignore_index=True)
    t["supply"] = pd.concat([t["supply"], supply], ignore_index=True)


def _scale_milk(t, factor):
    s = t["supply"]
    for col in s.columns[1:]:
        s[col] = (s[col].astype(float) * factor).round().astype(int).astype(str)


def _set_supply(t, farm, kind, litres):
    s = t["supply"]
    s.loc[s["Farms"] == str(farm), kind] = str(litres)


def _set_day(t, minutes):
    t["scalars"]["max_duration"] = str(minutes)


def _add_vehicle(t, capacities):
    k = str(len(t["Vehicles"]) + 1)
    t["Vehicles"] = pd.concat([t["Vehicles"], pd.DataFrame({"Vehicles": [k]})], ignore_index=True)
    rows = pd.DataFrame([[k, str(l), str(c)] for l, c in enumerate(capacities, start=1)],
                        columns=t["Compartments"].columns)
    t["Compartments"] = pd.concat([t["Compartments"], rows], ignore_index=True)


def _copy_vehicle(t, k):
    comp = t["Compartments"]
    _add_vehicle(t, [int(c) for c in comp.loc[comp["Vehicles"] == str(k), "capacity"]])


CASES = [
    (Variant("base", "base", True), lambda t: None),
    *[(Variant(f"+{n} farm{'s' if n > 1 else ''} ({8 + n} farms)", "more farms", True),
       (lambda n: lambda t: _add_farms(t, n))(n)) for n in (1, 2, 3, 4)],
    (Variant("farm 3: 9000 L gamma", "more milk", True), lambda t: _set_supply(t, 3, "gamma", 9000)),
    (Variant("all milk x1.25", "more milk", True), lambda t: _scale_milk(t, 1.25)),
    (Variant("all milk x1.5", "more milk", True), lambda t: _scale_milk(t, 1.5)),
    (Variant("farm 3: 30000 L gamma", "more milk", False), lambda t: _set_supply(t, 3, "gamma", 30000)),
    *[(Variant(f"day {m} min", "shorter day", m > 300), (lambda m: lambda t: _set_day(t, m))(m))
      for m in (450, 400, 350, 300)],
    (Variant("vehicle 5: 4 x 5000 L", "more vehicles", True), lambda t: _add_vehicle(t, [5000] * 4)),
    (Variant("copy of vehicle 2", "more vehicles", True), lambda t: _copy_vehicle(t, 2)),
    (Variant("copies of vehicles 3, 4", "more vehicles", True), lambda t: (_copy_vehicle(t, 3), _copy_vehicle(t, 4))),
]


def write_variants(out: Path, only: list[str] | None = None) -> list[tuple[Variant, Path]]:
    """Every case (or those whose label contains one of `only`) written under `out`, one folder each."""
    found = []
    for i, (variant, change) in enumerate(CASES):
        if only and not any(o in variant.label for o in only):
            continue
        tables = _tables(BASE)
        change(tables)
        found.append((variant, _write(tables, Path(out) / f"case{i:02d}")))
    return found
