"""A strong hand-written PySCIPOpt formulation of the milk-collection model (models/routing.mcp),
the comparator of benchmarks/routing.py. It shares no code with milkrun: it reads the same data
folder (Nodes, supply, Compartments, Vehicles, Types, scalars) with pandas.

What makes it strong, compared with the paper's directed model:
- undirected edges x[e, k]: an edge between two farms is used at most once, an edge to the dairy
  up to twice (a route 0-i-0); every visited node has degree 2 (the dairy: 2 z[k]). Half the arc
  variables, and no symmetric pair i→j / j→i for the solver to branch on;
- identical compartments of a vehicle are one integer count per milk type: n[k, c, m] of the
  compartments of capacity c carry type m, so no solver time is spent permuting them;
- generalised subtour elimination cuts x(δ(S), k) >= 2 y[m, k] (m in S, S a set of farms),
  separated in a SCIP constraint handler at fractional LP points (connected components, then a
  minimum cut between each visited farm and the dairy on the support graph of vehicle k; only
  violated cuts) and enforced at integral ones;
- identical vehicles are used in order (z[k] >= z[k+1]); a farm whose round trip alone is longer
  than the day is closed to every vehicle.

    python benchmarks/routing_reference.py DATA_DIR [--time-limit S] [--routes]

prints one JSON line: status (optimal, infeasible, time_limit), objective, bound, seconds.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyscipopt as scip
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, maximum_flow

EPS = 1e-6
SCALE = 10**6  # scipy's maximum_flow takes integer capacities


class Case:
    """The data of one folder, as arrays over node positions (the dairy first)."""

    def __init__(self, folder: Path):
        folder = Path(folder)
        nodes = pd.read_csv(folder / "Nodes.csv", dtype={"Nodes": str})
        scalars = pd.read_csv(folder / "scalars.csv", dtype={"depot": str}).iloc[0]
        supply = pd.read_csv(folder / "supply.csv", dtype={"Farms": str}).set_index("Farms")
        comp = pd.read_csv(folder / "Compartments.csv", dtype={"Vehicles": str})
        self.vehicles = list(pd.read_csv(folder / "Vehicles.csv", dtype=str)["Vehicles"])
        self.types = list(pd.read_csv(folder / "Types.csv", dtype=str)["Types"])
        depot = str(scalars["depot"])
        order = [depot] + [n for n in nodes["Nodes"] if n != depot]
        nodes = nodes.set_index("Nodes").loc[order]
        self.names = order
        xy = nodes[["x", "y"]].to_numpy(float)
        self.dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) / float(scalars.get("scale", 1))
        self.minutes = 60 * self.dist / float(scalars.get("speed", 60))
        self.service = nodes["service"].to_numpy(float)
        self.max_duration = float(scalars.get("max_duration", 3000))
        self.supply = supply.reindex(order[1:]).fillna(0)[self.types].to_numpy(float)  # (farm, type)
        # vehicle -> {capacity: how many compartments of it}
        self.groups = {k: comp[comp["Vehicles"] == k]["capacity"].astype(float).value_counts().sort_index().to_dict()
                       for k in self.vehicles}


class Formulation:
    def __init__(self, case: Case, quiet: bool = True):
        self.case = c = case
        n, K = len(c.names), len(c.vehicles)
        self.n = n
        self.m = m = scip.Model()
        m.hideOutput(quiet)
        self.edges = [(i, j) for i in range(n) for j in range(i + 1, n)]
        self.z = [m.addVar(f"z{k}", vtype="B") for k in range(K)]
        self.y = [[m.addVar(f"y{i}_{k}", vtype="B") for k in range(K)] for i in range(n)]  # y[0] unused
        self.x = {(i, j, k): m.addVar(f"x{i}_{j}_{k}", vtype="I" if i == 0 else "B", lb=0, ub=2 if i == 0 else 1,
                                      obj=float(c.dist[i, j]))
                  for (i, j) in self.edges for k in range(K)}
        f = [[m.addVar(f"f{i}_{k}", lb=0, ub=1) for k in range(K)] for i in range(n)]
        far = c.minutes[0] + c.minutes[:, 0] + c.service[0] + c.service > c.max_duration + 1e-9
        for k, veh in enumerate(c.vehicles):
            for i in range(1, n):
                around = [self.x[min(i, j), max(i, j), k] for j in range(n) if j != i]
                m.addCons(scip.quicksum(around) == 2 * self.y[i][k])
                m.addCons(self.y[i][k] <= self.z[k])
                m.addCons(f[i][k] <= self.y[i][k])
                if far[i]:
                    m.addCons(self.y[i][k] == 0)
            m.addCons(scip.quicksum(self.x[0, j, k] for j in range(1, n)) == 2 * self.z[k])
            for (i, j) in self.edges:
                if i > 0:
                    m.addCons(self.x[i, j, k] <= self.y[i][k])
                    m.addCons(self.x[i, j, k] <= self.y[j][k])
            counts = {(cap, t): m.addVar(f"n{k}_{cap:g}_{t}", vtype="I", lb=0, ub=num)
                      for cap, num in c.groups[veh].items() for t in range(len(c.types))}
            for cap, num in c.groups[veh].items():
                m.addCons(scip.quicksum(counts[cap, t] for t in range(len(c.types))) <= num * self.z[k])
            for t in range(len(c.types)):
                m.addCons(scip.quicksum(float(c.supply[i - 1, t]) * f[i][k] for i in range(1, n))
                          <= scip.quicksum(cap * counts[cap, t] for cap in c.groups[veh]))
            m.addCons(scip.quicksum(float(c.minutes[i, j]) * self.x[i, j, k] for (i, j) in self.edges)
                      + scip.quicksum(float(c.service[i]) * self.y[i][k] for i in range(1, n))
                      + float(c.service[0]) * self.z[k] <= c.max_duration)
        for i in range(1, n):
            m.addCons(scip.quicksum(f[i]) == 1)
        total = float(c.supply.sum())
        room = [sum(cap * num for cap, num in c.groups[v].items()) for v in c.vehicles]
        m.addCons(scip.quicksum(room[k] * self.z[k] for k in range(K)) >= total)
        for k in range(K - 1):
            if c.groups[c.vehicles[k]] == c.groups[c.vehicles[k + 1]]:
                m.addCons(self.z[k] >= self.z[k + 1])
        m.setMinimize()
        self.handler = Subtours(self)
        m.includeConshdlr(self.handler, "subtours", "generalised subtour elimination",
                          sepapriority=1000, enfopriority=-10, chckpriority=-10, sepafreq=1, needscons=False)

    def solve(self, time_limit: float | None) -> dict:
        if time_limit:
            self.m.setParam("limits/time", float(time_limit))
        t0 = time.perf_counter()
        self.m.optimize()
        seconds = time.perf_counter() - t0
        st = self.m.getStatus()
        status = {"optimal": "optimal", "infeasible": "infeasible", "timelimit": "time_limit"}.get(st, st)
        has = self.m.getNSols() > 0 and status != "infeasible"
        return {"status": status, "objective": self.m.getObjVal() if has else None,
                "bound": self.m.getDualbound() if status != "infeasible" else None,
                "seconds": seconds, "nodes": self.m.getNNodes(), "cuts": self.handler.cuts}

    def routes(self) -> dict:
        sol = self.m.getBestSol()
        out = {}
        for k, veh in enumerate(self.case.vehicles):
            used = {e: round(sol[self.x[e + (k,)]]) for e in self.edges if sol[self.x[e + (k,)]] > 0.5}
            if used:
                out[veh] = [[self.case.names[i], self.case.names[j], v] for (i, j), v in used.items()]
        return out


class Subtours(scip.Conshdlr):
    """Cuts x(δ(S), k) >= 2 y[m, k] for a set S of farms and m in S, at fractional and integral points."""

    def __init__(self, form: Formulation):
        self.form = form
        self.cuts = 0

    def _point(self, sol, k):
        """The support graph of vehicle k (symmetric capacities) and its visits."""
        form = self.form
        n = form.n
        cap = np.zeros((n, n))
        for (i, j) in form.edges:
            v = form.m.getSolVal(sol, form.x[i, j, k])
            cap[i, j] = cap[j, i] = v
        y = np.array([0.0] + [form.m.getSolVal(sol, form.y[i][k]) for i in range(1, n)])
        return cap, y

    def _violated(self, sol, fractional: bool):
        """(k, S, m) of violated cuts: components without the dairy, then (fractional) minimum cuts."""
        found = []
        n = self.form.n
        for k in range(len(self.form.case.vehicles)):
            cap, y = self._point(sol, k)
            if y.max() < EPS:
                continue
            support = cap > EPS
            _, label = connected_components(csr_matrix(support), directed=False)
            seen = False
            for comp in set(label[1:]) - {label[0]}:
                S = np.flatnonzero(label == comp)
                if y[S].max() > EPS:
                    found.append((k, S, S[np.argmax(y[S])]))
                    seen = True
            if seen or not fractional:
                continue
            graph = csr_matrix(np.rint(cap * SCALE).astype(np.int32))
            done = np.zeros(n, bool)
            for mnode in np.argsort(-y):
                if mnode == 0 or y[mnode] < 0.1 or done[mnode]:
                    continue
                flow = maximum_flow(graph, int(mnode), 0).flow
                residual = cap * SCALE - flow.toarray()
                side = _reachable(residual > 0.5, int(mnode))
                cut = cap[np.ix_(side, ~side)].sum()
                if cut < 2 * y[mnode] - 0.1:
                    S = np.flatnonzero(side)
                    found.append((k, S, mnode))
                    done[S] = True
        return found

    def _row(self, k, S, mnode):
        """The cut as a row, in whichever of its two equivalent forms has fewer terms."""
        form, m = self.form, self.form.m
        inside = set(S.tolist())
        row = m.createEmptyRowUnspec(name=f"gsec{self.cuts}", lhs=None, rhs=0.0, local=False, removable=True)
        m.cacheRowExtensions(row)
        if len(S) * (len(S) - 1) // 2 <= len(S) * (form.n - len(S)):  # Σ_{e ⊆ S} x <= Σ_S y - y_m
            for (i, j) in form.edges:
                if i in inside and j in inside:
                    m.addVarToRow(row, self._t(form.x[i, j, k]), 1.0)
            for i in S:
                if i != mnode:
                    m.addVarToRow(row, self._t(form.y[i][k]), -1.0)
        else:  # 2 y_m - x(δ(S)) <= 0
            for (i, j) in form.edges:
                if (i in inside) != (j in inside):
                    m.addVarToRow(row, self._t(form.x[i, j, k]), -1.0)
            m.addVarToRow(row, self._t(form.y[mnode][k]), 2.0)
        m.flushRowExtensions(row)
        self.cuts += 1
        return row

    def _t(self, var):
        return self.model.getTransformedVar(var)

    def _separate(self, sol, fractional: bool, force: bool):
        added = 0
        for k, S, mnode in self._violated(sol, fractional):
            row = self._row(k, S, mnode)
            if force or self.model.isCutEfficacious(row, sol):
                self.model.addCut(row, forcecut=force)
                added += 1
            self.model.releaseRow(row)
        return added

    def conssepalp(self, constraints, nusefulconss):
        return {"result": scip.SCIP_RESULT.SEPARATED if self._separate(None, True, False) else
                scip.SCIP_RESULT.DIDNOTFIND}

    def consenfolp(self, constraints, nusefulconss, solinfeasible):
        return {"result": scip.SCIP_RESULT.SEPARATED if self._separate(None, False, True) else
                scip.SCIP_RESULT.FEASIBLE}

    def consenfops(self, constraints, nusefulconss, solinfeasible, objinfeasible):
        found = self._violated(None, False)
        for k, S, mnode in found:  # no LP here: the cut goes in as a constraint
            form = self.form
            inside = set(S.tolist())
            self.model.addCons(scip.quicksum(form.x[i, j, k] for (i, j) in form.edges if i in inside and j in inside)
                               <= scip.quicksum(form.y[i][k] for i in S if i != mnode), removable=True)
            self.cuts += 1
        return {"result": scip.SCIP_RESULT.CONSADDED if found else scip.SCIP_RESULT.FEASIBLE}

    def conscheck(self, constraints, solution, checkintegrality, checklprows, printreason, completely):
        return {"result": scip.SCIP_RESULT.INFEASIBLE if self._violated(solution, False) else
                scip.SCIP_RESULT.FEASIBLE}

    def conslock(self, constraint, locktype, nlockspos, nlocksneg):
        form = self.form
        for var in list(form.x.values()) + [v for row in form.y[1:] for v in row]:
            self.model.addVarLocks(var, nlockspos + nlocksneg, nlockspos + nlocksneg)


def _reachable(adj: np.ndarray, source: int) -> np.ndarray:
    seen = np.zeros(len(adj), bool)
    seen[source] = True
    frontier = [source]
    while frontier:
        nxt = np.flatnonzero(adj[frontier].any(axis=0) & ~seen)
        seen[nxt] = True
        frontier = nxt.tolist()
    return seen


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data", type=Path)
    p.add_argument("--time-limit", type=float, default=None)
    p.add_argument("--routes", action="store_true", help="also print the edges each vehicle drives")
    p.add_argument("--log", action="store_true", help="show SCIP's log")
    args = p.parse_args(argv)
    form = Formulation(Case(args.data), quiet=not args.log)
    out = form.solve(args.time_limit)
    if args.routes and out["objective"] is not None:
        out["routes"] = form.routes()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
