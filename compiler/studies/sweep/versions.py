"""Workers must run what the coordinator runs: the same milkrun, linopy, highspy and PySCIPOpt.

A worker with another milkrun compiles the model by other rules (and takes the standard library from
its own package, which is not shipped); another solver may find another optimum among ties. A
sweep whose points silently came from two versions cannot be trusted or reproduced, so on connecting
to a cluster the coordinator asks every worker for its versions (`check_workers`, before any point
runs) and refuses a difference as a mistake in the setup (exit 2), naming the worker. A worker that
joins later is checked when the model's files reach it (dask_files.py): its points fail with the
same sentence rather than run.
"""
from __future__ import annotations

from milkrun.dsl.diagnostics import MilkrunError

CHECKED = ("milkrun", "linopy", "highspy", "pyscipopt")
HINT = "install the same versions on every worker as on this machine (pip install 'milkrun[cluster]==VERSION' ...)"


def installed() -> dict[str, str | None]:
    """The versions of CHECKED in this process (None: not installed)."""
    from milkrun.compiler.report.provenance import package_versions

    return package_versions(CHECKED)


def differences(theirs: dict, ours: dict) -> list[str]:
    """'linopy 0.5.0 (here 0.10.1)' for each package whose version differs."""
    return [f"{name} {theirs.get(name) or 'not installed'} (here {ours.get(name) or 'not installed'})"
            for name in CHECKED if theirs.get(name) != ours.get(name)]


def mismatch(worker: str, theirs: dict, ours: dict) -> str | None:
    """The sentence refusing `worker`, or None when it runs what this process runs."""
    diff = differences(theirs, ours)
    return f"worker {worker} runs other versions than the coordinator: {', '.join(diff)}" if diff else None


def check_workers(client) -> None:
    """Every worker of `client`'s cluster runs CHECKED at this process's versions, else a MilkrunError."""
    ours = installed()
    answers = client.run(installed, on_error="return")
    for worker, theirs in sorted(answers.items()):
        if isinstance(theirs, BaseException):
            raise MilkrunError(f"worker {worker} cannot run milkrun's code ({type(theirs).__name__}: {theirs})",
                               hint=HINT)
        why = mismatch(worker, theirs, ours)
        if why:
            raise MilkrunError(why, hint=HINT)
