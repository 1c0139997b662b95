"""Sweeps and fronts on a real Dask cluster whose workers cannot see the analyst's files (issue 17).

One cluster for the file: a `dask scheduler` and two `dask worker` processes (one thread each, on
127.0.0.1), started from this Python's bin folder and ended with their process groups. The workers
must not see ANALYST, the folder holding the models the coordinator reads:

- as root, each worker runs in a mount namespace of its own (`unshare -m --propagation private`)
  with an empty tmpfs mounted over ANALYST: the folder is there, and empty;
- otherwise (no root, or no unshare), each worker is started with a preload script that installs
  an audit hook refusing to open or list anything under ANALYST (`sys.addaudithook`): the same
  guarantee for everything the worker reads, without privileges. MILKRUN_TEST_HIDE=audit picks it.

Either way the fixture checks it: listing ANALYST on every worker gives nothing or an error.
Every answer is compared with the same run on a local worker process (values, not just statuses).
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
import pytest
import xarray as xr

from conftest import REPO, dedent, milkrun_command

BIN = Path(sys.executable).parent
START_TIMEOUT = 60.0
HIDE_PRELOAD = '''
import os, sys
_HIDDEN = os.path.realpath(os.environ["MILKRUN_TEST_HIDDEN"])
def _refuse(event, args):
    if event in ("open", "os.listdir", "os.scandir") and args and isinstance(args[0], (str, bytes, os.PathLike)):
        p = os.path.realpath(os.fsdecode(args[0]))
        if p == _HIDDEN or p.startswith(_HIDDEN + os.sep):
            raise PermissionError(f"{p}: hidden from this worker")
sys.addaudithook(_refuse)
'''
FAKE_METADATA = "Metadata-Version: 2.1\nName: highspy\nVersion: 0.0.1\n"
TWO = """
    model two_params "a design, and features linear in p (tests/test_fepia_radius.py)"
    set Sites = {a, b}
    param p default 10 uncertain in [5, 15]
    var Z[s in Sites] binary design
    var x >= 0
    maximize gain: 3 * Z["a"] + 2 * Z["b"] - 0.001 * x
    minimize cost: sum(s) Z[s]
    subject to
      one: sum(s) Z[s] <= 1
      level: x == 2 * p
    kpi dip "|p - 12|": abs(p - 12)
    scenario low: p = 8
    scenario high: p = 12
"""


def _namespace_works(folder: Path) -> bool:
    if os.environ.get("MILKRUN_TEST_HIDE") == "audit" or not hasattr(os, "geteuid") or os.geteuid() != 0 \
            or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                            'mount -t tmpfs none "$0" && ls -A "$0"', str(folder)],
                           capture_output=True, text=True, timeout=20)
    return probe.returncode == 0 and probe.stdout.strip() == ""


class Cluster:
    def __init__(self, root: Path, analyst: Path):
        self.root, self.analyst = root, analyst
        self.procs: list[subprocess.Popen] = []
        self.namespace = _namespace_works(analyst)
        self.preload = root / "hide.py"
        self.preload.write_text(HIDE_PRELOAD)
        self.env = {**os.environ, "PYTHONWARNINGS": "ignore", "MILKRUN_TEST_HIDDEN": str(analyst)}
        self.address = None
        self.client = None

    def _spawn(self, cmd: list[str], env=None) -> subprocess.Popen:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env or self.env,
                             start_new_session=True, cwd=self.root)  # its own process group, ended by id
        self.procs.append(p)
        return p

    def start(self, workers: int = 2) -> "Cluster":
        sched = self.root / "scheduler.json"
        self._spawn([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                     "--scheduler-file", str(sched)])
        deadline = time.monotonic() + START_TIMEOUT
        while not sched.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.address = json.loads(sched.read_text())["address"]
        for _ in range(workers):
            self.add_worker()
        from distributed import Client

        self.client = Client(self.address, timeout="30s")
        self.client.wait_for_workers(workers, timeout=START_TIMEOUT)
        return self

    def add_worker(self, env=None) -> subprocess.Popen:
        worker = [str(BIN / "dask"), "worker", self.address, "--nthreads", "1", "--host", "127.0.0.1",
                  "--no-dashboard"]
        if self.namespace:
            cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                   'mount -t tmpfs none "$0" && exec "$@"', str(self.analyst), *worker]
        else:
            cmd = [*worker, "--preload", str(self.preload)]
        return self._spawn(cmd, env)

    def worker_pids(self) -> dict[str, int]:
        return self.client.run(os.getpid)

    def wait_workers(self, n: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while len(self.client.scheduler_info()["workers"]) != n and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(self.client.scheduler_info()["workers"]) == n

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        for p in reversed(self.procs):
            end(p)


def end(p: subprocess.Popen) -> None:
    """Its whole process group (a worker's nanny and the process it runs), by id."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster")
    analyst = root / "analyst"
    (analyst / "lib").mkdir(parents=True)
    shutil.copy(REPO / "models" / "transport.mcp", analyst / "transport.mcp")
    shutil.copytree(REPO / "models" / "transport", analyst / "transport")
    shutil.copy(REPO / "models" / "knapsack2.mcp", analyst / "knapsack2.mcp")
    shutil.copytree(REPO / "models" / "knapsack2", analyst / "knapsack2")
    # the same transport model with `freight` in a module of another folder, found by --include-path
    proj = analyst / "proj"
    proj.mkdir()
    text = (REPO / "models" / "transport.mcp").read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("param freight"))
    (analyst / "lib" / "freight.mcp").write_text(line + "\n")
    (proj / "transport.mcp").write_text(text.replace(line, 'include "../lib/freight.mcp"'))
    shutil.copytree(REPO / "models" / "transport", proj / "transport")
    (analyst / "two.mcp").write_text(dedent(TWO))
    c = Cluster(root, analyst)
    try:
        c.start()
        seen = c.client.run(os.listdir, str(analyst), on_error="return")
        assert len(seen) == 2 and all(v == [] or isinstance(v, OSError) for v in seen.values()), seen
        yield c
    finally:
        c.stop()


def milkrun(*args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([*milkrun_command(), *map(str, args)], capture_output=True, text=True, timeout=timeout)


FOUR = ["--grid", "freight=80,90", "--set", "demand[chicago]=300", "--grid", "capacity[seattle]=350,400"]


def numbers(ds: xr.Dataset) -> xr.Dataset:
    return ds[[v for v in ("objective", "obj_total_cost", "var_ship", "bound") if v in ds]]


def test_the_bundle_keeps_the_layout_and_the_manifest_hashes(tmp_path, monkeypatch):
    """No cluster: what collect() reads, how materialise() lays it out, and that its hashes are
    the ones manifest.json always recorded (provenance.hashes), the standard library's included."""
    from milkrun.compiler.report.provenance import hashes
    from milkrun.compiler.studies.sweep.shipping import Placed, collect, materialise
    from milkrun.dsl.includes import load

    (tmp_path / "lib").mkdir()
    (tmp_path / "proj" / "data").mkdir(parents=True)
    (tmp_path / "lib" / "extra.mcp").write_text("param a default 1\n")
    (tmp_path / "proj" / "m.mcp").write_text('model m\ninclude "geo_network"\ninclude "../lib/extra.mcp"\n')
    (tmp_path / "proj" / "data" / "t.csv").write_text("x,y\n1,2\n")
    (tmp_path / "proj" / "data" / "notes.txt").write_text("not read by the data stage\n")
    monkeypatch.setenv("MILKRUN_INCLUDE_PATH", str(tmp_path / "lib"))
    b = collect(tmp_path / "proj" / "m.mcp", tmp_path / "proj" / "data")
    assert b.hashes == hashes(tmp_path / "proj" / "m.mcp", tmp_path / "proj" / "data")
    assert sorted(b.files) == ["lib/extra.mcp", "proj/data/t.csv", "proj/m.mcp"]  # no stdlib, no .txt
    assert (b.model, b.data, b.include_path) == ("proj/m.mcp", "proj/data", ("lib",))
    folder = materialise(b)
    try:
        monkeypatch.delenv("MILKRUN_INCLUDE_PATH")
        placed = Placed(folder, b.ref()).fields
        names = {st.span.file for st in load(placed["model"], list(placed["include_path"])).statements}
        assert str(folder / "lib" / "extra.mcp") in names
        assert Placed(folder, b.ref()).tell(f"{folder}/proj/m.mcp:2:1: error") == f"{tmp_path}/proj/m.mcp:2:1: error"
    finally:
        shutil.rmtree(folder)
    assert collect(tmp_path / "proj" / "m.mcp", tmp_path / "proj" / "data", [tmp_path / "lib"]).digest == b.digest


def test_copies_of_killed_coordinators_are_purged(tmp_path):
    from milkrun.compiler.studies.sweep.shipping import PREFIX, purge_stale

    gone = subprocess.Popen(["true"])
    gone.wait()  # a process id nobody has now
    dead = tmp_path / f"{PREFIX}0123456789ab-{gone.pid}-x1"
    alive = tmp_path / f"{PREFIX}0123456789ab-{os.getpid()}-x2"
    other = tmp_path / f"{PREFIX}notours"
    for d in (dead, alive, other):
        (d / "m").mkdir(parents=True)
    purge_stale(str(tmp_path))
    assert not dead.exists() and alive.exists() and other.exists()


def test_remote_sweep_equals_local_one(cluster, tmp_path):
    model = cluster.analyst / "transport.mcp"
    local = milkrun("sweep", model, *FOUR, "--workers", "1", "--out", tmp_path / "local", "--no-progress")
    assert local.returncode == 0, local.stderr
    remote = milkrun("sweep", model, *FOUR, "--scheduler", cluster.address, "--out", tmp_path / "remote",
                     "--no-progress")
    assert remote.returncode == 0, remote.stderr
    assert cluster.address in remote.stdout
    there = xr.load_dataset(tmp_path / "remote" / "sweep.nc")
    assert there.sizes["freight"] * there.sizes["capacity[seattle]"] == 4
    xr.testing.assert_allclose(numbers(there), numbers(xr.load_dataset(tmp_path / "local" / "sweep.nc")))
    assert there.objective.sel({"freight": 90.0, "capacity[seattle]": 350.0}).item() == pytest.approx(153.675)
    pids = {xr.load_dataset(f).attrs["pid"] for f in (tmp_path / "remote" / "points").glob("*.nc")}
    assert pids <= set(cluster.worker_pids().values())  # solved on the workers that cannot see the model
    m = json.loads((tmp_path / "remote" / "manifest.json").read_text())
    assert m["files"] == json.loads((tmp_path / "local" / "manifest.json").read_text())["files"]
    assert m["shipped"]["files"] == 4 and len(m["shipped"]["sha256"]) == 64


def test_remote_sweep_of_a_model_including_another_folder(cluster, tmp_path):
    model = cluster.analyst / "proj" / "transport.mcp"
    r = milkrun("sweep", model, "--include-path", cluster.analyst / "lib", "--grid", "freight=80,90",
                "--scheduler", cluster.address, "--out", tmp_path / "inc", "--json")
    assert r.returncode == 0, r.stderr
    ds = xr.load_dataset(tmp_path / "inc" / "sweep.nc")
    np.testing.assert_allclose(ds.objective, [136.6, 153.675], rtol=1e-9)  # transport's values at freight 80, 90
    m = json.loads((tmp_path / "inc" / "manifest.json").read_text())
    assert set(m["files"]["model"]) == {"transport.mcp", "../lib/freight.mcp"}


def test_a_changed_file_is_refused_on_resume(cluster, tmp_path):
    model = cluster.analyst / "proj" / "transport.mcp"
    inc = cluster.analyst / "lib" / "freight.mcp"
    r = milkrun("sweep", model, "--include-path", cluster.analyst / "lib", "--grid", "freight=80",
                "--scheduler", cluster.address, "--out", tmp_path / "re")
    assert r.returncode == 0, r.stderr
    before = inc.read_text()
    try:
        inc.write_text(before.replace("default 90", "default 91"))
        r = milkrun("sweep", model, "--include-path", cluster.analyst / "lib", "--grid", "freight=80",
                    "--scheduler", cluster.address, "--out", tmp_path / "re", "--resume")
    finally:
        inc.write_text(before)
    assert r.returncode == 2
    assert "model file '../lib/freight.mcp' changed" in r.stderr


def test_remote_pareto_front_equals_local_one(cluster, tmp_path):
    model = cluster.analyst / "knapsack2.mcp"
    local = milkrun("pareto", model, "--points", "5", "--json")
    remote = milkrun("pareto", model, "--points", "5", "--scheduler", cluster.address, "--json",
                     "--out", tmp_path / "front")
    assert local.returncode == 0 and remote.returncode == 0, remote.stderr
    here, there = json.loads(local.stdout), json.loads(remote.stdout)
    assert there["workers"] == 2 and here["workers"] == 1
    assert there["front"] == here["front"] and there["payoff"] == here["payoff"]
    assert (tmp_path / "front" / "front.nc").exists()  # written by the coordinator


def test_python_api_sweep_and_pareto_on_the_remote_cluster(cluster):
    import milkrun

    sweep = milkrun.load(cluster.analyst / "transport.mcp").sweep({"freight": [80, 90]}, scheduler=cluster.address)
    np.testing.assert_allclose(sweep.dataset.objective, [136.6, 153.675], rtol=1e-9)
    knapsack = milkrun.load(cluster.analyst / "knapsack2.mcp")
    there = knapsack.pareto(points=4, scheduler=cluster.address)
    here = knapsack.pareto(points=4)
    assert there.front.workers == 2 and there.points == here.points


def test_fepia_on_the_remote_cluster_equals_a_local_run(cluster, tmp_path):
    """Fronts, held runs and the radius search on the workers; the fronts' files written here."""
    from milkrun.compiler.studies.fepia.run import FepiaSpec, run_fepia

    spec = {"points": 3, "perturbation": "p", "tolerances": ["dip>=0.5"], "radius_steps": 4,
            "radius_resolution": 0.01}
    model = str(cluster.analyst / "two.mcp")
    here = run_fepia(FepiaSpec(model, **spec))
    there = run_fepia(FepiaSpec(model, **spec, scheduler=cluster.address), tmp_path / "fepia")
    assert [(r.label, r.origin, r.radius.low, r.radius.high) for r in there.radii] == \
        [(r.label, r.origin, r.radius.low, r.radius.high) for r in here.radii]
    assert {s: f.front.points for s, f in there.fronts.items()} == {s: f.front.points for s, f in here.fronts.items()}
    assert there.seconds["solves"] == here.seconds["solves"]
    assert sorted(p.name for p in (tmp_path / "fepia" / "fronts").iterdir()) == ["high", "low"]
    assert (tmp_path / "fepia" / "fronts" / "low" / "front.nc").exists()


def test_a_worker_with_other_versions_is_refused_before_any_point(cluster, tmp_path):
    fake = tmp_path / "fake"
    (fake / "highspy-0.0.1.dist-info").mkdir(parents=True)
    (fake / "highspy-0.0.1.dist-info" / "METADATA").write_text(FAKE_METADATA)
    env = {**cluster.env, "PYTHONPATH": os.pathsep.join([str(fake), os.environ.get("PYTHONPATH", "")])}
    before = set(cluster.worker_pids())
    odd = cluster.add_worker(env)
    try:
        cluster.wait_workers(3)
        address = (set(cluster.worker_pids()) - before).pop()
        r = milkrun("sweep", cluster.analyst / "transport.mcp", "--grid", "freight=80,90",
                    "--scheduler", cluster.address, "--out", tmp_path / "refused")
        assert r.returncode == 2, r.stderr
        assert f"worker {address} runs other versions than the coordinator: highspy 0.0.1 (here " in r.stderr
        assert "Traceback" not in r.stderr
        assert not (tmp_path / "refused").exists()  # refused before anything was run or written
    finally:
        end(odd)
        cluster.procs.remove(odd)
        cluster.wait_workers(2)


def test_a_worker_killed_mid_sweep_loses_no_point(cluster, tmp_path):
    """As soon as the scheduler has handed a point to one worker, that worker is killed (SIGKILL by pid):
    its points run elsewhere, and the sweep is complete and the same as a local one."""
    model = cluster.analyst / "transport.mcp"
    grid = ["--grid", "freight=70,80,90,100", "--grid", "capacity[seattle]=350,400,450"]
    local = milkrun("sweep", model, *grid, "--workers", "1", "--out", tmp_path / "local", "--no-progress")
    assert local.returncode == 0, local.stderr
    address, victim = sorted(cluster.worker_pids().items())[0]
    out = tmp_path / "remote"
    sweep = subprocess.Popen([*milkrun_command(), "sweep", str(model), *grid, "--scheduler", cluster.address,
                              "--out", str(out), "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and sweep.poll() is None:
            if any(str(k).startswith("milkrun-point-") for k in cluster.client.processing().get(address, ())):
                os.kill(victim, signal.SIGKILL)  # it holds a point it will never finish
                break
            time.sleep(0.02)
        finished_then = len(list((out / "points").glob("*.nc"))) if (out / "points").exists() else 0
        stdout, stderr = sweep.communicate(timeout=90)
    finally:
        end(sweep)
    assert finished_then < 12  # killed mid-sweep
    assert sweep.returncode == 0, stderr
    assert "12 with a plan" in stdout
    there = xr.load_dataset(out / "sweep.nc")
    xr.testing.assert_allclose(numbers(there), numbers(xr.load_dataset(tmp_path / "local" / "sweep.nc")))
    cluster.wait_workers(2)  # its nanny started a new one
    assert victim not in cluster.worker_pids().values()
