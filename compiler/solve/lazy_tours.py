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

from milkrun.compiler.passes.tour import FROM, NODE, TO, TourFamily, cycles
from milkrun.compiler.solve.highs import highs_start
from milkrun.compiler.solve.progress import finite
from milkrun.compiler.solve.scip import add_start, to_scip, watch_scip


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
        """(prepared family, node positions) of every cycle that misses the start."""
        for prep in self.prepared:
            fam, arcs, visits, keys, start = prep
            for key in keys:
                lab = arcs[(slice(None), slice(None)) + key]
                x = np.where(lab >= 0, values[np.maximum(lab, 0)], 0.0) > 0.5
                for cyc in cycles(x, start):
                    if start not in cyc:
                        yield prep, tuple(sorted(set(cyc)))

    def cuts(self, values: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, float]]:
        """Rows (labels, coefficients, upper bound) cutting off every new subtour in `values`."""
        out = []
        for prep, members in self.subtours(values):
            sig = (id(prep[0]), members)
            if sig not in self.seen:
                self.seen.add(sig)
                out.extend(self._rows(prep, members))
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
    n_labels = len(by_label)
    sep = SubtourSeparator(built.lazy_tours)
    report = LazyReport()
    watched = sorted({int(l) for fam in built.lazy_tours for arr in (fam.arcs.labels.values, fam.visits.labels.values)
                      for l in np.asarray(arr).ravel() if l >= 0})
    watched_vars = [(lab, by_label[lab]) for lab in watched if by_label[lab] is not None]

    class Subtours(scip.Conshdlr):
        def _values(self, solution=None):
            values = np.zeros(n_labels)
            for lab, var in watched_vars:
                values[lab] = self.model.getSolVal(solution, var)
            return values

        def _enforce(self, solution=None):
            values = self._values(solution)
            found = list(sep.subtours(values))
            if not found:
                return {"result": scip.SCIP_RESULT.FEASIBLE}
            added = 0
            for prep, members in found:
                for labels, coeffs, ub in sep._rows(prep, members):
                    terms = [(by_label[int(l)], float(c)) for l, c in zip(labels, coeffs) if by_label[int(l)] is not None]
                    self.model.addCons(scip.quicksum(c * v for v, c in terms) <= ub, removable=False,
                                       name=f"subtour_{report.cuts}")
                    report.cuts += 1
                    added += 1
            report.rounds += 1
            return {"result": scip.SCIP_RESULT.CONSADDED if added else scip.SCIP_RESULT.INFEASIBLE}

        def conscheck(self, constraints, solution, checkintegrality, checklprows, printreason, completely):
            return {"result": scip.SCIP_RESULT.INFEASIBLE if any(True for _ in sep.subtours(self._values(solution)))
                    else scip.SCIP_RESULT.FEASIBLE}

        def consenfolp(self, constraints, nusefulconss, solinfeasible):
            return self._enforce()

        def consenfops(self, constraints, nusefulconss, solinfeasible, objinfeasible):
            return self._enforce()

        def conslock(self, constraint, locktype, nlockspos, nlocksneg):
            for _, var in watched_vars:
                self.model.addVarLocks(var, nlocksneg + nlockspos, nlockspos + nlocksneg)

    model.includeConshdlr(Subtours(), "milkrun_tours", "subtour elimination for tour() constraints",
                          chckpriority=-10, enfopriority=-10, needscons=False)
    watch_scip(model, progress)
    if options:
        model.setParams(options)
    if start is not None:
        add_start(model, by_label, start)
    t0 = time.perf_counter()
    model.optimize()
    report.seconds = time.perf_counter() - t0
    return model, by_label, report
