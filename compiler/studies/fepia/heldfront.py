"""Each held configuration's own Pareto front under each scenario (`--held-front N`).

A held run (reoptimise.py) re-optimises one objective with the design fixed; the others come out
as they fall. To compare configurations on NPV and CO₂ together, the design is fixed and what is
left (the assignment, the flows) gets a small AUGMECON2 front of its own, the held objective
first (compiler/studies/pareto/augmecon.py, on a solver session as `milkrun pareto` uses).
One compile per scenario serves every configuration: fix, load a session, run the front,
release the design. A configuration that cannot carry the scenario (its held run has no plan)
gets no front, only that status and reason.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from milkrun.compiler.passes.fix import fix_variables, unfix_variables
from milkrun.compiler.pipeline import RunOptions
from milkrun.compiler.solve.session import Session
from milkrun.compiler.solve.stdout_guard import silenced
from milkrun.compiler.studies.fepia.reoptimise import HeldDesign
from milkrun.compiler.studies.pareto.augmecon import augmecon2
from milkrun.dsl.diagnostics import MilkrunError


@dataclass
class HeldFront:
    """One configuration's front under one scenario, the design fixed."""

    status: str                      # optimal: a front; else the held run's status (infeasible, ...) or error
    reason: str = ""
    points: list[dict] = field(default_factory=list)    # every objective per point, held objective best first
    statuses: list[str] = field(default_factory=list)   # per point: optimal, or stopped by a limit
    solves: int = 0
    seconds: float = 0.0


def held_fronts(run: RunOptions, groups, scenarios: list[str], changes: tuple[str, ...], objective: str,
                points: int, evaluations: dict, say=None) -> tuple[dict[tuple[str, str], HeldFront], int]:
    """{(label, scenario): HeldFront} for every kept configuration, and the compiles it took.
    `run`: the run the fronts start from; `evaluations`: the held runs, to skip what cannot be carried."""
    say = say or (lambda text: None)
    # a solver session needs every row written into the model, tours too (as the fronts' run_pareto)
    held = HeldDesign(run.replace(objective=objective, tour_method=run.tour_method or "flow"))
    out = {}
    for s in scenarios:
        for g in groups:
            e = evaluations[(g.label, s)]
            out[(g.label, s)] = (_front(held, run, g.kept.values, s, changes, objective, points) if e.feasible
                                 else HeldFront(e.status, e.reason))
        say(f"held fronts under {s}: " + ", ".join(f"{g.label} {_short(out[(g.label, s)])}" for g in groups))
    return {(g.label, s): out[(g.label, s)] for g in groups for s in scenarios}, held.compiles  # by configuration


def _front(held: HeldDesign, run: RunOptions, values: dict, scenario: str, changes: tuple[str, ...],
           objective: str, points: int) -> HeldFront:
    t0 = time.perf_counter()
    case = held.case(scenario, changes)
    if isinstance(case, MilkrunError):
        return HeldFront("infeasible", f"the data fails a check: {case.message}")
    fix_variables(case.built, values)
    try:
        with silenced(True):
            session = Session(case.built, run.solver, dict(run.solver_options), run.time_limit, run.gap)
            front = augmecon2(session, objective, points)
    except MilkrunError as err:  # a payoff table without a plan: said, not raised
        return HeldFront("error", err.message, seconds=time.perf_counter() - t0)
    finally:
        unfix_variables(case.built, list(values))
    status = ("no_plan" if not front.points else "optimal" if all(st == "optimal" for st in front.statuses)
              else "feasible")
    return HeldFront(status, "", [{k: p[k] for k in front.objectives} for p in front.points], list(front.statuses),
                     front.solves, time.perf_counter() - t0)


def _short(f: HeldFront) -> str:
    return f"{len(f.points)} point(s)" if f.points else f.status
