"""Improve a routing plan by re-solving small parts of it exactly (a decomposition for real sizes).

At 50-300 farms the whole model is too big for a MIP solver to improve a plan in minutes
(at 300 farms it has 10 M binaries). Its parts are not: a few neighbouring routes, their
farms and their vehicles form a case of 5-15 farms that SCIP solves to optimality in
seconds with the very same model, models/routing.mcp. This is large neighbourhood search
by exact sub-problems (the "cluster-first, route-second" idea run repeatedly):

  repeat until the time is up or a full pass improves nothing:
    take a route and its nearest neighbours (by the angle of their centres around the dairy);
    write their farms (with the milk those routes carry), their vehicles, one idle vehicle of
    each compartment layout, and the scalars as a data folder; solve it with milkrun; keep
    the new routes if they are shorter.

Every accepted step is a plan of the whole case (the sub-case's constraints are the model's
own, restricted to those routes), so the plan only gets shorter and is never lost.

    python -m milkrun.compiler.studies.routing.lns DATA_DIR START_DIR --seconds 120 [--group 3]

reads the plan in START_DIR (as `milkrun first-plan` writes it), improves it and writes it back;
`milkrun first-plan DATA_DIR START_DIR --improve 120` does both steps in one. The case, its routes
and the plan's files come from construction.py (this module imports it; it does not import this one).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from milkrun.compiler.passes.tour import walks
from milkrun.compiler.studies.routing.construction import (
    EPS,
    MODEL,
    Case,
    NoPlan,
    Route,
    _relabel,
    best_plan,
    read_case,
    total_km,
    write_start,
)


def route_km(case: Case, r: Route) -> float:
    path = [case.depot] + r.stops + [case.depot]
    return float(sum(case.dist[a, b] for a, b in zip(path, path[1:])))


def carried(routes: list[Route]) -> dict[int, float]:
    """The share of each farm's milk that these routes carry together (1 unless split with others)."""
    out: dict[int, float] = {}
    for r in routes:
        for p, s in r.share.items():
            out[p] = out.get(p, 0.0) + s
    return out


def idle_vehicles(case: Case, routes: list[Route], most: int = 2) -> list:
    """Unused vehicles of up to `most` compartment layouts (the biggest first), so a re-solve may
    switch to a better-suited vehicle; few, since every vehicle added multiplies the sub-case."""
    used = {r.vehicle for r in routes}
    seen, out = set(), []
    idle = sorted((k for k in case.vehicles if k not in used),
                  key=lambda k: -sum(c for _, c in case.compartments[k]))
    for k in idle:
        layout = tuple(c for _, c in case.compartments[k])
        if layout not in seen and len(out) < most:
            seen.add(layout)
            out.append(k)
    return sorted(out, key=case.vehicles.index)


def write_subcase(case: Case, routes: list[Route], out: Path, spare: list = ()) -> Path:
    """The farms, milk and vehicles of `routes` (plus `spare` unused vehicles) as a data folder
    for models/routing.mcp."""
    out.mkdir(parents=True, exist_ok=True)
    milk = carried(routes)
    farms = sorted(milk)
    N = case.nodes
    rows = [(N[case.depot], *case.xy[case.depot], case.service[case.depot])]
    rows += [(N[p], *case.xy[p], case.service[p]) for p in farms]
    pd.DataFrame(rows, columns=["Nodes", "x", "y", "service"]).to_csv(out / "Nodes.csv", index=False)
    sup = pd.DataFrame([case.supply[p] * milk[p] for p in farms], columns=case.types,
                       index=pd.Index([N[p] for p in farms], name="Farms"))
    sup.to_csv(out / "supply.csv")
    vehicles = sorted([r.vehicle for r in routes] + list(spare), key=case.vehicles.index)
    pd.DataFrame({"Vehicles": vehicles}).to_csv(out / "Vehicles.csv", index=False)
    comp = [(k, l, c) for k in vehicles for l, c in case.compartments[k]]
    pd.DataFrame(comp, columns=["Vehicles", "compartment", "capacity"]).to_csv(out / "Compartments.csv", index=False)
    pd.DataFrame({"Types": case.types}).to_csv(out / "Types.csv", index=False)
    pd.DataFrame([case.scalars]).to_csv(out / "scalars.csv", index=False)
    return out


def resolve(case: Case, routes: list[Route], folder: Path, seconds: float) -> list[Route] | None:
    """The sub-case solved by milkrun (SCIP, lazy tours) from the current routes as a start; its
    routes in the whole case's terms, or None when the solver has no plan."""
    from milkrun.compiler.pipeline import compile_model, finish
    from milkrun.compiler.solve.run import solve
    from milkrun.compiler.solve.start import read_start

    sub = read_case(folder)
    spos = {n: i for i, n in enumerate(sub.nodes)}
    part = carried(routes)
    mine = []
    for rt in routes:  # the current routes in the sub-case's terms: the start
        r2 = Route(rt.vehicle, stops=[spos[case.nodes[p]] for p in rt.stops], load=rt.load.copy())
        r2.share = {spos[case.nodes[p]]: s_ / part[p] for p, s_ in rt.share.items()}
        mine.append(r2)
    write_start(sub, mine, folder / "start")
    compiled = compile_model(MODEL, folder, tour_method="lazy")
    start, _ = read_start(compiled.linopy, folder / "start")
    r = solve(compiled.built, "scip", time_limit=seconds, ir=compiled.ir, start=start)
    finish(compiled, r)
    if not r.has_solution:
        return None
    share = r.solution["share"].to_series().dropna()
    pos = {n: i for i, n in enumerate(case.nodes)}
    out = []
    for key, cycles in r.tours["routes"].items():
        k = key[0]
        stops = [pos[n] for n in cycles[0][1:-1]] if cycles else []
        if not stops:
            continue
        new = Route(k, stops=stops, load=np.zeros(len(case.types)))
        for n in cycles[0][1:-1]:
            p = pos[n]
            s = float(share.get((n, k), 0.0)) * part[p]  # the sub-case's share of what these routes carried
            if s > EPS:
                new.share[p] = s
                new.load = new.load + s * case.supply[p]
        # a stop the solver passes without taking milk (a share within its tolerance of 0) is left out:
        # the next sub-case holds only the farms the routes carry from, and on Euclidean distances the
        # route without that stop is no longer and no slower
        new.stops = [p for p in new.stops if p in new.share]
        if new.stops:
            out.append(new)
    return out


def neighbours(case: Case, routes: list[Route], i: int, group: int, max_farms: int = 12) -> list[int]:
    """Route i and up to group-1 routes whose centres are nearest to its centre, as long as the
    farms stay within max_farms (two routes at least): sub-cases SCIP proves in seconds."""
    centre = np.array([case.xy[r.stops].mean(axis=0) for r in routes])
    d = np.hypot(*(centre - centre[i]).T)
    pick, farms = [], set()
    for j in np.argsort(d)[:group]:
        more = farms | set(routes[j].stops)
        if len(pick) >= 2 and len(more) > max_farms:
            break
        pick.append(int(j))
        farms = more
    return pick


def improve(case: Case, routes: list[Route], seconds: float, group: int = 3, sub_seconds: float = 10,
            log=None) -> list[Route]:
    t0 = time.perf_counter()
    routes = list(routes)
    with tempfile.TemporaryDirectory() as tmp:
        improved_in_pass = True
        step = 0
        while improved_in_pass and time.perf_counter() - t0 < seconds:
            improved_in_pass = False
            for i in range(len(routes)):
                left = seconds - (time.perf_counter() - t0)
                if left <= 1 or i >= len(routes):
                    break
                pick = neighbours(case, routes, i, min(group, len(routes)))
                part = [routes[j] for j in pick]
                before = sum(route_km(case, r) for r in part)
                step += 1
                folder = write_subcase(case, part, Path(tmp) / f"s{step}", idle_vehicles(case, routes))
                new = resolve(case, part, folder, min(sub_seconds, left))
                if new is None:
                    continue
                after = sum(route_km(case, r) for r in new)
                if after < before - 1e-6:
                    routes = [r for j, r in enumerate(routes) if j not in pick] + new
                    routes = _relabel(case, routes)
                    improved_in_pass = True
                    if log:
                        log(f"step {step}: routes of vehicles {', '.join(str(r.vehicle) for r in part)}: "
                            f"{before:.1f} -> {after:.1f} km; plan {total_km(case, routes):.1f} km "
                            f"({time.perf_counter() - t0:.0f} s)")
    return routes


def read_plan(case: Case, folder: Path) -> list[Route]:
    """The plan in a start folder (drive, share) as routes."""
    drive = pd.read_csv(folder / "drive.csv")
    share = pd.read_csv(folder / "share.csv")
    pos = {str(n): i for i, n in enumerate(case.nodes)}
    routes = []
    for k in case.vehicles:
        used = drive[(drive["k"].astype(str) == str(k)) & (drive["drive"] > 0.5)]
        if used.empty:
            continue
        counts = np.zeros((len(case.nodes), len(case.nodes)), dtype=int)
        for a, b, times in zip(used["i"], used["j"], used["drive"]):
            counts[pos[str(a)], pos[str(b)]] = round(times)
        stops = walks(counts, case.depot)[0][1:-1]  # the edges driven, walked from the dairy
        r = Route(k, stops=stops, load=np.zeros(len(case.types)))
        mine = share[share["Vehicles"].astype(str) == str(k)]
        for f, s in zip(mine["Farms"], mine["share"]):
            if s > EPS:
                r.share[pos[str(f)]] = float(s)
                r.load = r.load + float(s) * case.supply[pos[str(f)]]
        routes.append(r)
    return routes


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Improve a routing plan by exact re-solves of neighbouring routes.")
    p.add_argument("data_dir")
    p.add_argument("plan_dir", help="a start folder (milkrun first-plan writes one); improved in place")
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--group", type=int, default=3, help="routes re-solved together (default 3)")
    p.add_argument("--sub-seconds", type=float, default=10, help="time limit of each re-solve")
    args = p.parse_args(argv)
    case = read_case(args.data_dir)
    folder = Path(args.plan_dir)
    routes = read_plan(case, folder) if (folder / "drive.csv").exists() else best_plan(case)
    start_km = total_km(case, routes)
    print(f"plan {start_km:.3f} km, {len(routes)} routes", flush=True)
    routes = improve(case, routes, args.seconds, args.group, args.sub_seconds, log=lambda m: print(m, flush=True))
    write_start(case, routes, folder)
    print(f"improved plan {total_km(case, routes):.3f} km ({100 * (1 - total_km(case, routes) / start_km):.1f} % "
          f"shorter): written to {folder}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
