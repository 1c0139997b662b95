"""`milkrun fepia` from the command line: the arguments as a FepiaSpec, the run, its files and
its printout (the parser's options are declared in compiler/cli/command.py with the other commands)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from rich.console import Console

from milkrun.compiler.cli.arguments import solver_options_from
from milkrun.compiler.studies.fepia.report import print_fepia, summary, write
from milkrun.compiler.studies.fepia.run import FepiaSpec, run_fepia
from milkrun.dsl.diagnostics import MilkrunError, Span


def _listed(text: str | None, flag: str) -> list[str] | None:
    if text is None:
        return None
    items = [x.strip() for x in text.split(",")]
    if not all(items):
        raise MilkrunError(f"{flag} expects names separated by commas, got '{text}'", Span(flag, 1, 1))
    return items


def spec_from_args(args) -> FepiaSpec:
    if getattr(args, "robust", None):
        raise MilkrunError("fepia holds configurations under scenarios; it does not take --robust",
                           Span("--robust", 1, 1), hint="run `milkrun solve --robust` on a configuration instead")
    if getattr(args, "scenario", None):
        raise MilkrunError("fepia compares scenarios: give them as --scenarios A,B,... (default: all)",
                           Span("--scenario", 1, 1))
    if args.workers < 1:
        raise MilkrunError(f"--workers needs at least 1 (got {args.workers})", Span("--workers", 1, 1))
    coords = _listed(args.coords, "--coords")
    if coords is not None and len(coords) != 2:
        raise MilkrunError(f"--coords expects LAT,LON (two parameter names), got '{args.coords}'",
                           Span("--coords", 1, 1))
    span = _ranges(args.radius_range or [])
    return FepiaSpec(args.model, args.data, list(args.overrides), _listed(args.scenarios, "--scenarios"),
                     args.points, args.primary, args.solver, solver_options_from(args.options), args.time_limit, args.gap, args.tour,
                     args.group_distance, tuple(coords) if coords else None, list(args.fixed_set),
                     list(args.tolerances), _listed(args.gamma, "--gamma"), _listed(args.phi, "--phi"),
                     args.perturbation, span, args.radius_steps, args.radius_resolution,
                     radius_directions=args.radius_directions, slope_factor=args.radius_slope_factor,
                     progress=sys.stderr.isatty() and not args.quiet, workers=args.workers,
                     scheduler=args.scheduler, cluster=args.cluster, resume=args.resume,
                     group_extra_small=args.group_extra_small, small_types=_listed(args.small_types, "--small-types"),
                     size_param=args.size_param, held_objective=args.held_objective, held_front=args.held_front)


def _ranges(texts: list[str]):
    """--radius-range: `LO:HI` (one parameter), or `NAME=LO:HI` each (several): a pair, or {name: pair}."""
    where = Span("--radius-range", 1, 1)
    named = {}
    for text in texts:
        name, eq, span = text.rpartition("=")
        lo, colon, hi = span.partition(":")
        try:
            pair = (float(lo), float(hi)) if colon else None
        except ValueError:
            pair = None
        if pair is None:
            raise MilkrunError(f"--radius-range expects LO:HI or NAME=LO:HI (two numbers), got '{text}'", where)
        if not eq:
            if len(texts) > 1:
                raise MilkrunError("--radius-range: give each parameter's range as NAME=LO:HI when there are several",
                                   where)
            return pair
        if name.strip() in named:
            raise MilkrunError(f"--radius-range: '{name.strip()}' is given twice", where)
        named[name.strip()] = pair
    return named or None


def run_cli(args, console: Console) -> int:
    """Exit 0 with at least one configuration, 1 when no front has a point."""
    spec = spec_from_args(args)
    err = Console(stderr=True, highlight=False)
    out = Path(args.out)
    res = run_fepia(spec, out, (lambda text: None) if args.quiet else (lambda text: err.print(text, markup=False)))
    res.written += write(res, out)
    if args.json:
        print(json.dumps(summary(res)))
    else:
        print_fepia(res, console)
        console.print(f"  written to {out}/")
    return 0 if res.groups else 1
