"""The pipeline in one place: parse → check → data → build → passes → solve, for one RunOptions.

    load_model(path)             parse + includes + checks          → ModelIR
    compile_model(run)           … + data + build + passes          → Compiled
    solve_compiled(compiled, run) the solve, and what every solve adds → Result
    solve_model(run)             both                               → Result

`run` is a RunOptions: everything one run needs, built once (by the command line, a study, a
test) and passed whole; a study changes what it varies with `run.replace(...)`. The functions also
take a model path with the options as keywords: `compile_model("transport", data=..., overrides=[...])`.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from milkrun.compiler.build.figures import evaluate_kpis, run_checks
from milkrun.compiler.data.inline import apply_scenario, read_model_data, read_override
from milkrun.compiler.data.instance import Instance
from milkrun.compiler.data.objects import DataReader, Tables
from milkrun.compiler.data.records import RawData
from milkrun.compiler.model.check import check
from milkrun.compiler.model.ir import ModelIR
from milkrun.compiler.solve.solvers import auto_solver
from milkrun.dsl.diagnostics import MilkrunError, Span, did_you_mean
from milkrun.dsl.includes import load
from milkrun.models import available, shipped

if TYPE_CHECKING:  # imported where they are used: `milkrun check` needs no linopy, solver, robust pass or SCIP builder
    from milkrun.compiler.build.linopy_model import BuiltModel
    from milkrun.compiler.passes.robust import RobustOptions
    from milkrun.compiler.solve.result import Result


@dataclass(frozen=True)
class RunOptions:
    """What one run of a model needs, in the order the pipeline uses it."""

    model: str | Path                         # a path, or the name of a shipped model
    data: str | Path | Tables | None = None   # a folder of CSV tables (None: the folder named like the model),
    #                                           or Tables: objects by name, with a folder (data/objects.py)
    overrides: tuple[str, ...] = ()           # --set NAME=VALUE changes, in order
    scenario: str | None = None               # one of the model's named scenarios
    perturb: tuple[str, ...] = ()             # --perturb changes (the twin's), applied after --set
    realisation: tuple[int, int] | None = None  # (seed, k): every `uncertain` parameter drawn
    include_path: tuple[str | Path, ...] = ()  # more folders for `include`
    max_entries: int | None = None            # the largest set or array a model may make
    objective: str | None = None              # optimised first; None: the model's first objective
    tour_method: str | None = None            # mtz | flow | lazy; None: the solver's best (passes/tour.py)
    robust: RobustOptions | None = None       # the robust counterpart of every `uncertain` row
    fixed: Mapping | None = None              # variable name → values held fixed (passes/fix.py)
    solver: str = "auto"
    solver_options: Mapping[str, str] = field(default_factory=dict)
    time_limit: float | None = None
    gap: float | None = None

    def __post_init__(self):  # lists given by callers become tuples: a RunOptions is a value
        for name in ("overrides", "perturb", "include_path"):
            v = getattr(self, name)
            object.__setattr__(self, name, tuple(v) if v is not None else ())
        if isinstance(self.data, Mapping):  # tables as objects by name: `data={"distance": frame}`
            object.__setattr__(self, "data", Tables(self.data))

    def replace(self, **changes) -> RunOptions:
        return dataclasses.replace(self, **changes)

    def tour(self, ir: ModelIR) -> str:
        """The tour method this run builds `ir` with: the one asked for, else the best on the solver
        that will run (with auto: SCIP for a model with a tour, so lazy cuts)."""
        from milkrun.compiler.passes.tour import default_method

        return self.tour_method or default_method(auto_solver(self.solver, ir))


def run_options(run: RunOptions | str | Path, data=None, **fields) -> RunOptions:
    """A RunOptions as given, or made from a model path and keywords (`solve_model(path, data, solver=...)`)."""
    if isinstance(run, RunOptions):
        if data is not None or fields:
            return run.replace(**({"data": data} if data is not None else {}), **fields)
        return run
    if "options" in fields:  # the solver's options, under the name the commands use
        fields["solver_options"] = fields.pop("options") or {}
    return RunOptions(model=run, data=data, **{k: v for k, v in fields.items() if v is not None})


@dataclass
class Compiled:
    ir: ModelIR
    instance: Instance
    built: BuiltModel
    data_dir: Path | None
    seconds: dict[str, float] = field(default_factory=dict)
    robust: object = None  # passes/robust.py RobustReport when a robust counterpart was asked for

    @property
    def linopy(self):
        return self.built.linopy


def resolve_model_path(model: str | Path) -> Path:
    """A path, or the name of a shipped model (`milkrun solve transport`)."""
    p = Path(model)
    if p.exists():
        return p
    if len(p.parts) > 1:  # a path, not a name
        raise MilkrunError(f"model file '{model}' does not exist")
    found = shipped(str(model))
    if found is not None:
        return found
    names = available()
    guess = did_you_mean(p.stem, names)
    raise MilkrunError(f"model file '{model}' does not exist, and no shipped model is called '{p.stem}'",
                       hint=guess or f"shipped models: {', '.join(names)}")


def default_data_dir(model: Path) -> Path | None:
    """`models/transport.mcp` reads `models/transport/` when no --data is given."""
    d = model.with_suffix("")
    return d if d.is_dir() else None


def load_model(path: str | Path, include_path=None, text: str | None = None) -> ModelIR:
    """Parse, include and check; `text` is the model's text when it is not read from `path`
    (an editor's buffer: includes and the data folder are still found next to `path`)."""
    return check(load(path, list(include_path) if include_path else None, text=text))


def bind_data(ir: ModelIR, data: str | Path | Tables | Mapping | None, overrides: list[str] | None = None,
              scenario: str | None = None, realisation: tuple[int, int] | None = None,
              perturb: list[str] | None = None, max_entries: int | None = None) -> tuple[Instance, Path | None]:
    """Data in the order it applies: the model's data, the tables (a folder, or objects with one), the
    scenario, --set, --perturb; then, with `realisation=(seed, k)`, each `uncertain` parameter drawn
    within its range. Returns the instance and the folder read (None: none)."""
    with DataReader(ir, data, default_data_dir(Path(ir.file))) as tables:  # locates errors in objects
        raw = RawData()
        read_model_data(ir, raw)
        data_dir = tables.read(raw)
        if scenario is not None:
            apply_scenario(ir, scenario, raw)
        for text in overrides or []:
            read_override(ir, text, raw)
        for text in perturb or []:
            read_override(ir, text, raw, flag="--perturb")
        if realisation is not None:
            if not ir.uncertain_params:
                raise MilkrunError("random realisations need parameters declared 'uncertain'; this model has none",
                                   Span(ir.file, 1, 1))
            raw.realisation = (int(realisation[0]), int(realisation[1]))
        return Instance(ir, raw, max_entries).bind_all(), data_dir


def compile_model(run: RunOptions | str | Path, data=None, **fields) -> Compiled:
    """Parse, check, bind the data, build, and apply the passes the run asks for: the robust
    counterpart of every row and objective an uncertain parameter touches, and fixed values."""
    run = run_options(run, data, **fields)
    t0 = time.perf_counter()
    ir = load_model(resolve_model_path(run.model), run.include_path)
    t1 = time.perf_counter()
    instance, data_dir = bind_data(ir, run.data, list(run.overrides), run.scenario, run.realisation,
                                   list(run.perturb), max_entries=run.max_entries)
    run_checks(ir, instance)
    t2 = time.perf_counter()
    if ir.nonlinear:  # the robust counterpart is built row by row with the model (passes/robust_nl.py)
        from milkrun.compiler.build.nonlinear import build_nonlinear

        rows = None
        if run.robust:  # passes/robust_nl.py builds on the linear robust pass, and so on linopy: only when asked for
            from milkrun.compiler.passes.robust_nl import RobustRows

            rows = RobustRows(run.robust)
        built = build_nonlinear(ir, instance, run.objective, rows=rows)
        compiled = Compiled(ir, instance, built, data_dir, robust=built.robust_report)
    else:
        from milkrun.compiler.build.linopy_model import build
        from milkrun.compiler.passes.tour import formulations

        built = build(ir, instance, run.objective, formulations(run.tour(ir)))
        compiled = Compiled(ir, instance, built, data_dir)
        if run.robust is not None:
            from milkrun.compiler.passes.robust import robust_counterpart

            compiled.robust = robust_counterpart(compiled, run.robust)
    if run.fixed:
        from milkrun.compiler.passes.fix import fix_variables

        fix_variables(compiled.built, dict(run.fixed))
    t3 = time.perf_counter()
    compiled.seconds = {"parse_check": t1 - t0, "data": t2 - t1, "build": t3 - t2}
    return compiled


def solve_compiled(compiled: Compiled, run: RunOptions, quiet: bool = True, progress: bool = False,
                   start=None, duals: bool = False) -> Result:
    """Solve with the run's solver and limits, and add what every solve adds (`finish`). `duals`: also the
    duals and reduced costs of the LP (of the LP with the integer variables fixed at the plan for a MIP),
    from HiGHS (compiler/solve/duals.py); a nonlinear model is refused before the solve."""
    if duals:
        from milkrun.compiler.solve.duals import refuse_nonlinear

        refuse_nonlinear(compiled.ir)
    if compiled.ir.nonlinear:  # built for SCIP: the linear path (linopy, HiGHS) is never loaded
        from milkrun.compiler.solve.nonlinear import solve_nonlinear_model

        result = solve_nonlinear_model(compiled.built, run.solver, dict(run.solver_options), run.time_limit,
                                       run.gap, quiet=quiet, progress=progress, start=start)
    else:
        from milkrun.compiler.solve.run import solve

        result = solve(compiled.built, run.solver, dict(run.solver_options), run.time_limit, run.gap,
                       quiet=quiet, ir=compiled.ir, progress=progress, start=start)
    if duals:
        add_duals(compiled, result, run)
    return finish(compiled, result)


def add_duals(compiled: Compiled, result: Result, run: RunOptions) -> None:
    """The duals of the result's plan, or the reason there are none, in the result."""
    if not result.has_solution:
        result.duals, result.reduced_costs, result.duals_note = {}, {}, "no duals: there is no plan"
        return
    from milkrun.compiler.solve.duals import lp_duals

    found = lp_duals(compiled.built, result.solution, result.status == "optimal", run.time_limit)
    result.duals, result.reduced_costs = found.rows, found.columns
    result.duals_of, result.duals_note = found.of, found.note
    result.seconds["duals"] = found.seconds


def solve_model(run: RunOptions | str | Path, data=None, **fields) -> Result:
    """Compile and solve."""
    run = run_options(run, data, **fields)
    compiled = compile_model(run)
    result = solve_compiled(compiled, run)
    result.seconds = {**compiled.seconds, **result.seconds}
    result.seconds["total"] = sum(result.seconds.values())
    return result


def add_price_of_robustness(run: RunOptions, result: Result) -> None:
    """As `milkrun solve --robust` reports it: the same model on the nominal data, solved too, and
    what the robustness costs (the difference of the two optima)."""
    from milkrun.compiler.solve.stdout_guard import silenced

    with silenced(True):
        nominal = solve_model(run.replace(robust=None))
    result.robust["nominal_optimum"] = nominal.objective if nominal.has_solution else None
    result.robust["nominal_status"] = nominal.status
    if nominal.has_solution and result.objective is not None:
        result.robust["price"] = abs(nominal.objective - result.objective)


def finish(compiled: Compiled, result: Result) -> Result:
    """What every solve adds to the solver's answer: the model's name and its kpis."""
    result.model = compiled.ir.name
    result.units = {name: unit for name, unit in compiled.ir.units.items()
                    if compiled.ir.symbols[name].kind in ("var", "objective", "kpi")}
    result.tour_families = compiled.built.tours
    result.added = added_variables(compiled, list(result.solution.data_vars))
    names = getattr(compiled.built, "added_names", {})
    result.labels = {n: names[n] for n in result.added if n in names}
    if compiled.robust is not None:
        from milkrun.compiler.passes.robust import describe

        result.robust = describe(compiled, result)
    if result.has_solution:
        result.kpis = evaluate_kpis(compiled.ir, compiled.instance, result.solution)
        result.kpi_docs = {s.name: s.decl.doc for s in compiled.ir.of_kind("kpi")}
    return result


def added_variables(compiled: Compiled, names: list[str]) -> dict[str, str]:
    """The variable families milkrun's passes added (a tour's flow or order, a robust
    counterpart's deviations), by name, with what they stand for: reports keep them apart from
    the model's own variables."""
    declared = {s.name for s in compiled.ir.of_kind("var")}
    tours = {t.name: t.method for t in compiled.built.tours}
    out = {}
    for name in names:
        if name in declared:
            continue
        tour = next((t for t in tours if name.startswith(t + "_")), None)
        if tour is not None:
            out[name] = f"tour '{tour}', {tours[tour]} formulation"
        elif compiled.robust is not None:
            out[name] = "robust counterpart"
        else:
            out[name] = "added by a compiler pass"
    return out
