"""The `milkrun` command: check, solve (--json, --out, --set, --objective, options) and export."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import xarray as xr

from conftest import MODELS

JSON_KEYS = {"status", "objective", "bound", "gap", "solver", "seconds", "objectives"}

INFEASIBLE = "var x >= 0\nminimize o: x\nc1: x >= 2\nc2: x <= 1\n"
UNBOUNDED = "var x >= 0\nvar y >= 0\nmaximize o: x + y\nc: x - y <= 1\n"


def flat(text: str) -> str:
    """Human output with its line wrapping undone (the console may wrap long lines)."""
    return " ".join(text.split())


def model(tmp_path, text, name="m.mcp"):
    p = tmp_path / name
    p.write_text(text)
    return p


# ------------------------------------------------------------------ solve --json
def test_solve_json_is_exactly_one_object_on_stdout(milkrun_process):
    proc = milkrun_process("solve", "transport", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)  # the whole of stdout is one JSON document
    assert isinstance(data, dict)
    assert JSON_KEYS <= set(data)
    assert data["status"] == "optimal"
    assert data["objective"] == pytest.approx(153.675)
    assert data["bound"] == pytest.approx(153.675)
    assert data["gap"] == pytest.approx(0, abs=1e-9)
    assert data["solver"] == "highs"
    assert data["seconds"] > 0
    assert data["objectives"] == {"total_cost": pytest.approx(153.675)}
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("solver", ["highs", "scip"])
def test_solve_json_in_process(cli, solver):
    code, out, err = cli("solve", "transport", "--json", "--solver", solver)
    assert code == 0
    data = json.loads(out)
    assert JSON_KEYS <= set(data)
    assert data["solver"] == solver
    assert data["objective"] == pytest.approx(153.675)


def test_solve_json_with_several_objectives_and_objective_choice(tmp_path, cli):
    path = model(tmp_path, "var x >= 0 <= 4\nvar y >= 0 <= 3\nmaximize profit: 3 * x + 2 * y\n"
                           "minimize cost: x + y\nc: x + y <= 5\n")
    code, out, _ = cli("solve", path, "--json")
    data = json.loads(out)
    assert code == 0
    assert data["objective"] == pytest.approx(14)
    assert data["objectives"] == {"profit": pytest.approx(14), "cost": pytest.approx(5)}
    code, out, _ = cli("solve", path, "--json", "--objective", "cost")
    data = json.loads(out)
    assert data["objective"] == pytest.approx(0)
    assert set(data["objectives"]) == {"profit", "cost"}
    code, out, err = cli("solve", path, "--objective", "nope")
    assert code == 2
    assert "no objective named 'nope'" in err


def test_solve_json_for_an_infeasible_model(tmp_path, cli):
    code, out, _ = cli("solve", model(tmp_path, INFEASIBLE), "--json")
    assert code == 1
    data = json.loads(out)
    assert data["status"] == "infeasible"
    assert data["objective"] is None


@pytest.mark.parametrize("solver", ["highs", "scip"])
def test_solve_unbounded_exits_1(tmp_path, cli, solver):
    code, out, _ = cli("solve", model(tmp_path, UNBOUNDED), "--json", "--solver", solver)
    assert code == 1
    assert json.loads(out)["status"] == "unbounded"


def test_solve_infeasible_human_output(tmp_path, cli):
    code, out, err = cli("solve", model(tmp_path, INFEASIBLE))
    assert code == 1
    assert "infeasible" in out + err
    assert "Traceback" not in out + err


def test_solve_human_output(cli):
    code, out, err = cli("solve", "transport")
    assert code == 0
    assert "optimal" in flat(out)
    assert "153.675" in flat(out)
    assert "total_cost" in flat(out)


def test_set_override_on_the_command_line(cli):
    # freight 90 -> 45 halves every cost
    code, out, _ = cli("solve", "transport", "--json", "--set", "freight=45")
    assert code == 0
    assert json.loads(out)["objective"] == pytest.approx(153.675 / 2)


def test_set_override_of_a_computed_or_unknown_parameter(cli):
    code, out, err = cli("solve", "transport", "--set", "cost=3")
    assert code == 2
    assert "'cost' is computed by a formula" in err
    code, out, err = cli("solve", "transport", "--set", "freigth=3")
    assert code == 2
    assert "did you mean 'freight'?" in err
    assert "Traceback" not in out + err


def test_empty_row_that_cannot_hold_exits_1_with_its_line(tmp_path, cli):
    path = model(tmp_path, "set I = {1, 2}\nparam a[I] default 0\nvar x >= 0\nminimize o: x\n"
                           "c[i in I]: sum(k in I where a[k] > 0 and k == i) x >= 1\ndata { a = {1: 1} }\n")
    code, out, err = cli("solve", path)
    assert code == 1
    assert f"{path}:5:1" in err
    assert "0 >= 1" in err
    code, out, _ = cli("solve", path, "--json")
    assert code == 1
    data = json.loads(out)
    assert data["status"] == "infeasible"
    assert data["location"] == f"{path}:5:1"


def test_time_limit_on_the_command_line(cli):
    code, out, _ = cli("solve", MODELS / "collection_mtz.mcp", "--json", "--time-limit", "2")
    data = json.loads(out)
    assert code == 0
    assert data["status"] in ("time_limit", "optimal")
    assert data["objective"] is not None


def test_unknown_solver_option(cli):
    code, out, err = cli("solve", "transport", "--option", "mip_rel_gapp=0.1")
    assert code == 2
    assert "'mip_rel_gapp' is not an option of solver highs" in err
    assert "did you mean 'mip_rel_gap'?" in err
    code, out, err = cli("solve", "transport", "--option", "no_equals_sign")
    assert code == 2
    assert "KEY=VALUE" in err


def test_known_solver_option(cli):
    code, out, _ = cli("solve", "transport", "--json", "--option", "mip_rel_gap=0")
    assert code == 0


def test_unknown_solver_name(cli):
    code, out, err = cli("solve", "transport", "--solver", "gurobbi")
    assert code == 2
    assert "solver 'gurobbi' is not installed" in err
    assert "Traceback" not in out + err


def test_usage_errors_exit_2(cli):
    code, out, err = cli("solve")
    assert code == 2
    assert "required" in err
    code, out, err = cli("frobnicate", "transport")
    assert code == 2


# ------------------------------------------------------------------ solve --out
def test_out_writes_csv_netcdf_and_summary(tmp_path, cli):
    out_dir = tmp_path / "result"
    code, out, _ = cli("solve", "transport", "--out", out_dir)
    assert code == 0
    assert sorted(p.name for p in out_dir.iterdir()) == ["ship.csv", "solution.nc", "summary.json"]

    ship = pd.read_csv(out_dir / "ship.csv")
    assert list(ship.columns) == ["Centres", "Dairies", "ship"]
    assert len(ship) == 6
    assert ship["ship"].sum() == pytest.approx(900)  # total demand

    with xr.open_dataset(out_dir / "solution.nc") as ds:
        assert set(ds.data_vars) == {"ship"}
        assert ds["ship"].dims == ("Centres", "Dairies")
        assert float(ds["ship"].sum()) == pytest.approx(900)
        assert set(ds["Centres"].values.tolist()) == {"seattle", "san-diego"}

    summary = json.loads((out_dir / "summary.json").read_text())
    assert JSON_KEYS <= set(summary)
    assert summary["objective"] == pytest.approx(153.675)


def test_out_for_masked_and_scalar_variables(tmp_path, cli):
    path = model(tmp_path, "set N = 1..3\nvar a[i in N, j in N] >= 0 <= 1 where i != j\nvar s >= 0 <= 2\n"
                           "maximize o: sum(i, j) a[i, j] + s\n")
    out_dir = tmp_path / "result"
    code, _, _ = cli("solve", path, "--out", out_dir)
    assert code == 0
    assert sorted(p.name for p in out_dir.iterdir()) == ["a.csv", "s.csv", "solution.nc", "summary.json"]
    a = pd.read_csv(out_dir / "a.csv")
    assert len(a) == 6  # no row for the masked diagonal
    assert set(zip(a["i"], a["j"])) == {(1, 2), (1, 3), (2, 1), (2, 3), (3, 1), (3, 2)}
    s = pd.read_csv(out_dir / "s.csv")
    assert s["s"].tolist() == [pytest.approx(2)]
    with xr.open_dataset(out_dir / "solution.nc") as ds:
        assert float(ds["s"]) == pytest.approx(2)
        assert float(ds["a"].sum()) == pytest.approx(6)


# ------------------------------------------------------------------ export
@pytest.mark.parametrize("fmt", ["lp", "mps"])
def test_export_writes_readable_names(tmp_path, cli, fmt):
    target = tmp_path / f"transport.{fmt}"
    code, out, err = cli("export", "transport", "--format", fmt, "-o", target)
    assert code == 0, err
    text = target.read_text()
    for word in ("ship(seattle,new_york)", "supply(seattle)", "meet(new_york)"):
        assert word in text, f"{word!r} missing from the {fmt} file"
    assert "6 variables, 5 constraints" in flat(out)


def test_export_of_a_data_model_with_a_set_override(tmp_path, plants, cli):
    target = tmp_path / "plants.lp"
    code, _, err = cli("export", plants, "--format", "lp", "-o", target, "--set", "markup=3")
    assert code == 0, err
    text = target.read_text()
    assert "x(P2,M2)" in text
    assert "lim(P2,M2)" in text


# ------------------------------------------------------------------ check
def test_check_reports_sizes(cli):
    code, out, err = cli("check", "transport")
    assert code == 0
    assert "transport: ok" in flat(out)
    assert "Centres (2)" in flat(out) and "Dairies (3)" in flat(out)
    assert "6 variables, 5 constraints" in flat(out)


def test_check_json(plants, cli):
    code, out, _ = cli("check", plants, "--json")
    assert code == 0
    info = json.loads(out)
    assert info["sets"] == {"Plants": 2, "Markets": 2}
    assert info["variables"] == 4
    assert info["constraints"] == 2 + 2 + 4
    assert info["objectives"] == ["total"]


def test_check_reports_dropped_rows(tmp_path, cli):
    path = model(tmp_path, "set I = {1, 2}\nparam a[I] default 0\nvar x >= 0\nminimize o: x\n"
                           "c[i in I]: sum(k in I where a[k] > 0 and k == i) x <= 1\ndata { a = {1: 1} }\n")
    code, out, _ = cli("check", path, "--json")
    assert code == 0
    assert json.loads(out)["dropped_empty_rows"] == {"c": 1}


def test_check_of_bad_data_exits_2_at_the_cell(plants, cli):
    f = plants.with_suffix("") / "cost.csv"
    f.write_text("Plants,M1,M2\nP1,1,4\nP2,-3,2\n")
    code, out, err = cli("check", plants)
    assert code == 2
    assert f"{f}:3:4: error: cost[P2, M1] = -3" in err
    assert "Traceback" not in out + err


def test_check_of_infinite_value_in_a_wide_table_exits_2(plants, milkrun_process):
    f = plants.with_suffix("") / "cost.csv"
    f.write_text("Plants,M1,M2\nP1,1,inf\nP2,3,2\n")
    proc = milkrun_process("check", plants)
    assert proc.returncode == 2, proc.stderr
    assert f"{f}:2:6: error:" in proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr


def test_indexed_set_within_a_declared_set_from_the_command_line(tmp_path, milkrun_process):
    # see test_solve.py::test_indexed_set_within_a_declared_set; a user never sees a traceback
    path = model(tmp_path, "set V = {u, v}\nset T = {1, 2, 5}\nset L[k in V] within T\n"
                           "var y[V, T] >= 0 <= 1\nmaximize o: sum(k in V, l in L[k]) l * y[k, l]\n"
                           "data { L = {(u, 1), (u, 2), (v, 5)} }\n")
    proc = milkrun_process("solve", path, "--json")
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["objective"] == pytest.approx(8)


def test_internal_error_exits_3_without_traceback(cli, monkeypatch):
    import milkrun.compiler.pipeline as pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("something inside milkrun broke")

    monkeypatch.setattr(pipeline, "compile_model", broken)
    monkeypatch.delenv("MILKRUN_DEBUG", raising=False)
    code, out, err = cli("check", "transport")
    assert code == 3
    assert "internal error: RuntimeError: something inside milkrun broke" in err
    assert "Traceback" not in out + err
