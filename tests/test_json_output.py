"""`--json`: stdout holds exactly one JSON document, for every command and every exit code.

Every case runs the installed `milkrun` console script in its own process (the `milkrun_process`
fixture), so a solver banner written by C code would land on stdout exactly as a user sees it;
`json.loads` reads the whole of stdout.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BENCH

# Two sites to open (the design), three farms; cost 250 by hand (test_twin.py), two objectives,
# a scenario, an uncertain parameter: every command has something to do.
PLANTS = """
    model plants
    set Sites
    set Farms
    param cap[Sites] default 100
    param open_cost[Sites] default 50 uncertain in [40, 60]
    param milk[Farms] >= 0
    param dist[Farms, Sites]
    var open[Sites] binary design
    var go[Farms, Sites] binary
    minimize cost: sum(s) open_cost[s] * open[s] + sum(f, s) dist[f, s] * milk[f] * go[f, s]
    minimize sites: sum(s) open[s]
    kpi utilisation "%": 100 * sum(f) milk[f] / sum(s) cap[s] * open[s]
    one[f in Farms]: sum(s) go[f, s] == 1
    fits[s in Sites]: sum(f) milk[f] * go[f, s] <= cap[s] * open[s]
    scenario low "less milk": milk *= 0.5
    data {
      Sites = {x, y}
      Farms = {a, b, c}
      milk = {a: 60, b: 60, c: 30}
      dist = {(a, x): 1, (a, y): 3, (b, x): 3, (b, y): 1, (c, x): 1, (c, y): 1.2}
    }
"""

INFEASIBLE = """
    model never
    var x >= 0
    minimize f: x
    too_much: x >= 5
    too_little: x <= 3
"""


@pytest.fixture
def plants(write_model):
    return write_model(PLANTS, "plants.mcp")


def one_document(proc: subprocess.CompletedProcess) -> dict:
    """The whole of stdout parsed as one JSON document (raises if anything else is there)."""
    return json.loads(proc.stdout)


def ok_cases(plants: Path, tmp: Path) -> list[list]:
    cases = [
        ["check", plants],
        ["solve", plants],
        ["solve", "transport"],
        ["solve", "dairy_chain"],  # nonlinear: SCIP, which prints in C too
        ["solve", "transport", "--solver", "scip"],
        ["export", plants, "-o", tmp / "plants.lp"],
        ["pareto", plants, "--points", "3"],
        ["twin", plants, "--perturb", "milk*=1.1"],
        ["sweep", plants, "--grid", "open_cost[x]=40,60", "--out", tmp / "sweep"],
        ["convert", BENCH / "cvrp" / "E-n13-k4.vrp", tmp / "e13"],
    ]
    return cases


def test_every_command_exit_0(plants, tmp_path, milkrun_process):
    for args in ok_cases(plants, tmp_path):
        proc = milkrun_process(*args, "--json", timeout=300)
        assert proc.returncode == 0, (args, proc.stderr)
        doc = one_document(proc)
        assert isinstance(doc, dict), args
        assert "Running HiGHS" not in proc.stdout and "SCIP" not in proc.stdout.split('"solver"')[0]


def test_solve_json_fields(plants, milkrun_process):
    doc = one_document(milkrun_process("solve", plants, "--json"))
    assert doc["status"] == "optimal"
    assert doc["objective"] == pytest.approx(250)
    assert doc["objectives"]["sites"] == pytest.approx(2)
    assert doc["solver"] == "highs" and doc["solver_choice"] == "linear → highs"


def test_exit_1_infeasible(write_model, milkrun_process):
    proc = milkrun_process("solve", write_model(INFEASIBLE), "--json")
    assert proc.returncode == 1
    doc = one_document(proc)
    assert doc["status"] == "infeasible" and doc["objective"] is None
    assert any("too_much" in w and "too_little" in w for w in doc["why"])


@pytest.mark.parametrize("args, words", [
    (["solve", "transprot"], "no shipped model is called 'transprot'"),
    (["check", "transport", "--set", "fright=1"], "fright"),
    (["solve", "transport", "--time-limit", "0"], "more than 0 seconds"),
    (["solve", "transport", "--gap", "1.5"], "[0, 1)"),
    (["pareto", "transport", "--bogus"], "unrecognized arguments: --bogus"),
    (["export", "transport", "-o", "/nonexistent/x.lp"], "/nonexistent/x.lp"),
    (["sweep", "transport", "--out", "/tmp/never-used"], "a sweep needs points"),
    (["twin", "transport", "--perturb", "freight*=2"], "design"),
])
def test_exit_2_mistakes(args, words, milkrun_process):
    proc = milkrun_process(*args, "--json")
    assert proc.returncode == 2, proc.stderr
    doc = one_document(proc)
    assert doc["status"] == "error" and doc["exit_code"] == 2
    assert {"command", "message", "location", "hint", "why"} <= set(doc)
    assert words in doc["message"] + (doc.get("hint") or ""), doc
    assert "Traceback" not in proc.stderr


def test_exit_3_internal_error_is_json_too(tmp_path):
    """A bug (here: compile_model made to fail) still answers with one document, exit 3."""
    script = ("import sys, milkrun.compiler.pipeline as p\n"
              "def boom(*a, **k):\n    raise RuntimeError('planted bug')\n"
              "p.compile_model = boom\n"
              "from milkrun.compiler.cli.command import console_main\n"
              "sys.argv = ['milkrun', 'check', 'transport', '--json']\n"
              "console_main()\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3
    doc = one_document(proc)
    assert doc == {"command": "check", "exit_code": 3, "status": "internal_error",
                   "message": "RuntimeError: planted bug"}
    assert "internal error" in proc.stderr and "Traceback" not in proc.stderr


def test_plain_report_has_no_banner_and_log_goes_to_stderr(milkrun_process):
    proc = milkrun_process("solve", "transport")
    assert proc.stdout.startswith("transport: optimal (linear → highs,")
    assert "HiGHS" not in proc.stdout and "HiGHS" not in proc.stderr
    proc = milkrun_process("solve", "transport", "--log", "--json")
    assert one_document(proc)["objective"] == pytest.approx(153.675)
    assert "HiGHS" in proc.stderr  # the log asked for, where it cannot break the document
