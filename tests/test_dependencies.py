"""What milkrun needs installed, and what only some commands need.

dask.distributed is the `cluster` extra: only `milkrun sweep --scheduler/--cluster` uses it. A
plain solve never imports it, and without it those two options say in one line what to install
(exit 2) before anything is run or written. pyproject.toml records how its lower bounds were
tested (the whole suite with the lowest versions they allow).
"""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pytest

from milkrun.dsl.diagnostics import MilkrunError

from conftest import REPO, dedent

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
INSTALL = "pip install 'milkrun[cluster]'"

TINY = """
    model tiny
    param price >= 0 default 10
    var x >= 0 <= 5
    maximize profit: price * x
"""


def _name(requirement: str) -> str:
    from packaging.requirements import Requirement

    return Requirement(requirement).name.lower()


def test_distributed_is_the_cluster_extra_and_the_tests_pull_it_in():
    core = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert "distributed" not in core and "dask" not in core
    assert {_name(r) for r in extras["cluster"]} == {"dask", "distributed"}
    assert "milkrun[cluster]" in extras["test"]  # README: pip install '.[test]' sets up what the tests need
    assert {"netcdf4", "matplotlib"} <= core


def test_the_bounds_say_how_they_were_tested():
    text = (REPO / "pyproject.toml").read_text()
    assert "--resolution lowest-direct" in text and "pytest -x -q" in text


def test_installed_versions_meet_the_bounds():
    """The environment running the tests is one the bounds allow (so the bounds are not fiction)."""
    from importlib.metadata import version

    from packaging.requirements import Requirement

    for text in PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["cluster"]:
        req = Requirement(text)
        assert req.specifier.contains(version(req.name), prereleases=True), (text, version(req.name))


def test_a_plain_solve_never_imports_distributed(tmp_path):
    """In a fresh interpreter, `milkrun solve` from start to report: dask.distributed is not
    imported (it costs a quarter of a second and is only for Dask sweeps). dask itself is linopy's
    dependency, and xarray imports it for its duck-array checks; milkrun imports neither."""
    code = (
        "import json, sys\n"
        "import milkrun.compiler.cli.command as cli, milkrun.compiler.studies.sweep.executors\n"
        "before = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "rc = cli.main(['solve', 'transport', '--json'])\n"
        "after = sorted(m for m in sys.modules if m.split('.')[0] == 'distributed')\n"
        "sys.stderr.write('MODULES ' + json.dumps({'rc': rc, 'before': before, 'after': after}) + '\\n')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    line = next(l for l in r.stderr.splitlines() if l.startswith("MODULES "))
    found = json.loads(line.removeprefix("MODULES "))
    assert found["rc"] == 0, r.stderr
    assert found["before"] == []  # milkrun's own modules, the command line and sweeps included
    assert found["after"] == []
    assert json.loads(r.stdout)["status"] == "optimal"


@pytest.fixture
def no_distributed(monkeypatch):
    """As if the cluster extra were not installed: `import distributed` fails."""
    for name in [m for m in sys.modules if m == "distributed" or m.startswith("distributed.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "distributed", None)


def test_missing_cluster_extra_is_one_line_and_exit_2(no_distributed, tmp_path, capsys):
    from milkrun.compiler.cli.command import main

    model = tmp_path / "tiny.mcp"
    model.write_text(dedent(TINY))
    for where in (["--cluster", "local"], ["--scheduler", "tcp://127.0.0.1:8786"]):
        out = tmp_path / f"out{len(where[1])}"
        code = main(["sweep", str(model), "--grid", "price=1,2", *where, "--out", str(out), "--no-progress"])
        err = capsys.readouterr().err
        assert code == 2, err
        assert err.strip().splitlines()[0] == (f"error: {where[0]}{' local' if where[1] == 'local' else ''} needs "
                                                f"dask.distributed, which is not installed: {INSTALL}")
        assert not out.exists()  # nothing run, nothing written: the same command works once it is installed


def test_missing_cluster_extra_in_the_executor(no_distributed):
    from milkrun.compiler.studies.sweep.executors import DaskExecutor, LocalExecutor, require_distributed
    from milkrun.compiler.studies.sweep.tasks import run_point

    with pytest.raises(MilkrunError, match=r"pip install 'milkrun\[cluster\]'"):
        require_distributed()
    with pytest.raises(MilkrunError, match=r"--cluster local needs dask.distributed"):
        DaskExecutor(None, 2, run_point).start()
    with pytest.raises(MilkrunError, match=r"--scheduler needs dask.distributed"):
        DaskExecutor("tcp://127.0.0.1:8786", 1, run_point).start()
    LocalExecutor(1, run_point)  # the local pool needs nothing more
