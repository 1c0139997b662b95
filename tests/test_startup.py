"""What a command imports: `milkrun check` and `milkrun solve` of a small model load only what they use.

Each case runs in a fresh interpreter, as the command does, and lists the modules it ended with.
Heavy libraries are imported inside the functions that need them (docs/design.md, "Start-up");
benchmarks/startup.py measures what that buys.
"""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO

TRANSPORT = str(REPO / "models" / "transport.mcp")
# neither command needs any of these on a linear model solved with HiGHS and printed
NEVER = ("dask", "netCDF4", "matplotlib", "pyscipopt", "distributed", "milkrun.compiler.studies",
         "milkrun.compiler.api", "milkrun.compiler.lsp", "milkrun.compiler.report.plots")

RUN = """
import contextlib, io, json, sys
from milkrun.compiler.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def run(*argv: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", RUN, *argv], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def loaded(modules: list[str], names) -> list[str]:
    return sorted({n for n in names for m in modules if m == n or m.startswith(n + ".")})


def test_check_imports_no_solver_plotting_file_format_or_study():
    r = run("check", TRANSPORT)
    assert r["code"] == 0 and "6 variables, 5 constraints" in r["out"]
    assert loaded(r["modules"], NEVER + ("highspy",)) == []
    assert "linopy" in r["modules"] and "xarray" in r["modules"]  # it does build the model


def test_solve_imports_highs_and_nothing_it_does_not_use():
    r = run("solve", TRANSPORT, "--json")
    assert r["code"] == 0 and json.loads(r["out"])["objective"] == 153.675
    # nor rich: no table is printed, and stderr is no terminal here, so there is no live progress line
    assert loaded(r["modules"], NEVER + ("rich",)) == []
    assert "highspy" in r["modules"]
    printed = run("solve", TRANSPORT)  # the tables are rich's
    assert printed["code"] == 0 and "153.675" in printed["out"] and "rich" in printed["modules"]


def test_the_version_is_read_only_when_asked_for():
    # reading it from the installed metadata takes 20-25 ms: `--version` does, a `check` does not
    code = ("import sys; from importlib import metadata; calls = []; real = metadata.version; "
            "metadata.version = lambda name: calls.append(name) or real(name); "
            "from milkrun.compiler.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    print('exit', e.code)\n"
            "print('asked', calls)")
    proc = subprocess.run([sys.executable, "-c", code, "--version"], capture_output=True, text=True, cwd=REPO)
    from importlib.metadata import version

    assert proc.stdout.splitlines()[0] == f"milkrun {version('milkrun')}" and "exit 0" in proc.stdout
    assert "'milkrun'" in proc.stdout.splitlines()[-1]
    proc = subprocess.run([sys.executable, "-c", code, "check", TRANSPORT], capture_output=True, text=True, cwd=REPO)
    assert "6 variables, 5 constraints" in proc.stdout and "'milkrun'" not in proc.stdout.splitlines()[-1]


def test_the_live_progress_line_needs_rich_only_where_rich_would_draw_it(monkeypatch):
    from milkrun.compiler.solve.progress import stderr_console

    for name in ("TTY_COMPATIBLE", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    assert stderr_console() is None  # pytest's stderr is captured: no terminal
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich then draws on anything: so does the progress line
    console = stderr_console()
    assert console is not None and console.is_terminal


def test_data_that_fails_a_check_is_refused_before_linopy_is_loaded():
    # a `check` answers in the data phase: the build (linopy, the solvers) is never reached
    r = run("solve", str(REPO / "models" / "routing.mcp"), "--set", "max_duration=300", "--json")
    out = json.loads(r["out"])
    assert r["code"] == 1 and out["status"] == "infeasible"
    assert out["message"] == "farm 9: the round trip alone takes 305.7 min, over max_duration 300"
    assert loaded(r["modules"], NEVER + ("linopy", "highspy")) == []


def test_a_nonlinear_model_is_built_and_solved_without_linopy(tmp_path):
    # built for SCIP directly (compiler/build/nonlinear.py): linopy, polars and HiGHS are 0.2 s of imports it never uses
    model = tmp_path / "nl.mcp"
    model.write_text("set I = 1..3\nvar x[I] >= 0 <= 10\n"
                     "minimize f: sum(i) i * x[i] ^ 2\ntotal: sum(i) x[i] == 1\n")
    r = run("solve", str(model), "--json")
    out = json.loads(r["out"])  # x proportional to 1/i: (6, 3, 2)/11, and the value 6/11
    assert r["code"] == 0 and out["status"] == "optimal" and abs(out["objective"] - 6 / 11) < 1e-4
    assert out["solver_choice"] == "nonlinear at nl.mcp:3:24 → scip"  # x[i] ^ 2
    assert "pyscipopt" in r["modules"]
    assert loaded(r["modules"], ("linopy", "polars", "highspy", "dask", "matplotlib")) == []
    checked = run("check", str(model))
    assert checked["code"] == 0 and loaded(checked["modules"], ("linopy", "polars", "highspy")) == []


def test_the_command_line_alone_imports_no_numerical_library():
    # `milkrun --help` and argument errors answer before any of them is needed
    proc = subprocess.run([sys.executable, "-c",
                           "import json, sys, milkrun.compiler.cli; print(json.dumps(sorted(sys.modules)))"],
                          capture_output=True, text=True, cwd=REPO, check=True)
    assert loaded(json.loads(proc.stdout), ("numpy", "pandas", "xarray", "linopy", "rich", "lark")) == []


def test_dask_arrays_are_still_dask_arrays_once_dask_is_imported():
    # the deferred checks (compiler/model/lazy_dask.py) say "no dask" only while no dask array can exist
    code = """
import milkrun.compiler.model, sys
import numpy as np, xarray as xr
assert xr.DataArray(np.arange(3.0)).fillna(0).sum().item() == 3.0 and "dask" not in sys.modules
import dask.array as da
from xarray.namedarray.utils import is_duck_dask_array
a = xr.DataArray(da.arange(4.0, chunks=2))
assert a.chunks == ((2, 2),) and is_duck_dask_array(a.data) and not is_duck_dask_array(np.arange(2))
print((a.fillna(0) + 1).sum().compute().item())
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "10.0"
