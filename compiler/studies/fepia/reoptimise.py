"""A design held fixed while everything else is re-optimised under other data (FePIA step 4
and the robustness-radius scans).

Each data case (a scenario, a value of the perturbed parameter, the `--fixed-set` changes) is
compiled once and every configuration is solved on it in turn: fix its design variables,
solve, read the objectives and kpis, release the design. Compiling dominates the cost of such a
solve (the design fixed, only the assignment is left), so callers loop over configurations
inside a case. A case whose data no plan can satisfy (a failing `check`) and a configuration
that cannot carry the case (an infeasible solve) are results, recorded with the reason; they
never stop the run.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import xarray as xr

from milkrun.compiler.passes.fix import fix_variables, unfix_variables
from milkrun.compiler.pipeline import RunOptions, compile_model, run_options, solve_compiled
from milkrun.dsl.diagnostics import MilkrunError

SOLVED = ("optimal", "feasible", "time_limit")


@dataclass
class Evaluation:
    """One configuration under one data case."""

    status: str                                   # optimal | feasible | time_limit | infeasible | no_plan | error
    reason: str = ""
    objectives: dict[str, float] = field(default_factory=dict)
    kpis: dict[str, float] = field(default_factory=dict)  # the scalar kpis
    seconds: float = 0.0

    @property
    def feasible(self) -> bool:
        return self.status in SOLVED and bool(self.objectives)

    def feature(self, name: str) -> float:
        """An objective's or a scalar kpi's value; NaN without a plan."""
        v = self.objectives.get(name, self.kpis.get(name))
        return math.nan if v is None else float(v)


class HeldDesign:
    """Compiles data cases on demand (the last one is kept) and solves configurations on them."""

    def __init__(self, run: RunOptions | str | Path, **fields):
        """`run`: the base case (a RunOptions, or a model path with its fields as keywords); its
        objective is the one re-optimised, its --set changes apply before each case's own."""
        self.run = run_options(run, **fields)
        self._key = None
        self._case = None  # Compiled, or the MilkrunError that the data raised
        self.compiles = self.solves = 0

    def case(self, scenario: str | None, changes: tuple[str, ...] = ()):
        """The compiled data case (compiled once, kept until another is asked for), or the MilkrunError
        its data raised: held fronts (heldfront.py) fix configurations on it themselves."""
        return self._compiled(scenario, tuple(changes))

    def _compiled(self, scenario: str | None, changes: tuple[str, ...]):
        key = (scenario, changes)
        if key != self._key:
            self._key, self._case = key, None
            self.compiles += 1
            try:
                self._case = compile_model(self.run.replace(overrides=self.run.overrides + tuple(changes),
                                                            scenario=scenario))
            except MilkrunError as e:
                if e.kind != "infeasible":  # a mistake in the model or data: the user's to fix
                    raise
                self._case = e
        return self._case

    def evaluate(self, values: dict[str, xr.DataArray], scenario: str | None = None,
                 changes: tuple[str, ...] = ()) -> Evaluation:
        """Fix `values` (design variable -> whole array), re-optimise, and release the design."""
        t0 = time.perf_counter()
        case = self._compiled(scenario, tuple(changes))
        if isinstance(case, MilkrunError):
            return Evaluation("infeasible", f"the data fails a check: {case.message}",
                              seconds=time.perf_counter() - t0)
        fix_variables(case.built, values)
        try:
            result = solve_compiled(case, self.run)
            self.solves += 1
        finally:
            unfix_variables(case.built, list(values))
        seconds = time.perf_counter() - t0
        if not result.has_solution:
            status = {"time_limit": "no_plan"}.get(result.status, result.status)
            reason = result.why[0] if result.why else (result.message or result.status)
            return Evaluation(status, reason, seconds=seconds)
        kpis = {k: float(v) for k, v in result.kpis.items() if v.ndim == 0}
        objectives = {k: float(v) for k, v in result.objectives.items() if v is not None}
        note = "" if result.status == "optimal" else f"stopped by a limit (gap {result.gap or math.nan:.3g})"
        return Evaluation(result.status, note, objectives, kpis, seconds)
