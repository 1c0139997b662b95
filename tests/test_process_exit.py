"""`milkrun check` and `solve` end without Python's teardown (compiler/cli/process_exit.py), having
done what matters of it: atexit's functions, stdout, stderr and C's stdio buffers flushed. Each case
runs the console script's entry in a fresh interpreter, as the installed command does."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO

from milkrun.compiler.cli.process_exit import may_leave_early

TRANSPORT = str(REPO / "models" / "transport.mcp")
ROUTING = str(REPO / "models" / "routing.mcp")

# what runs before the command: an atexit function; a function for the interpreter's own shutdown
# (threading's, the step a normal exit takes before atexit's: os._exit skips it); an atexit function
# that leaves text in C's stdout buffer (a pipe here, so C buffers it: what a solver prints in C);
# and maybe a thread still running, which a normal exit waits for
PRELUDE = """
import atexit, ctypes, os, sys, threading
atexit.register(lambda: sys.stderr.write("atexit ran\\n"))
threading._register_atexit(lambda write=os.write: write(2, b"shutdown ran\\n"))
atexit.register(lambda: ctypes.CDLL(None).printf(b"left in C's buffer\\n"))  # fd 1 is stderr by then
done = threading.Event()
def late():  # alive until the interpreter's shutdown tells it to end
    done.wait(60)
    os.write(2, b"thread finished\\n")
if "--with-thread" in sys.argv:
    sys.argv.remove("--with-thread")
    threading._register_atexit(done.set)
    threading.Thread(target=late).start()
from milkrun.compiler.cli import console_main
sys.argv[0] = "milkrun"
console_main()
"""


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PRELUDE, *argv], capture_output=True, text=True, cwd=REPO,
                          timeout=300, check=False)


def test_a_solve_ends_without_the_teardown_and_loses_nothing():
    proc = run("solve", TRANSPORT, "--json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["objective"] == 153.675  # the whole document, flushed
    assert "atexit ran" in proc.stderr and "left in C's buffer" in proc.stderr
    assert "shutdown ran" not in proc.stderr  # the interpreter's own shutdown was skipped


def test_the_exit_code_is_the_command_s():
    proc = run("solve", ROUTING, "--set", "max_duration=300", "--json")
    assert proc.returncode == 1 and json.loads(proc.stdout)["status"] == "infeasible"
    assert "shutdown ran" not in proc.stderr
    proc = run("check", str(REPO / "models" / "no_such_model.mcp"))
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "atexit ran" in proc.stderr


def test_a_check_prints_all_it_says():
    proc = run("check", TRANSPORT)
    assert proc.returncode == 0 and "6 variables, 5 constraints" in proc.stdout
    assert "shutdown ran" not in proc.stderr and "atexit ran" in proc.stderr


def test_with_another_thread_alive_python_exits_as_usual():
    proc = run("check", TRANSPORT, "--with-thread")
    assert proc.returncode == 0 and "6 variables, 5 constraints" in proc.stdout
    assert "thread finished" in proc.stderr and "shutdown ran" in proc.stderr and "atexit ran" in proc.stderr


def test_a_command_that_writes_files_exits_as_usual(tmp_path):
    proc = run("solve", TRANSPORT, "--out", str(tmp_path / "out"))
    assert proc.returncode == 0 and (tmp_path / "out" / "summary.json").exists()
    assert "shutdown ran" in proc.stderr and "atexit ran" in proc.stderr


def leaves_early(argv: list[str]) -> bool:
    """What the console script decides for these arguments: arguments that do not parse never get
    that far (argparse has printed and exited, or main() answered the mistake), so a normal exit."""
    from milkrun.compiler.cli.command import UsageError, _parser

    try:
        args = _parser().parse_args(argv)
    except (SystemExit, UsageError):
        return False
    return may_leave_early(args)


@pytest.mark.parametrize("argv, early", [
    (["solve", "m.mcp", "--json"], True), (["check", "m.mcp"], True), (["--version"], False),
    (["solve", "m.mcp", "--out", "o"], False), (["solve", "m.mcp", "--out=o"], False),
    (["solve", "m.mcp", "--ou", "o"], False),  # argparse's abbreviation of --out
    (["sweep", "m.mcp", "--set", "a=1:2", "--out", "o"], False), (["export", "m.mcp", "--to", "m.lp"], False),
    (["pareto", "m.mcp"], False), ([], False)])
def test_which_commands_leave_early(argv, early, capsys):
    assert leaves_early(argv) is early
