"""`milkrun.load(...)`: a checked model for Python users, with its declarations, and solve, compile,
pareto, sweep and twin taking the same options as the commands (as keywords) and data as objects."""
from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from milkrun.compiler.api import arguments as A
from milkrun.compiler.api.declarations import (
    ConstraintInfo,
    Declarations,
    KpiInfo,
    ObjectiveInfo,
    ParamInfo,
    ScenarioInfo,
    SetInfo,
    VariableInfo,
    describe,
)
from milkrun.compiler.api.display import esc
from milkrun.compiler.api.result import Result
from milkrun.compiler.data.objects import Tables, write_folder
from milkrun.compiler.model.ir import ModelIR
from milkrun.compiler.pipeline import (
    Compiled,
    RunOptions,
    add_price_of_robustness,
    bind_data,
    compile_model,
    default_data_dir,
    load_model,
    resolve_model_path,
    solve_compiled,
)
from milkrun.dsl.diagnostics import MilkrunError

if TYPE_CHECKING:  # the studies are imported when one runs, so that `import milkrun` (every command) stays quick
    from milkrun.compiler.api.studies import Front, Sweep, Twin


def load(model: str | Path, include_path: Sequence[str | Path] = (), max_entries: int | None = None) -> Model:
    """A model file (a path), or a shipped model by name (`"transport"`), parsed and checked; no data read."""
    path = resolve_model_path(model)
    return Model(path, load_model(path, include_path), tuple(include_path), max_entries)


class Model:
    """A checked model: what it declares (`sets`, `params`, `variables`, `objectives`, `constraints`,
    `kpis`, `scenarios`, each a dict by name) and its runs. Every run reads the model file again, with
    the data given: `data=` a folder, or tables as objects by name (`{"distance": frame}`, with the
    model's own folder, or `folder=`; `folder=False`: none); `set=` the --set changes."""

    def __init__(self, path: Path, ir: ModelIR, include_path: tuple = (), max_entries: int | None = None):
        self.path = Path(path)
        self.ir = ir
        self.include_path = include_path
        self.max_entries = max_entries
        found = describe(ir)
        self.sets: Declarations[SetInfo] = found["sets"]
        self.params: Declarations[ParamInfo] = found["params"]
        self.variables: Declarations[VariableInfo] = found["variables"]
        self.objectives: Declarations[ObjectiveInfo] = found["objectives"]
        self.constraints: Declarations[ConstraintInfo] = found["constraints"]
        self.kpis: Declarations[KpiInfo] = found["kpis"]
        self.scenarios: Declarations[ScenarioInfo] = found["scenarios"]

    @property
    def name(self) -> str:
        return self.ir.name or self.path.stem

    @property
    def doc(self) -> str | None:
        return self.ir.doc

    @property
    def data_folder(self) -> Path | None:
        """The folder read when no other is given (`models/transport/` for `models/transport.mcp`)."""
        return default_data_dir(self.path)

    # -------------------------------------------------------------- one run
    def run_options(self, data=None, **fields) -> RunOptions:
        """The RunOptions a call with these keywords runs (see `solve`)."""
        return A.run_options(self.path, data=data, include_path=self.include_path, max_entries=self.max_entries,
                             **fields)

    def compile(self, data=None, *, folder=None, set=None, scenario: str | None = None,
                objective: str | None = None, robust=None, level: float = 1.0, budget: float | None = None,
                tour: str | None = None, fixed: Mapping | None = None, solver: str = "auto") -> Compiled:
        """Parse, check, read the data, build and apply the passes, without solving (`milkrun check`):
        `compiled.linopy` is the linopy model, `compiled.instance` the sets and parameters."""
        return compile_model(self.run_options(data, folder=folder, set=set, scenario=scenario, objective=objective,
                                              robust=robust, level=level, budget=budget, tour=tour, fixed=fixed,
                                              solver=solver))

    def solve(self, data=None, *, folder=None, set=None, scenario: str | None = None,
              objective: str | None = None, solver: str = "auto", options: Mapping | None = None,
              time_limit: float | None = None, gap: float | None = None, robust=None, level: float = 1.0,
              budget: float | None = None, tour: str | None = None, fixed: Mapping | None = None,
              duals: bool = False, log: bool = False) -> Result:
        """Solve, as `milkrun solve` does: `data` a folder or tables as objects by name; `set` the --set
        changes ({"speed": 50}, or texts such as "cows*=1.1"); `scenario` one of the model's; `solver`
        highs, scip or auto; `options` the solver's own; `robust` "box" or "budget" (with `level`,
        `budget`); `duals=True` the duals and reduced costs; `log=True` shows the solver's log."""
        t0 = time.perf_counter()
        run = self.run_options(data, folder=folder, set=set, scenario=scenario, objective=objective, solver=solver,
                               options=options, time_limit=time_limit, gap=gap, robust=robust, level=level,
                               budget=budget, tour=tour, fixed=fixed)
        compiled = compile_model(run)
        result = solve_compiled(compiled, run, quiet=not log, duals=duals)
        if compiled.robust is not None and result.robust is not None and not result.interrupted:
            add_price_of_robustness(run, result)
        result.model = compiled.ir.name or self.path.stem
        result.seconds = {**compiled.seconds, **result.seconds, "total": time.perf_counter() - t0}
        return Result.of(result)

    # -------------------------------------------------------------- studies
    def pareto(self, data=None, *, primary: str | None = None, method: str = "augmecon2", points: int = 10,
               weights: Sequence[float] | None = None, nadir: Mapping[str, float] | None = None,
               out: str | Path | None = None, progress: bool = False, folder=None, set=None,
               scenario: str | None = None, solver: str = "auto", options: Mapping | None = None,
               time_limit: float | None = None, gap: float | None = None, robust=None, level: float = 1.0,
               budget: float | None = None, tour: str | None = None, workers: int = 1,
               scheduler: str | None = None, cluster: str | None = None) -> Front:
        """The Pareto front, as `milkrun pareto` computes it: AUGMECON2 with `points` grid points per
        secondary objective (for integer objectives, range + 1 give the exact front), or `method="weighted"`
        with `weights`; `nadir` starts a secondary objective's grid there; `workers` solves grid points in
        that many processes, `scheduler="tcp://HOST:PORT"` on a Dask cluster's workers, `cluster="local"`
        on a Dask LocalCluster of `workers` processes. `out`: also write the command's files."""
        if method not in ("augmecon2", "weighted"):
            raise MilkrunError(f"method= takes augmecon2 or weighted, not {method!r}")
        if weights is not None and method != "weighted":
            raise MilkrunError("weights= goes with method='weighted'")
        if not isinstance(points, int) or points < 1:
            raise MilkrunError(f"points= expects a whole number of 1 or more, got {points!r}")
        if not isinstance(workers, int) or workers < 1:
            raise MilkrunError(f"workers= expects a whole number of 1 or more, got {workers!r}")
        from milkrun.compiler.api.studies import Front
        from milkrun.compiler.studies.pareto.run import run_pareto

        run = self.run_options(data, folder=folder, set=set, scenario=scenario, solver=solver, options=options,
                               time_limit=time_limit, gap=gap, robust=robust, level=level, budget=budget, tour=tour)
        compiled, front = run_pareto(run, primary=primary, method=method, points=points,
                                     weights=[float(w) for w in weights] if weights is not None else None,
                                     progress=progress, nadir={k: float(v) for k, v in (nadir or {}).items()},
                                     workers=workers, scheduler=scheduler, cluster=cluster)
        found = Front(compiled, front)
        if out is not None:
            found.write(out)
        return found

    def twin(self, perturb, data=None, *, out: str | Path | None = None, folder=None, set=None,
             scenario: str | None = None, objective: str | None = None, solver: str = "auto",
             options: Mapping | None = None, time_limit: float | None = None, gap: float | None = None,
             tour: str | None = None) -> Twin:
        """The digital twin, as `milkrun twin` computes it: the design solved on the data, then under
        `perturb` (texts as --perturb takes them, 'yield_per_cow*=0.8', or a dict {name: value}) held
        fixed and with its operation re-optimised. `out`: also write the command's files."""
        from milkrun.compiler.api.studies import Twin
        from milkrun.compiler.studies.twin import run_twin

        run = self.run_options(data, folder=folder, set=set, scenario=scenario, objective=objective, solver=solver,
                               options=options, time_limit=time_limit, gap=gap, tour=tour)
        twin = Twin.of(run_twin(run, list(A.override_texts(perturb, "perturb"))))
        if out is not None:
            twin.write(out)
        return twin

    def sweep(self, grid=None, *, scenarios: str | Sequence[str] | None = None, realisations: int | None = None,
              seed: int = 0, data=None, folder=None, set=None, objective: str | None = None,
              pareto: bool = False, points: int = 10, method: str = "augmecon2", primary: str | None = None,
              robust: str | None = None, level: float = 1.0, budget: float | None = None,
              levels: Sequence[float] | None = None, budgets: Sequence[float] | None = None,
              solver: str = "auto", options: Mapping | None = None, time_limit: float | None = None,
              gap: float | None = None, tour: str | None = None, keep_variables: bool | None = None,
              workers: int = 1, scheduler: str | None = None, cluster: str | None = None,
              out: str | Path | None = None, resume: bool = False, retry_failed: bool = False,
              force: bool = False, progress: bool = False) -> Sweep:
        """Many solves, as `milkrun sweep` runs them: `grid` {"speed": [40, 50, 60]} (or texts as --grid
        takes them, "speed=40:60:3"), `scenarios` "all" or a list, `realisations` random draws; their
        product is the set of points. The sweep writes its folder `out` (points/, sweep.nc, points.csv,
        manifest.json); without `out` it runs in a temporary folder, removed afterwards. Data given as
        objects are written first as CSV tables in `out/data/`, which the workers read."""
        from milkrun.compiler.api.studies import Sweep
        from milkrun.compiler.studies.sweep.runner import SweepSpec, run_sweep
        from milkrun.compiler.studies.sweep.store import PointStore

        grids = _grid_texts(grid)
        scenario_text = scenarios if scenarios is None or isinstance(scenarios, str) else ",".join(scenarios)
        if workers < 1:
            raise MilkrunError(f"workers= needs at least 1 (got {workers})")
        robust_spec, axes = _sweep_robust(robust, level, budget, levels, budgets)
        if not pareto and (primary is not None or method != "augmecon2" or points != 10):
            raise MilkrunError("primary=, method= and points= go with pareto=True")
        run = self.run_options(data, folder=folder, set=set, objective=objective, solver=solver, options=options,
                               time_limit=time_limit, gap=gap, tour=tour)
        temporary = out is None
        where = Path(tempfile.mkdtemp(prefix="milkrun-sweep-")) if temporary else Path(out)
        try:
            data_dir = run.data
            if isinstance(run.data, Tables):
                if not resume and ((where / "manifest.json").exists() or PointStore(where).has_points()):
                    raise MilkrunError(f"{where} already holds a sweep",
                                       hint="give resume=True to continue it, or another out folder for a new sweep")
                # the objects checked here, so that an error names them (the workers read the CSV copies)
                bind_data(self.ir, run.data, list(run.overrides), max_entries=self.max_entries)
                data_dir = write_folder(self.ir, run.data, self.data_folder, where / "data")
            record = {"api": "Model.sweep", "model": str(self.path), "grid": grids, "scenarios": scenario_text,
                      "realisations": realisations, "seed": seed, "set": list(run.overrides),
                      "data": sorted(run.data.objects) if isinstance(run.data, Tables) else
                      (str(run.data) if run.data is not None else None), "pareto": pareto, "workers": workers}
            spec = SweepSpec(
                model=str(self.path), out=where, data=str(data_dir) if data_dir is not None else None,
                overrides=list(run.overrides), include_path=[str(p) for p in self.include_path], grids=grids, scenarios=scenario_text, realisations=realisations,
                seed=seed if realisations is not None else None, mode="pareto" if pareto else "solve",
                objective=objective,
                pareto={"primary": primary, "method": method, "points": points} if pareto else {},
                solver=run.solver, options=dict(run.solver_options), time_limit=run.time_limit, gap=run.gap,
                tour=tour, keep_variables=keep_variables, workers=workers, scheduler=scheduler, cluster=cluster,
                resume=resume, retry_failed=retry_failed, force=force, progress=progress, record=record,
                robust=robust_spec, robust_axes=axes)
            outcome = run_sweep(spec)
            return Sweep(outcome.dataset.load(), outcome, None if temporary else where)
        finally:
            if temporary:
                shutil.rmtree(where, ignore_errors=True)

    # -------------------------------------------------------------- display
    def __repr__(self) -> str:
        return f"<milkrun Model {self.name}: {self.path}>"

    def _repr_html_(self) -> str:
        parts = [f"<p><b>{esc(self.name)}</b>" + (f": {esc(self.doc)}" if self.doc else "") +
                 f" <small>({esc(self.path)})</small></p>"]
        for title, decls in (("sets", self.sets), ("parameters", self.params), ("variables", self.variables),
                             ("objectives", self.objectives), ("constraints", self.constraints),
                             ("kpis", self.kpis), ("scenarios", self.scenarios)):
            if decls:
                parts.append(f"<details><summary>{len(decls)} {title}</summary>{decls._repr_html_()}</details>")
        return "".join(parts)


def _grid_texts(grid) -> list[str]:
    if grid is None:
        return []
    if isinstance(grid, str):
        return [grid]
    if isinstance(grid, Mapping):
        out = []
        for name, values in grid.items():
            if isinstance(values, str):
                out.append(f"{name}={values}")
            elif isinstance(values, Sequence) or hasattr(values, "__iter__"):
                out.append(f"{name}={','.join(A._text(v) for v in values)}")
            else:
                out.append(f"{name}={A._text(values)}")
        return out
    if isinstance(grid, Sequence) and all(isinstance(g, str) for g in grid):
        return list(grid)
    raise MilkrunError(f"grid=: expected a dict {{name: values}} or texts such as 'speed=40,50', got "
                       f"{type(grid).__name__}")


def _sweep_robust(robust, level, budget, levels, budgets):
    """(the robust pass's settings at every point, its dimensions), checked as `milkrun sweep` checks them."""
    if robust is None:
        if levels or budgets or budget is not None or level != 1.0:
            raise MilkrunError("level=, levels=, budget= and budgets= go with robust='box' or 'budget'")
        return None, None
    axes = {}
    if levels:
        axes["level"] = [float(v) for v in levels]
    if budgets:
        if robust != "budget":
            raise MilkrunError("budgets= goes with robust='budget'")
        axes["budget"] = [float(v) for v in budgets]
    first_budget = budget if budget is not None else (axes["budget"][0] if "budget" in axes else None)
    A.robust_option(robust, level, first_budget)
    return {"method": robust, "level": float(level), "budget": budget}, axes or None
