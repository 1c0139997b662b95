"""How a `milkrun check` or `solve` process ends: its cleanup done, without Python's teardown.

When the interpreter exits normally it tears down every module and object it holds: after a solve
that is linopy, xarray, pandas, scipy, polars and PySCIPOpt with everything they made, about
0.13 s on this project's machines, a sixth of a small model's whole run, spent freeing memory the
operating system reclaims at once anyway. `leave` does what that teardown does that matters and
then ends the process at once (`os._exit`):

- runs the functions registered with `atexit` (temporary folders, logging's flush, coverage's
  data), as `sys.exit` would;
- flushes Python's stdout and stderr, and C's stdio buffers (what a solver printed in C);
- and only when nothing else could be lost: no thread but the main one is alive (an executor's
  or a progress display's thread would be waited for by a normal exit) and the command wrote no
  files of its own (`--out`: written and closed before, but a normal exit is kept there all the same).

Otherwise it exits as Python does. main() never calls it: the console script does, with the
arguments as parsed (an abbreviated `--ou` is `--out`), so a program or a test that calls main()
keeps its interpreter.
"""
from __future__ import annotations

import atexit
import os
import sys
import threading

FAST_COMMANDS = ("check", "solve")


def may_leave_early(args) -> bool:
    """The command, as argparse parsed it, is one whose process may skip the teardown (module docstring)."""
    return args.command in FAST_COMMANDS and not getattr(args, "out", None)


def leave(code: int) -> None:
    """End the process with `code`: atexit's functions, then the flushes, then os._exit; or a normal
    exit when another thread is still alive."""
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # a reader gone, or the stream closed: nothing to keep
            pass
    from milkrun.compiler.solve.stdout_guard import flush_c_stdio

    flush_c_stdio()
    os._exit(code)
