"""`milkrun export`: LP and MPS files that other programs read, with the same optimum.

Every shipped linear model is written in both formats and read back with HiGHS (highspy's
`readModel`) and with SCIP (PySCIPOpt's `readProblem`), solved, and compared with milkrun's own
solve of the same model (`--tour flow`, as `milkrun export` builds tours by default):

* transport, portfolio (LPs), knapsack2, knapsack3 (small MIPs): the optimum itself;
* routing, location, cvrp and sdvrp: every reader and format is compared on the LP relaxation
  (HiGHS `solve_relaxation` in milkrun's solve and on the file, SCIP's `relax()`), the file must
  declare exactly as many integer columns as the model has binary and integer variables, and the
  MIP itself is solved once per reader (HiGHS from the LP file, SCIP from the MPS file) to the
  published optimum. Objective constants (location's npv has one) are in both.

dairy_chain is nonlinear: exporting it is a located MilkrunError, exit 2.
"""
from __future__ import annotations

import json
import re

import highspy
import numpy as np
import pyscipopt
import pytest

from milkrun.compiler.build.export import _round15
from milkrun.compiler.build.export import write_model as export_model  # conftest's write_model writes .mcp files
from milkrun.compiler.pipeline import compile_model, solve_model
from milkrun.dsl.diagnostics import MilkrunError

from conftest import REPO, dedent

SHIPPED = REPO / "models"
SOLVED = ["transport", "portfolio", "knapsack2", "knapsack3"]  # each solves in well under a second
RELAXED = ["routing", "location", "cvrp", "sdvrp"]  # MIPs of 5-45 s: compared on the LP relaxation
FORMATS = ["lp", "mps"]
NOISE = re.compile(r"\.\d*?(?:9{9}|0{9})")  # 0.12599999999999997, 1.0000000000000002, ...


def read_with_highs(path, relax: bool) -> dict:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk, f"HiGHS cannot read {path.name}"
    lp = h.getLp()
    integers = sum(t == highspy.HighsVarType.kInteger for t in lp.integrality_)
    if relax:
        h.setOptionValue("solve_relaxation", True)
    h.setOptionValue("mip_rel_gap", 0.0)  # the optimum, not a plan within HiGHS's default gap
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal, h.modelStatusToString(h.getModelStatus())
    return {"objective": h.getInfo().objective_function_value, "columns": lp.num_col_, "rows": lp.num_row_,
            "integers": integers, "names": list(lp.col_names_)}


def read_with_scip(path, relax: bool) -> dict:
    m = pyscipopt.Model()
    m.hideOutput()
    m.readProblem(str(path))
    variables = m.getVars()
    integers = sum(v.vtype() in ("BINARY", "INTEGER") for v in variables)
    columns, rows = len(variables), m.getNConss()
    if relax:
        m.relax()
    m.optimize()
    assert m.getStatus() == "optimal", m.getStatus()
    return {"objective": m.getObjVal(), "columns": columns, "rows": rows, "integers": integers,
            "names": [v.name for v in variables]}


READERS = {"highs": read_with_highs, "scip": read_with_scip}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """exported(name) -> (compiled, milkrun's objective, {fmt: (path, info)}), each model done once."""
    done = {}

    def get(name: str):
        if name not in done:
            path = SHIPPED / f"{name}.mcp"
            relax = name in RELAXED
            options = {"solve_relaxation": "true"} if relax else None
            result = solve_model(path, solver="highs", options=options, tour_method="flow")
            assert result.status == "optimal", (name, result.status, result.message)
            compiled = compile_model(path, tour_method="flow")
            folder = tmp_path_factory.mktemp(name)
            files = {fmt: (folder / f"{name}.{fmt}", export_model(compiled, folder / f"{name}.{fmt}", fmt))
                     for fmt in FORMATS}
            done[name] = (compiled, result.objective, files)
        return done[name]

    return get


def integer_count(m) -> int:
    return sum(int((v.labels.values != -1).sum()) for name, v in m.variables.items()
               if name in m.binaries or name in m.integers)


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", SOLVED + RELAXED)
def test_round_trip_has_milkruns_optimum(exported, name, fmt, reader):
    compiled, objective, files = exported(name)
    path, info = files[fmt]
    assert info == {"file": str(path), "format": fmt, "variables": int(compiled.linopy.nvars),
                    "constraints": int(compiled.linopy.ncons)}
    back = READERS[reader](path, relax=name in RELAXED)
    assert back["objective"] == pytest.approx(objective, rel=1e-9, abs=1e-9)
    assert back["columns"] == compiled.linopy.nvars
    if reader == "highs":  # SCIP may turn rows into other constraint kinds while reading
        assert back["rows"] == compiled.linopy.ncons
    assert back["integers"] == integer_count(compiled.linopy)
    assert len(set(back["names"])) == len(back["names"])


# The MIPs' own optima, read back whole: HiGHS from the LP file, SCIP from the MPS file (the
# relaxation test above crosses the other pairs). The optima are the published ones
# (tests/test_shipped_models.py says where each comes from); routing's flow build gives 535.686.
MIP_OPTIMA = {"routing": 535.686, "location": 931.861, "cvrp": 247, "sdvrp": 22828}


@pytest.mark.parametrize("name", RELAXED)
def test_mip_round_trip_has_the_published_optimum(exported, name):
    _, _, files = exported(name)
    by_highs = read_with_highs(files["lp"][0], relax=False)["objective"]
    by_scip = read_with_scip(files["mps"][0], relax=False)["objective"]
    assert by_highs == pytest.approx(MIP_OPTIMA[name], rel=2e-6)
    assert by_scip == pytest.approx(MIP_OPTIMA[name], rel=2e-6)


@pytest.mark.parametrize("name", SOLVED + RELAXED)
def test_numbers_have_no_float_noise(exported, name):
    for fmt in FORMATS:
        text = exported(name)[2][fmt][0].read_text()
        noisy = NOISE.findall(text)
        assert not noisy, f"{name}.{fmt}: {noisy[:5]}"


def test_transport_names_are_readable(exported):
    _, _, files = exported("transport")
    for fmt in FORMATS:
        text = files[fmt][0].read_text()
        assert "ship(san_diego,chicago)" in text
        assert "supply(san_diego)" in text and "meet(new_york)" in text
        assert "san-diego" not in text and "#" not in text
        assert "0.126" in text and "0.12599999999999997" not in text
    lp = files["lp"][0].read_text()
    assert "minimize\ntotal_cost:\n+0.225 ship(seattle,new_york)\n" in lp
    assert "supply(san_diego):\n+1 ship(san_diego,new_york)\n" in lp


def test_masked_entries_are_left_out(exported):
    """routing's drive[i, j, k] exists only for i != j: no drive(i,i,k) in the file."""
    _, _, files = exported("routing")
    for fmt in FORMATS:
        text = files[fmt][0].read_text()
        assert "drive(1,2,1)" in text
        assert not re.search(r"\bdrive\((\d+),\1,", text)


EDGE = '''
    model edge "names that collide once mapped, bounds of every kind, an objective constant"

    set Towns
    param need[Towns] >= 0

    var send[Towns] >= 0 <= 40
    var spare[Towns] integer >= 1 <= 7
    var u
    var fixed >= 2.5 <= 2.5
    var below >= -3 <= -1
    var pick[Towns] binary
    var free >= 0
    var end[Towns] integer >= -2
    var trips[Towns] integer >= 0
    var idle >= 1 <= 2

    maximize gain: 100 - sum(t) 0.1 * send[t] - sum(t) spare[t] + u - fixed + below - 3 * free
                   + sum(t) pick[t] - sum(t) end[t] - sum(t) trips[t]

    subject to
      meet[t in Towns]: send[t] + spare[t] + end[t] >= need[t]
      cap: u <= 12.5
      picks: sum(t) pick[t] <= 2
      empty: 0 * u <= 1
      enough_trips: sum(t) trips[t] >= 9

    data Towns """
    Towns, need
    new-york, 30
    new york, 20
    new_york, 10
    São Paulo, 5
    """
'''


@pytest.mark.parametrize("fmt", FORMATS)
def test_colliding_names_keyword_names_bounds_and_constant(write_model, tmp_path, fmt):
    """Three towns map to `new_york`: the first keeps the name, the others get ~2 and ~3 (in the
    order of the set). `free` and `end` are words of the LP format: a `_` is added. Every bound
    kind (upper only, integer range, free, fixed, negative, binary, integer unbounded above:
    trips must sum to 9, which MPS readers would cap at 1 each without an explicit bound), a
    variable used nowhere (idle), a row with only a zero coefficient, and the constant 100 of a
    maximised objective survive."""
    model = write_model(EDGE)
    expected = solve_model(model, solver="highs")
    assert expected.objective == pytest.approx(99.1)
    path = tmp_path / f"edge.{fmt}"
    info = export_model(compile_model(model), path, fmt)
    text = path.read_text()
    for name in ("send(new_york)", "send(new_york)~2", "send(new_york)~3", "send(Sao_Paulo)", "free_",
                 "end_(new_york)~3", "meet(new_york)~2"):
        assert re.search(rf"(^|\s){re.escape(name)}(\s|:|$)", text, re.M), name
    assert info["variables"] == 25 and info["constraints"] == 8
    for reader in READERS.values():
        back = reader(path, relax=False)
        assert back["objective"] == pytest.approx(99.1, rel=1e-12)
        assert back["columns"] == 25 and back["integers"] == 16
        assert len(set(back["names"])) == 25


def test_a_plain_linopy_model_can_be_written(tmp_path):
    import linopy
    import pandas as pd

    m = linopy.Model()
    x = m.add_variables(lower=0, coords=[pd.Index(["a-b", "a b", "a+b"], name="i")], name="x")
    m.add_constraints(x.sum() >= 1.5, name="obj")  # called like the objective row: it becomes obj~2
    m.add_objective(2 * x.sum() + 0.5 * x.loc["a b"])
    for fmt in FORMATS:
        path = tmp_path / f"plain.{fmt}"
        info = export_model(m, path, fmt)
        assert info["variables"] == 3 and info["constraints"] == 1
        text = path.read_text()
        assert "x(a_b)~3" in text and "obj~2" in text
        for reader in READERS.values():
            assert reader(path, relax=False)["objective"] == pytest.approx(3.0)


def test_numbers_are_rounded_to_15_significant_digits():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(20000) * 10.0 ** rng.integers(-300, 300, 20000)
    x = np.concatenate([x, [0.0, -0.0, 1.0, 0.1 + 0.2, 90 * 1.4 / 1000, 1e15 + 3, 2.5e-9 / 3, np.inf, -np.inf]])
    with np.errstate(all="ignore"):
        expected = np.char.mod("%.15g", x).astype(float)
    got = _round15(x)
    assert np.array_equal(got, expected)
    assert not np.signbit(got[x == 0]).any()  # -0.0 is written as 0
    assert _round15(np.array([90 * 1.4 / 1000]))[0] == 0.126


# ---------------------------------------------------------------------------- the command line
def test_cli_json_prints_one_document(cli, tmp_path):
    out = tmp_path / "t.mps"
    code, stdout, _ = cli("export", SHIPPED / "transport.mcp", "--format", "mps", "-o", out, "--json")
    assert code == 0
    assert json.loads(stdout) == {"status": "written", "file": str(out), "format": "mps", "variables": 6,
                                  "constraints": 5}
    assert out.read_text().startswith("NAME")


def test_cli_default_file_name(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, stdout, _ = cli("export", "transport")
    assert code == 0 and (tmp_path / "transport.lp").exists()
    assert "transport.lp (6 variables, 5 constraints)" in stdout


def test_unwritable_path_is_a_plain_error(milkrun_process, tmp_path):
    target = tmp_path / "no-such-folder" / "x.lp"
    run = milkrun_process("export", SHIPPED / "transport.mcp", "-o", target)
    assert run.returncode == 2
    assert f"cannot write {target}: No such file or directory" in run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    assert run.stdout == ""
    run = milkrun_process("export", SHIPPED / "transport.mcp", "-o", tmp_path, "--json")  # a folder
    assert run.returncode == 2
    doc = json.loads(run.stdout)
    assert doc["status"] == "error" and doc["message"].startswith(f"cannot write {tmp_path}: ")


def test_nonlinear_model_is_refused(cli, tmp_path):
    out = tmp_path / "dairy_chain.lp"
    code, stdout, stderr = cli("export", SHIPPED / "dairy_chain.mcp", "-o", out)
    assert code == 2
    assert "LP and MPS files hold linear models only" in stderr and "nonlinear" in stderr
    assert "dairy_chain.mcp:" in stderr  # located at the first nonlinear term
    assert not out.exists()


def test_nonlinear_model_is_refused_by_the_function(write_model, tmp_path):
    model = write_model("""
        model nl
        var x >= 1 <= 3
        var y >= 1 <= 3
        minimize cost: x * y
        subject to
          c: x + y >= 3
    """)
    with pytest.raises(MilkrunError, match="linear models only"):
        export_model(compile_model(model), tmp_path / "nl.lp", "lp")


def test_lazy_tours_keep_their_note(cli, tmp_path):
    code, _, stderr = cli("export", SHIPPED / "routing.mcp", "--tour", "lazy", "-o", tmp_path / "r.lp")
    assert code == 0
    assert "note: tours enforced lazily are not in the file" in stderr
