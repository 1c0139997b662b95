"""`milkrun sweep`: its arguments (registered by compiler/cli/command.py) and its entry point."""
from __future__ import annotations

import sys
from pathlib import Path

from milkrun.compiler.cli.arguments import at_least_one, solver_args, solver_options_from
from milkrun.compiler.cli.output import stdout_console
from milkrun.dsl.diagnostics import MilkrunError


def add_sweep_arguments(sub) -> None:
    sw = sub.add_parser("sweep", help="solve a model at many points (a grid, scenarios, random realisations) "
                                      "in parallel and collect them in one Dataset")
    sw.add_argument("model", help="a .mcp file, or the name of a shipped model")
    sw.add_argument("--data", metavar="DIR", help="folder of CSV tables (default: the folder named like the model)")
    sw.add_argument("--set", dest="overrides", metavar="NAME=VALUE", action="append", default=[],
                    help="override a parameter at every point (repeatable)")
    sw.add_argument("--tour", choices=["mtz", "flow", "lazy"], help="how tour() constraints are enforced")
    pts = sw.add_argument_group("points (combined as a Cartesian product)")
    pts.add_argument("--grid", dest="grids", metavar="NAME=V1,V2,...", action="append", default=[],
                     help="a dimension of parameter values: NAME=1800,2400,3000 or NAME=START:STOP:N "
                          "(N evenly spaced) or NAME[KEY,...]=... (repeatable: one dimension each)")
    pts.add_argument("--scenarios", metavar="all|A,B,...", help="the model's named scenarios, as a dimension")
    pts.add_argument("--realisations", type=int, metavar="N",
                     help="N random draws of the model's uncertain parameters (dimension 'realisation')")
    pts.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the realisations (default 0)")
    pts.add_argument("--levels", metavar="R1,R2,...", help="with --robust: the level ρ as a dimension")
    pts.add_argument("--budgets", metavar="G1,G2,...", help="with --robust budget: the budget Γ as a dimension")
    mode = sw.add_argument_group("what each point solves")
    mode.add_argument("--robust", choices=["box", "budget"], help="the robust counterpart at every point")
    mode.add_argument("--level", type=float, default=1.0, metavar="RHO", help="--robust: the level ρ (default 1)")
    mode.add_argument("--budget", type=float, metavar="GAMMA", help="--robust budget: the budget Γ")
    mode.add_argument("--objective", metavar="NAME", help="the objective to optimise (default: the first)")
    mode.add_argument("--pareto", action="store_true", help="a Pareto front per point instead of one solve")
    mode.add_argument("--points", type=at_least_one, default=10, metavar="N", help="--pareto: grid points per objective")
    mode.add_argument("--method", choices=["augmecon2", "weighted"], default="augmecon2", help="--pareto method")
    mode.add_argument("--primary", metavar="NAME", help="--pareto: the objective optimised at each ε point")
    solver_args(mode)
    keep = mode.add_mutually_exclusive_group()
    keep.add_argument("--keep-variables", dest="keep_variables", action="store_true", default=None,
                      help="store every decision variable of every point (default: when the sweep stays under "
                           "5 million values)")
    keep.add_argument("--no-variables", dest="keep_variables", action="store_false",
                      help="store objectives and kpis only")
    run = sw.add_argument_group("where and how it runs")
    run.add_argument("--workers", type=int, default=1, metavar="N",
                     help="worker processes (local pool, or --cluster local); default 1")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on an existing Dask scheduler")
    where.add_argument("--cluster", choices=["local"], help="start a Dask LocalCluster of --workers processes")
    run.add_argument("--out", required=True, metavar="DIR",
                     help="folder for points/, sweep.nc, points.csv and manifest.json")
    run.add_argument("--resume", action="store_true", help="continue the sweep in --out: run only unfinished points")
    run.add_argument("--retry-failed", action="store_true", help="with --resume: run points without a plan again")
    run.add_argument("--force", action="store_true",
                     help="with --resume: go on even if the model, data, points or settings changed")
    run.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    run.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar on stderr")


def spec_from_args(args):
    from milkrun.compiler.studies.sweep.runner import SweepSpec

    if args.workers < 1:
        raise MilkrunError(f"--workers needs at least 1 (got {args.workers})")
    if args.retry_failed and not args.resume:
        raise MilkrunError("--retry-failed goes with --resume")
    if args.force and not args.resume:
        raise MilkrunError("--force goes with --resume")
    pareto_only = [f for f, v in (("--primary", args.primary), ("--method", args.method != "augmecon2"),
                                  ("--points", args.points != 10)) if v]
    if pareto_only and not args.pareto:
        raise MilkrunError(f"{pareto_only[0]} goes with --pareto")
    if args.pareto and args.objective:
        raise MilkrunError("--objective is for single solves; a Pareto front uses --primary")
    robust, robust_axes = _robust(args)
    record = {k: v for k, v in vars(args).items() if k not in ("command",)}
    return SweepSpec(
        model=args.model, out=Path(args.out), data=args.data, overrides=list(args.overrides), grids=list(args.grids),
        scenarios=args.scenarios, realisations=args.realisations,
        seed=args.seed if args.realisations is not None else None,
        mode="pareto" if args.pareto else "solve", objective=args.objective,
        pareto={"primary": args.primary, "method": args.method, "points": args.points} if args.pareto else {},
        solver=args.solver, options=solver_options_from(args.options), time_limit=args.time_limit, gap=args.gap,
        tour=args.tour, keep_variables=args.keep_variables, workers=args.workers, scheduler=args.scheduler,
        cluster=args.cluster, resume=args.resume, retry_failed=args.retry_failed, force=args.force,
        progress=args.progress and not args.quiet, record=record, robust=robust, robust_axes=robust_axes)


def _robust(args):
    """(settings at every point, dimensions) of the robust pass; checked like milkrun solve's."""
    if args.robust is None:
        if args.levels or args.budgets or args.budget is not None or args.level != 1.0:
            raise MilkrunError("--level, --levels, --budget and --budgets go with --robust box|budget")
        return None, None
    axes = {}
    for flag, name, text in (("--levels", "level", args.levels), ("--budgets", "budget", args.budgets)):
        if text:
            try:
                axes[name] = [float(v) for v in text.split(",")]
            except ValueError:
                raise MilkrunError(f"{flag} expects numbers separated by commas, got '{text}'") from None
    if "budget" in axes and args.robust != "budget":
        raise MilkrunError("--budgets goes with --robust budget")
    from milkrun.compiler.passes.robust import RobustOptions, check_options

    budget = args.budget if args.budget is not None else (axes["budget"][0] if "budget" in axes else None)
    check_options(RobustOptions(args.robust, args.level, budget))
    return {"method": args.robust, "level": args.level, "budget": args.budget}, axes or None


def run_cli(args) -> int:
    """Exit code: 0 every point has a plan, 1 some point has none (infeasible, failed, not run)."""
    from milkrun.compiler.studies.sweep.report import print_sweep, to_json
    from milkrun.compiler.studies.sweep.runner import run_sweep

    outcome = run_sweep(spec_from_args(args))
    if args.json:
        print(to_json(outcome))
    else:
        print_sweep(outcome, stdout_console())
    sys.stdout.flush()
    return outcome.exit_code


__all__ = ["add_sweep_arguments", "run_cli", "spec_from_args"]
