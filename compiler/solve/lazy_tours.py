"""Subtour cuts added only when needed, for `tour(..., method = "lazy")`.

- SCIP: a constraint handler checks every candidate solution and adds the violated
  subtour elimination cuts inside the branch-and-bound (true lazy constraints).
- HiGHS has no lazy-constraint callback in its Python interface, so a row-generation
  loop re-solves the native HiGHS model: solve, find subtours, add their cuts, solve
  again. Every improving solution HiGHS reports is inspected on the way, so cuts come
  early and any subtour-free plan becomes the incumbent, which is handed back as a
  start to the next round: the incumbent is never lost, and a time limit returns it
  with the best bound proven so far.

The cut for a subtour S (not through the start) of vehicle k, with m ∈ S:
    Σ_{i,j ∈ S} x[i,j,k]  ≤  Σ_{i ∈ S} y[i,k] − y[m,k]
It is added for every vehicle of the family at once, since each could form S.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from milkrun.compiler.passes.tour import FROM, NODE, TO, TourFamily
from milkrun.compiler.solve.highs import highs_start
from milkrun.compiler.solve.min_cuts import violated_sets
from milkrun.compiler.solve.progress import finite
from milkrun.compiler.solve.scip import add_start, to_scip, watch_scip


# Rounds of cuts at fractional points per branch-and-bound node. Each round that finds a cut keeps
# SCIP's separation loop going, and its own separators run again every round: on E-n13-k4
# (models/cvrp.mcp, whose load flows already join the routes) unlimited rounds took 2.4 times the
# CPU of none. One round against three, SCIP's CPU on the 14 feasible milk-collection cases
# (studies/routing/variants.py): 17.6 s against 19.5 s, geometric mean of the ratios 0.93 (0.61 to
# 1.13 per case); on 12 drawn cases of 9-11 farms 0.95; E-n13-k4 and the SDVRP model alike.
FRACTIONAL_ROUNDS = 1


@dataclass
class LazyReport:
    rounds: int = 0
    cuts: int = 0
    seconds: float = 0.0
    log: list[str] = field(default_factory=list)


class SubtourSeparator:
    """Finds violated subtour cuts in a primal vector indexed by linopy variable label."""

    def __init__(self, families: list[TourFamily]):
        self.families = families
        self.prepared = []
        for fam in families:
            arcs = fam.arcs.labels.transpose(FROM, TO, *fam.index_dims).values
            visits = fam.visits.labels.transpose(NODE, *fam.index_dims).values
            idx_shape = arcs.shape[2:]
            keys = list(np.ndindex(*idx_shape)) if idx_shape else [()]
            active = None
            if fam.active is not None:
                active = fam.active.transpose(*fam.index_dims).values
            keys = [k for k in keys if active is None or bool(active[k])]
            self.prepared.append((fam, arcs, visits, keys, fam.nodes.get_loc(fam.start)))
        self.seen: set = set()

    def subtours(self, values: np.ndarray):
        """(prepared family, node positions) of every subtour of an integral point: a part of the
        driven arcs (or edges) that misses the start and visits a node."""
        for prep in self.prepared:
            fam, arcs, visits, keys, start = prep
            for key in keys:
                lab = arcs[(slice(None), slice(None)) + key]
                vis = visits[(slice(None),) + key]
                x = np.where(lab >= 0, values[np.maximum(lab, 0)], 0.0)
                y = np.where(vis >= 0, values[np.maximum(vis, 0)], 0.0)
                for S, _ in violated_sets(x, y, start, fractional=False):
                    yield prep, tuple(int(i) for i in S)

    def cuts(self, values: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, float]]:
        """Rows (labels, coefficients, upper bound) cutting off every new subtour in `values`."""
        out = []
        for prep, members in self.subtours(values):
            sig = (id(prep[0]), members)
            if sig not in self.seen:
                self.seen.add(sig)
                out.extend(self._rows(prep, members))
        return out

    def broken(self, values: np.ndarray, fractional: bool = True, tol: float = 1e-3):
        """Rows (labels, coefficients, upper bound) of the cuts `values` breaks, each for the one
        vehicle (index of the family) that breaks it; `fractional`: min cuts too (min_cuts.py)."""
        out = []
        for fam, arcs, visits, keys, start in self.prepared:
            for key in keys:
                lab = arcs[(slice(None), slice(None)) + key]
                vis = visits[(slice(None),) + key]
                x = np.where(lab >= 0, values[np.maximum(lab, 0)], 0.0)
                y = np.where(vis >= 0, values[np.maximum(vis, 0)], 0.0)
                for S, m in violated_sets(x, y, start, tol, fractional):
                    inner = lab[np.ix_(S, S)]
                    inner = inner[inner >= 0]
                    others = vis[S[S != m]]
                    out.append((np.concatenate([inner, others]),
                                np.concatenate([np.ones(len(inner)), -np.ones(len(others))]), 0.0))
        return out

    @staticmethod
    def _rows(prep, members):
        _, arcs, visits, keys, _ = prep
        s = np.array(members)
        rows = []
        for key in keys:
            lab = arcs[(slice(None), slice(None)) + key][np.ix_(s, s)]
            inner = lab[lab >= 0]
            others = visits[(s,) + key][1:]  # every visit of S but the first (m)
            labels = np.concatenate([inner, others])
            coeffs = np.concatenate([np.ones(len(inner)), -np.ones(len(others))])
            rows.append((labels, coeffs, 0.0))
        return rows


def solve_highs(built, options: dict, time_limit: float | None, quiet: bool = True, progress=None, start=None):
    """The row-generation loop on the native HiGHS model. Returns (values by label, status, bound, report)."""
    import highspy

    m = built.linopy
    h = m.to_highspy()
    vlabels = np.asarray(m.matrices.vlabels)
    n_labels = int(vlabels.max()) + 1 if len(vlabels) else 0
    col_of = np.full(n_labels, -1, dtype=np.int64)
    col_of[vlabels] = np.arange(len(vlabels))
    for k, v in options.items():
        h.setOptionValue(k, v)
    sep = SubtourSeparator(built.lazy_tours)
    report = LazyReport()
    minimize = h.getLp().sense_ == highspy.ObjSense.kMinimize
    better = (lambda a, b: a < b - 1e-9) if minimize else (lambda a, b: a > b + 1e-9)
    incumbent, inc_obj = None, None
    pending: list = []
    bound = None
    t0 = time.perf_counter()

    def by_label(cols: np.ndarray) -> np.ndarray:
        out = np.full(n_labels, np.nan)
        out[vlabels] = cols
        return out

    def consider(cols: np.ndarray, obj: float):
        nonlocal incumbent, inc_obj
        values = by_label(cols)
        if any(True for _ in sep.subtours(values)):
            pending.extend(sep.cuts(values))  # only cuts not added before
        elif incumbent is None or better(obj, inc_obj):
            incumbent, inc_obj = np.array(cols), obj

    def on_solution(e):
        try:
            consider(np.asarray(e.data_out.mip_solution, dtype=float), float(e.data_out.objective_function_value))
        except Exception:  # a callback must never break the solve
            pass

    h.cbMipImprovingSolution.subscribe(on_solution)
    if progress is not None:

        def on_event(e):
            progress.update(incumbent=inc_obj, bound=bound if bound is not None else finite(e.data_out.mip_dual_bound),
                            nodes=int(e.data_out.mip_node_count), round=report.rounds, cuts=report.cuts)

        h.cbMipInterrupt.subscribe(on_event)
    h.HandleKeyboardInterrupt = True
    if start is not None:  # the user's first plan; later rounds start from the incumbent

        highs_start(h, m, start)
    status = "error"
    while True:
        report.rounds += 1
        if time_limit is not None:
            left = time_limit - (time.perf_counter() - t0)
            if left <= 0:
                status = "time_limit"
                break
            h.setOptionValue("time_limit", float(left))
        if incumbent is not None:
            h.setSolution(len(incumbent), np.arange(len(incumbent), dtype=np.int32), incumbent)
        h.solve()
        ms = h.getModelStatus()
        if ms == highspy.HighsModelStatus.kInterrupt:  # Ctrl+C: keep what we have
            status = "feasible" if incumbent is not None else "error"
            break
        info = h.getInfo()
        if ms in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            status = "infeasible" if incumbent is None else "optimal"
            break
        has_sol = int(info.primal_solution_status) == 2
        round_bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
        if round_bound is not None:
            bound = round_bound if bound is None else (max(bound, round_bound) if minimize else min(bound, round_bound))
        if has_sol:
            consider(np.asarray(h.getSolution().col_value, dtype=float), float(info.objective_function_value))
        if not pending:
            if ms == highspy.HighsModelStatus.kOptimal:
                status = "optimal"
                bound = inc_obj if incumbent is not None else bound
            else:
                status = "time_limit" if ms == highspy.HighsModelStatus.kTimeLimit else "error"
            break
        report.log.append(f"round {report.rounds}: {len(pending)} cut(s), bound {bound}, incumbent {inc_obj}")
        _add_rows(h, pending, col_of)
        report.cuts += len(pending)
        pending.clear()
    report.seconds = time.perf_counter() - t0
    values = by_label(incumbent) if incumbent is not None else None
    return values, status, bound, report


def _add_rows(h, rows, col_of):
    starts, index, value, upper = [], [], [], []
    for labels, coeffs, ub in rows:
        cols = col_of[labels]
        keep = cols >= 0
        starts.append(len(index))
        index.extend(cols[keep].tolist())
        value.extend(coeffs[keep].tolist())
        upper.append(ub)
    n = len(rows)
    h.addRows(n, np.full(n, -np.inf), np.asarray(upper, dtype=float), len(index),
              np.asarray(starts, dtype=np.int32), np.asarray(index, dtype=np.int32), np.asarray(value, dtype=float))


def solve_scip(built, options: dict, quiet: bool = True, progress=None, start=None):
    """SCIP with a constraint handler that enforces the tours lazily. Returns (scip model, labels, report)."""
    import pyscipopt as scip

    m = built.linopy
    model, by_label = to_scip(m, quiet)
    sep = SubtourSeparator(built.lazy_tours)
    report = LazyReport()
    watched = np.unique(np.concatenate([np.asarray(arr).ravel() for fam in built.lazy_tours
                                        for arr in (fam.arcs.labels.values, fam.visits.labels.values)]))
    watched = [int(lab) for lab in watched if lab >= 0 and by_label[int(lab)] is not None]
    watched_vars = [by_label[lab] for lab in watched]
    n_labels = len(by_label)

    class Subtours(scip.Conshdlr):
        """Cuts broken sets at every LP (conssepalp: min cuts at fractional points too); at an
        integral point a subtour is cut off (consenfolp) or, with no LP, added as a constraint."""

        transformed: dict = {}
        rounds_at: dict = {}  # node number -> fractional rounds run there

        def _values(self, solution=None) -> np.ndarray:
            values = np.zeros(n_labels)
            values[watched] = [self.model.getSolVal(solution, var) for var in watched_vars]
            return values

        def _var(self, label: int):
            var = self.transformed.get(label)
            if var is None:
                var = self.transformed[label] = self.model.getTransformedVar(by_label[label])
            return var

        def _rows(self, values, fractional: bool, force: bool) -> int:
            """Add the broken cuts as rows of the LP; how many went in (-1: one proves the node infeasible)."""
            added = 0
            for labels, coeffs, ub in sep.broken(values, fractional):
                row = self.model.createEmptyRowUnspec(name=f"subtour_{report.cuts}", lhs=None, rhs=ub,
                                                      local=False, removable=True)
                self.model.cacheRowExtensions(row)
                for lab, c in zip(labels.tolist(), coeffs.tolist()):
                    self.model.addVarToRow(row, self._var(lab), c)
                self.model.flushRowExtensions(row)
                if force or self.model.isCutEfficacious(row):
                    infeasible = self.model.addCut(row, forcecut=force)
                    report.cuts += 1
                    added += 1
                    if infeasible:
                        self.model.releaseRow(row)
                        return -1
                self.model.releaseRow(row)
            if added:
                report.rounds += 1
            return added

        def conssepalp(self, constraints, nusefulconss):
            node = self.model.getCurrentNode().getNumber()
            self.rounds_at[node] = self.rounds_at.get(node, 0) + 1
            if self.rounds_at[node] > FRACTIONAL_ROUNDS:
                return {"result": scip.SCIP_RESULT.DIDNOTRUN}
            added = self._rows(self._values(), fractional=True, force=False)
            return {"result": scip.SCIP_RESULT.CUTOFF if added < 0 else
                    scip.SCIP_RESULT.SEPARATED if added else scip.SCIP_RESULT.DIDNOTFIND}

        def consenfolp(self, constraints, nusefulconss, solinfeasible):
            added = self._rows(self._values(), fractional=False, force=True)
            return {"result": scip.SCIP_RESULT.CUTOFF if added < 0 else
                    scip.SCIP_RESULT.SEPARATED if added else scip.SCIP_RESULT.FEASIBLE}

        def consenfops(self, constraints, nusefulconss, solinfeasible, objinfeasible):
            rows = sep.broken(self._values(), fractional=False)
            for labels, coeffs, ub in rows:  # no LP to cut: each goes in as a constraint
                terms = [(by_label[int(l)], float(c)) for l, c in zip(labels, coeffs)]
                self.model.addCons(scip.quicksum(c * v for v, c in terms) <= ub, removable=True,
                                   name=f"subtour_{report.cuts}")
                report.cuts += 1
            if rows:
                report.rounds += 1
            return {"result": scip.SCIP_RESULT.CONSADDED if rows else scip.SCIP_RESULT.FEASIBLE}

        def conscheck(self, constraints, solution, checkintegrality, checklprows, printreason, completely):
            return {"result": scip.SCIP_RESULT.INFEASIBLE if any(True for _ in sep.subtours(self._values(solution)))
                    else scip.SCIP_RESULT.FEASIBLE}

        def conslock(self, constraint, locktype, nlockspos, nlocksneg):
            for var in watched_vars:
                self.model.addVarLocks(var, nlocksneg + nlockspos, nlockspos + nlocksneg)

    model.includeConshdlr(Subtours(), "milkrun_tours", "subtour elimination for tour() constraints",
                          sepapriority=1000, sepafreq=1, chckpriority=-10, enfopriority=-10, needscons=False)
    watch_scip(model, progress)
    if options:
        model.setParams(options)
    if start is not None:
        add_start(model, by_label, start)
    t0 = time.perf_counter()
    model.optimize()
    report.seconds = time.perf_counter() - t0
    return model, by_label, report
