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

from milkrun.compiler.data.inline import read_override
from milkrun.compiler.data.records import RawData
from milkrun.compiler.pipeline import RunOptions, bind_data, load_model, resolve_model_path
from milkrun.compiler.report.figure import declared_label
from milkrun.compiler.solve.solvers import choose_solver
from milkrun.compiler.studies.fepia.cases import HeldRuns
from milkrun.compiler.studies.fepia.checkpoint import Checkpoint
from milkrun.compiler.studies.fepia.configurations import Configuration, Group, collect, find_sites, group
from milkrun.compiler.studies.fepia.heldfront import held_fronts
from milkrun.compiler.studies.fepia.reoptimise import Evaluation
from milkrun.compiler.studies.fepia.robustness import (
    Radius,
    Tolerance,
    parse_tolerance,
    probe_of,
    radius_search,
    violations,
)
from milkrun.compiler.studies.fepia.search import SLOPE_FACTOR, Slopes, side_by_side
from milkrun.compiler.studies.fepia.small import find_small_types
from milkrun.compiler.studies.fepia.vector import Space, directions, vector_radius
from milkrun.compiler.studies.fepia.work import front_task, run_task
from milkrun.compiler.studies.pareto.run import write_front_parts
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
    perturbation: list[str] | str | None = None  # None: the one parameter the scenarios change; several: a vector
    # None: each parameter's `uncertain` range, or its scenarios' span; one parameter: (LO, HI); several: {name: (LO, HI)}
    radius_range: tuple[float, float] | dict[str, tuple[float, float]] | None = None
    radius_steps: int = 10
    radius_resolution: float | None = None      # None: a thousandth of the range (several parameters: 0.001 of ‖δ‖)
    radius_directions: int = 16                 # two parameters: rays around the origin (more: the axes and diagonals)
    slope_factor: float = SLOPE_FACTOR          # hidden crossings: the slope bound assumed; 0 turns that search off
    progress: bool = False
    workers: int = 1                            # fronts, held runs and radius evaluations run on N processes
    scheduler: str | None = None                # or on a Dask cluster: its scheduler's address
    cluster: str | None = None                  # or "local": a Dask LocalCluster of `workers` processes
    resume: bool = False                        # reuse the finished fronts and held runs in OUT/checkpoint
    group_extra_small: bool = True              # the seed's rule: one extra tank of a small type is the same
    small_types: list[str] | None = None        # those types; None: the least --size-param (small.py)
    size_param: str | None = None               # None: `capacity` when the model has it over the types
    held_objective: str | None = None           # re-optimised in held runs; None: the primary
    held_front: int = 0                         # points of each held configuration's own front; 0: none

    def run(self, workers_share_cores: bool = False) -> RunOptions:
        """What every front and held solve starts from: the model, its data and --set, the solver.
        `workers_share_cores`: HiGHS runs one thread (several workers share the machine)."""
        options = dict(self.options)
        if workers_share_cores and self.solver == "highs" and "threads" not in options:
            options["threads"] = 1
        return RunOptions(model=self.model, data=self.data, overrides=tuple(self.overrides), solver=self.solver,
                          solver_options=options, time_limit=self.time_limit, gap=self.gap, tour_method=self.tour)


@dataclass
class FrontRun:
    scenario: str
    front: object                                # passes.multiobjective.Front
    designs: list[Configuration]                 # one per front point, in the front's order
    seconds: float
    resumed: bool = False                        # read from OUT/checkpoint (--resume), not run again


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
    perturbation: str                            # the (first) perturbed parameter: the plots' axis
    pi: dict[str, float]                         # its value in each scenario
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
    perturbations: list[str] = field(default_factory=list)  # every perturbed parameter (the vector)
    pi_vector: dict[str, dict[str, float]] = field(default_factory=dict)  # scenario -> parameter -> value
    nominal: dict[str, float] = field(default_factory=dict)  # the unit of relative changes (several parameters)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)  # several parameters: the box searched
    slope_bounds: dict[str, dict[str, float]] = field(default_factory=dict)  # label -> tolerance -> bound assumed
    guarantee: str = ""                          # what the radius search can and cannot have missed
    files: tuple[Path, Path | None] = (Path(), None)  # the model file and the data folder (their hashes: checkpoint)

    @property
    def vector(self) -> bool:
        return len(self.perturbations) > 1
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


def _perturbations(ir, scenarios: list[str], given: list[str] | str | None) -> list[str]:
    """The perturbed parameters: those named (--perturbation, repeatable), else the one the scenarios change."""
    where = Span("--perturbation", 1, 1)
    names = [given] if isinstance(given, str) else list(given or [])
    if not names:
        changed = []
        for s in scenarios:
            for ch in ir.scenarios[s].changes:
                if ch.name not in changed:
                    changed.append(ch.name)
        if len(changed) != 1:
            what = "change nothing" if not changed else f"change {len(changed)} parameters ({', '.join(changed)})"
            raise MilkrunError(f"the scenarios {what}, so the perturbation parameter is not obvious",
                               ir.symbols[scenarios[0]].span,
                               hint="name it with --perturbation NAME (repeat it to perturb several together)")
        names = changed
    if len(set(names)) != len(names):
        raise MilkrunError("--perturbation: a parameter is named twice", where)
    params = [s.name for s in ir.of_kind("param")]
    for name in names:
        sym = ir.symbols.get(name)
        if sym is None or sym.kind != "param":
            raise MilkrunError(f"--perturbation: '{name}' is not a parameter of the model", where,
                               hint=did_you_mean(name, params))
        if sym.element_param:
            raise MilkrunError(f"the perturbation parameter '{name}' holds an element of a set, not a number", sym.span)
        if sym.positions:
            raise MilkrunError(f"the perturbation parameter '{name}' is indexed; the radius needs a single number",
                               sym.span, hint="give a scalar parameter with --perturbation (one that scales the others)")
        if sym.decl.definition is not None:
            raise MilkrunError(f"the perturbation parameter '{name}' is computed by a formula and cannot be set",
                               sym.span, hint="perturb a parameter it is computed from")
    return names


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
    spec.solver, _ = choose_solver(spec.solver, ir.nonlinear, ir.undirected_tours)  # auto: one choice for every run
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
    names = _perturbations(ir, scenarios, spec.perturbation)
    pi = names[0]
    for text in spec.fixed_set:
        read_override(ir, text, RawData(), flag="--fixed-set")
    if spec.group_distance < 0:
        raise MilkrunError("--group-distance must not be negative", Span("--group-distance", 1, 1))
    given_ranges = _given_ranges(spec.radius_range, names)
    instance, data_dir = bind_data(ir, spec.data, list(spec.overrides) + list(spec.fixed_set))  # bad data fails here
    for name, span in given_ranges.items() if spec.tolerances else ():  # a value the parameter refuses: say so now
        for end in span:
            try:
                bind_data(ir, spec.data, list(spec.overrides) + list(spec.fixed_set) + [f"{name}={end!r}"])
            except MilkrunError as e:
                if e.kind != "infeasible":  # a failing check at the end of the range is a result, not a mistake
                    raise MilkrunError(f"--radius-range: {name} = {end:g} is not a value the model accepts: "
                                       f"{e.message}", Span("--radius-range", 1, 1)) from None
    if spec.radius_directions < 4:
        raise MilkrunError(f"--radius-directions needs at least 4 (got {spec.radius_directions})",
                           Span("--radius-directions", 1, 1))
    if spec.slope_factor < 0:
        raise MilkrunError(f"--radius-slope-factor must not be negative (got {spec.slope_factor:g})",
                           Span("--radius-slope-factor", 1, 1))
    senses = {s.name: ("max" if s.decl.sense == "maximize" else "min") for s in ir.objectives}
    result = FepiaResult(spec, ir.name or path.stem, [primary] + [o for o in objectives if o != primary], senses,
                         primary, design, scenarios, {s: ir.scenarios[s].doc or "" for s in scenarios}, pi, {},
                         gamma, phi, tolerances)
    result.labels = {name: declared_label(ir, name) for name in [*scalar, *names]}  # the plots' axes
    result.perturbations = names
    result.files = (path, data_dir)
    result.nominal = {n: float(instance.param(n)) for n in names}
    if len(names) > 1 and spec.tolerances:
        for n, v in result.nominal.items():
            if v == 0:
                raise MilkrunError(f"--perturbation {n}: its nominal value is 0, and several parameters are compared "
                                   "by their changes relative to the nominal values", Span("--perturbation", 1, 1),
                                   hint=f"give it a non-zero value with --set {n}=VALUE, or perturb it alone")
    result.held_objective = held_objective
    result.sites, how = find_sites(ir, instance, design, spec.coords)  # --coords and the small types: refused now
    result.grouping = (how if result.sites is None else "identical configurations only (--group-distance 0)"
                       if spec.group_distance <= 0 else f"sites matched within {spec.group_distance:g} m ({how})")
    result.small, result.extra_small = find_small_types(ir, instance, design, result.sites, spec.group_extra_small,
                                                        spec.small_types, spec.size_param)
    return ir, result, instance


def _given_ranges(given, names: list[str]) -> dict[str, tuple[float, float]]:
    """--radius-range as {parameter: (LO, HI)}: one parameter takes LO:HI, several NAME=LO:HI each."""
    where = Span("--radius-range", 1, 1)
    if given is None:
        return {}
    ranges = dict(given) if isinstance(given, dict) else {names[0]: tuple(given)}
    if not isinstance(given, dict) and len(names) > 1:
        raise MilkrunError("--radius-range: with several perturbed parameters, give each its range as NAME=LO:HI",
                           where, hint=f"--radius-range {names[0]}=LO:HI")
    for name, (lo, hi) in ranges.items():
        if name not in names:
            raise MilkrunError(f"--radius-range: '{name}' is not a perturbed parameter", where,
                               hint=did_you_mean(name, names) or f"they are: {', '.join(names)}")
        if not lo < hi:
            raise MilkrunError(f"--radius-range: LO must be below HI, got {lo:g}:{hi:g}", where)
    return ranges


# --------------------------------------------------------------------------- the steps
def run_fepia(spec: FepiaSpec, out: Path | None = None, say=None) -> FepiaResult:
    """Steps 2-5. `out`: each front is written there as soon as it is done. `say`: progress lines.
    With --workers N (or a Dask cluster), fronts, held runs and radius evaluations run on workers."""
    say = say or (lambda text: None)
    t0 = time.perf_counter()
    ir, res, instance = prepare(spec)
    checkpoint = Checkpoint(out, spec, *res.files, spec.resume) if out is not None else None
    executor = _executor(spec, *res.files)
    try:
        _fronts(spec, ir, res, out, say, executor, checkpoint)
        t1 = time.perf_counter()
        res.configurations = collect({s: r.designs for s, r in res.fronts.items()})
        res.groups = group(res.configurations, res.sites, spec.group_distance, res.small)
        say(f"{len(res.configurations)} distinct configuration(s) along the fronts, {len(res.groups)} kept: "
            f"{res.grouping}{res.extra_small_text()}")
        held = HeldRuns(spec.run(workers_share_cores=executor is not None).replace(objective=res.held_objective),
                        executor, checkpoint)
        found = held.evaluate({(s, tuple(spec.fixed_set)): {g.label: g.kept for g in res.groups}
                               for s in res.scenarios})  # one compile per scenario, every configuration on it
        for s in res.scenarios:
            for g in res.groups:
                res.evaluations[(g.label, s)] = found[((s, tuple(spec.fixed_set)), g.label)]
            say(f"held configurations under {s}: " + ", ".join(f"{g.label} {_short(res.evaluations[(g.label, s)])}"
                                                              for g in res.groups))
        t2 = time.perf_counter()
        if res.tolerances and res.groups:
            _radii(spec, ir, res, instance, held, say)
        elif not res.tolerances:
            res.notes.append("no --tolerance given: no robustness radius, so no configuration is named most robust")
    finally:
        if executor is not None:
            executor.close()
    t3 = time.perf_counter()
    res.seconds = {"fronts": t1 - t0, "held": t2 - t1, "radius": t3 - t2, "total": t3 - t0,
                   "compiles": held.cases, "solves": held.solves, "resumed_solves": held.reused,
                   "resumed_fronts": sum(1 for r in res.fronts.values() if r.resumed)}
    if spec.held_front:  # after the radius, so the steps before keep their timings
        res.held_fronts, compiles = held_fronts(spec.run(), res.groups, res.scenarios, tuple(spec.fixed_set),
                                                res.held_objective, spec.held_front, res.evaluations, say)
        res.seconds.update(held_fronts=time.perf_counter() - t3, held_front_compiles=compiles,
                           total=time.perf_counter() - t0)
    return res


def _executor(spec: FepiaSpec, model: Path, data_dir: Path | None):
    """The workers of this run (None: everything here): --workers N local processes, or Dask; they
    compile from the model's files as read here once (sweep/shipping.py), never from these paths."""
    if spec.workers <= 1 and not spec.scheduler and not spec.cluster:
        return None
    from milkrun.compiler.studies.sweep.executors import make_executor
    from milkrun.compiler.studies.sweep.shipping import collect

    bundle = collect(model, data_dir)  # include folders: MILKRUN_INCLUDE_PATH (the command's --include-path)
    return make_executor(run_task, spec.workers, spec.scheduler, spec.cluster, bundle=bundle).start()


def _short(e: Evaluation) -> str:
    return "ok" if e.feasible else e.status


def _fronts(spec: FepiaSpec, ir, res: FepiaResult, out: Path | None, say, executor, checkpoint) -> None:
    """A front per scenario: here, or on the workers side by side (the fronts are independent; each
    worker compiles its scenario and hands back plain data). A front the checkpoint holds is not run again."""
    integral = {n: ir.symbols[n].decl.kind in ("binary", "integer") for n in res.design}
    run = spec.run(workers_share_cores=executor is not None)
    tasks = [{"kind": "front", "run": run.replace(scenario=s), "primary": res.primary, "points": spec.points, "scenario": s,
              "perturbations": list(res.perturbations), "design": list(res.design), "integral": integral,
              "out": str(out) if out is not None else None, "progress": spec.progress and executor is None,
              "files": executor.files if executor is not None else None} for s in res.scenarios]
    resumed = {s: checkpoint.front(s) for s in res.scenarios} if checkpoint is not None else {}
    todo = [t for t in tasks if resumed.get(t["scenario"]) is None]
    if executor is None:
        done = map(front_task, todo)
    else:
        from milkrun.compiler.studies.sweep.executors import run_all

        done = run_all(executor, todo)
    finished = {s: r for s, r in resumed.items() if r is not None}
    for r in done:
        parts = r.pop("parts", None)  # the worker sent what the front's files need; they are written here
        r["written"] = ([str(w) for w in write_front_parts(parts, r["front"], out / "fronts" / r["scenario"])]
                        if parts is not None and out is not None else [])
        if checkpoint is not None:
            checkpoint.save_front(r)
        finished[r["scenario"]] = r
    for s in res.scenarios:
        r = finished[s]
        res.pi_vector[s] = r["pi"]
        res.pi[s] = r["pi"][res.perturbation]
        res.fronts[s] = FrontRun(s, r["front"], r["designs"], r["seconds"], r.get("resumed", False))
        res.written += [Path(w) for w in r["written"]]
        front = r["front"]
        say(f"front {s} ({res.perturbation} = {res.pi[s]:g}): {len(front.points)} point(s), "
            f"{front.solves} solves, {r['seconds']:.1f} s" + (" (from the checkpoint)" if r.get("resumed") else ""))
        if not front.points:
            res.notes.append(f"scenario {s}: the front has no point (no plan within the limits)")


def _range_of(name: str, spec: FepiaSpec, res: FepiaResult, instance) -> tuple[float, float]:
    """The values of one perturbed parameter the radius search may visit: --radius-range, else its
    `uncertain` range, else the span of its values in the scenarios."""
    given = _given_ranges(spec.radius_range, res.perturbations)
    if name in given:
        return given[name]
    sym = instance.ir.symbols[name]
    if sym.decl.uncertain is not None:
        _, lo, hi = instance.uncertainty(name)
        if float(hi) > float(lo):
            return float(lo), float(hi)
    values = [v[name] for v in res.pi_vector.values()]
    if not values or min(values) == max(values):
        form = "LO:HI" if len(res.perturbations) == 1 else f"{name}=LO:HI"
        raise MilkrunError(f"no range to scan for the radius: '{name}' has no `uncertain` range and the "
                           "scenarios give it one value", Span("--radius-range", 1, 1), hint=f"give --radius-range {form}")
    return min(values), max(values)


def _radii(spec: FepiaSpec, ir, res: FepiaResult, instance, held: HeldRuns, say) -> None:
    """The radius of every configuration from every origin, then the most robust configuration. The
    searches run side by side (search.side_by_side): each round, the points they ask for are
    evaluated together, each distinct point compiled once (and the points on the workers)."""
    names = res.perturbations
    # a scenario that changes more than the perturbed parameters is the base its radius is measured on;
    # otherwise the plain data
    base = {s: (s if any(ch.name not in names for ch in ir.scenarios[s].changes) else None) for s in res.scenarios}
    res.ranges = {n: _range_of(n, spec, res, instance) for n in names}
    if len(names) == 1:
        _scalar_grid(spec, res)
    else:
        res.resolution = spec.radius_resolution or 0.001
        space = Space(names, res.nominal, {n: r[0] for n, r in res.ranges.items()},
                      {n: r[1] for n, r in res.ranges.items()})
    groups = {g.label: g for g in res.groups}
    slopes = {g.label: Slopes(spec.slope_factor) if spec.slope_factor > 0 else None for g in res.groups}
    searches, bases = {}, {}
    for g in res.groups:
        for s in g.scenarios:
            bases[(g.label, s)] = base[s]
            searches[(g.label, s)] = (
                radius_search(res.pi[s], res.radius_grid, *res.ranges[names[0]], res.resolution, slopes[g.label])
                if len(names) == 1 else
                vector_radius(res.pi_vector[s], space, spec.radius_directions, spec.radius_steps, res.resolution,
                              slopes[g.label]))

    def values_of(request) -> tuple[float, ...]:
        return (float(request),) if len(names) == 1 else tuple(float(request[n]) for n in names)

    def key_of(values: tuple[float, ...]):
        return values[0] if len(names) == 1 else values

    def solve(wanted: list[tuple[str, str | None, tuple[float, ...]]]) -> None:
        """Held runs of (label, base, values) not known yet, in one batch of cases, into res.curves."""
        batch = {}
        for label, b, values in wanted:
            if key_of(values) not in res.curves.setdefault((label, b), {}):
                case = (b, tuple(spec.fixed_set) + tuple(f"{n}={v!r}" for n, v in zip(names, values)))
                batch.setdefault(case, {})[label] = groups[label].kept
        for ((b, changes), label), e in held.evaluate(batch).items():
            values = tuple(float(c.split("=", 1)[1]) for c in changes[len(spec.fixed_set):])
            res.curves[(label, b)][key_of(values)] = e

    def answer(requests: dict) -> dict:
        """Evaluate what is not known yet; then every search's Probe."""
        solve([(label, bases[(label, s)], values_of(request)) for (label, s), request in requests.items()])
        out = {}
        for (label, s), request in requests.items():
            e = res.curves[(label, bases[(label, s)])][key_of(values_of(request))]
            broken = ([f"{e.status}: {e.reason}" if e.reason else e.status] if not e.feasible
                      else violations(e.feature, res.tolerances))
            out[(label, s)] = probe_of(e.feature, res.tolerances, broken)
        return out

    if len(names) == 1:  # every configuration on the whole scan (the features' curves), a compile per value
        solve([(label, b, (v,)) for (label, s), b in bases.items() for v in res.radius_grid + [res.pi[s]]])
    found = side_by_side(searches, answer)
    for g in res.groups:
        for s in g.scenarios:
            res.radii.append(RadiusRow(g.label, s, found[(g.label, s)]))
        if slopes[g.label] is not None:
            res.slope_bounds[g.label] = slopes[g.label].bounds()
        say(f"radius of {g.label}: " + "; ".join(f"from {row.origin} {row.radius.text()}"
                                                 for row in res.radii if row.label == g.label))
    res.guarantee = _guarantee(spec, res)
    sign = 1 if res.senses[res.primary] == "max" else -1
    ranked = sorted(res.groups, key=lambda g: (-(res.radius_of(g.label) or 0.0),
                                               -sign * _nan_last(res.mean_primary(g.label), sign)))
    res.most_robust = ranked[0].label if ranked else None


def _scalar_grid(spec: FepiaSpec, res: FepiaResult) -> None:
    """One parameter: `--radius-steps` equal intervals over its range and the scenarios' values,
    the same for every origin (so each value is compiled once)."""
    lo, hi = res.ranges[res.perturbation]
    res.radius_range = (lo, hi)
    res.resolution = spec.radius_resolution or (hi - lo) / 1000
    grid = set(np.round(np.linspace(lo, hi, max(1, spec.radius_steps) + 1), 12).tolist())
    res.radius_grid = sorted(grid | {v for v in res.pi.values() if lo <= v <= hi})


def _guarantee(spec: FepiaSpec, res: FepiaResult) -> str:
    """One sentence on what the radius search cannot have missed, and what it can."""
    unit = "of ‖δ‖ (relative to the nominal values)" if res.vector else f"in {res.perturbation}"
    along = f"each crossing located to within {res.resolution:g} {unit}"
    if spec.slope_factor > 0:
        hidden = (f"a feature leaving its tolerance and coming back between two holding points is found when it "
                  f"changes no faster than {spec.slope_factor:g} times the fastest change seen on that configuration "
                  f"(the bounds assumed are in radius.csv), or when the excursion is wider than the resolution")
    else:
        hidden = "an excursion between two scan points is not looked for (--radius-slope-factor 0)"
    if res.vector:
        step = 360 / spec.radius_directions / 2 ** 3 if len(res.perturbations) == 2 else None
        rays = (f"{spec.radius_directions} directions, refined to {step:g}° around the nearest crossing"
                if step else f"{len(directions(len(res.perturbations), 0))} directions (the axes and the diagonals)")
        return f"{along}; {hidden}; searched along {rays}: a failure region narrower than that between rays can be missed"
    return f"{along}; {hidden}"


def _nan_last(v: float, sign: int) -> float:
    return v if not math.isnan(v) else -sign * math.inf
