"""A first plan for models/routing.mcp at real sizes (50-300 farms), for `milkrun solve --start`.

At those sizes the MIP solvers spend minutes on the root relaxation before they find any
plan, so a time limit could end with nothing to report. This construction heuristic gives
them a feasible plan in well under a second; the solver then improves it and reports the
gap against its bound.

Sweep heuristic (Gillett and Miller 1974) adapted to compartments and split pickups:
farms are taken in order of their angle around the dairy; a vehicle (in the model's
order, so identical vehicles are used first-to-last as the symmetry breaking wants) takes
each next farm while some assignment of milk types to its compartments holds its load and
the route, built by cheapest insertion, stays within max_duration. A farm that fits only
in part is split: the vehicle takes the largest share that fits, the next vehicle the
rest. Each finished route is improved by 2-opt.

    milkrun first-plan DATA_DIR START_DIR [--set NAME=VALUE ...] [--improve SECONDS]
    milkrun solve models/routing.mcp --data DATA_DIR --start START_DIR --time-limit 300

(the command's arguments and entry: compiler/cli/first_plan.py; `--improve` hands the plan to
lns.py, which imports this module, not the other way round).

The plan satisfies every constraint of models/routing.mcp, its symmetry breaking included;
tests/test_routing.py checks that by fixing it in the model.
"""
from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from milkrun.models import shipped

MODEL = shipped("routing")  # models/routing.mcp
EPS = 1e-9


class NoPlan(Exception):
    """The heuristic ran out of vehicles: the case may still be feasible with splits it does not try."""


@dataclass
class Case:
    nodes: list            # node names, depot included
    depot: int             # position of the depot in nodes
    farms: list            # positions of farms in nodes
    types: list
    supply: np.ndarray     # (farm position in nodes, type) litres
    minutes: np.ndarray    # (node, node)
    dist: np.ndarray
    service: np.ndarray
    max_duration: float
    vehicles: list
    compartments: dict     # vehicle -> [(compartment, capacity)] in order
    angle: np.ndarray
    xy: np.ndarray = None  # (node, 2) coordinates
    scalars: dict = field(default_factory=dict)  # depot, scale, speed, max_duration as given


@dataclass
class Route:
    vehicle: object
    stops: list = field(default_factory=list)      # node positions, depot excluded
    share: dict = field(default_factory=dict)      # node position -> share of its milk
    load: np.ndarray = None                        # litres per type

    def duration(self, case: Case, stops=None) -> float:
        path = [case.depot] + list(self.stops if stops is None else stops) + [case.depot]
        travel = sum(case.minutes[a, b] for a, b in zip(path, path[1:]))
        return travel + case.service[case.depot] + sum(case.service[s] for s in path[1:-1])


def read_case(data_dir, overrides=None) -> Case:
    """The data as the compiler binds it (same checks, same defaults, same --set)."""
    from milkrun.compiler.pipeline import bind_data, load_model

    ir = load_model(MODEL)
    inst, _ = bind_data(ir, data_dir, overrides)
    dist = inst.param("dist")
    nodes = list(dist.coords["i"].values)
    depot = nodes.index(inst.param("depot"))
    supply_da = inst.param("supply")
    types = list(supply_da.coords["Types"].values)
    supply = np.zeros((len(nodes), len(types)))
    for f in supply_da.coords["Farms"].values:
        supply[nodes.index(f)] = supply_da.sel(Farms=f).values
    cap = inst.param("capacity").to_series().dropna()
    vehicles = list(inst.param("differs").coords["k"].values)
    compartments = {k: [(l, float(c)) for (kk, l), c in cap.items() if kk == k] for k in vehicles}
    x, y = inst.param("x").values, inst.param("y").values  # planar_network: every node has x, y
    angle = np.arctan2(y - y[depot], x - x[depot])
    scalars = {"depot": nodes[depot], **{k: float(inst.param(k)) for k in ("scale", "speed", "max_duration")}}
    return Case(nodes, depot, [p for p in range(len(nodes)) if p != depot], types, supply,
                inst.param("minutes").values, dist.values, inst.param("service").values,
                float(inst.param("max_duration")), vehicles, compartments, angle, np.column_stack([x, y]), scalars)


def _assignments(caps: list[float], n_types: int):
    """Every way to give each compartment a type or none: capacity per type, and the choice."""
    for choice in itertools.product(range(n_types + 1), repeat=len(caps)):  # n_types = unused
        per_type = np.zeros(n_types)
        for c, t in zip(caps, choice):
            if t < n_types:
                per_type[t] += c
        yield per_type, choice


@functools.lru_cache(maxsize=None)
def _capacity_table(caps: tuple, n_types: int) -> np.ndarray:
    """Capacity per type (rows: every assignment of types to compartments), for _best_share."""
    return np.array([per_type for per_type, _ in _assignments(list(caps), n_types)])


def _best_share(case: Case, caps: list[float], load: np.ndarray, milk: np.ndarray, want: float) -> float:
    """The largest share s <= want of a farm's milk that fits with `load` under some type assignment."""
    P = _capacity_table(tuple(caps), len(case.types))
    ok = np.all(load <= P + EPS, axis=1)
    if not ok.any():
        return 0.0
    need = milk > EPS
    if not need.any():
        return want
    room = ((P[ok][:, need] - load[need]) / milk[need]).min(axis=1)
    return float(min(want, room.max()))


def _insert(case: Case, route: Route, node: int) -> list | None:
    """The cheapest insertion of node into the route, or None if every position breaks max_duration."""
    best, best_cost = None, np.inf
    path = [case.depot] + route.stops + [case.depot]
    for pos in range(len(path) - 1):
        a, b = path[pos], path[pos + 1]
        cost = case.minutes[a, node] + case.minutes[node, b] - case.minutes[a, b]
        if cost < best_cost:
            best, best_cost = pos, cost
    stops = route.stops[:best] + [node] + route.stops[best:]
    return stops if route.duration(case, stops) <= case.max_duration + EPS else None


def _two_opt(case: Case, stops: list) -> list:
    """Reverse segments while that shortens the route (distance; service time does not change)."""
    path = [case.depot] + stops + [case.depot]
    d = case.dist
    improved = True
    while improved:
        improved = False
        for a in range(1, len(path) - 2):
            for b in range(a + 1, len(path) - 1):
                delta = (d[path[a - 1], path[b]] + d[path[a], path[b + 1]]
                         - d[path[a - 1], path[a]] - d[path[b], path[b + 1]])
                if delta < -1e-9:
                    path[a:b + 1] = path[a:b + 1][::-1]
                    improved = True
    return path[1:-1]


def best_plan(case: Case, tries: int | None = None) -> list[Route]:
    """Sweeps from `tries` start angles, both directions; the shortest plan that serves every farm.
    By default 24 sweeps up to 60 farms, fewer above (each sweep costs more)."""
    if tries is None:
        tries = 24 if len(case.farms) <= 60 else max(4, int(24 * 60 / len(case.farms)) // 2 * 2)
    best, best_km, why = None, np.inf, None
    for t in range(tries):
        shift = 2 * np.pi * (t // 2) / (tries // 2)
        key = np.mod(case.angle - case.angle.min() + shift, 2 * np.pi) * (1 if t % 2 == 0 else -1)
        try:
            routes = construct(case, sorted(case.farms, key=lambda p: key[p]))
        except NoPlan as e:
            why = e
            continue
        routes = improve(case, routes)
        km = total_km(case, routes)
        if km < best_km:
            best, best_km = routes, km
    if best is None:
        raise why
    return best


def improve(case: Case, routes: list[Route]) -> list[Route]:
    """Relocate moves: a farm served whole by one route moves to the route where inserting it
    costs least, when that shortens the plan and the other route has room and time for it.
    Repeated until no move helps; then 2-opt per route, and identical vehicles relabelled."""
    def km(stops):
        path = [case.depot] + stops + [case.depot]
        return sum(case.dist[a, b] for a, b in zip(path, path[1:]))

    moved = True
    while moved:
        moved = False
        for src in routes:
            for p in list(src.stops):
                if src.share.get(p, 0) < 1 - EPS:
                    continue  # split farms stay where the sweep put them
                rest = [q for q in src.stops if q != p]
                saving = km(src.stops) - km(rest)
                best = None
                for dst in routes:
                    if dst is src or p in dst.stops:
                        continue
                    caps = [c for _, c in case.compartments[dst.vehicle]]
                    if _best_share(case, caps, dst.load, case.supply[p], 1.0) < 1 - EPS:
                        continue
                    stops = _insert(case, dst, p)
                    if stops is None:
                        continue
                    gain = saving - (km(stops) - km(dst.stops))
                    if gain > 1e-6 and (best is None or gain > best[0]):
                        best = (gain, dst, stops)
                if best is None:
                    continue
                _, dst, stops = best
                dst.stops, dst.share[p], dst.load = stops, 1.0, dst.load + case.supply[p]
                src.stops = rest
                del src.share[p]
                src.load = src.load - case.supply[p]
                moved = True
    routes = [r for r in routes if r.stops]
    for r in routes:
        r.stops = _two_opt(case, r.stops)
    return _relabel(case, routes)


def _relabel(case: Case, routes: list[Route]) -> list[Route]:
    """Identical vehicles next to each other are used first-to-last (the model's symmetry
    breaking): within each run of identical vehicles, hand the routes to the first ones."""
    used = {r.vehicle: r for r in routes}
    runs, run = [], [case.vehicles[0]] if case.vehicles else []
    for a, b in zip(case.vehicles, case.vehicles[1:]):
        if case.compartments[a] == case.compartments[b] or \
                [c for _, c in case.compartments[a]] == [c for _, c in case.compartments[b]]:
            run.append(b)
        else:
            runs.append(run)
            run = [b]
    if run:
        runs.append(run)
    for run in runs:
        mine = [used[k] for k in run if k in used]
        for k, r in zip(run, mine):
            r.vehicle = k
    return sorted(routes, key=lambda r: case.vehicles.index(r.vehicle))


def total_km(case: Case, routes: list[Route]) -> float:
    return sum(case.dist[a, b] for r in routes for a, b in zip([case.depot] + r.stops, r.stops + [case.depot]))


def construct(case: Case, order: list, window: int = 10) -> list[Route]:
    left = {p: 1.0 for p in order if case.supply[p].sum() > EPS}
    queue = [p for p in order if p in left]
    routes: list[Route] = []
    vehicles = list(case.vehicles)
    while queue:
        if not vehicles:
            raise NoPlan(f"{len(queue)} farm(s) left when every vehicle was used")
        k = vehicles.pop(0)
        route = Route(k, load=np.zeros(len(case.types)))
        caps = [c for _, c in case.compartments[k]]
        while queue:
            pick = _next_farm(case, route, caps, queue, left, window)
            if pick is None:
                break
            p, s, stops = pick
            route.stops = stops
            route.share[p] = route.share.get(p, 0.0) + s
            route.load = route.load + s * case.supply[p]
            left[p] -= s
            if left[p] > EPS:
                break  # vehicle full: a later one takes the rest of this farm
            queue.remove(p)
        if not route.stops:  # this vehicle fits none of the farms left: leave it, and its identical
            while vehicles and case.compartments[vehicles[0]] and \
                    [c for _, c in case.compartments[vehicles[0]]] == caps:  # twins after it, unused
                vehicles.pop(0)
            continue
        route.stops = _two_opt(case, route.stops)
        routes.append(route)
    return routes


def _next_farm(case: Case, route: Route, caps, queue, left, window):
    """What the vehicle takes next: the first farm in sweep order (looking `window` ahead) that it
    can take whole; else the whole farm it reaches most cheaply among all left; else part of the
    nearby farm of which it can take the most litres (and then it is full)."""
    def fits(p):
        s = _best_share(case, caps, route.load, case.supply[p], left[p])
        if s <= 1e-6:
            return None
        stops = route.stops if p in route.stops else _insert(case, route, p)
        return None if stops is None else (p, s, stops)

    near = [got for p in queue[:window] if (got := fits(p)) is not None]
    whole = [g for g in near if g[1] >= left[g[0]] - EPS]
    if whole:
        return whole[0]
    far = [got for p in queue[window:] if (got := fits(p)) is not None]
    whole = [g for g in far if g[1] >= left[g[0]] - EPS]
    if whole:
        return min(whole, key=lambda g: route.duration(case, g[2]))
    parts = near or far
    if not parts:
        return None
    return max(parts, key=lambda g: g[1] * case.supply[g[0]].sum())


def _carries(case: Case, route: Route) -> dict:
    """A type per compartment holding the load: compartment -> type position."""
    comps = case.compartments[route.vehicle]
    n = len(case.types)
    choice = next(ch for per_type, ch in _assignments([c for _, c in comps], n)
                  if np.all(route.load <= per_type + 1e-6) and all(route.load[t] > EPS for t in set(ch) if t < n))
    return {comps[c][0]: t for c, t in enumerate(choice) if t < n}


def _holds(case: Case, route: Route) -> dict:
    """(first compartment of a size, type) -> how many compartments of that size hold the type: the
    model's `holds`, which counts identical compartments instead of naming them."""
    comps = case.compartments[route.vehicle]
    first = {}
    for l, c in comps:
        first.setdefault(c, l)
    size = dict(comps)
    out: dict = {}
    for l, t in _carries(case, route).items():
        key = (first[size[l]], t)
        out[key] = out.get(key, 0) + 1
    return out


def edges(path: list[int]) -> dict:
    """(i, j) with i before j in the node order -> how often a closed path drives that edge."""
    out: dict = {}
    for a, b in zip(path, path[1:]):
        key = (min(a, b), max(a, b))
        out[key] = out.get(key, 0) + 1
    return out


def write_start(case: Case, routes: list[Route], out: Path) -> Path:
    """drive, visit, holds and share as the tables `--out` writes; only non-zero entries
    (milkrun solve --start reads a missing entry of a table as 0)."""
    out.mkdir(parents=True, exist_ok=True)
    N = case.nodes
    drive, visit, holds, share = [], [], [], []
    for r in routes:
        k = r.vehicle
        path = [case.depot] + r.stops + [case.depot]
        drive += [(N[a], N[b], k, times) for (a, b), times in edges(path).items()]
        visit += [(N[p], k, 1) for p in path[:-1]]
        share += [(N[p], k, s) for p, s in r.share.items()]
        holds += [(k, l, case.types[t], count) for (l, t), count in _holds(case, r).items()]
    tables = {"drive": (["i", "j", "k"], drive), "visit": (["Nodes", "Vehicles"], visit),
              "holds": (["k", "l", "m"], holds),
              "share": (["Farms", "Vehicles"], share)}
    for name, (dims, rows) in tables.items():
        pd.DataFrame(rows, columns=dims + [name]).to_csv(out / f"{name}.csv", index=False)
    return out
