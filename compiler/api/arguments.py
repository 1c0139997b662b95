"""A Python call's keyword arguments as the RunOptions the pipeline takes, checked as the command line
checks its options: `data=` (a folder, or tables as objects by name), `set=` (the --set changes),
the solver, its limits and the robust counterpart."""
from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from milkrun.compiler.data.objects import Tables
from milkrun.compiler.passes.robust import RobustOptions, check_options
from milkrun.compiler.pipeline import RunOptions
from milkrun.dsl.diagnostics import MilkrunError


def data_option(data, folder) -> str | Path | Tables | None:
    """`data`: a folder, or a dict of tables by name; `folder`: the folder the objects complete
    (None: the model's own folder; False: none)."""
    if isinstance(data, Tables):
        return data if folder is None else Tables(data.objects, folder)
    if isinstance(data, Mapping):
        return Tables(data, folder)
    if data is None:
        if folder is False:
            return Tables({}, False)
        return None if folder is None else Path(folder)
    if isinstance(data, (str, os.PathLike)):
        if folder is not None:
            raise MilkrunError("give the data folder once: as data= or as folder= (folder= goes with objects)")
        return Path(data)
    raise MilkrunError(f"data: expected a dict of tables by name, or a folder, got {type(data).__name__}",
                       hint="give an object under its table's name: data={'distance': frame}")


def override_texts(changes, flag: str = "set") -> tuple[str, ...]:
    """`set=` as --set texts: a dict {name: value} ({"capacity[seattle]": 400} or {("capacity", "seattle"):
    400} for one entry), or texts as --set takes them ('speed=50', 'cows*=1.1'), one or a list."""
    if changes is None:
        return ()
    if isinstance(changes, str):
        return (changes,)
    if isinstance(changes, Mapping):
        out = []
        for key, value in changes.items():
            if isinstance(key, tuple):
                if not key or not isinstance(key[0], str):
                    raise MilkrunError(f"{flag}=: a key (name, element, ...) starts with the parameter's name, "
                                       f"got {key!r}")
                name = f"{key[0]}[{','.join(_text(k) for k in key[1:])}]" if len(key) > 1 else key[0]
            elif isinstance(key, str):
                name = key
            else:
                raise MilkrunError(f"{flag}=: a parameter's name is text, got {key!r}")
            if value is None:
                raise MilkrunError(f"{flag}=: no value for '{name}'")
            out.append(f"{name}={_text(value)}")
        return tuple(out)
    if isinstance(changes, Sequence) and all(isinstance(c, str) for c in changes):
        return tuple(changes)
    raise MilkrunError(f"{flag}=: expected a dict {{name: value}} or texts such as 'speed=50', got "
                       f"{type(changes).__name__}")


def _text(v) -> str:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, float):
        return repr(v)
    return str(v)


def robust_option(robust, level: float = 1.0, budget: float | None = None) -> RobustOptions | None:
    """`robust="box"` or `"budget"` (with `level`, `budget`), or a RobustOptions; checked as --robust is."""
    if robust is None or robust is False:
        if budget is not None or level != 1.0:
            raise MilkrunError("level= and budget= go with robust='box' or 'budget'")
        return None
    if isinstance(robust, RobustOptions):
        options = robust
    elif isinstance(robust, str):
        options = RobustOptions(robust, float(level), None if budget is None else float(budget))
    else:
        raise MilkrunError(f"robust= takes 'box' or 'budget', got {robust!r}")
    check_options(options)
    return options


def time_limit_option(seconds) -> float | None:
    if seconds is None:
        return None
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        raise MilkrunError(f"time_limit: expected a number of seconds, got {seconds!r}") from None
    if not value > 0 or not math.isfinite(value):
        raise MilkrunError(f"a time limit must be more than 0 seconds and finite, got {seconds!r}")
    return value


def gap_option(gap) -> float | None:
    if gap is None:
        return None
    try:
        value = float(gap)
    except (TypeError, ValueError):
        raise MilkrunError(f"gap: expected a relative gap such as 0.01, got {gap!r}") from None
    if not 0 <= value < 1:
        raise MilkrunError(f"a relative gap lies in [0, 1) (0.01 is 1 %), got {gap!r}")
    return value


def solver_options_option(options) -> dict[str, str]:
    """Solver options as a dict {name: value}; their names are checked against the solver's own list
    when it runs."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise MilkrunError(f"options: expected a dict {{name: value}}, got {type(options).__name__}")
    return {str(k): _text(v) for k, v in options.items()}


def run_options(model: Path, *, data=None, folder=None, set=None, scenario: str | None = None,
                objective: str | None = None, solver: str = "auto", options: Mapping | None = None,
                time_limit: float | None = None, gap: float | None = None, robust=None, level: float = 1.0,
                budget: float | None = None, tour: str | None = None, fixed: Mapping | None = None,
                perturb=None, realisation: tuple[int, int] | None = None,
                include_path: Sequence[str | Path] = (), max_entries: int | None = None) -> RunOptions:
    """The RunOptions of one call (`model.solve(...)`, `model.pareto(...)`, ...)."""
    if tour is not None and tour not in ("mtz", "flow", "lazy"):
        raise MilkrunError(f"tour= takes mtz, flow or lazy, not {tour!r}")
    return RunOptions(model=model, data=data_option(data, folder), overrides=override_texts(set),
                      scenario=scenario, perturb=override_texts(perturb, "perturb"), realisation=realisation,
                      include_path=tuple(include_path), max_entries=max_entries, objective=objective,
                      tour_method=tour, robust=robust_option(robust, level, budget), fixed=fixed,
                      solver=solver or "auto", solver_options=solver_options_option(options),
                      time_limit=time_limit_option(time_limit), gap=gap_option(gap))
