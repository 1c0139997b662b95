"""The weekly collection plan (models/farm_tanks.mcp) against an exhaustive search written here.

With the tank emptied at every collection, a farm's week is fixed by the days the tanker comes
(one of 2^7 patterns): the milk collected on a visit is everything milked since the visit
before, and the pattern is feasible when no visit has to take more than the farm's tank holds.
Without the tanker's daily capacity the farms are independent, so the optimum is the sum of each
farm's cheapest feasible pattern; with it, the search below tries the patterns of all farms
together, cheapest first, and stops a branch as soon as it cannot beat the best plan found. The
data is read from the CSV tables with the csv module, and the distance is computed here.
"""
from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np
import pytest

import milkrun

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "farm_tanks.mcp"
DATA = ROOT / "models" / "farm_tanks"


def table(name: str) -> list[dict[str, str]]:
    with (DATA / name).open() as fh:
        return list(csv.DictReader(fh))


def model_default(name: str) -> float:
    """The `default` of a scalar parameter, as the model file states it."""
    (value,) = re.findall(rf"^param {name}\b.*? default ([\d.]+)", MODEL.read_text(), re.M)
    return float(value)


XY = {row["Nodes"]: (float(row["x"]), float(row["y"])) for row in table("Nodes.csv")}
SCALARS = table("scalars.csv")[0]
DEPOT, SCALE = SCALARS["depot"], float(SCALARS["scale"])
DAYS = [row["Days"] for row in table("Days.csv")]
RUNS = [int(row["runs"]) for row in table("Days.csv")]
TANK = {row["Farms"]: float(row["tank_capacity"]) for row in table("tanks.csv")}
DAILY_SHARE = model_default("daily_share")
TANKER = model_default("tanker_capacity")
PRODUCED = {row["Farms"]: DAILY_SHARE * sum(float(v) for k, v in row.items() if k != "Farms")
            for row in table("supply.csv")}
ROUND_TRIP = {f: 2 * math.dist(XY[DEPOT], XY[f]) / SCALE for f in TANK}


def week(farm: str, days: frozenset[int]) -> list[float] | None:
    """Litres collected on each day when the tanker comes to `farm` on `days` (emptying the tank),
    or None if the tank overflows or the tanker would come on a day it does not run."""
    if not days or any(not RUNS[d] for d in days):
        return None  # with no visit at all the milk piles up week after week
    n = len(DAYS)
    collected = [0.0] * n
    stock = 0.0  # the tank is empty after the last visit of the week: start the day after it
    for k in range(1, n + 1):
        d = (max(days) + k) % n
        stock += PRODUCED[farm]  # the day's milking, before the tanker comes
        if stock > TANK[farm] + 1e-9:
            return None
        if d in days:
            collected[d], stock = stock, 0.0
    return collected


def patterns(farm: str) -> list[tuple[float, list[float]]]:
    """(km, litres per day) of every feasible weekly pattern of a farm, cheapest first."""
    found = []
    for bits in range(2 ** len(DAYS)):
        days = frozenset(d for d in range(len(DAYS)) if bits >> d & 1)
        collected = week(farm, days)
        if collected is not None:
            found.append((len(days) * ROUND_TRIP[farm], collected))
    return sorted(found, key=lambda p: p[0])


PATTERNS = {f: patterns(f) for f in TANK}


def cheapest(tanker: float) -> float:
    """The least weekly km over all farms' patterns together, each day's loads within `tanker`."""
    farms = sorted(TANK, key=lambda f: -PRODUCED[f])  # the big loads first: their conflicts show early
    least = [PATTERNS[f][0][0] for f in farms]
    rest = [sum(least[i:]) for i in range(len(farms) + 1)]  # a lower bound for the farms still to choose
    best = math.inf

    def search(i: int, loads: np.ndarray, km: float) -> None:
        nonlocal best
        if i == len(farms):
            best = km
            return
        for trip_km, collected in PATTERNS[farms[i]]:
            if km + trip_km + rest[i + 1] >= best - 1e-9:
                return  # the patterns are cheapest first: none after this one can do better
            new = loads + collected
            if new.max() <= tanker + 1e-9:
                search(i + 1, new, km + trip_km)

    search(0, np.zeros(len(DAYS)), 0.0)
    return best


def test_the_search_itself_on_hand_cases():
    # farm 3 gives 2,750 L a day into a 6,000 L tank: at most two days' milk between visits, and
    # with no tanker on Sunday, Saturday and Monday are both needed; four visits at the least
    assert week("3", frozenset({0, 2, 4, 5})) == [5500, 0, 5500, 0, 5500, 2750, 0]
    assert week("3", frozenset({0, 2, 4})) is None  # fri to mon is three days: 8,250 L
    assert week("3", frozenset({0, 2, 4, 6})) is None  # no tanker on Sunday
    assert week("5", frozenset()) is None
    assert week("5", frozenset({3})) == [0, 0, 0, 7 * 17.5, 0, 0, 0]
    assert [len(PATTERNS[f]) for f in sorted(TANK)] == [27, 8, 63, 63, 27, 43, 43, 27]
    fewest = {f: round(PATTERNS[f][0][0] / ROUND_TRIP[f]) for f in TANK}
    assert fewest == {"2": 3, "3": 4, "4": 1, "5": 1, "6": 3, "7": 2, "8": 2, "9": 3}


def test_the_shipped_optimum_is_the_sum_of_each_farms_cheapest_week():
    separable = sum(PATTERNS[f][0][0] for f in TANK)
    assert separable == pytest.approx(3756.458788, abs=1e-6)
    assert cheapest(TANKER) == pytest.approx(separable)  # the tanker's 15,000 L a day do not bind
    r = milkrun.solve_model(MODEL)
    assert r.status == "optimal" and r.solver == "highs"
    assert r.objective == pytest.approx(separable, rel=1e-9)
    visits = r.kpis["visits"].to_series()
    assert {str(f): round(v) for f, v in visits.items()} == {f: round(PATTERNS[f][0][0] / ROUND_TRIP[f]) for f in TANK}


@pytest.mark.parametrize("tanker", [9000, 8600])
def test_a_smaller_tanker_against_the_search_over_all_farms(tanker):
    expected = cheapest(tanker)
    assert expected > cheapest(TANKER) + 100  # it binds: farms need more visits than on their own
    r = milkrun.solve_model(MODEL, overrides=[f"tanker_capacity={tanker}"])
    assert r.status == "optimal"
    assert r.objective == pytest.approx(expected, rel=1e-9)


def test_the_stock_balance_holds_on_the_solution():
    r = milkrun.solve_model(MODEL)
    tank = r.solution["tank"].to_series()
    collected = r.solution["collected"].to_series().fillna(0.0)  # absent on Sunday: no tanker
    visit = r.solution["visit"].to_series().fillna(0.0)
    assert collected.xs("sun", level="d").eq(0).all()
    for f in TANK:
        for i, d in enumerate(DAYS):
            before = DAYS[i - 1]  # the day before, Sunday before Monday
            assert tank[(int(f), d)] == pytest.approx(tank[(int(f), before)] + PRODUCED[f] - collected[(int(f), d)],
                                                      abs=1e-6), (f, d)
            assert tank[(int(f), before)] + PRODUCED[f] <= TANK[f] + 1e-6, (f, d)
            if visit[(int(f), d)] > 0.5:
                assert tank[(int(f), d)] == pytest.approx(0, abs=1e-6), (f, d)  # emptied
            else:
                assert collected[(int(f), d)] == pytest.approx(0, abs=1e-6), (f, d)
        # the plan's own pattern is one the search finds feasible, with the same litres per day
        days = frozenset(i for i, d in enumerate(DAYS) if visit[(int(f), d)] > 0.5)
        assert week(f, days) == pytest.approx([collected[(int(f), d)] for d in DAYS], abs=1e-6), f
    loads = collected.groupby(level="d").sum()
    assert (loads <= TANKER + 1e-6).all()
