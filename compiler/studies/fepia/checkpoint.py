"""OUT/checkpoint/: what a FePIA run has finished, so that a killed run resumes (`--resume`)
without repeating a finished solve.

- `manifest.json`: the sha256 of the model, its included modules and its data tables, and the
  settings that decide the numbers (every FepiaSpec field but where the work runs). `--resume`
  compares both with the run asked for and refuses, naming what changed, to mix two runs.
- `front_SCENARIO.json`: a finished front (its points, statuses, counts and the configuration
  of every point), written when the front is done.
- `held.jsonl`: one line per finished held run (the data case, the configuration's entries, the
  evaluation), appended and flushed as each batch of cases comes back.

All of it is JSON written by milkrun and read back as plain values: nothing is unpickled. A
run without `--resume` starts a fresh checkpoint.
"""
from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import xarray as xr

from milkrun.compiler.report.provenance import hashes
from milkrun.compiler.studies.fepia.configurations import Configuration
from milkrun.compiler.studies.fepia.reoptimise import Evaluation
from milkrun.compiler.studies.pareto.augmecon import Front
from milkrun.compiler.studies.sweep.manifest import check_files, check_settings
from milkrun.compiler.studies.sweep.store import _atomic
from milkrun.dsl.diagnostics import MilkrunError, Span

WHERE_IT_RUNS = ("workers", "scheduler", "cluster", "progress", "resume")  # not part of what the numbers depend on


class Checkpoint:
    def __init__(self, out: Path, spec, model: Path, data_dir: Path | None, resume: bool):
        self.folder = Path(out) / "checkpoint"
        self.manifest = {"milkrun_fepia": 1, "files": hashes(model, data_dir),
                         "settings": {k: v for k, v in dataclasses.asdict(spec).items() if k not in WHERE_IT_RUNS}}
        self.held: dict[tuple, Evaluation] = {}
        path = self.folder / "manifest.json"
        if resume and path.exists():
            _same_run(path, json.loads(path.read_text()), json.loads(json.dumps(self.manifest, default=str)))
            self._load_held()
        else:
            if resume and self.folder.exists():
                raise MilkrunError(f"--resume: {self.folder} has no manifest.json, so what it holds cannot be checked",
                                   Span(str(self.folder), 1, 1), hint="start the run again without --resume")
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True)
            text = json.dumps(self.manifest, indent=2, default=str) + "\n"
            _atomic(path, lambda tmp: tmp.write_text(text))
        self.reused = 0

    # ------------------------------------------------------------------ fronts
    def front(self, scenario: str) -> dict | None:
        """A finished front task's result (as front_task returns it), or None."""
        path = self.folder / f"front_{scenario}.json"
        if not path.exists():
            return None
        d = json.loads(path.read_text())
        front = Front(**{k: v for k, v in d["front"].items() if k != "payoff"}, payoff=np.asarray(d["front"]["payoff"]))
        designs = [Configuration(tuple((n, tuple(lab), v) for n, lab, v in c["entries"]),
                                 {n: xr.DataArray.from_dict(a) for n, a in c["values"].items()}) for c in d["designs"]]
        return {"scenario": scenario, "pi": d["pi"], "front": front, "designs": designs, "written": d["written"],
                "seconds": d["seconds"], "resumed": True}

    def save_front(self, result: dict) -> None:
        f: Front = result["front"]
        front = {k: v for k, v in dataclasses.asdict(f).items() if k not in ("plans", "payoff")}
        front["payoff"] = np.asarray(f.payoff, dtype=float).tolist()
        front["points"] = [{k: _plain(v) for k, v in p.items()} for p in f.points]
        designs = [{"entries": [[n, list(lab), v] for n, lab, v in c.entries],
                    "values": {n: da.to_dict() for n, da in c.values.items()}} for c in result["designs"]]
        text = json.dumps({"pi": result["pi"], "front": front, "designs": designs, "written": result["written"],
                           "seconds": result["seconds"]}, default=_plain)
        _atomic(self.folder / f"front_{result['scenario']}.json", lambda tmp: tmp.write_text(text))

    # ------------------------------------------------------------------ held runs
    def _load_held(self) -> None:
        path = self.folder / "held.jsonl"
        if not path.exists():
            return
        for line in path.read_text().splitlines():
            try:
                d = json.loads(line)
            except json.JSONDecodeError:
                continue  # the last line of a run killed while writing it
            self.held[_key(d["case"], d["entries"])] = Evaluation(**d["evaluation"])

    def held_run(self, case: tuple, config: Configuration) -> Evaluation | None:
        return self.held.get(_key(case, config.entries))

    def save_held(self, done: list[tuple[tuple, Configuration, Evaluation]]) -> None:
        with open(self.folder / "held.jsonl", "a") as f:
            for case, config, e in done:
                self.held[_key(case, config.entries)] = e
                f.write(json.dumps({"case": [case[0], list(case[1])], "entries": [[n, list(lab), v] for n, lab, v
                                                                                  in config.entries],
                                    "evaluation": dataclasses.asdict(e)}, default=_plain) + "\n")
            f.flush()


def _key(case, entries) -> str:
    """The same text for a case and configuration whether it comes from this run or from the file."""
    return json.dumps([case[0], list(case[1]), [[n, list(lab), v] for n, lab, v in entries]], default=_plain)


def _plain(x):
    """numpy numbers as Python ones; what JSON has no type for as text."""
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    return x.item() if hasattr(x, "item") else str(x)


def _same_run(path: Path, old: dict, new: dict) -> None:
    """Refuse to resume when a model or data file, or a setting, differs from the run that wrote `path`."""
    text = path.read_text()
    hint = "start the run again without --resume, or in another --out folder"
    check_files(path, text, old, new, f"since the run in {path.parent.parent}", hint)
    check_settings(path, text, old, new, hint)
