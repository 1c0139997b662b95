"""`milkrun first-plan`: a first plan for models/routing.mcp at real sizes, written as a start folder for
`milkrun solve --start` (the heuristics: compiler/studies/routing/). Its arguments (registered by
compiler/cli/command.py) and its entry point.

    milkrun first-plan DATA_DIR START_DIR [--set NAME=VALUE ...] [--improve SECONDS]

Exit codes as the other commands: 0 a plan was written, 1 the heuristic found none (NoPlan), 2 a
mistake in the data or the command line (a MilkrunError, rendered by command.py).
"""
from __future__ import annotations

import sys
from pathlib import Path

EXIT_WRITTEN, EXIT_NO_PLAN = 0, 1


def add_arguments(sub) -> None:
    fp = sub.add_parser("first-plan", help="write a first plan for models/routing.mcp (sweep heuristic, then "
                                           "optionally exact re-solves) as a start folder for solve --start",
                        description="Write a first plan for models/routing.mcp (sweep heuristic) as a start folder "
                                    "for `milkrun solve models/routing.mcp --data DATA_DIR --start START_DIR`.")
    fp.add_argument("data_dir", metavar="DATA_DIR", help="the case: a data folder for models/routing.mcp")
    fp.add_argument("out_dir", metavar="START_DIR", help="folder for drive.csv, visit.csv, carries.csv, share.csv")
    fp.add_argument("--set", dest="overrides", metavar="NAME=VALUE", action="append", default=[],
                    help="override a parameter of the case, as solve --set (repeatable)")
    fp.add_argument("--improve", type=float, metavar="SECONDS", default=0,
                    help="then spend SECONDS improving the plan by exact re-solves of neighbouring "
                         "routes (compiler/studies/routing/lns.py)")


def run_cli(args) -> int:
    from milkrun.compiler.studies.routing.construction import NoPlan, best_plan, read_case, total_km, write_start

    quiet = getattr(args, "quiet", False)
    case = read_case(args.data_dir, args.overrides)  # a MilkrunError (the user's data): command.py renders it
    try:
        routes = best_plan(case)
    except NoPlan as e:
        print(f"no first plan: {e}", file=sys.stderr)
        return EXIT_NO_PLAN
    if args.improve > 0:
        from milkrun.compiler.studies.routing.lns import improve

        log = None if quiet else (lambda m: print(m, flush=True))
        if log:
            log(f"sweep: {len(routes)} routes, {total_km(case, routes):.3f} km")
        routes = improve(case, routes, args.improve, log=log)
    write_start(case, routes, Path(args.out_dir))
    km = total_km(case, routes)
    print(f"{len(routes)} routes, {km:.3f} km: written to {args.out_dir}/")
    return EXIT_WRITTEN
