"""Keep what solvers print in C (banners, logs) off the stdout that milkrun's reports use.

HiGHS prints its banner when a `Highs` object is made, SCIP prints messages, and both write
through C's buffered `stdout`. When stdout is a pipe, that buffer is only emptied when the
process exits, after any Python-level redirection has been undone: the banner then lands in
front of a `--json` document. Two measures, used together:

- `protect_stdout()` (the `milkrun` command calls it first): the real stdout moves to a private
  file descriptor that only `sys.stdout` writes to, and descriptor 1, where C code writes, points
  at stderr. Whatever a library prints in C can then never reach stdout.
- `silenced()`: while a solver runs quietly, descriptor 1 points at /dev/null, and C's buffers
  are flushed *before* it is pointed back, so nothing buffered escapes afterwards.
"""
from __future__ import annotations

import contextlib
import ctypes
import io
import os
import sys

_libc = None


def flush_c_stdio() -> None:
    """Empty C's stdio buffers (`fflush(NULL)`) into wherever descriptor 1 points now."""
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(None)
        _libc.fflush(None)
    except (OSError, AttributeError):  # a platform without a C library we can reach: nothing buffered to lose
        pass


def protect_stdout() -> None:
    """Give `sys.stdout` a private copy of descriptor 1 and point descriptor 1 at stderr."""
    try:
        sys.stdout.flush()
        private = os.dup(1)
        os.dup2(2, 1)
    except OSError:  # no stdout at all (closed): nothing to protect
        return
    os.set_inheritable(private, False)  # child processes (workers) get descriptor 1, i.e. stderr
    tty = sys.stdout.isatty()
    sys.stdout = io.TextIOWrapper(os.fdopen(private, "wb"), encoding=sys.stdout.encoding or "utf-8",
                                  errors="replace", line_buffering=tty)


@contextlib.contextmanager
def silenced(quiet: bool = True):
    """While the block runs, whatever C code prints to descriptor 1 is dropped (when `quiet`)."""
    if not quiet:
        yield
        return
    flush_c_stdio()
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        flush_c_stdio()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
