"""Runs that end badly: Ctrl-C during a solve, a sweep's coordinator killed, a damaged point file.

- Ctrl-C (SIGINT) during a solve, HiGHS or SCIP: the best plan found so far is reported (or that
  there was none), exit 130; with --json stdout is exactly one JSON document whose status is
  "interrupted". Each case starts the `milkrun` command on a model that takes far longer than the
  test (a multi-dimensional knapsack: plans at once, no proof for minutes; a market split: no plan
  for minutes) and sends SIGINT once the progress line on stderr shows the solver at work.
- SIGTERM or SIGKILL of a sweep's coordinator also ends its worker processes.
- A damaged point file met by `sweep --resume` is run again with a warning, not a crash.

Every process started here is killed at the end of its test, whatever happened.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from conftest import dedent, milkrun_command, run_milkrun

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals and /proc as on Linux")

KNAPSACK = """
    model hard "a multi-dimensional knapsack: good plans at once, no proof of optimality for minutes"
    set Items
    set Dims
    param v[Items] >= 0
    param cap[Dims] >= 0
    param w[Items, Dims] >= 0
    var x[Items] binary
    maximize value: sum(i) v[i] * x[i]
    subject to
      fit[d in Dims]: sum(i) w[i, d] * x[i] <= cap[d]
"""

SPLIT = """
    model split "a market split instance: no plan at all for minutes"
    set Items
    set Rows
    param a[Items, Rows] >= 0
    param b[Rows] >= 0
    var x[Items] binary
    var s[Rows] >= 0
    minimize slack: sum(r) s[r]
    subject to
      hit[r in Rows]: sum(i) a[i, r] * x[i] == b[r]
"""


def _table(path: Path, header: list[str], rows) -> None:
    path.write_text(",".join(header) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))


@pytest.fixture
def knapsack(tmp_path) -> Path:
    """150 items, 10 dimensions: HiGHS and SCIP have a plan within a second and a gap of about
    0.5 % after a minute."""
    rng = np.random.default_rng(1)
    n, k = 150, 10
    w = rng.integers(1, 1000, size=(n, k))
    v = w.sum(1) // k + rng.integers(1, 200, size=n)
    cap = w.sum(0) // 2
    d = tmp_path / "hard"
    d.mkdir()
    _table(d / "Items.csv", ["Items", "v"], [(f"i{j}", v[j]) for j in range(n)])
    _table(d / "Dims.csv", ["Dims", "cap"], [(f"d{j}", cap[j]) for j in range(k)])
    _table(d / "w.csv", ["Items", *[f"d{j}" for j in range(k)]], [(f"i{i}", *w[i]) for i in range(n)])
    model = tmp_path / "hard.mcp"
    model.write_text(dedent(KNAPSACK))
    return model


@pytest.fixture
def split(tmp_path) -> Path:
    """Five equality rows over 40 binaries (Cornuejols and Dawande's market split): neither solver
    finds a plan, or proves there is none, in the first minute."""
    rng = np.random.default_rng(3)
    n, m = 40, 5
    a = rng.integers(0, 100, size=(n, m))
    d = tmp_path / "split"
    d.mkdir()
    _table(d / "Items.csv", ["Items"], [(f"i{j}",) for j in range(n)])
    _table(d / "Rows.csv", ["Rows", "b"], [(f"r{j}", a[:, j].sum() // 2) for j in range(m)])
    _table(d / "a.csv", ["Items", *[f"r{j}" for j in range(m)]], [(f"i{i}", *a[i]) for i in range(n)])
    model = tmp_path / "split.mcp"
    model.write_text(dedent(SPLIT))
    return model


class Running:
    """A `milkrun` command in its own process group; stdout and stderr each read as they come, by a
    thread of its own (the only reader of its stream, so none is closed under the other)."""

    def __init__(self, *args, cwd=None):
        self.proc = subprocess.Popen([*milkrun_command(), *map(str, args)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, cwd=cwd, start_new_session=True)
        self.err: list[str] = []
        self.out: list[str] = []
        self._reader = threading.Thread(target=self._read, args=(self.proc.stderr, self.err), daemon=True)
        self._out_reader = threading.Thread(target=self._read, args=(self.proc.stdout, self.out), daemon=True)
        self._reader.start()
        self._out_reader.start()

    @staticmethod
    def _read(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    def wait_for(self, text: str, timeout: float) -> bool:
        """Whether `text` comes on stderr within `timeout` s (False at once when stderr closes without it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in list(self.err)):
                return True
            if not self._reader.is_alive():
                return False
            time.sleep(0.05)
        return False

    def finish(self, timeout: float) -> tuple[int, str, str]:
        self.proc.wait(timeout=timeout)
        for reader, stream in ((self._reader, self.proc.stderr), (self._out_reader, self.proc.stdout)):
            reader.join(timeout=5)
            if not reader.is_alive():
                stream.close()
        return self.proc.returncode, "".join(self.out), "".join(self.err)

    def kill(self) -> None:
        """The command and whatever it left in its process group (workers, if a test failed)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait(timeout=10)
        for reader, stream in ((self._reader, self.proc.stderr), (self._out_reader, self.proc.stdout)):
            reader.join(timeout=5)  # the stream ends with the process group
            if not reader.is_alive():  # closed only once nothing reads it
                stream.close()


@pytest.fixture
def running():
    started: list[Running] = []

    def start(*args, **kw) -> Running:
        r = Running(*args, **kw)
        started.append(r)
        return r

    yield start
    for r in started:
        r.kill()


def _interrupt(r: Running, wait_text: str) -> tuple[int, str, str]:
    """SIGINT to the command once `wait_text` is on stderr (the progress line comes every 5 s),
    as a terminal's Ctrl-C does (to the whole process group)."""
    assert r.wait_for(wait_text, timeout=90), "".join(r.err)
    os.killpg(r.proc.pid, signal.SIGINT)
    return r.finish(timeout=60)


# ------------------------------------------------------------------ Ctrl-C during a solve
@pytest.mark.parametrize("solver", ["highs", "scip"])
def test_ctrl_c_reports_the_best_plan_as_json(knapsack, running, solver):
    code, out, err = _interrupt(running("solve", knapsack, "--solver", solver, "--json"), "best plan")
    assert code == 130, err
    doc = json.loads(out)  # exactly one JSON document: nothing else on stdout
    assert doc["status"] == "interrupted" and "best plan found so far" in doc["message"]
    assert doc["objective"] > 0 and doc["objectives"]["value"] == doc["objective"]
    assert doc["bound"] >= doc["objective"]  # a maximisation stopped short of its proof


@pytest.mark.parametrize("solver", ["highs", "scip"])
def test_ctrl_c_reports_the_best_plan(knapsack, running, tmp_path, solver):
    code, out, err = _interrupt(running("solve", knapsack, "--solver", solver, "--out", tmp_path / "o"),
                                "best plan")
    assert code == 130, err
    assert "hard: interrupted" in out and "the best plan found so far is reported" in out
    assert "objective value (maximise):" in out and "x:" in out  # the plan itself is printed
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())  # and written, as asked
    assert summary["status"] == "interrupted" and summary["objective"] > 0
    assert (tmp_path / "o" / "x.csv").exists()


@pytest.mark.parametrize("solver", ["highs", "scip"])
def test_ctrl_c_before_any_plan(split, running, solver):
    code, out, err = _interrupt(running("solve", split, "--solver", solver, "--json"), "no plan yet")
    assert code == 130, err
    doc = json.loads(out)
    assert doc["status"] == "interrupted" and doc["objective"] is None
    assert doc["message"] == "interrupted (Ctrl-C) before the solver found any plan"

    code, out, err = _interrupt(running("solve", split, "--solver", solver), "no plan yet")
    assert code == 130, err
    assert "split: interrupted" in out and "before the solver found any plan" in out


def test_exit_code_of_an_interrupted_result():
    """compiler/solve/result.py decides the exit code: 130 for a solve stopped by Ctrl-C, plan or not."""
    from milkrun.compiler.solve.result import Result

    plan = xr.Dataset({"x": ("i", [1.0])})
    assert Result("interrupted", "highs", solution=plan).exit_code == 130
    assert Result("interrupted", "highs", solution=plan).has_solution
    assert Result("interrupted", "highs").exit_code == 130
    # paths that keep their own status still count as interrupted by what the solver said
    r = Result("feasible", "scip", termination="scip/userinterrupt", solution=plan)
    assert r.exit_code == 130 and r.summary()["status"] == "interrupted"
    assert Result("feasible", "highs", solution=plan).exit_code == 0
    assert Result("time_limit", "highs").exit_code == 1


# ------------------------------------------------------------------ a sweep's coordinator killed
def _children(pid: int) -> set[int]:
    """Processes whose parent is `pid` (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rindex(")") + 2:].split()[0] not in ("Z", "X")  # a zombie has ended


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_coordinator_takes_its_workers(knapsack, running, tmp_path, how):
    """Two workers each in a solve of several seconds; the coordinator alone gets the signal (not
    its process group, as `kill PID` or the OOM killer would do it). No worker outlives it."""
    out = tmp_path / "sw"
    r = running("sweep", knapsack, "--grid", "cap[d0]=20000,21000,22000,23000", "--time-limit", "60",
                "--workers", "2", "--out", out, "--no-progress")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and r.proc.poll() is None and len(_children(r.proc.pid)) < 2:
        time.sleep(0.1)
    time.sleep(5)  # the workers import milkrun and start solving their points
    workers = _children(r.proc.pid)  # the two workers (and multiprocessing's resource tracker)
    assert len(workers) >= 2 and r.proc.poll() is None, "".join(r.err)
    os.kill(r.proc.pid, how)
    code = r.proc.wait(timeout=60)  # not its pipes: a worker left behind would hold them open
    if how == signal.SIGTERM:
        assert code == 130, "".join(r.err)  # stopped as Ctrl-C stops it
        assert r.wait_for("finished point(s) kept", timeout=10), "".join(r.err)
        assert (out / "sweep.nc").exists()
    else:
        assert code == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    left = [p for p in workers if _alive(p)]
    for p in left:  # do not leave them to the next test
        os.kill(p, signal.SIGKILL)
    assert not left, f"processes left running after the coordinator's {how.name}: {left}"


# ------------------------------------------------------------------ a damaged point file
TINY = """
    model tiny "two items share a capacity"
    set Items
    param price >= 0 default 10
    param cap >= 0 default 5
    param bonus[Items] >= 0
    var x[Items] >= 0
    maximize profit: sum(i) (price + bonus[i]) * x[i]
    subject to
      limit: sum(i) x[i] <= cap
    data { Items = {a, b}  bonus = {a: 0, b: 1} }
"""


def test_damaged_point_file_is_run_again(write_model, tmp_path):
    tiny = write_model(TINY)
    out = tmp_path / "sw"
    grid = ["--grid", "price=1:6:6"]
    r = run_milkrun("sweep", tiny, *grid, "--out", out, "--no-progress", timeout=180)
    assert r.returncode == 0, r.stderr
    clean = xr.load_dataset(out / "sweep.nc").obj_profit.values.copy()
    np.testing.assert_allclose(clean, (np.arange(1, 7) + 1) * 5)  # profit = (price + 1) * cap
    files = sorted((out / "points").glob("*.nc"))
    assert len(files) == 6
    cut, garbled, emptied = files[1], files[3], files[4]
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])  # a copy cut short
    garbled.write_bytes(b"\x89HDF\r\n\x1a\n" + os.urandom(2000))  # not a point any more
    xr.Dataset({"other": ((), 1.0)}).to_netcdf(emptied, engine="netcdf4")  # a netCDF file, but no point

    r = run_milkrun("sweep", tiny, *grid, "--out", out, "--resume", "--no-progress", timeout=180)
    assert r.returncode == 0, r.stderr
    for f in (cut, garbled, emptied):
        assert f"warning: {f}: damaged point file" in r.stderr and "its point is run again" in r.stderr
    assert "internal error" not in r.stderr
    again = xr.load_dataset(out / "sweep.nc")
    assert (again.status == "optimal").all()
    np.testing.assert_allclose(again.obj_profit.values, clean)
    for f in (cut, garbled, emptied):  # each file replaced by a whole point
        assert xr.load_dataset(f).status.item() == "optimal"
    m = json.loads((out / "manifest.json").read_text())
    assert m["runs"][-1]["points_run"] == 3 and m["runs"][-1]["points_skipped"] == 3
