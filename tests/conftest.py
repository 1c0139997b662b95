"""Shared fixtures for the milkrun test suite.

Small models are written into pytest's `tmp_path` from the tests themselves, so each
test shows the model it is about; the bigger ones live in tests/models/.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from milkrun.dsl.diagnostics import MilkrunError

TESTS = Path(__file__).resolve().parent
MODELS = TESTS / "models"
REPO = TESTS.parent
# The public benchmark instances, in shared/benchmarks beside the repository (CI and the developers'
# machines have them there): tests that need them fail without them, they are not skipped.
BENCH = next((p for p in (REPO.parent / "shared" / "benchmarks", Path("/work/shared/benchmarks"))
              if (p / "cvrp" / "E-n13-k4.vrp").exists()), REPO.parent / "shared" / "benchmarks")
SOLVERS = ["highs", "scip"]

# Words of the grammar that must never reach a user: Lark's own terminal names.
RAW_TOKEN_NAMES = ("COLON", "RSQB", "LSQB", "RPAR", "LPAR", "__ANON", "$END", "SEMICOLON", "EQUAL", "NAME",
                   "NUMBER", "Token(")


def dedent(text: str) -> str:
    """Model text written indented in a test, with its first line as line 1."""
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture(params=SOLVERS)
def solver(request) -> str:
    return request.param


@pytest.fixture
def write_model(tmp_path):
    """write_model(text, name="model.mcp") -> path of the written .mcp file (text is dedented)."""

    def write(text: str, name: str = "model.mcp") -> Path:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(dedent(text))
        return p

    return write


@pytest.fixture
def plants(tmp_path) -> Path:
    """A copy of tests/models/plants.mcp and its data folder, free to edit; returns the model path."""
    shutil.copy(MODELS / "plants.mcp", tmp_path / "plants.mcp")
    shutil.copytree(MODELS / "plants", tmp_path / "plants")
    return tmp_path / "plants.mcp"


@pytest.fixture
def expect_error():
    """expect_error(fn, *args, line=, column=, file=None, contains=(), **kwargs) -> the MilkrunError.

    Calls fn and asserts it raises a MilkrunError located at exactly (line, column),
    whose text holds every string in `contains`.
    """

    def check(fn, *args, line: int, column: int, file: str | Path | None = None, contains=(), **kwargs):
        with pytest.raises(MilkrunError) as info:
            fn(*args, **kwargs)
        err = info.value
        assert err.span is not None, f"error has no location: {err}"
        assert (err.span.line, err.span.column) == (line, column), f"located at {err.span}, not {line}:{column}\n{err}"
        if file is not None:
            assert Path(err.span.file).resolve() == Path(file).resolve(), f"error in {err.span.file}, not {file}"
        text = str(err)
        for piece in ([contains] if isinstance(contains, str) else contains):
            assert piece in text, f"{piece!r} not in:\n{text}"
        return err

    return check


@pytest.fixture
def cli(capsys):
    """cli(*args) -> (exit code, stdout, stderr) of `milkrun ARGS`, run in this process."""
    from milkrun.compiler.cli.command import main

    def run(*args):
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as e:  # argparse's own errors
            code = e.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


def milkrun_command() -> list[str]:
    """The installed `milkrun` console script next to this Python (the user's command), else the module."""
    script = Path(sys.executable).parent / "milkrun"
    return [str(script)] if script.exists() else [sys.executable, "-m", "milkrun.compiler.cli.command"]


def run_milkrun(*args, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    """`milkrun ARGS` as a separate process, so stdout and stderr are exactly what a user sees."""
    return subprocess.run([*milkrun_command(), *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


@pytest.fixture
def milkrun_process():
    return run_milkrun


# The coordinates I, J, K of `linear_model`: text, integer and text labels, of three sizes.
LINEAR_COORDS = tuple(pd.Index(values, name=name) for values, name in
                      ((("a", "b"), "I"), ((1, 2, 3), "J"), (("x", "y", "z", "w"), "K")))


@pytest.fixture(scope="module")
def linear_model():
    """A linopy model of small variables for comparing milkrun's array-made expressions with linopy's
    (test_linear_sum, test_linear_combine): x[I, J] with a mask, y[I, J, K] integer, z[K], t[J, I]
    (x's dimensions in the other order) and s (no dimension)."""
    import linopy
    import xarray as xr

    import milkrun.compiler.model.evaluate  # noqa: F401  (pins the meaning milkrun gives linopy)

    i, j, k = LINEAR_COORDS
    m = linopy.Model()
    mask = xr.DataArray([[True, False, True], [True, True, False]], coords=[i, j])
    m.add_variables(lower=0, coords=[i, j], name="x", mask=mask)
    m.add_variables(lower=0, coords=[i, j, k], name="y", integer=True)
    m.add_variables(coords=[k], name="z")
    m.add_variables(coords=[j, i], name="t")
    m.add_variables(name="s")
    return m
