"""milkrun: write a dairy logistics model once as a .mcp file; solve it with open-source solvers.

The pipeline: ``milkrun.dsl`` parses a model into a typed syntax tree; ``milkrun.compiler`` takes
it through its stages, one folder each (model → data → build → passes → solve → report), for one
``RunOptions``; its ``studies`` run it many times (fronts, sweeps, the twin, FePIA).
"""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("milkrun")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+source"

from .compiler.pipeline import RunOptions, compile_model, load_model, solve_model  # noqa: E402

__all__ = ["RunOptions", "compile_model", "load_model", "solve_model", "__version__"]
