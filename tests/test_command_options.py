"""Options every command shares, and honest output: --quiet/--verbose, checked limits, help on
every option, variables milkrun adds kept apart from the user's, and what summary.json records."""
from __future__ import annotations

import argparse
import json

import pytest

from milkrun.compiler.cli.command import _parser


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_option_of_every_command_has_help_text():
    missing = [f"{name} {'/'.join(a.option_strings) or a.dest}"
               for name, sp in _subcommands().items() for a in sp._actions
               if not isinstance(a, argparse._HelpAction) and not (a.help or "").strip()]
    assert missing == []


def test_quiet_and_verbose_on_every_command():
    for name, sp in _subcommands().items():
        flags = {s for a in sp._actions for s in a.option_strings}
        assert {"--quiet", "--verbose", "-q", "-v"} <= flags, name


def test_solver_is_described_the_same_everywhere():
    helps = {name: next(a.help for a in sp._actions if "--solver" in a.option_strings)
             for name, sp in _subcommands().items() if any("--solver" in a.option_strings for a in sp._actions)}
    assert set(helps) == {"solve", "pareto", "twin", "fepia", "sweep"}
    assert len(set(helps.values())) == 1 and next(iter(helps.values())).startswith("auto (default")
    defaults = {name: sp.get_default("solver") for name, sp in _subcommands().items() if name in helps}
    assert set(defaults.values()) == {"auto"}


@pytest.mark.parametrize("flag, value, words", [
    ("--time-limit", "0", "a time limit must be more than 0 seconds"),
    ("--time-limit", "-5", "a time limit must be more than 0 seconds"),
    ("--time-limit", "soon", "expected a number of seconds, got 'soon'"),
    ("--gap", "1", "a relative gap lies in [0, 1)"),
    ("--gap", "-0.1", "a relative gap lies in [0, 1)"),
    ("--gap", "nan", "a relative gap lies in [0, 1)"),
])
def test_limits_are_checked_before_anything_runs(flag, value, words, cli):
    for command in ("solve", "pareto", "twin"):
        code, out, err = cli(command, "transport", flag, value)
        assert code == 2
        assert words in err and "Traceback" not in err


def test_quiet_prints_the_outcome_only(cli):
    code, out, err = cli("solve", "transport", "--quiet")
    assert code == 0
    assert out.splitlines() == ["transport: optimal (linear → highs, " + out.split(", ")[1].split("\n")[0],
                                "  objective total_cost (minimise): 153.675 k$",
                                "  best bound 153.675, gap 0 %"]
    assert err == ""


def test_verbose_shows_every_row_and_the_stage_times(cli, write_model):
    path = write_model("""
        set I = 1..50
        var x[I] >= 1
        minimize f: sum(i) x[i]
    """)
    code, out, _ = cli("solve", path)
    assert "x: 50 non-zero" in out and "10 more" in out  # tables stop at 40 rows by default
    code, out, _ = cli("solve", path, "--verbose")
    assert "more" not in out and " 50 │" in out
    assert "seconds: parse_check" in out


def test_flow_variables_of_a_tour_are_not_shown_as_the_users(cli):
    code, out, _ = cli("solve", "routing", "--tour", "flow")
    assert code == 0
    assert "routes_flow:" not in out and "tour_from" not in out
    assert "not shown, added by milkrun: routes_flow (tour 'routes', flow formulation); --verbose shows them" in out
    code, out, _ = cli("solve", "routing", "--tour", "flow", "--json")
    assert json.loads(out)["added_variables"] == {"routes_flow": "tour 'routes', flow formulation"}


def test_robust_deviations_carry_the_parameters_entries(cli, write_model, tmp_path):
    path = write_model("""
        set P = {a, b}
        param c[P] default 1 uncertain in [0.5, 1.5]
        var x[P] >= 0
        maximize f: sum(p) x[p]
        cap: sum(p) c[p] * x[p] <= 3
    """)
    code, out, _ = cli("solve", path, "--robust", "box", "--verbose", "--out", tmp_path / "o")
    assert code == 0
    # named by what they stand for, never by the generated cap_c_dev or the entry dimension _u
    assert "cap: worst case per entry of c (added by milkrun: robust counterpart)" in out
    printed = out.replace(str(tmp_path), "")  # the test's own folder is named after it
    assert "_u" not in printed and "_dev" not in printed
    table = (tmp_path / "o" / "added" / "cap-worst-case-per-entry-of-c.csv").read_text().splitlines()
    assert table[0] == "entry,cap: worst case per entry of c"
    assert {row.split(",")[0] for row in table[1:]} <= {'"c[a]"', "c[a]", "c[b]", '"c[b]"'}
    assert [p.name for p in (tmp_path / "o").glob("*.csv")] == ["x.csv"]


def test_a_model_without_variables_is_refused(cli, write_model):
    path = write_model("set S = 1..3\n")
    code, _, err = cli("solve", path)
    assert code == 2
    assert err.startswith(f"{path}:1:1: error: nothing to solve: the model has no variables (it declares no variable)")
    code, _, err = cli("export", path, "-o", path.with_suffix(".lp"))
    assert code == 2 and err.startswith(f"{path}:1:1: error: nothing to export: the model has no variables")
    assert not path.with_suffix(".lp").exists()
    path = write_model("set S = 1..3\nvar x[s in S] >= 0 where s > 5\nminimize f: sum(s) x[s]\n", "masked.mcp")
    code, _, err = cli("solve", path)
    assert code == 2 and "every entry of x is left out" in err


def test_a_misspelt_shipped_model_gets_the_nearest_name(cli):
    code, _, err = cli("solve", "transprot")
    assert code == 2
    assert "no shipped model is called 'transprot'" in err and "did you mean 'transport'?" in err
    code, _, err = cli("check", "nothing_like_it")
    assert code == 2 and "shipped models: cvrp, dairy_chain," in err


def test_summary_json_records_versions_and_input_hashes(cli, tmp_path):
    import hashlib

    from milkrun.models import HERE

    code, _, _ = cli("solve", "transport", "--out", tmp_path / "o", "--quiet")
    assert code == 0
    prov = json.loads((tmp_path / "o" / "summary.json").read_text())["provenance"]
    expected = hashlib.sha256((HERE / "transport.mcp").read_bytes()).hexdigest()
    assert prov["files"]["model"] == {"transport.mcp": expected}
    assert set(prov["files"]["data"]) == {"Centres.csv", "Dairies.csv", "distance.csv"}
    assert prov["versions"]["milkrun"] and prov["versions"]["highspy"] and prov["solvers"]["highs"]


def test_an_out_folder_that_cannot_be_made_is_refused_before_the_solve(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, out, err = cli("solve", "transport", "--out", blocker / "o")
    assert code == 2
    assert f"cannot use {blocker / 'o'}" in err and out == ""


def test_include_path_and_max_entries_reach_the_compiler_and_are_undone(cli, tmp_path):
    import os

    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "common.mcp").write_text("param speed default 50\n")
    (tmp_path / "m").mkdir()
    model = tmp_path / "m" / "m.mcp"
    model.write_text('include "common.mcp"\nvar x >= 0 <= speed\nmaximize f: x\n')
    code, _, err = cli("solve", model)
    assert code == 2 and f"{model}:1:1: error: included file 'common.mcp' not found" in err
    code, out, _ = cli("solve", model, "--include-path", tmp_path / "lib", "--json")
    assert code == 0 and json.loads(out)["objective"] == pytest.approx(50)
    code, _, err = cli("check", "transport", "--max-entries", "2")
    assert code == 2 and "has 3 entries, more than the limit of 2" in err and "--max-entries N" in err
    assert "MILKRUN_MAX_ENTRIES" not in os.environ and "MILKRUN_INCLUDE_PATH" not in os.environ
    code, _, _ = cli("check", "transport")
    assert code == 0


def test_a_very_long_source_line_is_shown_as_a_window_around_the_error():
    from milkrun.dsl.diagnostics import MilkrunError, Span, register_source, render

    line = "x = " + " + ".join(f"a{i}" for i in range(5000))
    register_source("long.mcp", "model m\n" + line + "\n")
    col = line.index("a2500") + 1
    shown = render(MilkrunError("bad", Span("long.mcp", 2, col, 2, col + 5))).splitlines()
    assert shown[0] == f"long.mcp:2:{col}: error: bad"
    assert len(shown[2]) < 200 and shown[2].startswith("2 | …") and shown[2].endswith("…")
    caret = shown[3].index("^")
    assert shown[2][caret:caret + 5] == "a2500" and shown[3].count("^") == 5
