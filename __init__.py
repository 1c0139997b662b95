"""milkrun: write a dairy logistics model once as a .mcp file; solve it with open-source solvers.

The pipeline: ``milkrun.dsl`` parses a model into a typed syntax tree; ``milkrun.compiler`` takes
it through its stages, one folder each (model → data → build → passes → solve → report), for one
``RunOptions``; its ``studies`` run it many times (fronts, sweeps, the twin, FePIA). From Python (a
notebook): ``model = milkrun.load("transport")``, ``model.solve(data={"distance": frame})``
(``milkrun.compiler.api``, docs/python.md).
"""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("milkrun")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+source"

from .compiler.api import Model, Result, load  # noqa: E402
from .compiler.data.objects import Tables  # noqa: E402
from .compiler.pipeline import RunOptions, compile_model, load_model, solve_model  # noqa: E402
from .dsl.diagnostics import MilkrunError  # noqa: E402

__all__ = ["Front", "MilkrunError", "Model", "Result", "RunOptions", "Sweep", "Tables", "Twin", "compile_model",
           "load", "load_model", "solve_model", "__version__"]


def __getattr__(name: str):
    """Front, Sweep and Twin (what the studies return) come with the studies, on first use."""
    from .compiler import api

    if name in api.LAZY:
        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
