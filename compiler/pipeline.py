"""The pipeline in one place: parse → check → data → build → solve.

    load_model(path)                       parse + includes + static checks → ModelIR
    compile_model(path, data, overrides)   … + data binding + linopy build  → Compiled
    solve_model(path, …)                   … + solve                         → Result
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from milkrun.dsl.diagnostics import MilkrunError, Span, did_you_mean
from milkrun.dsl.includes import load

from milkrun.compiler.build.linopy_model import BuiltModel, build
from milkrun.compiler.model.check import check
from milkrun.compiler.data.csv_tables import read_directory
from milkrun.compiler.data.inline import apply_scenario, read_model_data, read_override
from milkrun.compiler.data.records import RawData
from milkrun.compiler.build.figures import evaluate_kpis, run_checks
from milkrun.compiler.data.instance import Instance
from milkrun.compiler.model.ir import ModelIR
from milkrun.compiler.solve.result import Result
from milkrun.compiler.solve.run import solve


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
    from milkrun.models import available, shipped

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


def load_model(path: str | Path, include_path: list[str | Path] | None = None) -> ModelIR:
    return check(load(path, include_path))


def bind_data(ir: ModelIR, data: str | Path | None, overrides: list[str] | None = None,
              scenario: str | None = None, realisation: tuple[int, int] | None = None,
              perturb: list[str] | None = None, max_entries: int | None = None) -> tuple[Instance, Path | None]:
    """Data in the order it applies: the model's data, the tables, the scenario, --set, --perturb;
    then, with `realisation=(seed, k)`, each `uncertain` parameter drawn within its range."""
    raw = RawData()
    read_model_data(ir, raw)
    data_dir = Path(data) if data is not None else default_data_dir(Path(ir.file))
    if data_dir is not None:
        read_directory(ir, data_dir, raw)
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


def compile_model(path: str | Path, data: str | Path | None = None, overrides: list[str] | None = None,
                  objective: str | None = None, tour_method: str | None = None, scenario: str | None = None,
                  realisation: tuple[int, int] | None = None, perturb: list[str] | None = None,
                  robust=None, include_path: list[str | Path] | None = None,
                  max_entries: int | None = None) -> Compiled:
    """`robust`: a passes.robust.RobustOptions; every row and objective an uncertain parameter
    touches is then replaced by its robust counterpart (box or budget)."""
    t0 = time.perf_counter()
    ir = load_model(resolve_model_path(path), include_path)
    t1 = time.perf_counter()
    instance, data_dir = bind_data(ir, data, overrides, scenario, realisation, perturb, max_entries=max_entries)
    run_checks(ir, instance)
    t2 = time.perf_counter()
    if ir.nonlinear:
        from milkrun.compiler.build.nonlinear import build_nonlinear

        built = build_nonlinear(ir, instance, objective, robust=robust)
        compiled = Compiled(ir, instance, built, data_dir, robust=built.robust_report)
    else:
        built = build(ir, instance, objective, tour_method)
        compiled = Compiled(ir, instance, built, data_dir)
    if robust is not None and not ir.nonlinear:
        from milkrun.compiler.passes.robust import robust_counterpart

        compiled.robust = robust_counterpart(compiled, robust)
    t3 = time.perf_counter()
    compiled.seconds = {"parse_check": t1 - t0, "data": t2 - t1, "build": t3 - t2}
    return compiled


def solve_model(path: str | Path, data: str | Path | None = None, overrides: list[str] | None = None,
                solver: str = "auto", options: dict[str, str] | None = None, time_limit: float | None = None,
                gap: float | None = None, objective: str | None = None, tour_method: str | None = None,
                scenario: str | None = None, realisation: tuple[int, int] | None = None,
                perturb: list[str] | None = None, fixed: dict | None = None, robust=None,
                include_path: list[str | Path] | None = None, max_entries: int | None = None) -> Result:
    """Compile and solve; `fixed` holds variables at given values (passes/fix.py) before solving."""
    from milkrun.compiler.passes.fix import fix_variables
    from milkrun.compiler.passes.tour import default_method

    compiled = compile_model(path, data, overrides, objective, tour_method or default_method(solver), scenario,
                             realisation, perturb, robust, include_path, max_entries=max_entries)
    if fixed:
        fix_variables(compiled.built, fixed)
    result = solve(compiled.built, solver, options, time_limit, gap, ir=compiled.ir)
    finish(compiled, result)
    result.seconds = {**compiled.seconds, **result.seconds}
    result.seconds["total"] = sum(result.seconds.values())
    return result


def finish(compiled: Compiled, result: Result) -> Result:
    """What every solve adds to the solver's answer: the model's name and its kpis."""
    result.model = compiled.ir.name
    result.tour_families = compiled.built.tours
    result.added = added_variables(compiled, list(result.solution.data_vars))
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
