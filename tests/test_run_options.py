"""RunOptions: one value that says what a run needs, built by the command line or by a caller, and
passed whole through the pipeline and the studies."""
from __future__ import annotations

import dataclasses

import pytest

import milkrun
from milkrun.compiler.cli.arguments import run_options_from
from milkrun.compiler.cli.command import _parser
from milkrun.compiler.passes.robust import RobustOptions
from milkrun.compiler.pipeline import RunOptions, compile_model, load_model, run_options, solve_compiled, solve_model
from milkrun.compiler.studies.pareto.run import run_pareto
from milkrun.models import shipped

TRANSPORT = 153.675  # GAMS model library `trnsport`, freight 90 $ per case and thousand miles


def test_a_run_is_a_value():
    run = RunOptions("transport", overrides=["freight=45"])
    assert run.overrides == ("freight=45",)  # a list given becomes a tuple
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.solver = "scip"
    changed = run.replace(solver="scip")
    assert (changed.solver, run.solver) == ("scip", "auto")
    assert milkrun.RunOptions is RunOptions


def test_the_tour_method_follows_the_solver_unless_asked():
    routing, transport = load_model(shipped("routing")), load_model(shipped("transport"))
    assert RunOptions("m").tour(routing) == "lazy"  # auto runs a model with a tour on edges on SCIP
    assert RunOptions("m", solver="highs").tour(routing) == "flow"
    assert RunOptions("m", solver="scip").tour(routing) == "lazy"
    assert RunOptions("m", solver="scip", tour_method="mtz").tour(routing) == "mtz"
    assert RunOptions("m").tour(transport) == "flow"  # no tour: auto is HiGHS
    assert RunOptions("m").tour(load_model(shipped("cvrp"))) == "flow"  # a tour on arcs: HiGHS too


def test_keywords_and_a_run_give_the_same_model():
    by_keywords = solve_model("transport", overrides=["freight=45"], solver="highs")
    run = RunOptions("transport", overrides=("freight=45",), solver="highs")
    by_run = solve_model(run)
    # the cost is linear in the freight rate, so halving it halves the optimum and keeps the plan
    assert by_keywords.objective == pytest.approx(TRANSPORT / 2, rel=1e-9)
    assert by_run.objective == pytest.approx(TRANSPORT / 2, rel=1e-9)
    assert run_options("transport", None, options={"presolve": "off"}).solver_options == {"presolve": "off"}


def test_a_compiled_model_is_solved_with_the_runs_solver_and_limits():
    run = RunOptions("transport", solver="scip", time_limit=30)
    result = solve_compiled(compile_model(run), run)
    assert result.solver == "scip"
    assert result.objective == pytest.approx(TRANSPORT, rel=1e-9)


def test_the_command_line_builds_one_run():
    args = _parser().parse_args(["solve", "transport", "--data", "D", "--set", "freight=45", "--set", "x=1",
                                 "--scenario", "s1", "--objective", "total_cost", "--tour", "mtz",
                                 "--solver", "scip", "--time-limit", "5", "--gap", "0.01",
                                 "--option", "limits/nodes=9", "--robust", "budget", "--budget", "2"])
    assert run_options_from(args) == RunOptions(
        model="transport", data="D", overrides=("freight=45", "x=1"), scenario="s1", objective="total_cost",
        tour_method="mtz", robust=RobustOptions("budget", 1.0, 2.0), solver="scip",
        solver_options={"limits/nodes": "9"}, time_limit=5.0, gap=0.01)


def test_a_study_starts_from_a_run(tmp_path):
    # two objectives over one unit of a resource: the front is the segment from (1, 0) to (0, 1)
    model = tmp_path / "two.mcp"
    model.write_text("var a >= 0\nvar b >= 0\nmaximize one: a\nmaximize two: b\n"
                     "subject to\n  share: a + b <= 1\n")
    _, front = run_pareto(RunOptions(model), points=3)
    assert sorted(p["one"] for p in front.points) == pytest.approx([0.0, 0.5, 1.0], abs=1e-5)
    assert all(p["one"] + p["two"] == pytest.approx(1.0) for p in front.points)
