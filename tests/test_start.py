"""MIP starts (`milkrun solve --start DIR`) and the routing construction heuristic.

A start must be read exactly (which entry of which variable), reported when it breaks the
model, and used by the solvers: a time limit too short to search still returns the start's
plan. The sweep heuristic's plans must satisfy every constraint of models/routing.mcp.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pytest import approx

import milkrun
from milkrun.compiler.cli.command import main
from milkrun.compiler.pipeline import compile_model
from milkrun.compiler.solve.run import solve, start_is_a_plan
from milkrun.compiler.solve.start import read_start, start_problems
from milkrun.compiler.studies.routing import cases, construction, lns
from milkrun.dsl.diagnostics import MilkrunError

from conftest import run_milkrun

ROOT = Path(__file__).resolve().parent.parent
ROUTING = ROOT / "models" / "routing.mcp"
TRANSPORT = ROOT / "models" / "transport.mcp"
PAPER_OPTIMUM = 535.691


def transport_start(tmp_path, rows: str) -> Path:
    d = tmp_path / "start"
    d.mkdir()
    (d / "ship.csv").write_text("Centres,Dairies,ship\n" + rows)
    return d


def test_a_start_is_read_by_element_and_missing_entries_are_zero(tmp_path):
    c = compile_model(TRANSPORT)
    folder = transport_start(tmp_path, "seattle,chicago,300\nsan-diego,new-york,325\n")
    values, counts = read_start(c.linopy, folder)
    x = c.linopy.variables["ship"]
    assert counts == {"ship": 2}
    assert values[int(x.labels.sel(Centres="seattle", Dairies="chicago"))] == 300
    assert values[int(x.labels.sel(Centres="san-diego", Dairies="new-york"))] == 325
    assert values[int(x.labels.sel(Centres="seattle", Dairies="topeka"))] == 0  # not listed: 0
    assert np.isfinite(values[x.labels.values.ravel()]).all()


def test_start_errors_are_located(tmp_path):
    c = compile_model(TRANSPORT)
    with pytest.raises(MilkrunError) as e:
        read_start(c.linopy, transport_start(tmp_path, "seattle,chicago,300\nseatle,topeka,10\n"))
    assert "ship.csv:3" in e.value.message and "'seatle'" in e.value.message and "seattle" in (e.value.hint or "")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "ship.csv").write_text("Centres,ship\nseattle,3\n")
    with pytest.raises(MilkrunError, match=r"ship.csv:1: expected the columns Centres, Dairies, ship"):
        read_start(c.linopy, bad)
    (bad / "ship.csv").write_text("Centres,Dairies,ship\nseattle,chicago,lots\n")
    with pytest.raises(MilkrunError, match=r"ship.csv:2: 'lots' is not a number"):
        read_start(c.linopy, bad)
    with pytest.raises(MilkrunError, match="no table .* is named like a variable"):
        read_start(c.linopy, tmp_path)


def test_start_problems_name_the_constraint_and_index(tmp_path):
    c = compile_model(TRANSPORT)
    # seattle has 350 cases: shipping 400 from it breaks its supply row
    values, _ = read_start(c.linopy, transport_start(tmp_path, "seattle,chicago,400\n"))
    problems = start_problems(c.linopy, values)
    assert any(p.startswith("supply[seattle]: 400 <= 350") for p in problems), problems


def test_the_optimal_plan_as_a_start_is_returned_under_a_tiny_time_limit(tmp_path):
    out = tmp_path / "plan"
    assert main(["solve", str(ROUTING), "--solver", "scip", "--out", str(out)]) == 0
    c = compile_model(ROUTING, tour_method="flow")
    start, _ = read_start(c.linopy, out)
    assert start_problems(c.linopy, start) == []
    r = solve(c.built, "highs", time_limit=0.3, ir=c.ir, start=start)
    assert r.has_solution
    assert r.objective == approx(PAPER_OPTIMUM, rel=1e-4)


def test_heuristic_plan_serves_every_farm_and_satisfies_the_model(tmp_path):
    case = construction.read_case(ROOT / "models" / "routing")
    routes = construction.best_plan(case)
    served = {}
    for r in routes:
        for p, s in r.share.items():
            served[p] = served.get(p, 0) + s
    assert sorted(served) == sorted(case.farms) and all(v == approx(1) for v in served.values())
    folder = construction.write_start(case, routes, tmp_path / "start")
    for method in ("lazy", "flow"):
        c = compile_model(ROUTING, tour_method=method)
        start, _ = read_start(c.linopy, folder)
        assert start_problems(c.linopy, start) == []
    km = construction.total_km(case, routes)
    assert PAPER_OPTIMUM - 1e-3 <= km < 1.2 * PAPER_OPTIMUM  # a plan, not better than the optimum
    c = compile_model(ROUTING, tour_method="flow")
    r = solve(c.built, "highs", time_limit=0.3, ir=c.ir, start=read_start(c.linopy, folder)[0])
    assert r.has_solution and r.objective <= km + 1e-6


def test_real_size_time_limit_returns_the_heuristic_plan_with_its_gap(tmp_path):
    """40 farms: without a start the solvers find no plan in seconds; with it the plan is kept."""
    data, seed = cases.generate_feasible(40, 2, tmp_path / "case")
    start_dir = tmp_path / "start"
    assert main(["first-plan", str(data), str(start_dir)]) == 0
    case = construction.read_case(data)
    km = construction.total_km(case, construction.best_plan(case))
    c = compile_model(ROUTING, data, tour_method="flow")
    start, _ = read_start(c.linopy, start_dir)
    assert start_problems(c.linopy, start) == []
    r = solve(c.built, "highs", time_limit=3, ir=c.ir, start=start, progress=False)
    assert r.status in ("time_limit", "optimal")
    assert r.objective <= km + 1e-6
    assert r.bound is not None and r.gap is not None and r.bound <= r.objective + 1e-6


def test_first_plan_command_writes_the_sweep_plan_and_with_improve_the_papers_optimum(tmp_path):
    """`milkrun first-plan` as a user runs it: the start folder holds the sweep's plan (561 km on the
    base case, as best_plan gives), a plan of the model; with --improve, its 2 routes are re-solved
    together, which is the whole model: the published optimum."""
    data = ROOT / "models" / "routing"
    case = construction.read_case(data)
    sweep_km = construction.total_km(case, construction.best_plan(case))
    for extra, km_wanted in (([], sweep_km), (["--improve", "60"], PAPER_OPTIMUM)):
        out = tmp_path / ("improved" if extra else "sweep")
        proc = run_milkrun("first-plan", data, out, *extra, timeout=300)
        assert proc.returncode == 0, proc.stderr
        routes = lns.read_plan(case, out)
        km = construction.total_km(case, routes)
        assert km == approx(km_wanted, rel=1e-4)
        if not extra:  # as test_heuristic_plan_serves_every_farm_and_satisfies_the_model bounds it
            assert PAPER_OPTIMUM - 1e-3 <= km < 1.2 * PAPER_OPTIMUM
        assert proc.stdout.splitlines()[-1] == f"{len(routes)} routes, {km:.3f} km: written to {out}/"
        c = compile_model(ROUTING, tour_method="flow")
        start, _ = read_start(c.linopy, out)
        assert start_problems(c.linopy, start) == []
        assert start_is_a_plan(c.built, start, c.ir)
    assert sweep_km > PAPER_OPTIMUM + 1  # the re-solves did shorten it


def test_first_plan_command_refuses_a_misspelt_data_folder(tmp_path):
    proc = run_milkrun("first-plan", ROOT / "models" / "routng", tmp_path / "start")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip() == f"error: data folder '{ROOT / 'models' / 'routng'}' does not exist"
    assert not (tmp_path / "start").exists()


def test_cli_warns_about_a_broken_start(tmp_path, capsys):
    folder = transport_start(tmp_path, "seattle,chicago,400\n")
    assert main(["solve", str(TRANSPORT), "--start", str(folder)]) == 0
    err = capsys.readouterr().err
    assert "breaks the model" in err and "supply[seattle]" in err


def test_generated_cases_come_with_a_feasibility_certificate(tmp_path):
    folder, seed = cases.generate_feasible(9, 1, tmp_path / "c9")
    assert seed != 1  # seed 1 with 9 farms is infeasible (a farm's types fit no single vehicle)
    r = milkrun.solve_model(ROUTING, folder, solver="scip", tour_method="lazy", time_limit=60)
    assert r.status == "optimal"


def test_a_checked_start_counts_as_a_plan_and_a_subtour_does_not(tmp_path):
    """When the solver ends with nothing, milkrun reports the start only if it is a plan."""
    case = construction.read_case(ROOT / "models" / "routing")
    folder = construction.write_start(case, construction.best_plan(case), tmp_path / "start")
    c = compile_model(ROUTING, tour_method="flow")
    start, _ = read_start(c.linopy, folder)
    assert start_is_a_plan(c.built, start, c.ir)
    drive = c.linopy.variables["drive"].labels
    broken = start.copy()  # vehicle 1 also drives a 2-node cycle 4 -> 6 -> 4 away from the depot
    broken[int(drive.sel(i=4, j=6, k=1))] = 2  # the edge between 4 and 6, there and back
    broken[int(c.linopy.variables["visit"].labels.sel(Nodes=4, Vehicles=1))] = 1
    broken[int(c.linopy.variables["visit"].labels.sel(Nodes=6, Vehicles=1))] = 1
    assert not start_is_a_plan(c.built, broken, c.ir)
    partial = start.copy()
    partial[int(drive.sel(i=4, j=6, k=1))] = np.nan
    assert not start_is_a_plan(c.built, partial, c.ir)  # a declared variable left unset


def test_improving_the_whole_base_case_at_once_reaches_the_papers_optimum(tmp_path):
    """With every route in one group, the re-solve is the whole model: the sweep's 561 km plan
    becomes the published optimum."""
    case = construction.read_case(ROOT / "models" / "routing")
    sweep = construction.best_plan(case)
    assert construction.total_km(case, sweep) > PAPER_OPTIMUM + 1
    better = lns.improve(case, sweep, seconds=60, group=len(case.vehicles), sub_seconds=60)
    assert construction.total_km(case, better) == approx(PAPER_OPTIMUM, rel=1e-4)
    folder = construction.write_start(case, better, tmp_path / "plan")
    c = compile_model(ROUTING, tour_method="flow")
    start, _ = read_start(c.linopy, folder)
    assert start_is_a_plan(c.built, start, c.ir)


def test_improving_part_of_a_real_size_plan_keeps_it_a_plan(tmp_path):
    data, _ = cases.generate_feasible(30, 3, tmp_path / "case")
    case = construction.read_case(data)
    sweep = construction.best_plan(case)
    better = lns.improve(case, sweep, seconds=20, group=2, sub_seconds=5)
    assert construction.total_km(case, better) <= construction.total_km(case, sweep) + 1e-6
    folder = construction.write_start(case, better, tmp_path / "plan")
    assert lns.read_plan(case, folder)  # the written plan reads back as routes
    c = compile_model(ROUTING, data, tour_method="flow")
    start, _ = read_start(c.linopy, folder)
    assert start_problems(c.linopy, start) == []
    assert start_is_a_plan(c.built, start, c.ir)
