"""`milkrun fepia`: the FePIA robustness procedure (Polo Roa et al. 2023, sections 3.3 and 4) on
any model that marks its design variables and declares scenarios.

    1. the perturbation parameter π and its scenarios (the model's `scenario` statements)
    2. a Pareto front per scenario (compiler/studies/pareto/run.py)
    3. the configurations along all fronts, near-identical ones grouped (configurations.py): sites
       within a distance, or one extra tank of the smallest type (small.py says which)
    4. each kept configuration held fixed and re-optimised under every scenario (reoptimise.py),
       with the `--fixed-set` changes that only this step makes (the paper drops the minimum
       use and lets clusters stand idle); with --held-front, its own front there (heldfront.py)
    5. robustness requirements Γ and performance features Φ per configuration and scenario,
       and the robustness radius of each configuration against the tolerances (robustness.py)

This module runs the steps and holds their results; report.py turns them into tables,
files and the printout, plots.py into pictures.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from milkrun.compiler.build.linopy_model import solution_dataset
from milkrun.compiler.data.inline import read_override
from milkrun.compiler.data.records import RawData
from milkrun.compiler.pipeline import RunOptions, bind_data, load_model, resolve_model_path
from milkrun.compiler.report.figure import declared_label
from milkrun.compiler.solve.solvers import choose_solver
from milkrun.compiler.solve.stdout_guard import silenced
from milkrun.compiler.studies.fepia.configurations import Configuration, Group, collect, design_of, find_sites, group
from milkrun.compiler.studies.fepia.heldfront import held_fronts
from milkrun.compiler.studies.fepia.reoptimise import Evaluation, HeldDesign
from milkrun.compiler.studies.fepia.robustness import Radius, Tolerance, parse_tolerance, radius, violations
from milkrun.compiler.studies.fepia.small import find_small_types
from milkrun.compiler.studies.pareto.run import run_pareto, write_front
from milkrun.dsl.diagnostics import MilkrunError, Span, did_you_mean


@dataclass
class FepiaSpec:
    model: str
    data: str | None = None
    overrides: list[str] = field(default_factory=list)
    scenarios: list[str] | None = None          # None: all the model's scenarios
    points: int = 10
    primary: str | None = None
    solver: str = "auto"
    options: dict = field(default_factory=dict)
    time_limit: float | None = None
    gap: float | None = None
    tour: str | None = None
    group_distance: float = 250.0               # metres
    coords: tuple[str, str] | None = None       # None: lat/lon when the model has them
    fixed_set: list[str] = field(default_factory=list)
    tolerances: list[str] = field(default_factory=list)
    gamma: list[str] | None = None              # None: the objectives
    phi: list[str] | None = None                # None: every scalar kpi
    perturbation: str | None = None             # None: the one parameter the scenarios change
    radius_range: tuple[float, float] | None = None  # None: the parameter's `uncertain` range, or the scenarios'
    radius_steps: int = 10
    radius_resolution: float | None = None      # None: a thousandth of the range
    progress: bool = False
    workers: int = 1                            # fronts computed at once, each in its own process
    group_extra_small: bool = True              # the seed's rule: one extra tank of a small type is the same
    small_types: list[str] | None = None        # those types; None: the least --size-param (small.py)
    size_param: str | None = None               # None: `capacity` when the model has it over the types
    held_objective: str | None = None           # re-optimised in held runs; None: the primary
    held_front: int = 0                         # points of each held configuration's own front; 0: none

    def run(self) -> RunOptions:
        """What every front and held solve starts from: the model, its data and --set, the solver."""
        return RunOptions(model=self.model, data=self.data, overrides=tuple(self.overrides), solver=self.solver,
                          solver_options=dict(self.options), time_limit=self.time_limit, gap=self.gap,
                          tour_method=self.tour)


@dataclass
class FrontRun:
    scenario: str
    front: object                                # passes.multiobjective.Front
    designs: list[Configuration]                 # one per front point, in the front's order
    seconds: float


@dataclass
class RadiusRow:
    label: str
    origin: str                                  # the scenario the configuration's front came from
    radius: Radius


@dataclass
class FepiaResult:
    spec: FepiaSpec
    model: str
    objectives: list[str]
    senses: dict[str, str]
    primary: str
    design: list[str]
    scenarios: list[str]
    scenario_docs: dict[str, str]
    perturbation: str
    pi: dict[str, float]                         # π in each scenario
    gamma: list[str]
    phi: list[str]
    tolerances: list[Tolerance]
    fronts: dict[str, FrontRun] = field(default_factory=dict)
    configurations: list[Configuration] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    grouping: str = ""
    evaluations: dict[tuple[str, str], Evaluation] = field(default_factory=dict)   # (label, scenario)
    curves: dict[tuple[str, str | None], dict[float, Evaluation]] = field(default_factory=dict)  # (label, base)
    radii: list[RadiusRow] = field(default_factory=list)
    radius_range: tuple[float, float] | None = None
    radius_grid: list[float] = field(default_factory=list)
    resolution: float | None = None
    most_robust: str | None = None
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # plot axes: objectives, kpis, the perturbation, with units
    held_objective: str = ""                     # the objective held runs re-optimise
    sites: object = None                         # configurations.Sites, or None: identical sites only
    small: object = None                         # small.SmallTypes, or None: the extra-small-tank rule is off
    extra_small: str = ""                        # which types are small, or why the rule is off
    held_fronts: dict = field(default_factory=dict)  # (label, scenario) -> heldfront.HeldFront

    def group(self, label: str) -> Group:
        return next(g for g in self.groups if g.label == label)

    def radius_of(self, label: str) -> float | None:
        """The configuration's radius: the least over its origins (it must hold whichever it was made for)."""
        rows = [r.radius.value for r in self.radii if r.label == label]
        return min(rows) if rows else None

    def extra_small_text(self) -> str:
        """The grouping's second rule in a sentence: which types are small, or why it is off."""
        return (f"; and configurations that differ by one extra tank of a small type ({self.extra_small})"
                if self.small else f"; {self.extra_small}")

    def mean_primary(self, label: str) -> float:
        vals = [e.objectives[self.primary] for (lab, _), e in self.evaluations.items() if lab == label and e.feasible]
        return float(np.mean(vals)) if vals else math.nan


# --------------------------------------------------------------------------- checks before any solve
def _features(ir) -> tuple[list[str], list[str]]:
    """(objectives and scalar kpis: what Γ, Φ and tolerances may name; the indexed kpis)."""
    scalar = [s.name for s in ir.objectives] + [s.name for s in ir.of_kind("kpi") if not s.positions]
    return scalar, [s.name for s in ir.of_kind("kpi") if s.positions]


def _names(flag: str, names: list[str], ir) -> list[str]:
    scalar, indexed = _features(ir)
    for n in names:
        if n in indexed:
            raise MilkrunError(f"{flag}: kpi '{n}' is indexed; {flag} takes objectives and scalar kpis",
                               Span(flag, 1, 1), hint=f"these are: {', '.join(scalar)}")
        if n not in scalar:
            raise MilkrunError(f"{flag}: '{n}' is not an objective or a scalar kpi of the model", Span(flag, 1, 1),
                               hint=did_you_mean(n, scalar) or f"these are: {', '.join(scalar)}")
    return names


def _perturbation(ir, scenarios: list[str], given: str | None) -> str:
    where = Span("--perturbation", 1, 1)
    if given is not None:
        params = [s.name for s in ir.of_kind("param")]
        sym = ir.symbols.get(given)
        if sym is None or sym.kind != "param":
            raise MilkrunError(f"--perturbation: '{given}' is not a parameter of the model", where,
                               hint=did_you_mean(given, params))
    else:
        changed = []
        for s in scenarios:
            for ch in ir.scenarios[s].changes:
                if ch.name not in changed:
                    changed.append(ch.name)
        if len(changed) != 1:
            what = "change nothing" if not changed else f"change {len(changed)} parameters ({', '.join(changed)})"
            raise MilkrunError(f"the scenarios {what}, so the perturbation parameter is not obvious",
                               ir.symbols[scenarios[0]].span, hint="name it with --perturbation NAME")
        given, sym = changed[0], ir.symbols[changed[0]]
    if sym.element_param:
        raise MilkrunError(f"the perturbation parameter '{given}' holds an element of a set, not a number", sym.span)
    if sym.positions:
        raise MilkrunError(f"the perturbation parameter '{given}' is indexed; the radius needs a single number",
                           sym.span, hint="give a scalar parameter with --perturbation (one that scales the others)")
    if sym.decl.definition is not None:
        raise MilkrunError(f"the perturbation parameter '{given}' is computed by a formula and cannot be set",
                           sym.span, hint="perturb a parameter it is computed from")
    return given


def _scenarios(ir, names: list[str] | None) -> list[str]:
    known = list(ir.scenarios)
    if not known:
        raise MilkrunError("this model declares no scenario; FePIA compares configurations across scenarios",
                           Span(ir.file, 1, 1), hint='declare some: scenario low "...": NAME = VALUE')
    if names is None:
        return known
    for n in names:
        if n not in known:
            raise MilkrunError(f"--scenarios: the model has no scenario '{n}'", Span("--scenarios", 1, 1),
                               hint=did_you_mean(n, known) or f"its scenarios: {', '.join(known)}")
    if len(set(names)) != len(names):
        raise MilkrunError("--scenarios: a scenario is named twice", Span("--scenarios", 1, 1))
    return list(names)


def _design(ir) -> list[str]:
    names = [s.name for s in ir.design_variables]
    if not names:
        first = next(iter(ir.of_kind("var")), None)
        raise MilkrunError("this model marks no variable as 'design', so there is no configuration to hold fixed",
                           first.span if first else Span(ir.file, 1, 1),
                           hint="mark the strategic decisions: var NAME[...] binary design")
    return names


def prepare(spec: FepiaSpec):
    """Everything that can be refused before the first solve. Returns (ir, result shell, base instance)."""

    path = resolve_model_path(spec.model)
    if not path.exists():
        raise MilkrunError(f"model file '{spec.model}' not found")
    ir = load_model(path)
    spec.solver, _ = choose_solver(spec.solver, ir.nonlinear)  # auto: one choice for every run
    design = _design(ir)
    objectives = [s.name for s in ir.objectives]
    if len(objectives) < 2:
        raise MilkrunError(f"FePIA's fronts need two or more objectives; the model declares {len(objectives)}",
                           Span(ir.file, 1, 1))
    primary = spec.primary or objectives[0]
    if primary not in objectives:
        raise MilkrunError(f"--primary: the model has no objective '{primary}'", Span("--primary", 1, 1),
                           hint=did_you_mean(primary, objectives) or f"its objectives: {', '.join(objectives)}")
    held_objective = spec.held_objective or primary
    if held_objective not in objectives:
        raise MilkrunError(f"--held-objective: the model has no objective '{held_objective}'",
                           Span("--held-objective", 1, 1),
                           hint=did_you_mean(held_objective, objectives) or f"its objectives: {', '.join(objectives)}")
    if spec.held_front and spec.held_front < 2:
        raise MilkrunError(f"--held-front needs 2 or more points (got {spec.held_front}); leave it out for none",
                           Span("--held-front", 1, 1))
    scenarios = _scenarios(ir, spec.scenarios)
    scalar, _ = _features(ir)
    gamma = _names("--gamma", spec.gamma, ir) if spec.gamma is not None else objectives
    phi = _names("--phi", spec.phi, ir) if spec.phi is not None else [n for n in scalar if n not in objectives]
    tolerances = [parse_tolerance(t, scalar) for t in spec.tolerances]
    pi = _perturbation(ir, scenarios, spec.perturbation)
    for text in spec.fixed_set:
        read_override(ir, text, RawData(), flag="--fixed-set")
    if spec.group_distance < 0:
        raise MilkrunError("--group-distance must not be negative", Span("--group-distance", 1, 1))
    if spec.radius_range is not None and not spec.radius_range[0] < spec.radius_range[1]:
        raise MilkrunError(f"--radius-range: LO must be below HI, got {spec.radius_range[0]:g}:{spec.radius_range[1]:g}",
                           Span("--radius-range", 1, 1))
    instance, _ = bind_data(ir, spec.data, list(spec.overrides) + list(spec.fixed_set))  # bad data fails here
    for end in spec.radius_range or () if spec.tolerances else ():  # a value the parameter refuses: say so now
        try:
            bind_data(ir, spec.data, list(spec.overrides) + list(spec.fixed_set) + [f"{pi}={end!r}"])
        except MilkrunError as e:
            if e.kind != "infeasible":  # a failing check at the end of the range is a result, not a mistake
                raise MilkrunError(f"--radius-range: {pi} = {end:g} is not a value the model accepts: {e.message}",
                                   Span("--radius-range", 1, 1)) from None
    senses = {s.name: ("max" if s.decl.sense == "maximize" else "min") for s in ir.objectives}
    result = FepiaResult(spec, ir.name or path.stem, [primary] + [o for o in objectives if o != primary], senses,
                         primary, design, scenarios, {s: ir.scenarios[s].doc or "" for s in scenarios}, pi, {},
                         gamma, phi, tolerances)
    result.labels = {name: declared_label(ir, name) for name in [*scalar, pi]}  # the plots' axes
    result.held_objective = held_objective
    result.sites, how = find_sites(ir, instance, design, spec.coords)  # --coords and the small types: refused now
    result.grouping = (how if result.sites is None else "identical configurations only (--group-distance 0)"
                       if spec.group_distance <= 0 else f"sites matched within {spec.group_distance:g} m ({how})")
    result.small, result.extra_small = find_small_types(ir, instance, design, result.sites, spec.group_extra_small,
                                                        spec.small_types, spec.size_param)
    return ir, result, instance


# --------------------------------------------------------------------------- the steps
def run_fepia(spec: FepiaSpec, out: Path | None = None, say=None) -> FepiaResult:
    """Steps 2-5. `out`: each front is written there as soon as it is done. `say`: progress lines."""
    say = say or (lambda text: None)
    t0 = time.perf_counter()
    ir, res, instance = prepare(spec)
    _fronts(spec, ir, res, out, say)
    t1 = time.perf_counter()
    res.configurations = collect({s: r.designs for s, r in res.fronts.items()})
    res.groups = group(res.configurations, res.sites, spec.group_distance, res.small)
    say(f"{len(res.configurations)} distinct configuration(s) along the fronts, {len(res.groups)} kept: "
        f"{res.grouping}{res.extra_small_text()}")
    held = HeldDesign(spec.run().replace(objective=res.held_objective))
    for s in res.scenarios:  # one compile per scenario, every configuration solved on it
        for g in res.groups:
            res.evaluations[(g.label, s)] = held.evaluate(g.kept.values, s, tuple(spec.fixed_set))
        say(f"held configurations under {s}: " + ", ".join(f"{g.label} {_short(res.evaluations[(g.label, s)])}"
                                                          for g in res.groups))
    t2 = time.perf_counter()
    if res.tolerances and res.groups:
        _radii(spec, ir, res, instance, held, say)
    elif not res.tolerances:
        res.notes.append("no --tolerance given: no robustness radius, so no configuration is named most robust")
    t3 = time.perf_counter()
    res.seconds = {"fronts": t1 - t0, "held": t2 - t1, "radius": t3 - t2, "total": t3 - t0,
                   "compiles": held.compiles, "solves": held.solves}
    if spec.held_front:  # after the radius, so the steps before keep their timings
        res.held_fronts, compiles = held_fronts(spec.run(), res.groups, res.scenarios, tuple(spec.fixed_set),
                                                res.held_objective, spec.held_front, res.evaluations, say)
        res.seconds.update(held_fronts=time.perf_counter() - t3, held_front_compiles=compiles,
                           total=time.perf_counter() - t0)
    return res


def _short(e: Evaluation) -> str:
    return "ok" if e.feasible else e.status


def _fronts(spec: FepiaSpec, ir, res: FepiaResult, out: Path | None, say) -> None:
    """A front per scenario: in this process, or with --workers N in N processes at once (the
    fronts are independent; each worker compiles its scenario and hands back plain data)."""
    integral = {n: ir.symbols[n].decl.kind in ("binary", "integer") for n in res.design}
    options = dict(spec.options)
    workers = max(1, min(spec.workers, len(res.scenarios)))
    if workers > 1 and spec.solver == "highs" and "threads" not in options:
        options["threads"] = 1  # the workers share the cores
    run = spec.run().replace(solver_options=options)
    tasks = [{"run": run.replace(scenario=s), "primary": res.primary, "points": spec.points, "scenario": s, "perturbation": res.perturbation,
              "design": list(res.design), "integral": integral, "out": str(out) if out is not None else None,
              "progress": spec.progress and workers == 1} for s in res.scenarios]
    if workers == 1:
        done = map(front_task, tasks)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        done = pool.map(front_task, tasks)
    try:
        for r in done:
            s = r["scenario"]
            res.pi[s] = r["pi"]
            res.fronts[s] = FrontRun(s, r["front"], r["designs"], r["seconds"])
            res.written += [Path(w) for w in r["written"]]
            front = r["front"]
            say(f"front {s} ({res.perturbation} = {res.pi[s]:g}): {len(front.points)} point(s), "
                f"{front.solves} solves, {r['seconds']:.1f} s")
            if not front.points:
                res.notes.append(f"scenario {s}: the front has no point (no plan within the limits)")
    finally:
        if workers > 1:
            pool.shutdown(cancel_futures=True)


def front_task(task: dict) -> dict:
    """One scenario's Pareto front and the configurations along it; plain data in and out, so it
    can run in another process."""
    t = time.perf_counter()
    s = task["scenario"]
    with silenced(not task["progress"]):
        compiled, front = run_pareto(task["run"], primary=task["primary"], points=task["points"],
                                     progress=task["progress"])
    designs = [design_of(solution_dataset(compiled.linopy, plan), task["design"], task["integral"]) for plan in front.plans]
    written = write_front(compiled, front, Path(task["out"]) / "fronts" / s) if task["out"] else []
    return {"scenario": s, "pi": float(compiled.instance.param(task["perturbation"])), "front": front,
            "designs": designs, "written": [str(w) for w in written], "seconds": time.perf_counter() - t}


def _radius_range(spec: FepiaSpec, res: FepiaResult, instance) -> tuple[float, float]:
    if spec.radius_range is not None:
        return spec.radius_range
    sym = instance.ir.symbols[res.perturbation]
    if sym.decl.uncertain is not None:
        _, lo, hi = instance.uncertainty(res.perturbation)
        if float(hi) > float(lo):
            return float(lo), float(hi)
    values = list(res.pi.values())
    if not values or min(values) == max(values):
        raise MilkrunError(f"no range to scan for the radius: '{res.perturbation}' has no `uncertain` range and the "
                           "scenarios give it one value", Span("--radius-range", 1, 1),
                           hint="give --radius-range LO:HI")
    return min(values), max(values)


def _radii(spec: FepiaSpec, ir, res: FepiaResult, instance, held: HeldDesign, say) -> None:
    """Scan the range for every configuration (one compile per value), then bisect each crossing."""
    lo, hi = _radius_range(spec, res, instance)
    res.radius_range = (lo, hi)
    res.resolution = spec.radius_resolution or (hi - lo) / 1000
    grid = set(np.round(np.linspace(lo, hi, max(1, spec.radius_steps) + 1), 12).tolist())
    grid |= {v for v in res.pi.values() if lo <= v <= hi}
    res.radius_grid = sorted(grid)
    pi = res.perturbation
    # a scenario that changes more than π is the base its radius is measured on; otherwise the plain data
    base = {s: (s if any(ch.name != pi for ch in ir.scenarios[s].changes) else None) for s in res.scenarios}

    def evaluate(g: Group, b: str | None, value: float) -> Evaluation:
        curve = res.curves.setdefault((g.label, b), {})
        if value not in curve:
            curve[value] = held.evaluate(g.kept.values, b, tuple(spec.fixed_set) + (f"{pi}={value!r}",))
        return curve[value]

    for b in sorted({base[s] for g in res.groups for s in g.scenarios}, key=str):
        for value in res.radius_grid + [res.pi[s] for s in res.scenarios if base[s] == b]:
            for g in res.groups:
                if any(base[s] == b for s in g.scenarios):
                    evaluate(g, b, value)
    for g in res.groups:
        for s in g.scenarios:
            def fails(value, g=g, b=base[s]):
                e = evaluate(g, b, value)
                if not e.feasible:
                    return [f"{e.status}: {e.reason}" if e.reason else e.status]
                return violations(e.feature, res.tolerances)

            r = radius(fails, res.pi[s], res.radius_grid, lo, hi, res.resolution)
            res.radii.append(RadiusRow(g.label, s, r))
        say(f"radius of {g.label}: " + "; ".join(f"from {row.origin} {row.radius.text()}"
                                                 for row in res.radii if row.label == g.label))
    sign = 1 if res.senses[res.primary] == "max" else -1
    ranked = sorted(res.groups, key=lambda g: (-(res.radius_of(g.label) or 0.0),
                                               -sign * _nan_last(res.mean_primary(g.label), sign)))
    res.most_robust = ranked[0].label if ranked else None


def _nan_last(v: float, sign: int) -> float:
    return v if not math.isnan(v) else -sign * math.inf
