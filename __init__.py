"""milkrun: write a dairy logistics model once as a .mcp file; solve it with open-source solvers.

The pipeline: ``milkrun.dsl`` parses a model into a typed syntax tree; ``milkrun.compiler`` takes
it through its stages, one folder each (model → data → build → passes → solve → report), for one
``RunOptions``; its ``studies`` run it many times (fronts, sweeps, the twin, FePIA). From Python (a
notebook): ``model = milkrun.load("transport")``, ``model.solve(data={"distance": frame})``
(``milkrun.compiler.api``, docs/python.md).

The names below are imported on first use (`__getattr__`): the `milkrun` command lives inside this
package, and `milkrun check` should not pay for the Python API, the studies and the solvers it
never uses (docs/design.md, "Start-up").
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for editors and type checkers; at run time __getattr__ imports them
    from .compiler.api import Front, Model, Result, Sweep, Twin, load
    from .compiler.data.objects import Tables
    from .compiler.pipeline import RunOptions, compile_model, load_model, solve_model
    from .dsl.diagnostics import MilkrunError

__all__ = ["Front", "MilkrunError", "Model", "Result", "RunOptions", "Sweep", "Tables", "Twin", "compile_model",
           "load", "load_model", "solve_model", "__version__"]


def __getattr__(name: str):
    """Each name of __all__ from its module, imported the first time it is asked for."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("milkrun")
        except PackageNotFoundError:  # running from a source tree
            value = "0.0.0+source"
    elif name in ("Model", "Result", "load", "Front", "Sweep", "Twin"):  # the studies' results come with them
        from .compiler import api

        value = getattr(api, name)
    elif name == "Tables":
        from .compiler.data.objects import Tables as value
    elif name in ("RunOptions", "compile_model", "load_model", "solve_model"):
        from .compiler import pipeline

        value = getattr(pipeline, name)
    elif name == "MilkrunError":
        from .dsl.diagnostics import MilkrunError as value
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
