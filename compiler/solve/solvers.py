"""Which solvers milkrun can drive, and their options checked before a solve.

HiGHS silently ignores a misspelt option; milkrun refuses it instead, naming the
closest real one. The generic `--time-limit` and `--gap` map onto each solver's own
option names here.
"""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from milkrun.compiler.solve.stdout_guard import silenced
from milkrun.dsl.diagnostics import MilkrunError, did_you_mean

GENERIC = {
    "highs": {"time_limit": "time_limit", "gap": "mip_rel_gap", "threads": "threads", "log": "output_flag"},
    "scip": {"time_limit": "limits/time", "gap": "limits/gap", "log": "display/verblevel", "threads": None},
}


def available() -> list[str]:
    import linopy  # here, not at the top: the command line reads SOLVER_HELP long before any solve

    return list(linopy.available_solvers)


# HiGHS and SCIP milkrun drives through their own Python modules; asking linopy which solvers are
# installed would load linopy, which a nonlinear model (built for SCIP directly) never needs
OWN_MODULE = {"highs": "highspy", "scip": "pyscipopt"}


def is_installed(name: str) -> bool:
    if name in OWN_MODULE:
        return importlib.util.find_spec(OWN_MODULE[name]) is not None
    return name in available()


AUTO = "auto"
SOLVER_HELP = ("auto (default: HiGHS for a linear model, SCIP for a nonlinear one or one with a tour on edges), "
               "highs, scip, or another solver linopy drives that is installed")


def check_solver(name: str | None) -> str:
    """The solver's name, checked to be installed; `auto` (or None) stays `auto` until
    `choose_solver` sees the built model."""
    name = (name or AUTO).lower()
    if name == AUTO:
        return AUTO
    if not is_installed(name):
        installed = ", ".join(available()) or "none"
        hint = did_you_mean(name, available())
        raise MilkrunError(f"solver '{name}' is not installed or not driven by linopy (installed: {installed})",
                           hint=hint)
    return name


def choose_solver(name: str | None, nonlinear: list, tours: list = ()) -> tuple[str, str | None]:
    """`auto` (the default): SCIP for a nonlinear model (`nonlinear`: the IR's list of (span, what) that
    make it so) and for a model with a tour on edges (`tours`: those tours, `graph = "undirected"`),
    HiGHS for any other. On edges HiGHS has only the flow rows or a loop that solves a whole MIP per
    round of cuts (its 1.16 callbacks take no cuts: the lazy-constraint one is declared but never
    called), while SCIP takes the cuts inside one branch and bound: 3 to 8 times faster on the
    milk-collection cases. On arcs the compact rows suit HiGHS as often as not (models/cvrp.mcp:
    HiGHS 2.6 times faster; models/sdvrp.mcp: SCIP 5 times), so auto keeps HiGHS there as before.
    Returns the solver and, for auto, why it was chosen, in the words the report prints; an explicit
    solver is kept as the user named it."""
    name = check_solver(name)
    if name != AUTO:
        return name, None
    if nonlinear:
        span, _ = nonlinear[0]
        return check_solver("scip"), f"nonlinear at {Path(span.file).name}:{span.line}:{span.column} → scip"
    if tours:
        return check_solver("scip"), "tour on edges → scip"
    return check_solver("highs"), "linear → highs"


def auto_solver(name: str | None, ir) -> str:
    """The solver a run will use, before anything is built (the tour method depends on it)."""
    return choose_solver(name, ir.nonlinear, ir.undirected_tours)[0]


@lru_cache(maxsize=None)
def _option_names(solver: str) -> dict[str, object] | None:
    """All option names with their default values, or None when the solver cannot tell us."""
    if solver == "highs":
        import highspy


        with silenced(True):  # HiGHS prints its banner when an instance is made
            opts = highspy.Highs().getOptions()
        return {n: getattr(opts, n) for n in dir(opts) if not n.startswith("_")}
    if solver == "scip":
        import pyscipopt

        return dict(pyscipopt.Model().getParams())
    return None


def convert(value: str, default):
    """Turn the text of an option value into the type the solver expects."""
    if isinstance(default, bool):
        low = value.lower()
        if low in ("true", "1", "yes", "on"):
            return True
        if low in ("false", "0", "no", "off"):
            return False
        raise ValueError(f"expected true or false, got '{value}'")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    return value


def solver_options(solver: str, raw: dict[str, str], time_limit: float | None, gap: float | None,
                   quiet: bool = True) -> dict[str, object]:
    if solver == AUTO:  # the choice is made per model; options belong to one solver
        if raw:
            raise MilkrunError("--option is checked against one solver's option list; name the solver with "
                               "--solver highs or --solver scip")
        return {}
    names = _option_names(solver)
    out: dict[str, object] = {}
    generic = GENERIC.get(solver, {})
    if time_limit is not None:
        if not generic.get("time_limit"):
            raise MilkrunError(f"milkrun does not know the time-limit option of solver '{solver}'; pass it with --option")
        out[generic["time_limit"]] = float(time_limit)
    if gap is not None:
        if not generic.get("gap"):
            raise MilkrunError(f"milkrun does not know the gap option of solver '{solver}'; pass it with --option")
        out[generic["gap"]] = float(gap)
    if quiet and generic.get("log"):
        out[generic["log"]] = 0 if solver == "scip" else False
    for key, text in raw.items():
        if names is not None and key not in names:
            raise MilkrunError(f"'{key}' is not an option of solver {solver}",
                               hint=did_you_mean(key, list(names)) or "see the solver's documentation for option names")
        default = names.get(key) if names else None
        try:
            out[key] = convert(text, default) if default is not None else _guess(text)
        except ValueError as e:
            raise MilkrunError(f"option {key}: {e}") from None
    return out


def _guess(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text
