"""Held runs in batches: each data case (a scenario and parameter changes) is compiled once and every
configuration that asked for it is solved on it, in this process or, with `--workers N` or a Dask
cluster, a case per task on the sweep machinery's executors (studies/sweep/executors.py).

A task is plain data in and out (the design arrays as `DataArray.to_dict()`, each evaluation as a
dict), so it can cross to a worker process; the coordinator keeps every result. Cases are
independent, so the answers do not depend on where or in which order they ran.
"""
from __future__ import annotations

import time
from dataclasses import asdict

import xarray as xr

from milkrun.compiler.pipeline import RunOptions
from milkrun.compiler.solve.stdout_guard import silenced
from milkrun.compiler.studies.fepia.configurations import Configuration
from milkrun.compiler.studies.fepia.reoptimise import Evaluation, HeldDesign

Case = tuple  # (scenario or None, the `NAME=VALUE` changes)


def case_task(task: dict) -> dict:
    """One data case on a worker: compile it, solve each configuration held, return the evaluations."""
    t0 = time.perf_counter()
    held = HeldDesign(task["run"])
    out = {}
    with silenced(True):
        for label, values in task["designs"].items():
            design = {name: xr.DataArray.from_dict(d) for name, d in values.items()}
            out[label] = asdict(held.evaluate(design, task["scenario"], tuple(task["changes"])))
    return {"key": task["key"], "evaluations": out, "seconds": time.perf_counter() - t0}


class HeldRuns:
    """Where held runs are solved: `evaluate(batch)` for a batch of cases, each with the
    configurations to hold on it. One worker: here, one compile per case (HeldDesign keeps it);
    more: the cases run side by side on `executor` (started by the caller). With a checkpoint,
    runs it holds are not repeated and new ones are added to it."""

    def __init__(self, run: RunOptions, executor=None, checkpoint=None):
        self.run = run
        self.executor = executor
        self.checkpoint = checkpoint
        self.local = HeldDesign(run)
        self.cases = self.solves = self.reused = 0

    def evaluate(self, batch: dict[Case, dict[str, Configuration]]) -> dict[tuple[Case, str], Evaluation]:
        """batch: case -> {label: configuration}. Returns (case, label) -> Evaluation."""
        out, todo = {}, {}
        for case, configs in batch.items():
            for label, config in configs.items():
                known = self.checkpoint.held_run(case, config) if self.checkpoint is not None else None
                if known is not None:
                    out[(case, label)] = known
                    self.reused += 1
                else:
                    todo.setdefault(case, {})[label] = config
        self.cases += len(todo)
        self.solves += sum(len(configs) for configs in todo.values())
        new = self._solve(todo)
        if self.checkpoint is not None and new:
            self.checkpoint.save_held([(case, todo[case][label], e) for (case, label), e in new.items()])
        return {**out, **new}

    def _solve(self, batch: dict[Case, dict[str, Configuration]]) -> dict[tuple[Case, str], Evaluation]:
        if self.executor is None or len(batch) <= 1:
            return {(case, label): self.local.evaluate(config.values, case[0], case[1])
                    for case, configs in batch.items() for label, config in configs.items()}
        from milkrun.compiler.studies.sweep.executors import run_all

        cases = list(batch)
        tasks = [{"kind": "case", "run": self.run, "files": self.executor.files, "scenario": case[0],
                  "changes": list(case[1]),
                  "designs": {label: {n: da.to_dict() for n, da in config.values.items()}
                              for label, config in batch[case].items()}} for case in cases]
        out = {}
        for case, result in zip(cases, run_all(self.executor, tasks)):
            for label, e in result["evaluations"].items():
                out[(case, label)] = Evaluation(**e)
        return out
