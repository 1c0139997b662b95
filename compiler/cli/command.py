"""The `milkrun` command: check, solve and export .mcp models.

Exit codes: 0 solved, 1 no solution (infeasible, unbounded, limit without incumbent),
2 a mistake in the model, its data or the command line, 3 an internal error.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
import traceback
from pathlib import Path

from milkrun.compiler.cli.arguments import (
    at_least_one,
    input_args,
    input_environment,
    output_args,
    robust_from,
    run_options_from,
    solver_args,
)
from milkrun.compiler.cli.output import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_NO_SOLUTION,
    EXIT_SOLVED,
    EXIT_USER_ERROR,
    stdout_console,
)
from milkrun.compiler.cli.startup import imports_done
from milkrun.dsl.diagnostics import MilkrunError, render


class UsageError(Exception):
    """A mistake on the command line, found by argparse (exit 2, like any user's mistake)."""

    def __init__(self, message: str, usage: str):
        super().__init__(message)
        self.message, self.usage = message, usage


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # raised, so that main() can answer in JSON when --json was asked
        raise UsageError(message, self.format_usage())


class _Version(argparse.Action):
    """`--version`, the version read from the installed package's metadata only when asked for: reading
    it takes 20-25 ms, which every command paid when argparse's own version action was given it up front."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="show milkrun's version and exit"):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from milkrun import __version__

        sys.stdout.write(f"milkrun {__version__}\n")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="milkrun", description="Write a dairy logistics model once; solve it with open-source solvers.")
    p.add_argument("--version", action=_Version)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def model_args(sp):
        sp.add_argument("model", help="a .mcp file, or the name of a shipped model")
        sp.add_argument("--data", metavar="DIR", help="folder of CSV tables (default: the folder named like the model)")
        sp.add_argument("--set", dest="overrides", metavar="NAME=VALUE", action="append", default=[],
                        help="override a parameter, e.g. --set speed=50, --set cap[a]=10 or --set 'cows*=1.1' "
                             "(repeatable; applied after the scenario)")
        sp.add_argument("--scenario", metavar="NAME", help="apply one of the model's named scenarios")
        sp.add_argument("--robust", choices=["box", "budget"],
                        help="replace every row and objective an 'uncertain' parameter touches by its robust "
                             "counterpart: box (every entry at its worst) or budget (at most --budget of a row's "
                             "entries at once, Bertsimas and Sim)")
        sp.add_argument("--level", type=float, default=1.0, metavar="RHO",
                        help="with --robust: the share of each uncertain range used (default 1)")
        sp.add_argument("--budget", type=float, metavar="GAMMA",
                        help="with --robust budget: how many uncertain entries of a row may be at their worst")
        sp.add_argument("--tour", choices=["mtz", "flow", "lazy"],
                        help="how tour() constraints are enforced when the model does not say "
                             "(default: lazy on SCIP, flow on HiGHS and in exports)")

    c = sub.add_parser("check", help="parse, check names, domains and data, and build without solving")
    model_args(c)
    c.add_argument("--json", action="store_true", help="print the model's size as JSON")

    s = sub.add_parser("solve", help="solve a model and report the result")
    model_args(s)
    solver_args(s, per_solve=False)
    s.add_argument("--objective", metavar="NAME", help="which declared objective to optimise (default: the first)")
    s.add_argument("--start", metavar="DIR", help="a first plan: a folder of variable tables as --out writes them "
                                                 "(a previous run, or a construction heuristic); may be partial")
    s.add_argument("--out", metavar="DIR", help="write one CSV per variable, solution.nc and summary.json")
    s.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    s.add_argument("--log", action="store_true", help="show the solver's log")
    s.add_argument("--duals", action="store_true",
                   help="also report each row's dual and each variable's reduced cost: the change of the optimal "
                        "objective per unit increase of the right-hand side or of the variable, from HiGHS on the "
                        "LP (for a MIP, the LP with the integer variables fixed at the plan)")

    e = sub.add_parser("export", help="write the compiled model as an LP or MPS file with readable names")
    model_args(e)
    e.add_argument("--format", choices=["lp", "mps"], default="lp", help="LP (CPLEX LP format, default) or free MPS")
    e.add_argument("--output", "-o", metavar="FILE", help="file to write (default: MODEL.lp / MODEL.mps)")
    e.add_argument("--json", action="store_true", help="print what was written as JSON")
    pa = sub.add_parser("pareto", help="the Pareto front of a model with two or more objectives")
    model_args(pa)
    pa.add_argument("--primary", metavar="NAME", help="the objective optimised at each ε point (default: the first)")
    pa.add_argument("--method", choices=["augmecon2", "weighted"], default="augmecon2",
                    help="augmecon2 (default: the augmented ε-constraint method) or weighted sums")
    pa.add_argument("--points", type=at_least_one, default=10, metavar="N",
                    help="grid points per secondary objective (augmecon2) or weight steps (weighted); "
                         "for integer objectives, range + 1 points give the exact front")
    pa.add_argument("--weights", metavar="A,B,...", help="weighted: one weight per objective (primary first)")
    pa.add_argument("--nadir", metavar="NAME=VALUE", action="append", default=[],
                    help="augmecon2: start the grid of a secondary objective at VALUE instead of the payoff "
                         "table's worst (repeatable; needed for exact fronts with 3+ objectives)")
    pa.add_argument("--workers", type=at_least_one, default=1, metavar="N",
                    help="augmecon2: solve grid points in N processes at once (default 1); the front is the same")
    where = pa.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="augmecon2: solve grid points on an existing Dask scheduler's workers")
    where.add_argument("--cluster", choices=["local"], help="augmecon2: on a Dask LocalCluster of --workers processes")
    solver_args(pa)
    pa.add_argument("--json", action="store_true", help="print the payoff table and the front as JSON")
    pa.add_argument("--out", metavar="DIR", help="write front.csv, front.nc, payoff.csv, summary.json, front.png")

    tw = sub.add_parser("twin", help="a solved design under changed data: held fixed, and with its operation "
                                     "re-optimised (digital twin)")
    model_args(tw)
    tw.add_argument("--perturb", metavar="CHANGE", action="append", default=[],
                    help="how the data changes after the design is made: NAME*=F, NAME+=X, NAME-=X or NAME=V, "
                         "optionally NAME[KEY,...] (repeatable), e.g. --perturb 'yield_per_cow*=0.8'")
    solver_args(tw)
    tw.add_argument("--objective", metavar="NAME", help="which declared objective to optimise (default: the first)")
    tw.add_argument("--json", action="store_true", help="print the three columns as JSON")
    tw.add_argument("--out", metavar="DIR", help="write twin.csv, summary.json, broken rows and the three plans")

    v = sub.add_parser("convert", help="turn a CVRPLIB .vrp or DIMACS SDVRP file into milkrun CSV tables")
    v.add_argument("file", help="a CVRPLIB .vrp file or a DIMACS SDVRP file (SD*.txt, *.sd)")
    v.add_argument("out_dir", help="folder for Nodes.csv, dist.csv and scalars.csv")
    v.add_argument("--vehicles", type=int, help="number of vehicles (default: -kN of the name; SDVRP: the minimum)")
    v.add_argument("--json", action="store_true", help="print what was written as JSON")

    fe = sub.add_parser("fepia", help="FePIA robustness: fronts per scenario, their configurations held fixed under "
                                      "every scenario, robustness requirements, features and radius")
    model_args(fe)
    fe.add_argument("--scenarios", metavar="A,B,...", help="the scenarios to compare (default: all the model's)")
    fe.add_argument("--points", type=at_least_one, default=10, metavar="N", help="grid points of each front (default 10)")
    fe.add_argument("--primary", metavar="NAME", help="the objective optimised first on fronts and in held runs "
                                                      "(default: the first)")
    fe.add_argument("--held-objective", metavar="NAME",
                    help="the objective re-optimised in held runs (default: the primary); all are reported")
    fe.add_argument("--held-front", type=int, default=0, metavar="N",
                    help="each held configuration's own front under each scenario, N points, the design fixed "
                         "(written to held_fronts.csv)")
    solver_args(fe)
    fe.add_argument("--group-distance", type=float, default=250.0, metavar="M",
                    help="configurations whose sites match within M metres are one (default 250; 0: identical only)")
    fe.add_argument("--coords", metavar="LAT,LON", help="latitude and longitude parameters of the sites (default lat,lon)")
    fe.add_argument("--group-extra-small", action=argparse.BooleanOptionalAction, default=True,
                    help="configurations that differ only by one extra tank of the smallest type(s) are one "
                         "(the seed's rule; default on)")
    fe.add_argument("--small-types", metavar="A,B,...",
                    help="the small tank types for that rule (default: the types of least --size-param)")
    fe.add_argument("--size-param", metavar="NAME",
                    help="the types' size parameter whose least values make the small types (default capacity)")
    fe.add_argument("--fixed-set", metavar="NAME=VALUE", action="append", default=[],
                    help="a change made only when configurations are held, e.g. --fixed-set min_use=0 (repeatable)")
    fe.add_argument("--tolerance", dest="tolerances", metavar="'NAME>=V'", action="append", default=[],
                    help="a feature's tolerance for the robustness radius, e.g. 'active_use>=70' (repeatable)")
    fe.add_argument("--gamma", metavar="A,B,...", help="robustness requirements: objectives or kpis (default: the objectives)")
    fe.add_argument("--phi", metavar="A,B,...", help="performance features: objectives or kpis (default: every scalar kpi)")
    fe.add_argument("--perturbation", metavar="NAME", action="append",
                    help="a perturbed parameter (default: the one the scenarios change); repeat it to perturb several "
                         "together: the radius is then the least change relative to their nominal values (2-norm)")
    fe.add_argument("--radius-range", metavar="LO:HI", action="append",
                    help="values of the perturbation scanned for the radius (default: its uncertain range, or the "
                         "scenarios'); with several parameters NAME=LO:HI, repeatable")
    fe.add_argument("--radius-steps", type=at_least_one, default=10, metavar="N",
                    help="scan intervals over the range, or along each ray (default 10)")
    fe.add_argument("--radius-resolution", type=float, metavar="R",
                    help="bisection stops at this width (default: range/1000; several parameters: 0.001 of the norm)")
    fe.add_argument("--radius-directions", type=int, default=16, metavar="N",
                    help="two perturbed parameters: rays searched around the origin (default 16)")
    fe.add_argument("--radius-slope-factor", type=float, default=2.0, metavar="F",
                    help="look for a feature leaving and re-entering its tolerance between scan points, assuming it "
                         "changes at most F times faster than seen (default 2; 0: do not look)")
    fe.add_argument("--workers", type=at_least_one, default=1, metavar="N",
                    help="run fronts, held runs and radius evaluations on N processes at once (default 1: here)")
    where = fe.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run them on an existing Dask scheduler")
    where.add_argument("--cluster", choices=["local"], help="run them on a Dask LocalCluster of --workers processes")
    fe.add_argument("--resume", action="store_true",
                    help="continue the run in --out: fronts and held runs it finished are not solved again "
                         "(refused when the model, its data or a setting changed)")
    fe.add_argument("--json", action="store_true", help="print summary.json on stdout")
    fe.add_argument("--out", metavar="DIR", required=True, help="write the tables, fronts, summary.json and plots")

    sub.add_parser("lsp", help="a language server for editors: LSP over stdin and stdout (needs milkrun[editor]; "
                               "docs/editors.md)")

    from milkrun.compiler.cli.sweep import add_sweep_arguments

    add_sweep_arguments(sub)
    from milkrun.compiler.cli import first_plan

    first_plan.add_arguments(sub)
    for name, command in sub.choices.items():
        output_args(command)
        if name != "convert":
            input_args(command)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code. With --json, stdout gets exactly one JSON document
    whatever the outcome, errors included."""
    return run(argv)[0]


def run(argv: list[str] | None = None) -> tuple[int, argparse.Namespace | None]:
    """main(), returning also the arguments as parsed (None when they could not be): what the console
    script decides its way of exiting by."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = None
    as_json = "--json" in argv
    command = next((a for a in argv if not a.startswith("-")), None)
    if hasattr(signal, "SIGPIPE"):  # `milkrun solve … | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    logging.getLogger("linopy").setLevel(logging.ERROR)  # milkrun reports outcomes itself
    try:
        args = _parser().parse_args(argv)
        command = args.command
        with input_environment(args):
            return {"check": _check, "solve": _solve, "export": _export, "convert": _convert, "fepia": _fepia,
                    "pareto": _pareto, "sweep": _sweep, "twin": _twin, "first-plan": _first_plan,
                    "lsp": _lsp}[args.command](args), args
    except UsageError as e:
        if not as_json:
            sys.stderr.write(e.usage)
        sys.stderr.write(f"milkrun: error: {e.message}\n")
        code, doc = EXIT_USER_ERROR, {"status": "error", "message": e.message, "location": None, "hint": None,
                                      "why": []}
    except MilkrunError as e:
        sys.stderr.write(render(e, color=sys.stderr.isatty()) + "\n")
        code = EXIT_NO_SOLUTION if e.kind == "infeasible" else EXIT_USER_ERROR
        doc = {"status": "infeasible" if e.kind == "infeasible" else "error", "message": e.message,
               "location": str(e.span) if e.span else None, "hint": e.hint,
               "why": [text for text, _ in e.notes]}
    except BrokenPipeError:  # stdout closed by its reader (`milkrun sweep … | head`, SIGPIPE ignored)
        _dropstdout_console()
        return EXIT_BROKEN_PIPE, args
    except OSError as e:
        if e.filename is None:  # not about a path the user gave: a bug
            return _internal(e, as_json, command), args
        where = e.filename if e.filename2 is None else f"{e.filename} → {e.filename2}"
        message = f"cannot use {where}: {e.strerror or e}"
        sys.stderr.write(f"error: {message}\n")
        code, doc = EXIT_USER_ERROR, {"status": "error", "message": message, "location": str(e.filename),
                                      "hint": None, "why": []}
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        code, doc = EXIT_INTERRUPTED, {"status": "interrupted", "message": "interrupted before any result"}
    except Exception as e:  # a bug in milkrun, not the user's mistake
        return _internal(e, as_json, command), args
    if as_json:
        _json_outcome(command, code, doc)
    return code, args


def _dropstdout_console() -> None:
    """After the reader of stdout has gone, what is still buffered for it is dropped, so that the
    flush at exit raises nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _internal(e: Exception, as_json: bool, command: str | None) -> int:
    """A bug in milkrun: exit 3, the traceback only when MILKRUN_DEBUG asks for it."""
    if os.environ.get("MILKRUN_DEBUG"):
        traceback.print_exception(e)
    sys.stderr.write(f"internal error: {type(e).__name__}: {e}\n"
                     "(set MILKRUN_DEBUG=1 for the traceback and report it)\n")
    if as_json:
        _json_outcome(command, EXIT_INTERNAL, {"status": "internal_error", "message": f"{type(e).__name__}: {e}"})
    return EXIT_INTERNAL


def _json_outcome(command: str | None, code: int, doc: dict) -> None:
    print(json.dumps({"command": command, "exit_code": code, **_EMPTY_RESULT.get(command, {}), **doc}))


# The keys a command's --json document always has, so that a reader finds them on failure too.
_EMPTY_RESULT = {
    "solve": {"objective": None, "bound": None, "gap": None, "solver": None, "seconds": None, "objectives": {},
              "why": []},
}


def console_main() -> None:
    """The `milkrun` console script: stdout is kept for milkrun's own output, then main() runs; `check`
    and `solve` end without Python's teardown of the libraries (compiler/cli/process_exit.py)."""
    from milkrun.compiler.cli.process_exit import leave, may_leave_early
    from milkrun.compiler.solve.stdout_guard import protect_stdout

    protect_stdout()
    code, args = run()
    if args is not None and may_leave_early(args):
        leave(code)
    sys.exit(code)


def _check(args) -> int:
    from milkrun.compiler.pipeline import compile_model

    imports_done()
    compiled = compile_model(run_options_from(args))
    nonlinear = [f"{span.line}:{span.column} {what}" for span, what in compiled.ir.nonlinear]
    size = compiled.built.size if nonlinear else {"variables": int(compiled.linopy.nvars),
                                                  "constraints": int(compiled.linopy.ncons)}
    info = {
        "model": compiled.ir.name,
        "sets": {s.name: len(compiled.instance.set(s.name)) for s in compiled.ir.of_kind("set")},
        "variables": size["variables"],
        "constraints": size["constraints"],
        "nonlinear": nonlinear,
        "objectives": list(compiled.built.objectives),
        "dropped_empty_rows": compiled.built.dropped_rows,
        "data": str(compiled.data_dir) if compiled.data_dir else None,
    }
    if args.json:
        print(json.dumps(info, indent=2))
        return EXIT_SOLVED
    out = stdout_console()
    out.print(f"[bold]{info['model'] or args.model}[/bold]: ok")
    if args.quiet:
        return EXIT_SOLVED
    out.print("  sets: " + ", ".join(f"{k} ({v})" for k, v in info["sets"].items()))
    out.print(f"  {info['variables']:,} variables, {info['constraints']:,} constraints, "
              f"objectives: {', '.join(info['objectives']) or 'none'}")
    if args.verbose:
        out.print("  seconds: " + ", ".join(f"{k} {v:.3f}" for k, v in compiled.seconds.items()))
    for name, n in info["dropped_empty_rows"].items():
        out.print(f"  note: {n} row(s) of '{name}' have no variable after indexing and always hold; left out")
    if nonlinear:
        out.print(f"  nonlinear (solved with SCIP by default): {'; '.join(nonlinear[:3])}"
                  f"{f' and {len(nonlinear) - 3} more' if len(nonlinear) > 3 else ''}", markup=False)
    return EXIT_SOLVED


def _solve(args) -> int:
    from milkrun.compiler.pipeline import add_price_of_robustness, compile_model, solve_compiled

    if not args.json:  # the tables (rich, about 20 ms to import) only when they are printed
        from milkrun.compiler.report.console import MAX_ROWS, print_result
    imports_done()
    t0 = time.perf_counter()
    if args.out:  # a folder that cannot be made is refused before the solve, not after it
        Path(args.out).mkdir(parents=True, exist_ok=True)

    run = run_options_from(args)
    compiled = compile_model(run)
    start = None
    if args.start:
        from milkrun.compiler.solve.start import read_start, start_problems

        start, _ = read_start(compiled.linopy, args.start)
        problems = start_problems(compiled.linopy, start)
        if problems and not args.quiet:
            sys.stderr.write(f"note: the start in {args.start} breaks the model, so the solver will likely "
                             "discard it:\n" + "".join(f"  {p}\n" for p in problems))
    result = solve_compiled(compiled, run, quiet=not args.log, progress=not (args.log or args.quiet), start=start,
                            duals=args.duals)
    if compiled.robust is not None and result.robust is not None and not result.interrupted:
        add_price_of_robustness(run, result)
    result.model = compiled.ir.name or Path(args.model).stem
    result.seconds = {**compiled.seconds, **result.seconds, "total": time.perf_counter() - t0}
    if args.out:
        result.provenance = provenance(compiled)
        result.write(Path(args.out))
        if result.has_solution and result.tours:
            from milkrun.compiler.report.plots import route_map

            drawn = route_map(result, compiled.instance, Path(args.out) / "routes.png")
            if drawn is None and not args.quiet:
                sys.stderr.write("note: no route map: the tour's nodes have no x/y (or lon/lat) parameters\n")
    if args.json:
        print(result.to_json())
    else:
        print_result(result, stdout_console(), max_rows=None if args.verbose else MAX_ROWS, verbose=args.verbose,
                     quiet=args.quiet)
        if args.out:
            stdout_console().print(f"  written to {args.out}/")
    return result.exit_code


def provenance(compiled) -> dict:
    """What summary.json records of where a result came from: versions, and hashes of the inputs."""
    import platform

    from milkrun.compiler.report.provenance import hashes, solver_versions, versions

    return {"command": ["milkrun", *sys.argv[1:]], "model": str(Path(compiled.ir.file).resolve()),
            "data": str(Path(compiled.data_dir).resolve()) if compiled.data_dir else None,
            "files": hashes(Path(compiled.ir.file), compiled.data_dir), "versions": versions(),
            "solvers": solver_versions(), "python": sys.version.split()[0], "platform": platform.platform()}


def _pareto(args) -> int:
    from milkrun.compiler.studies.pareto.run import print_front, run_pareto, write_front

    weights = None
    if args.weights:
        try:
            weights = [float(w) for w in args.weights.split(",")]
        except ValueError:
            raise MilkrunError(f"--weights expects numbers separated by commas, got '{args.weights}'")
        if args.method != "weighted":
            raise MilkrunError("--weights goes with --method weighted")
    nadir = {}
    for text in args.nadir:
        name, _, value = text.partition("=")
        try:
            nadir[name.strip()] = float(value)
        except ValueError:
            raise MilkrunError(f"--nadir expects NAME=VALUE, got '{text}'")
    if args.scheduler or args.cluster:  # the extra they need, said before anything is compiled
        from milkrun.compiler.studies.sweep.executors import require_distributed

        require_distributed("--scheduler" if args.scheduler else f"--cluster {args.cluster}")
    compiled, front = run_pareto(run_options_from(args), primary=args.primary, method=args.method, points=args.points,
                                 weights=weights, progress=not args.quiet, nadir=nadir, workers=args.workers,
                                 scheduler=args.scheduler, cluster=args.cluster)
    if args.out:
        write_front(compiled, front, Path(args.out))
    if args.json:
        print(json.dumps(front.summary()))
    else:
        print_front(compiled, front, stdout_console(), max_rows=100000 if args.verbose else 60, quiet=args.quiet)
        if args.out:
            stdout_console().print(f"  written to {args.out}/")
    return EXIT_SOLVED if front.points else EXIT_NO_SOLUTION


def _sweep(args) -> int:
    from milkrun.compiler.cli.sweep import run_cli

    return run_cli(args)


def _first_plan(args) -> int:
    from milkrun.compiler.cli.first_plan import run_cli

    return run_cli(args)


def _twin(args) -> int:
    from milkrun.compiler.studies.twin import print_twin, run_twin, write_twin

    if robust_from(args) is not None:
        raise MilkrunError("twin evaluates one design under one perturbation; --robust does not apply here "
                           "(solve the robust design with milkrun solve --robust, or sweep the perturbation)")

    twin = run_twin(run_options_from(args), args.perturb)
    if args.out:
        write_twin(twin, Path(args.out))
    if args.json:
        print(json.dumps(twin.summary()))
    else:
        print_twin(twin, stdout_console(), quiet=args.quiet)
        if args.out:
            stdout_console().print(f"  written to {args.out}/")
    return EXIT_SOLVED if twin.columns[-1].result.has_solution else EXIT_NO_SOLUTION


def _export(args) -> int:
    from milkrun.compiler.pipeline import compile_model
    from milkrun.compiler.solve.run import empty_model_error

    imports_done()
    run = run_options_from(args)
    compiled = compile_model(run.replace(tour_method=run.tour_method or "flow"))
    if not compiled.ir.nonlinear and int(compiled.linopy.nvars) == 0:  # (nonlinear: write_model refuses)
        raise empty_model_error(compiled.ir, "export")
    if compiled.built.lazy_tours and not args.quiet:
        sys.stderr.write("note: tours enforced lazily are not in the file (it holds only the cuts added up "
                         "front); export with --tour mtz or flow for a complete model\n")
    target = Path(args.output or Path(args.model).with_suffix(f".{args.format}").name)
    from milkrun.compiler.build.export import write_model

    # names HiGHS and SCIP read back (docs/export.md); a nonlinear model or a path that cannot be
    # written is a MilkrunError (exit 2) naming the construct or the path
    info = {"status": "written", **write_model(compiled.built, target, args.format)}
    if args.json:
        print(json.dumps(info))
    elif not args.quiet:
        stdout_console().print(f"wrote {target} ({info['variables']:,} variables, {info['constraints']:,} constraints)")
    return EXIT_SOLVED


def _convert(args) -> int:
    from milkrun.compiler.data.vrplib import convert

    out = convert(args.file, args.out_dir, args.vehicles)
    if args.json:
        print(json.dumps({"status": "written", "folder": str(out), "tables": ["Nodes.csv", "dist.csv", "scalars.csv"]}))
        return EXIT_SOLVED
    if args.quiet:
        return EXIT_SOLVED
    stdout_console().print(f"tables written to {out}/ (Nodes.csv, dist.csv, scalars.csv): solve with "
                    f"models/cvrp.mcp or models/sdvrp.mcp --data {out}", markup=False)
    return EXIT_SOLVED


def _lsp(args) -> int:
    """Serve LSP on stdin and stdout until the editor ends the session. pygls is an extra, imported here
    only, so that the rest of milkrun runs without it."""
    try:
        from milkrun.compiler.lsp.server import serve
    except ModuleNotFoundError as e:
        missing = (e.name or "").split(".")[0]
        if missing not in ("pygls", "lsprotocol", "cattrs", "attrs"):
            raise
        raise MilkrunError(f"the language server needs {missing}, which is not installed",
                           hint="pip install 'milkrun[editor]'") from None
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="milkrun lsp: %(levelname)s %(message)s")
    serve()
    return EXIT_SOLVED


def _fepia(args) -> int:
    from milkrun.compiler.cli.fepia import run_cli

    return run_cli(args, stdout_console())


if __name__ == "__main__":
    console_main()
