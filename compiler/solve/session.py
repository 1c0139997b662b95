"""A compiled model kept loaded in a solver for a series of related solves.

Multi-objective runs solve the same model dozens or hundreds of times with another
objective or another bound on an objective. Rebuilding it each time would cost more than
the solves, so the session loads the model once, adds one row per declared objective
(free until bounded), and changes only costs and row bounds between solves, handing the
previous plan to the solver as a start. Everything is in "maximise" form: an objective
declared `minimize f` is handled as `maximize -f`, and values go back in the user's sign.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from milkrun.compiler.build.linopy_model import BuiltModel
from milkrun.compiler.solve.highs import run_interruptible
from milkrun.compiler.solve.scip import to_scip
from milkrun.compiler.solve.solvers import choose_solver, solver_options
from milkrun.dsl.diagnostics import MilkrunError


@dataclass
class Outcome:
    status: str  # optimal, feasible (a limit stopped it with a plan), time_limit (no plan), infeasible, unbounded, error
    values: np.ndarray | None       # by linopy label
    objectives: dict[str, float]    # every declared objective, in the user's sign
    seconds: float


def _vector(expr, col_of: np.ndarray, n_cols: int) -> np.ndarray:
    """The objective's coefficients as a dense vector over solver columns."""
    vars_ = np.asarray(expr.vars.values).ravel()
    coeffs = np.asarray(expr.coeffs.values, dtype=float).ravel()
    ok = vars_ >= 0
    c = np.zeros(n_cols)
    np.add.at(c, col_of[vars_[ok]], coeffs[ok])
    return c


class Session:
    """Solve `maximise Σ w·g` subject to the model and `g_k ≥ bound_k` for chosen objectives g."""

    def __init__(self, built: BuiltModel, solver: str = "auto", options: dict | None = None,
                 time_limit: float | None = None, gap: float | None = None):
        if built.lazy_tours:
            raise MilkrunError("a multi-objective run needs tours written into the model: use --tour mtz or flow")
        if not built.objectives:
            raise MilkrunError("the model declares no objective")
        self.solver, _ = choose_solver(solver, [])  # a session holds a linear model: auto is HiGHS
        if self.solver not in ("highs", "scip"):
            raise MilkrunError(f"multi-objective runs use HiGHS or SCIP, not '{solver}'")
        m = built.linopy
        self.m = m
        self.names = list(built.objectives)
        self.sign = {k: 1.0 if built.senses[k] == "max" else -1.0 for k in self.names}
        self.const = {k: built.constants.get(k, 0.0) for k in self.names}
        self.vlabels = np.asarray(m.matrices.vlabels)
        n_labels = int(self.vlabels.max()) + 1 if len(self.vlabels) else 0
        self.n_labels = n_labels
        col_of = np.full(n_labels, -1, dtype=np.int64)
        col_of[self.vlabels] = np.arange(len(self.vlabels))
        n = len(self.vlabels)
        self.coef = {k: _vector(built.objectives[k], col_of, n) for k in self.names}  # user's sign
        self.integral = np.isin(np.asarray(m.matrices.vtypes).astype(str), ["B", "I"])
        self.is_mip = bool(self.integral.any())
        # a gap of 0 unless the user sets one: the slack bonus of AUGMECON2 (about 1e-3) is smaller
        # than the default relative gap, and an exact front needs it maximised
        self.options = solver_options(self.solver, options or {}, time_limit, 0.0 if gap is None else gap, quiet=True)
        self.last: np.ndarray | None = None  # previous plan, by column
        self.solves = 0
        if self.solver == "highs":
            self._init_highs()
        else:
            self._init_scip()

    # -- the two solvers ----------------------------------------------------------------------
    def _init_highs(self):
        h = self.m.to_highspy()
        for k, v in self.options.items():
            h.setOptionValue(k, v)
        self.rows = {}
        for k in self.names:
            c = self.sign[k] * self.coef[k]
            idx = np.flatnonzero(c).astype(np.int32)
            self.rows[k] = h.getNumRow()
            h.addRow(-np.inf, np.inf, len(idx), idx, c[idx])
        self.h = h

    def _init_scip(self):
        import pyscipopt as scip


        model, by_label = to_scip(self.m)
        if self.options:
            model.setParams(self.options)
        self.cols = [by_label[int(l)] for l in self.vlabels]
        self.rows = {}
        for k in self.names:
            c = self.sign[k] * self.coef[k]
            expr = scip.quicksum(float(c[j]) * self.cols[j] for j in np.flatnonzero(c))
            self.rows[k] = model.addCons(expr >= -1e20, name=f"objective_{k}", modifiable=False)
        self.scip = model

    def solve(self, weights: dict[str, float], bounds: dict[str, float], start: np.ndarray | None = None) -> Outcome:
        """Maximise Σ weights[k]·g_k(x) with g_k(x) ≥ bounds[k] (g in maximise form, constants included).
        `start`: a plan by label known to meet the bounds, given to the solver as its first incumbent
        (else the previous plan, when it meets them)."""
        cost = sum(w * self.sign[k] * self.coef[k] for k, w in weights.items())
        lower = {k: bounds.get(k, -np.inf) - self.sign[k] * self.const[k] for k in self.names}
        first = None
        if start is not None and self.is_mip:
            first = np.asarray(start, dtype=float)[self.vlabels]
        elif self._start_fits(lower):
            first = self.last
        t0 = time.perf_counter()
        self.solves += 1
        if self.solver == "highs":
            status, cols = self._solve_highs(cost, lower, first)
        else:
            status, cols = self._solve_scip(cost, lower, first)
        seconds = time.perf_counter() - t0
        if cols is None:
            return Outcome(status, None, {}, seconds)
        near = self.integral & (np.abs(cols - np.round(cols)) <= 1e-6)  # 0.9999999 → 1: clean objective values
        cols = np.where(near, np.round(cols), cols)
        self.last = cols
        values = np.full(self.n_labels, np.nan)
        values[self.vlabels] = cols
        objs = {k: float(self.coef[k] @ cols + self.const[k]) for k in self.names}
        return Outcome(status, values, objs, seconds)

    def _start_fits(self, lower) -> bool:
        """The previous plan is a start only if it meets the new objective bounds (warm start)."""
        if self.last is None or not self.is_mip:
            return False
        return all(self.sign[k] * self.coef[k] @ self.last >= lower[k] - 1e-9 * max(1.0, abs(lower[k]))
                   for k in self.names if np.isfinite(lower[k]))

    def _solve_highs(self, cost, lower, first):
        import highspy

        h = self.h
        n = len(cost)
        h.changeColsCost(n, np.arange(n, dtype=np.int32), np.asarray(cost, dtype=float))
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        h.changeObjectiveOffset(0.0)
        for k, row in self.rows.items():
            h.changeRowBounds(row, float(lower[k]) if np.isfinite(lower[k]) else -np.inf, np.inf)
        if first is not None:
            h.setSolution(n, np.arange(n, dtype=np.int32), first)

        h.HandleKeyboardInterrupt = True  # Ctrl-C stops this solve at once, not after it
        run_interruptible(h)
        ms = h.getModelStatus()
        S = highspy.HighsModelStatus
        if ms == S.kInterrupt:  # the whole run stops (exit 130), not only this one of its solves
            raise KeyboardInterrupt
        has = int(h.getInfo().primal_solution_status) == 2
        cols = np.asarray(h.getSolution().col_value, dtype=float)[:n] if has else None
        if ms == S.kOptimal:
            return "optimal", cols
        if ms in (S.kInfeasible, S.kUnboundedOrInfeasible):
            return "infeasible", None
        if ms == S.kUnbounded:
            return "unbounded", None
        if has:
            return "feasible", cols
        return ("time_limit", None) if ms == S.kTimeLimit else ("error", None)

    def _solve_scip(self, cost, lower, first):
        import pyscipopt as scip

        model = self.scip
        model.freeTransform()
        model.setObjective(scip.quicksum(float(cost[j]) * self.cols[j] for j in np.flatnonzero(cost)), "maximize")
        for k, cons in self.rows.items():
            model.chgLhs(cons, float(lower[k]) if np.isfinite(lower[k]) else -1e20)
        if first is not None:
            sol = model.createSol()
            for j, v in enumerate(first):
                model.setSolVal(sol, self.cols[j], float(v))
            model.addSol(sol, free=True)
        model.optimize()
        status = model.getStatus()
        if status == "userinterrupt":  # SCIP caught Ctrl-C: the whole run stops (exit 130), not only this solve
            raise KeyboardInterrupt
        cols = None
        if model.getNSols() > 0:
            best = model.getBestSol()
            cols = np.array([model.getSolVal(best, v) for v in self.cols])
        if status == "optimal":
            return "optimal", cols
        if status in ("infeasible", "inforunbd"):
            return "infeasible", None
        if status == "unbounded":
            return "unbounded", None
        if cols is not None:
            return "feasible", cols
        return ("time_limit", None) if status in ("timelimit", "gaplimit", "nodelimit") else ("error", None)
