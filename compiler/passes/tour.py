"""`tour(arcs[*, *, k], visits[*, k], start = depot)`: every vehicle's arcs form one closed
route through the start, with no subtour that misses it.

Three ways to enforce it, chosen by `method = "..."` in the model or `--tour` on the
command line:

- ``mtz``  compact: one order variable per node and vehicle, with the Desrochers–Laporte
  lifting of the Miller–Tucker–Zemlin rows (O(n²) rows per vehicle);
- ``flow`` single-commodity flow: the start sends one unit to every visited node
  (O(n²) flow variables and rows per vehicle);
- ``lazy`` no rows up front: subtour elimination cuts are added only when a solution
  has a subtour (see solve/lazy_tours.py: a SCIP constraint handler, or a HiGHS
  row-generation loop).

All three give the same optimum; they differ in speed. The arcs must be binary
variables over node × node (the diagonal may be masked out with a `where`), and the
visits binary variables over the nodes.

`graph = "undirected"`: the variables are edges, one per pair of nodes (declared for one
order of the pair only, `where ord(i) < ord(j)`), binary or integer (an edge to the start
driven out and back counts 2). Half the variables of arcs, and no route has a mirror image
for the solver to branch on. The cuts are the same rows (the edges inside S); `flow` ships
along an edge either way; `mtz` needs directed arcs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from milkrun.compiler.model.global_constraints import TOUR_METHODS
from milkrun.compiler.model.linopy_setup import linopy
from milkrun.dsl import ast
from milkrun.dsl.diagnostics import MilkrunError

METHODS = TOUR_METHODS
# Measured on the shipped milk-collection case (docs/models/routing.md): SCIP is fastest with a
# constraint handler (lazy), HiGHS with the flow formulation (its lazy loop re-solves a MIP per round).
DEFAULT_BY_SOLVER = {"scip": "lazy", "highs": "flow"}
DEFAULT_METHOD = "flow"  # for other solvers, and for export (a complete model with every row)


def default_method(solver: str | None) -> str:
    return DEFAULT_BY_SOLVER.get((solver or "").lower(), DEFAULT_METHOD)
PAIR_SEED_LIMIT = 25  # lazy tours over at most this many nodes start with all two-node subtour cuts (more: the LP grows too big)
FROM, TO, NODE = "tour_from", "tour_to", "tour_node"


@dataclass
class TourFamily:
    """One `tour` constraint family, compiled: what the lazy solvers and the route report need."""

    name: str
    method: str
    nodes: pd.Index
    start: object
    arcs: linopy.Variable  # dims (tour_from, tour_to, *index)
    visits: linopy.Variable | None  # dims (tour_node, *index)
    index_dims: list[str]
    active: xr.DataArray | None = None  # which index combinations carry a tour
    undirected: bool = False
    source_line: int = 0
    rows_added: dict[str, int] = field(default_factory=dict)

    def routes(self, values: np.ndarray, tol: float = 0.5) -> dict[tuple, list]:
        """Each tour as a node sequence start → … → start, from primal values by label."""
        labels = self.arcs.labels.transpose(FROM, TO, *self.index_dims).values
        chosen = np.where(labels >= 0, values[np.maximum(labels, 0)], 0.0) > tol
        out = {}
        idx_coords = [self.arcs.indexes[d] for d in self.index_dims]
        counts = np.where(labels >= 0, np.rint(values[np.maximum(labels, 0)]), 0).astype(int)
        for pos in np.ndindex(*[len(c) for c in idx_coords]) if idx_coords else [()]:
            adj = chosen[(slice(None), slice(None)) + pos]
            if not adj.any():
                continue
            key = tuple(c[p] for c, p in zip(idx_coords, pos))
            start = self.nodes.get_loc(self.start)
            found = (walks(counts[(slice(None), slice(None)) + pos], start) if self.undirected
                     else cycles(adj, start))
            out[key] = [[self.nodes[i] for i in cyc] for cyc in found]
        return out


def cycles(adj: np.ndarray, start: int) -> list[list[int]]:
    """The cycles of a 0/1 successor matrix, the one through `start` first (closed: it ends at start)."""
    succ = {int(i): int(j) for i, j in zip(*np.nonzero(adj))}
    seen, out = set(), []
    order = [start] + [i for i in succ if i != start]
    for s in order:
        if s in seen or s not in succ:
            continue
        cyc, cur = [s], succ[s]
        seen.add(s)
        while cur != s and cur not in seen and cur in succ:
            cyc.append(cur)
            seen.add(cur)
            cur = succ[cur]
        cyc.append(cur)
        out.append(cyc)
    return out


def walks(counts: np.ndarray, start: int) -> list[list[int]]:
    """The closed walks of an undirected multigraph whose node degrees are even (counts[i, j]: how often
    the edge between i and j is driven, on either side of the diagonal), the one through `start` first;
    at each node the lowest-numbered unused edge is taken."""
    left = counts + counts.T
    out = []
    for s in [start] + [i for i in range(len(left)) if i != start]:
        while left[s].any():
            walk, cur = [s], s
            while True:
                nxt = int(np.flatnonzero(left[cur])[0])
                left[cur, nxt] -= 1
                left[nxt, cur] -= 1
                walk.append(nxt)
                cur = nxt
                if cur == s or not left[cur].any():
                    break
            out.append(walk)
    return out


class TourFormulation:
    """The rows (or the lazy cuts' data) of each tour, by the method chosen."""

    def build(self, m: linopy.Model, sym, call: ast.Call, ev, scope, method: str | None) -> TourFamily:
        kw = {k.name: k.value for k in call.keywords}
        method = kw.get("method") or method or DEFAULT_METHOD
        arcs = self._open(ev.expr(call.args[0], scope), [FROM, TO])
        visits = self._open(ev.expr(call.args[1], scope), [NODE])
        nodes = arcs.indexes[FROM]
        if not nodes.equals(arcs.indexes[TO]) or not nodes.equals(visits.indexes[NODE]):
            raise MilkrunError("the arcs and visits of a tour must range over the same nodes", call.span)
        start_v = kw["start"]
        if isinstance(start_v, str):
            start_v = ast.Element(start_v, span=call.span)
        elif isinstance(start_v, ast.Name) and start_v.name not in ev.instance.ir.symbols:
            start_v = ast.Element(start_v.name, span=start_v.span)
        start = ev._element(start_v, scope)
        if start not in nodes:
            raise MilkrunError(f"start '{start}' is not one of the tour's nodes", call.span)
        index_dims = [d for d in arcs.dims if d not in (FROM, TO)]
        undirected = kw.get("graph") == "undirected"
        if undirected:
            self._one_edge_per_pair(arcs, call)
            if method == "mtz":
                raise MilkrunError("the mtz formulation orders the stops along directed arcs; this tour has "
                                   "graph = \"undirected\": use --tour lazy or --tour flow", call.span)
        fam = TourFamily(sym.name, method, nodes, start, arcs, visits, index_dims,
                         active=scope.full_mask() if scope.mask is not None else None, source_line=sym.span.line,
                         undirected=undirected)
        if method == "mtz":
            self._mtz(m, fam)
        elif method == "flow":
            self._flow(m, fam)
        elif len(nodes) <= PAIR_SEED_LIMIT:
            self._pairs(m, fam)
        return fam

    @staticmethod
    def _one_edge_per_pair(arcs, call):
        """An undirected tour has one variable per pair of nodes: a pair declared both ways (or a node
        paired with itself) would count its edge twice."""
        lab = arcs.labels.transpose(FROM, TO, ...).values >= 0
        both = lab & np.swapaxes(lab, 0, 1)
        if both.any():
            i, j = np.argwhere(both)[0][:2]
            a, b = arcs.indexes[FROM][i], arcs.indexes[TO][j]
            raise MilkrunError(f"with graph = \"undirected\" each pair of nodes has one edge variable, but the "
                               f"edges exist both ways between {a} and {b}" if a != b else
                               f"with graph = \"undirected\" a node has no edge to itself, but one exists at {a}",
                               call.span, hint="declare the edges for one order of each pair: where ord(i) < ord(j)")

    @staticmethod
    def _open(var, names):
        slices = [d for d in var.dims if str(d).startswith("__slice")]
        return var.rename(dict(zip(slices, names)))

    def _active(self, fam: TourFamily, arr):
        return arr if fam.active is None else arr & fam.active

    def _mtz(self, m: linopy.Model, fam: TourFamily):
        """u_i − u_j + p·x_ij + (p−2)·x_ji ≤ p − 1 for customers i ≠ j (Desrochers and Laporte 1991)."""
        customers = fam.nodes[fam.nodes != fam.start]
        p = len(customers)
        if p < 2:
            return
        idx = {d: fam.arcs.indexes[d] for d in fam.index_dims}
        u = m.add_variables(lower=1, upper=p, coords=[customers.rename(FROM), *[c.rename(d) for d, c in idx.items()]],
                            name=f"{fam.name}_order")
        x = fam.arcs.sel({FROM: customers, TO: customers})
        x_back = x.rename({FROM: "__t", TO: FROM}).rename({"__t": TO})
        u_j = u.rename({FROM: TO})
        expr = u - u_j + p * x + (p - 2) * x_back
        exists = x.labels != -1
        mask = self._active(fam, exists)
        m.add_constraints(expr <= p - 1, name=f"{fam.name}_mtz", mask=mask)
        fam.rows_added = {"rows": int(mask.sum()), "variables": int(u.labels.size)}

    def _pairs(self, m: linopy.Model, fam: TourFamily):
        """Lazy mode starts with the cuts of all two-farm subtours, x_ij + x_ji ≤ y_j: cheap, and
        they spare the solver most rounds of small subtours."""
        customers = fam.nodes[fam.nodes != fam.start]
        x = fam.arcs.sel({FROM: customers, TO: customers})
        x_back = x.rename({FROM: "__t", TO: FROM}).rename({"__t": TO})
        y_to = fam.visits.sel({NODE: customers}).rename({NODE: TO})
        exists = (x.labels != -1) | (x_back.labels != -1)
        mask = self._active(fam, exists)
        # the three terms stacked as label arrays in one array step, where `x + x_back - y_to` costs three
        # linopy operations, each aligning and copying whole datasets (the same rows: tests/test_tour_cuts.py)
        labels = xr.concat(xr.broadcast(x.labels, x_back.labels, y_to.labels), dim="_term", coords="minimal",
                           compat="override", join="exact").transpose(..., "_term")
        coeffs = xr.DataArray(np.array([1.0, 1.0, -1.0]), dims="_term").broadcast_like(labels)
        lhs = linopy.LinearExpression(xr.Dataset({"coeffs": coeffs, "vars": labels}), m)
        m.add_constraints(lhs <= 0, name=f"{fam.name}_pairs", mask=mask)
        fam.rows_added = {"rows": int(mask.sum()), "variables": 0}

    def _flow(self, m: linopy.Model, fam: TourFamily):
        """The start ships one unit to each visited node along used arcs: f_ij ≤ p·x_ij."""
        customers = fam.nodes[fam.nodes != fam.start]
        p = len(customers)
        arcs = fam.arcs
        exists = arcs.labels != -1
        if fam.undirected:  # the flow may use an edge either way: arcs[i, j] + arcs[j, i] is the one edge
            arcs = arcs + _flipped(arcs)
            exists = exists | _flipped(exists)
        exists = self._active(fam, exists)
        coords = [fam.nodes.rename(FROM), fam.nodes.rename(TO),
                  *[fam.arcs.indexes[d].rename(d) for d in fam.index_dims]]
        f = m.add_variables(lower=0, coords=coords, name=f"{fam.name}_flow",
                            mask=exists.transpose(FROM, TO, *fam.index_dims))
        m.add_constraints(f - p * arcs <= 0, name=f"{fam.name}_flow_cap", mask=exists)
        inflow = f.sum(FROM).rename({TO: NODE})
        outflow = f.sum(TO).rename({FROM: NODE})
        balance = (inflow - outflow - fam.visits).sel({NODE: customers})
        act = None if fam.active is None else fam.active
        m.add_constraints(balance == 0, name=f"{fam.name}_flow_balance", mask=act)
        fam.rows_added = {"rows": int(exists.sum()) + len(customers), "variables": int(exists.sum())}


def _flipped(a):
    """The same array with its from and to swapped: a[j, i] at (i, j)."""
    return a.rename({FROM: "__t", TO: FROM}).rename({"__t": TO})


TOUR = TourFormulation()


def formulations(method: str | None) -> dict:
    """What build/linopy_model.py calls for each global constraint of a model: name → function of
    (model, constraint, call, evaluator, scope), the run's tour method bound in."""
    return {"tour": lambda m, sym, call, ev, scope: TOUR.build(m, sym, call, ev, scope, method)}
