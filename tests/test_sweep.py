"""`milkrun sweep` (compiler/sweep/): points, worker processes, Dask, files written as points
finish, --resume, the manifest, failures recorded per point.

Most tests use TINY, whose optimum is known by hand: all of `cap` goes to item b, which earns
price + 1 a unit, so profit = (price + 1) * cap. Each test starts real worker processes (or a
Dask cluster), so the file keeps their number small: a few sweeps of a handful of points.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from milkrun.compiler.studies.sweep import SweepSpec, run_sweep
from milkrun.compiler.studies.sweep.points import make_plan, parse_grid
from milkrun.compiler.pipeline import load_model
from milkrun.dsl.diagnostics import MilkrunError

from conftest import REPO

TINY = """
    model tiny "two items share a capacity"
    set Items
    param price >= 0 default 10 uncertain in [8, 12]
    param cap >= 0 default 5
    param need default 0
    param bonus[Items] >= 0
    var x[Items] >= 0
    maximize profit: sum(i) (price + bonus[i]) * x[i]
    minimize spend: sum(i) x[i]
    kpi earned[i in Items] "profit per item": (price + bonus[i]) * x[i]
    kpi used "units": sum(i) x[i]
    subject to
      limit: sum(i) x[i] <= cap
      least: sum(i) x[i] >= need
    scenario lean "a small capacity": cap = 2
    scenario rich: price *= 2
    data { Items = {a, b}  bonus = {a: 0, b: 1} }
"""

NUMERIC = ["objective", "obj_profit", "obj_spend", "kpi_earned", "kpi_used", "var_x", "bound", "gap"]


@pytest.fixture
def tiny(write_model):
    return write_model(TINY)


def sweep(model, out, **kw) -> "SweepOutcome":  # noqa: F821
    kw.setdefault("progress", False)
    return run_sweep(SweepSpec(model=str(model), out=Path(out), **kw))


def profit(price, cap):
    return (xr.DataArray(price, dims="price", coords={"price": price}) + 1) * \
        xr.DataArray(cap, dims="cap", coords={"cap": cap})


# ------------------------------------------------------------------ points
def test_grid_syntax_and_plan(tiny):
    assert parse_grid("price=1,2.5,3") == ("price", "price", ["1", "2.5", "3"])
    assert parse_grid("cap=4:6:3") == ("cap", "cap", ["4.0", "5.0", "6.0"])
    assert parse_grid("bonus[ b ]=1,2")[:2] == ("bonus[b]", "bonus")
    plan = make_plan(load_model(tiny), ["price=1,2", "cap=4:6:3"], scenarios="all")
    assert plan.dims == {"scenario": ["lean", "rich"], "price": [1.0, 2.0], "cap": [4.0, 5.0, 6.0]}
    assert len(plan) == 12 and len({p.key for p in plan.points}) == 12
    p = plan.points[4]
    assert p.coords == {"scenario": "lean", "price": 2.0, "cap": 5.0}
    assert p.overrides == ("price=2", "cap=5.0") and p.scenario == "lean"
    real = make_plan(load_model(tiny), realisations=3, seed=9)
    assert [p.realisation for p in real.points] == [(9, 0), (9, 1), (9, 2)]


@pytest.mark.parametrize("grid, message, column", [
    ("prise=1,2", "'prise' is not a parameter", 1),
    ("price=1,abc", "'abc' is not a number", 9),
    ("price=1,1", "the value 1 is given twice", 9),
    ("bonus=1,2", "takes 1 key(s), got 0", 7),
    ("cap=1:2:1", "needs N >= 2", 5),
    ("price", "expects NAME=V1,V2", 1),
])
def test_grid_errors_are_located(tiny, grid, message, column):
    with pytest.raises(MilkrunError) as info:
        make_plan(load_model(tiny), [grid])
    assert message in info.value.message
    assert info.value.span.file == "--grid" and info.value.span.column == column


def test_cli_refuses_before_any_worker(tiny, tmp_path, cli):
    code, out, err = cli("sweep", tiny, "--grid", "prise=1,2", "--out", tmp_path / "o")
    assert code == 2 and "'prise' is not a parameter" in err and "did you mean 'price'?" in err
    assert not (tmp_path / "o").exists()  # refused before anything was started or written
    code, _, err = cli("sweep", tiny, "--scenarios", "leen", "--out", tmp_path / "o")
    assert code == 2 and "'leen' is not a scenario" in err and "did you mean 'lean'?" in err
    code, _, err = cli("sweep", tiny, "--out", tmp_path / "o")
    assert code == 2 and "a sweep needs points" in err
    code, _, err = cli("sweep", tiny, "--grid", "price=1,2", "--objective", "proft", "--out", tmp_path / "o")
    assert code == 2 and "did you mean 'profit'?" in err
    code, _, err = cli("sweep", tiny, "--grid", "price=1,2", "--option", "presolv=off", "--out", tmp_path / "o")
    assert code == 2 and "did you mean 'presolve'?" in err
    code, _, err = cli("sweep", tiny, "--grid", "price=1,2", "--retry-failed", "--out", tmp_path / "o")
    assert code == 2 and "--retry-failed goes with --resume" in err


# ------------------------------------------------------------------ a grid, resume, the files
def test_grid_dataset_files_and_resume(tiny, tmp_path):
    out = tmp_path / "sweep"
    o = sweep(tiny, out, grids=["price=2,3", "cap=4:6:3"], workers=2)
    ds = xr.load_dataset(out / "sweep.nc")
    assert list(ds.obj_profit.dims) == ["price", "cap"]
    assert ds.price.values.tolist() == [2.0, 3.0] and ds.cap.values.tolist() == [4.0, 5.0, 6.0]
    xr.testing.assert_allclose(ds.obj_profit.drop_vars(["price", "cap"]),
                               profit([2.0, 3.0], [4.0, 5.0, 6.0]).drop_vars(["price", "cap"]))
    assert (ds.status == "optimal").all() and ds.has_plan.all() and (ds.error == "").all()
    assert list(ds.kpi_earned.dims) == ["price", "cap", "i"] and list(ds.var_x.dims) == ["price", "cap", "Items"]
    assert ds.kpi_earned.sel(price=3.0, cap=6.0).values.tolist() == [0.0, 24.0]
    assert ds.var_x.sel(price=2.0, cap=5.0, Items="b").item() == 5.0
    np.testing.assert_allclose(ds.kpi_used, ds.cap.broadcast_like(ds.kpi_used))
    assert (ds.seconds > 0).all()
    csv = pd.read_csv(out / "points.csv")
    assert len(csv) == 6 and list(csv.columns[:4]) == ["index", "price", "cap", "status"]
    assert csv.set_index(["price", "cap"]).obj_profit.loc[(3.0, 6.0)] == pytest.approx(24.0)
    assert o.exit_code == 0 and o.ran == 6
    assert len(list((out / "points").glob("*.nc"))) == 6

    # a finished point file is complete and alone: delete one, and --resume runs exactly that one
    victim = next((out / "points").glob("00004-*.nc"))
    victim.unlink()
    o2 = sweep(tiny, out, grids=["price=2,3", "cap=4:6:3"], workers=1, resume=True)
    assert (o2.ran, o2.skipped) == (1, 5) and victim.exists()
    again = xr.load_dataset(out / "sweep.nc")
    xr.testing.assert_equal(again[NUMERIC[1:3]], ds[NUMERIC[1:3]])
    runs = json.loads((out / "manifest.json").read_text())["runs"]
    assert [r["points_run"] for r in runs] == [6, 1] and runs[1]["points_skipped"] == 5

    # without --resume the folder is not overwritten; with it and nothing left, nothing runs
    with pytest.raises(MilkrunError, match="already holds a sweep"):
        sweep(tiny, out, grids=["price=2,3", "cap=4:6:3"])
    assert sweep(tiny, out, grids=["price=2,3", "cap=4:6:3"], resume=True).ran == 0


def test_failed_and_infeasible_points_are_recorded(tiny, tmp_path, cli):
    out = tmp_path / "bad"
    code, stdout, _ = cli("sweep", tiny, "--grid", "cap=-1,4", "--grid", "need=0,10", "--out", out,
                          "--json", "--workers", "2")
    assert code == 1  # some point has no plan
    res = json.loads(stdout)
    by = {(p["coords"]["cap"], p["coords"]["need"]): p for p in res["points"]}
    assert by[(4.0, 0.0)]["status"] == "optimal" and by[(4.0, 0.0)]["obj_profit"] == pytest.approx(44.0)
    assert by[(4.0, 10.0)]["status"] == "infeasible" and by[(4.0, 10.0)]["has_plan"] is False
    for need in (0.0, 10.0):  # the data check refuses cap = -1: a failed point with the message
        bad = by[(-1.0, need)]
        assert bad["status"] in ("failed", "infeasible") and "cap" in bad["error"] and ">= 0" in bad["error"]
    ds = xr.load_dataset(out / "sweep.nc")
    assert ds.status.sel(cap=4.0, need=10.0).item() == "infeasible"
    assert np.isnan(ds.obj_profit.sel(cap=-1.0)).all()
    assert "cap" in ds.error.sel(cap=-1.0, need=0.0).item()
    # --resume leaves them alone; --retry-failed runs exactly the three without a plan again
    code, stdout, _ = cli("sweep", tiny, "--grid", "cap=-1,4", "--grid", "need=0,10", "--out", out, "--json",
                          "--resume")
    assert code == 1 and json.loads(stdout)["ran"] == 0
    code, stdout, _ = cli("sweep", tiny, "--grid", "cap=-1,4", "--grid", "need=0,10", "--out", out, "--json",
                          "--resume", "--retry-failed")
    assert json.loads(stdout)["ran"] == 3


def test_manifest_hashes_and_resume_refuses_changed_data(tmp_path, cli):
    model = tmp_path / "transport.mcp"
    shutil.copy(REPO / "models" / "transport.mcp", model)
    shutil.copytree(REPO / "models" / "transport", tmp_path / "transport")
    out = tmp_path / "out"
    args = ["sweep", model, "--grid", "freight=80,90,100", "--out", out, "--json"]
    code, stdout, _ = cli(*args)
    assert code == 0
    costs = [p["obj_total_cost"] for p in json.loads(stdout)["points"]]
    np.testing.assert_allclose(costs, [153.675 * f / 90 for f in (80, 90, 100)])  # the plan stays, cost scales
    m = json.loads((out / "manifest.json").read_text())
    assert set(m["files"]["data"]) == {"Centres.csv", "Dairies.csv", "distance.csv"}
    assert m["files"]["model"] == {"transport.mcp": __import__("hashlib").sha256(model.read_bytes()).hexdigest()}
    assert [p["coords"]["freight"] for p in m["points"]] == [80.0, 90.0, 100.0]
    assert m["versions"]["milkrun"] and m["versions"]["distributed"] and m["solvers"]["highs"]
    assert m["started"] and m["finished"] and m["settings"]["solver"] == "highs"

    dist = tmp_path / "transport" / "distance.csv"
    dist.write_text(dist.read_text().replace("2.5", "2.6", 1))
    code, _, err = cli(*args, "--resume")
    assert code == 2
    assert "data file 'distance.csv' changed" in err and f"{out / 'manifest.json'}:" in err
    code, _, err = cli("sweep", model, "--grid", "freight=80,90", "--out", out, "--resume")
    assert code == 2 and "data file 'distance.csv' changed" in err
    code, stdout, _ = cli(*args, "--resume", "--force")
    assert code == 0 and json.loads(stdout)["ran"] == 0
    assert json.loads((out / "manifest.json").read_text())["files"]["data"]["distance.csv"] != m["files"]["data"][
        "distance.csv"]
    model.write_text(model.read_text() + "\n# a comment\n")
    code, _, err = cli(*args, "--resume")
    assert code == 2 and "model file 'transport.mcp' changed" in err
    code, _, err = cli("sweep", model, "--grid", "freight=80,90", "--out", out, "--resume", "--force")
    assert code == 0


def test_killed_sweep_keeps_its_finished_points(tiny, tmp_path):
    """SIGKILL the coordinator while it runs: every point file left is complete, and --resume
    runs exactly the others."""
    out = tmp_path / "killed"
    grid = ["--grid", "price=1:30:30"]
    proc = subprocess.Popen([sys.executable, "-m", "milkrun.compiler.cli.command", "sweep", str(tiny), *grid,
                             "--out", str(out), "--no-progress"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and len(list((out / "points").glob("*.nc"))) < 3:
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the coordinator and its worker, mid-sweep
        proc.wait()
    kept = sorted((out / "points").glob("*.nc"))
    assert 3 <= len(kept) < 30
    for f in kept:
        assert xr.load_dataset(f).status.item() == "optimal"
    o = sweep(tiny, out, grids=["price=1:30:30"], resume=True)
    assert (o.ran, o.skipped) == (30 - len(kept), len(kept))
    np.testing.assert_allclose(o.dataset.obj_profit, (np.linspace(1, 30, 30) + 1) * 5)


def test_ctrl_c_writes_what_finished(tiny, tmp_path):
    """SIGINT to the process group, as a terminal's Ctrl-C: exit 130, the finished points kept and
    assembled (the others 'pending'), the run marked interrupted in the manifest."""
    out = tmp_path / "int"
    proc = subprocess.Popen([sys.executable, "-m", "milkrun.compiler.cli.command", "sweep", str(tiny), "--grid",
                             "price=1:30:30", "--out", str(out), "--no-progress"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list((out / "points").glob("*.nc"))) < 3:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    kept = len(list((out / "points").glob("*.nc")))
    assert f"{kept} finished point(s) kept" in err and f"runs the other {30 - kept}" in err
    ds = xr.load_dataset(out / "sweep.nc")
    assert (ds.status == "optimal").sum() == kept and (ds.status == "pending").sum() == 30 - kept
    m = json.loads((out / "manifest.json").read_text())
    assert m["runs"][-1]["interrupted"] and m["finished"] is None


def test_worker_death_is_survived():
    """A worker killed mid-point: the executor says so (WorkerLost) and the next point runs on a
    fresh pool."""
    from milkrun.compiler.studies.sweep.executors import LocalExecutor, WorkerLost
    from milkrun.compiler.studies.sweep.runner import _pipes_raise
    from milkrun.compiler.studies.sweep.tasks import run_point

    task = {"index": 0, "key": "k", "model": str(REPO / "models" / "transport.mcp"), "overrides": [],
            "attempt": 1}
    ex = LocalExecutor(1, run_point).start()
    # as the runner does: `milkrun` lets SIGPIPE end it, but a dead worker's pipe must not
    with _pipes_raise():
        try:
            assert ex.outcome(ex.submit(task, lambda f: None))["status"] == "optimal"
            (pid,) = list(ex.pool._processes)
            fut = ex.submit(task, lambda f: None)
            os.kill(pid, signal.SIGKILL)
            with pytest.raises(WorkerLost, match="died"):
                ex.outcome(fut)
            ex.recover()
            assert ex.outcome(ex.submit(task, lambda f: None))["status"] == "optimal"
        finally:
            ex.abort()


# ------------------------------------------------------------------ scenarios, realisations, Pareto
def test_scenarios_and_realisations(tiny, tmp_path):
    o = sweep(tiny, tmp_path / "sc", scenarios="all", grids=["cap=3,5"])
    ds = o.dataset
    assert list(ds.obj_profit.dims) == ["scenario", "cap"] and ds.scenario.values.tolist() == ["lean", "rich"]
    # lean sets cap = 2 before the grid's --set cap=...: the grid wins, as --set after a scenario
    np.testing.assert_allclose(ds.obj_profit.sel(scenario="lean"), [11 * 3, 11 * 5])
    np.testing.assert_allclose(ds.obj_profit.sel(scenario="rich"), [21 * 3, 21 * 5])  # price *= 2

    r = sweep(tiny, tmp_path / "re", realisations=4, seed=11).dataset
    assert r.realisation.values.tolist() == [0, 1, 2, 3]
    price = r.obj_profit.values / 5 - 1
    assert ((price >= 8) & (price <= 12)).all() and len(set(np.round(price, 9))) == 4
    from milkrun.compiler.pipeline import solve_model

    direct = solve_model(tiny, realisation=(11, 2))
    assert r.obj_profit.sel(realisation=2).item() == pytest.approx(direct.objective)


def test_pareto_front_per_point(tiny, tmp_path):
    o = sweep(tiny, tmp_path / "pa", grids=["price=2,3"], mode="pareto",
              pareto={"method": "augmecon2", "points": 3, "primary": None})
    ds = o.dataset
    assert ds.front_size.values.tolist() == [3, 3] and ds.sizes["front_point"] == 3
    assert list(ds.obj_profit.dims) == ["price", "front_point"]
    # spend from 5 (all capacity) to 0; profit = (price + 1) * spend
    np.testing.assert_allclose(ds.obj_spend.sel(price=3.0), [5, 2.5, 0], atol=1e-5)
    np.testing.assert_allclose(ds.obj_profit, ds.obj_spend * (ds.price + 1), atol=1e-4)
    assert ds.payoff.sel(price=2.0, payoff_optimised="profit", payoff_objective="profit").item() == pytest.approx(15, rel=1e-5)
    assert list(ds.var_x.dims) == ["price", "front_point", "Items"]


# ------------------------------------------------------------------ Dask
def _numeric(ds):
    return ds[[v for v in NUMERIC if v in ds]]


def test_dask_local_cluster_matches_process_pool(tiny, tmp_path, cli):
    local = sweep(tiny, tmp_path / "pool", grids=["price=2,3", "cap=4,6"], workers=2).dataset
    code, out, err = cli("sweep", tiny, "--grid", "price=2,3", "--grid", "cap=4,6", "--cluster", "local",
                         "--workers", "2", "--out", tmp_path / "dask")
    assert code == 0, err
    assert "Dask" in out and "4 with a plan" in out
    xr.testing.assert_equal(_numeric(xr.load_dataset(tmp_path / "dask" / "sweep.nc")), _numeric(local))


def test_dask_scheduler_on_loopback(tiny, tmp_path):
    """A real scheduler and worker, started as `dask scheduler` / `dask worker` would be, on 127.0.0.1."""
    sched_file = tmp_path / "scheduler.json"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", "0", "--no-dashboard", "--scheduler-file", str(sched_file)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads",
                                       "1", "--nworkers", "1", "--no-dashboard", "--host", "127.0.0.1"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
        o = sweep(tiny, tmp_path / "remote", grids=["price=2,3"], scheduler=address)
        assert address in o.executor
        np.testing.assert_allclose(o.dataset.obj_profit, [15, 20])
        hosts = {xr.load_dataset(f).attrs["pid"] for f in (tmp_path / "remote" / "points").glob("*.nc")}
        assert os.getpid() not in hosts  # solved in the worker process, not here
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            p.wait(timeout=20)
