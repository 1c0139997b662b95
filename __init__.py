"""milkrun: write a dairy logistics model once as a .mcp file; solve it with open-source solvers.

The pipeline, one package per stage:
``milkrun.dsl`` (parse → typed syntax tree) → ``milkrun.compiler`` (check → data →
linopy backend → solve → result and report).
"""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("milkrun")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+source"

from .compiler.pipeline import compile_model, load_model, solve_model  # noqa: E402

__all__ = ["compile_model", "load_model", "solve_model", "__version__"]
