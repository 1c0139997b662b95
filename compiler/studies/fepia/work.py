"""What a FePIA worker runs: a scenario's front, or a batch of held runs on one data case.

The executor of a run (studies/sweep/executors.py) is given one function, `run_task`; each task
says which of the two it is. Both take and return plain data, so they can run in another process
or on a Dask worker; with `files` (sweep/shipping.py), the run's model, includes and data are the
copies the coordinator shipped. A worker writes no file: a front comes back with what its files
need (pareto.run.front_parts), and the coordinator writes them.
"""
from __future__ import annotations

import time

from milkrun.compiler.build.linopy_model import solution_dataset
from milkrun.compiler.solve.stdout_guard import silenced
from milkrun.compiler.studies.fepia.cases import case_task
from milkrun.compiler.studies.fepia.configurations import design_of
from milkrun.compiler.studies.pareto.run import front_parts, run_pareto
from milkrun.compiler.studies.sweep.shipping import place


def run_task(task: dict) -> dict:
    """`kind` "front": front_task; "case": cases.case_task. `files`: the shipped files the run names."""
    if task.get("files") is not None:
        task = {**task, "run": task["run"].replace(**place(task["files"]).fields)}
    return front_task(task) if task["kind"] == "front" else case_task(task)


def front_task(task: dict) -> dict:
    """One scenario's Pareto front and the configurations along it; plain data in and out, so it
    can run in another process."""
    t = time.perf_counter()
    s = task["scenario"]
    with silenced(not task["progress"]):
        compiled, front = run_pareto(task["run"], primary=task["primary"], points=task["points"],
                                     progress=task["progress"])
    designs = [design_of(solution_dataset(compiled.linopy, plan), task["design"], task["integral"]) for plan in front.plans]
    return {"scenario": s, "pi": {n: float(compiled.instance.param(n)) for n in task["perturbations"]}, "front": front,
            "designs": designs, "parts": front_parts(compiled, front) if task["out"] else None,
            "seconds": time.perf_counter() - t}
