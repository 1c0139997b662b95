"""HiGHS through its own API: options, a MIP start, progress from its callbacks, Ctrl-C that keeps the
incumbent, and its primal values read back by linopy label (a time-limited run keeps its plan)."""
from __future__ import annotations

import contextlib
import signal
import sys
import threading

import numpy as np

from milkrun.compiler.build.linopy_model import n_labels
from milkrun.compiler.solve.progress import finite
from milkrun.compiler.solve.result import interrupted_message


def solve_highs(built, opts, progress=None, start=None):
    import highspy

    m = built.linopy
    h = m.to_highspy()
    for k, v in opts.items():
        h.setOptionValue(k, v)
    if start is not None:
        highs_start(h, m, start)
    watch_highs(h, progress)
    h.HandleKeyboardInterrupt = True  # Ctrl-C stops the solve and keeps its incumbent (compiler/solve/result.py: exit 130)
    run_interruptible(h)
    ms = h.getModelStatus()
    condition = h.modelStatusToString(ms).lower()
    values = highs_values(h, m)
    state = {highspy.HighsModelStatus.kOptimal: "optimal", highspy.HighsModelStatus.kInfeasible: "infeasible",
             highspy.HighsModelStatus.kUnbounded: "unbounded", highspy.HighsModelStatus.kTimeLimit: "time_limit",
             highspy.HighsModelStatus.kInterrupt: "interrupted",
             highspy.HighsModelStatus.kSolutionLimit: "feasible", highspy.HighsModelStatus.kIterationLimit: "feasible",
             highspy.HighsModelStatus.kObjectiveBound: "feasible", highspy.HighsModelStatus.kObjectiveTarget: "feasible",
             }.get(ms, "error")
    if state == "feasible" and values is None:
        state = "error"
    extra = {}
    if ms == highspy.HighsModelStatus.kUnboundedOrInfeasible:
        h.setOptionValue("presolve", "off")
        h.run()
        ms2 = h.getModelStatus()
        state = "unbounded" if ms2 == highspy.HighsModelStatus.kUnbounded else "infeasible"
        condition += f", then without presolve: {h.modelStatusToString(ms2).lower()}"
    if ms == highspy.HighsModelStatus.kInterrupt:
        extra["message"] = interrupted_message(values is not None)
    bound = None
    info = h.getInfo()
    if np.isfinite(info.mip_dual_bound) and abs(info.mip_dual_bound) < 1e30:
        bound = float(info.mip_dual_bound)
    return values, state, bound, f"highs/{condition}", extra


def run_interruptible(h) -> None:
    """h.solve() with HandleKeyboardInterrupt: highspy print()s what it does on Ctrl-C; that goes
    to stderr, so that stdout keeps exactly the report (one JSON document with --json)."""
    with contextlib.redirect_stdout(sys.stderr):
        h.solve()


@contextlib.contextmanager
def sigint_noted():
    """Notes a Ctrl-C (SIGINT) that a solver path handles itself (HiGHS rounds of lazy cuts stop
    and keep their incumbent), then lets it act as usual. Only where SIGINT has its default
    handler: a sweep's worker ignores it (its coordinator handles Ctrl-C) and keeps ignoring it."""
    caught: list[int] = []
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield caught
        return

    def note(signum, frame):
        caught.append(signum)
        signal.default_int_handler(signum, frame)

    signal.signal(signal.SIGINT, note)
    try:
        yield caught
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def watch_highs(h, progress) -> None:
    """Feed a SolveProgress from HiGHS's MIP callbacks."""
    if progress is None:
        return
    def on_event(e):
        d = e.data_out
        progress.update(incumbent=finite(d.mip_primal_bound), bound=finite(d.mip_dual_bound),
                        gap=finite(d.mip_gap), nodes=int(d.mip_node_count))

    h.cbMipInterrupt.subscribe(on_event)


def highs_start(h, m, start: np.ndarray) -> None:
    """Give HiGHS a (possibly partial) start; it completes a partial one by a sub-MIP."""
    vlabels = np.asarray(m.matrices.vlabels)
    vals = start[vlabels]
    cols = np.flatnonzero(~np.isnan(vals)).astype(np.int32)
    h.setSolution(len(cols), cols, vals[cols].astype(float))


def highs_values(h, m) -> np.ndarray | None:
    """HiGHS's primal values by linopy label, or None when it has no feasible point."""
    if int(h.getInfo().primal_solution_status) != 2:  # 2 = feasible
        return None
    vlabels = np.asarray(m.matrices.vlabels)
    out = np.full(n_labels(m), np.nan)
    out[vlabels] = np.asarray(h.getSolution().col_value, dtype=float)
    return out
