"""Every model in models/ checks and solves as shipped: no flags, the default solver `auto`.

Each optimum is the published one where there is one, else the value worked out in the
model's docs page (docs/models/NAME.md). A model added to models/ without an entry here fails
`test_every_shipped_model_has_an_expected_optimum`, so none can ship untested.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

MODELS = Path(__file__).resolve().parents[1] / "models"

# name: (the primary objective's optimum, relative tolerance, where the number comes from, solver auto picks)
EXPECTED = {
    "transport": (153.675, 1e-9, "GAMS model library trnsport", "highs"),
    "routing": (535.691, 1e-5, "Polat et al. 2019, base case (km, 3 decimals)", "scip"),  # a tour on edges
    "cvrp": (247, 1e-9, "CVRPLIB E-n13-k4 .opt", "highs"),
    "sdvrp": (22828, 1e-4, "DIMACS 2022 SDVRP SD1 (proven); HiGHS stops within its default gap", "highs"),
    "knapsack2": (2103, 1e-9, "2kp50 payoff table, z1 (Mavrotas and Florios 2013)", "highs"),
    "knapsack3": (1583, 1e-9, "3kp40 payoff table, z1", "highs"),
    "location": (931.861, 1e-6, "docs/models/location.md, the seed's data at nominal yield", "highs"),
    "portfolio": (1.2, 1e-9, "docs/models/portfolio.md, nominal returns (no --robust)", "highs"),
    "dairy_chain": (521907, 1e-6, "docs/models/dairy_chain.md, nominal case", "scip"),
    "farm_tanks": (3756.46, 1e-6, "tests/test_farm_tanks.py, an exhaustive search of the weekly visits", "highs"),
}


def shipped() -> list[str]:
    return sorted(p.stem for p in MODELS.glob("*.mcp"))


def test_every_shipped_model_has_an_expected_optimum():
    assert shipped() == sorted(EXPECTED)


@pytest.mark.parametrize("name", shipped())
def test_check_with_no_flags(name, milkrun_process):
    proc = milkrun_process("check", name, "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["variables"] > 0 and info["constraints"] > 0
    assert all(n > 0 for n in info["sets"].values()), info["sets"]


@pytest.mark.parametrize("name", shipped())
def test_solve_with_no_flags(name, milkrun_process):
    optimum, rel, _source, solver = EXPECTED[name]
    proc = milkrun_process("solve", name, "--json", timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["status"] == "optimal"
    assert data["solver"] == solver
    assert data["objective"] == pytest.approx(optimum, rel=rel)


def test_auto_says_why_it_chose_scip(milkrun_process):
    proc = milkrun_process("solve", "dairy_chain")
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("dairy_chain: optimal (nonlinear at dairy_chain.mcp:")
    assert "→ scip" in first


def test_an_explicit_solver_wins_over_auto(cli):
    code, _, err = cli("solve", "dairy_chain", "--solver", "highs")
    assert code == 2
    assert "makes the model nonlinear" in err and "solver 'highs' solves linear models only" in err
    code, out, _ = cli("solve", "transport", "--solver", "scip", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["solver"] == "scip" and data["solver_choice"] is None


def test_options_are_checked_against_the_solver_auto_chose(cli):
    code, out, _ = cli("solve", "transport", "--option", "presolve=off", "--json")  # a HiGHS option
    assert code == 0 and json.loads(out)["objective"] == pytest.approx(153.675)
    code, _, err = cli("solve", "transport", "--option", "limits/nodes=5")  # SCIP's, but auto chose HiGHS
    assert code == 2
    assert "'limits/nodes' is not an option of solver highs" in err
