"""Command-line arguments that several commands share, described and checked the same everywhere.

Every command that solves takes --solver, --time-limit, --gap and --option with the same
meaning and help text; every command takes --quiet and --verbose. The values are checked as
they are read, so `--time-limit 0` or `--gap 1.5` is refused with a plain message (exit 2)
before anything is compiled.
"""
from __future__ import annotations

import argparse
import contextlib
import os

from milkrun.compiler.solve.solvers import SOLVER_HELP
from milkrun.dsl.diagnostics import MilkrunError


def positive_seconds(text: str) -> float:
    """--time-limit: a number of seconds greater than 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got '{text}'") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"a time limit must be more than 0 seconds and finite, got '{text}'")
    return value


def relative_gap(text: str) -> float:
    """--gap: a fraction in [0, 1), e.g. 0.01 for 1 %."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a relative gap such as 0.01, got '{text}'") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"a relative gap lies in [0, 1) (0.01 is 1 %), got '{text}'")
    return value


def at_least_one(text: str) -> int:
    """--workers, --points and other counts."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got '{text}'")
    return value


def solver_args(sp, per_solve: bool = True) -> None:
    """--solver, --time-limit, --gap and --option: the same for every command that solves."""
    each = " per solve" if per_solve else ""
    sp.add_argument("--solver", default="auto", help=SOLVER_HELP)
    sp.add_argument("--time-limit", type=positive_seconds, metavar="S",
                    help=f"stop after S seconds{each}, keeping the best plan found")
    sp.add_argument("--gap", type=relative_gap, metavar="G", help=f"stop at relative MIP gap G{each} (0.01 is 1 %%)")
    sp.add_argument("--option", dest="options", metavar="KEY=VALUE", action="append", default=[],
                    help="a solver option, checked against the solver's own list (repeatable)")


def output_args(sp) -> None:
    """--quiet and --verbose, on every command."""
    g = sp.add_mutually_exclusive_group()
    g.add_argument("--quiet", "-q", action="store_true",
                   help="print only the outcome: no progress, notes or tables")
    g.add_argument("--verbose", "-v", action="store_true",
                   help="print everything: every row of every table, variables milkrun added, timings")


def solver_options_from(pairs: list[str]) -> dict[str, str]:
    """--option KEY=VALUE pairs as a dict (their values are checked against the solver later)."""
    out = {}
    for p in pairs:
        if "=" not in p:
            raise MilkrunError(f"--option expects KEY=VALUE, got '{p}'")
        k, v = p.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def input_args(sp) -> None:
    """Where includes may come from and how large a model may grow: for every command that reads one."""
    sp.add_argument("--include-path", dest="include_path", metavar="DIR", action="append", default=[],
                    help="a folder that `include` may read from besides the model's own folder tree and the "
                         "standard library (repeatable; also MILKRUN_INCLUDE_PATH)")
    sp.add_argument("--max-entries", dest="max_entries", type=at_least_one, metavar="N",
                    help="refuse a set, domain or sum with more than N entries before building it "
                         "(default 50,000,000; also MILKRUN_MAX_ENTRIES)")


@contextlib.contextmanager
def input_environment(args):
    """--include-path and --max-entries as the environment the compiler reads while the command
    runs, so that they reach every compile of the run, those in worker processes included; the
    environment is as before afterwards."""
    from milkrun.compiler.model.sets import ENV_MAX_ENTRIES
    from milkrun.dsl.includes import INCLUDE_PATH_ENV

    saved = {k: os.environ.get(k) for k in (INCLUDE_PATH_ENV, ENV_MAX_ENTRIES)}
    folders = [os.path.abspath(d) for d in getattr(args, "include_path", None) or []]
    if folders:
        before = saved[INCLUDE_PATH_ENV]
        os.environ[INCLUDE_PATH_ENV] = os.pathsep.join(folders + ([before] if before else []))
    if getattr(args, "max_entries", None) is not None:
        os.environ[ENV_MAX_ENTRIES] = str(args.max_entries)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def robust_from(args):
    """The robust pass's options from --robust/--level/--budget, or None."""
    if getattr(args, "robust", None) is None:
        if getattr(args, "budget", None) is not None or getattr(args, "level", 1.0) != 1.0:
            raise MilkrunError("--level and --budget go with --robust box|budget")
        return None
    from milkrun.compiler.passes.robust import RobustOptions

    return RobustOptions(args.robust, args.level, args.budget)


def run_options_from(args):
    """The RunOptions a command's arguments describe (the options a command lacks keep their defaults).
    The pipeline is imported here, not at the top, so that `milkrun --help` does not load the solvers."""
    from milkrun.compiler.pipeline import RunOptions

    return RunOptions(model=args.model, data=getattr(args, "data", None),
                      overrides=getattr(args, "overrides", None) or (), scenario=getattr(args, "scenario", None),
                      objective=getattr(args, "objective", None), tour_method=getattr(args, "tour", None),
                      robust=robust_from(args), solver=getattr(args, "solver", None) or "auto",
                      solver_options=solver_options_from(getattr(args, "options", None) or []),
                      time_limit=getattr(args, "time_limit", None), gap=getattr(args, "gap", None))
