"""OUT/manifest.json: what a sweep was run on, so its numbers can be trusted and reproduced.

It holds the sha256 of the model file and of every file it includes, of every CSV file in the
data folder (those of the bytes the workers were sent: shipping.Bundle.hashes), the settings of each point's solve, the points, the command line, the start and
end of each run, and the versions of Python, the packages and the solvers. `--resume` compares
the model, the data, the points and the settings with it and refuses to mix results of two
different sweeps in one folder (unless `--force`).
"""
from __future__ import annotations

import datetime as _dt
import json
import platform
import sys
from pathlib import Path

from milkrun.compiler.report.provenance import hashes, solver_versions, versions
from milkrun.compiler.studies.sweep.store import _atomic
from milkrun.dsl.diagnostics import MilkrunError, Span


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).astimezone().isoformat(timespec="seconds")


def new_manifest(model: Path, data_dir: Path | None, settings: dict, plan, options: dict, bundle=None) -> dict:
    """`bundle`: the files as read for the workers (shipping.Bundle); without it they are read here."""
    return {
        "milkrun_sweep": 1,
        "model": str(Path(model).resolve()),
        "data": str(Path(data_dir).resolve()) if data_dir is not None else None,
        "files": bundle.hashes if bundle is not None else hashes(model, data_dir),
        "shipped": {"sha256": bundle.digest, "files": len(bundle.files), "bytes": bundle.size}
        if bundle is not None else None,
        "settings": settings,
        "dims": {k: list(v) for k, v in plan.dims.items()},
        "points": [p.as_json() for p in plan.points],
        "command": list(sys.argv),
        "options": options,
        "started": now(),
        "finished": None,
        "runs": [],
        "python": sys.version,
        "platform": platform.platform(),
        "versions": versions(),
        "solvers": solver_versions(),
    }


def write(path: Path, manifest: dict) -> None:
    text = json.dumps(manifest, indent=2, default=str) + "\n"
    _atomic(Path(path), lambda tmp: tmp.write_text(text))


def read(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise MilkrunError(f"--resume: cannot read {path} ({e})", Span(str(path), 1, 1))


def check_resume(path: Path, old: dict, new: dict) -> None:
    """Raise a located error naming the first thing that differs: a model file, a data file,
    the points, a setting."""
    text = Path(path).read_text()
    hint = "resume with --force to use the finished points anyway, or start a new sweep in another --out folder"
    check_files(path, text, old, new, "since this sweep started", hint)
    old_keys = [p["key"] for p in old.get("points", [])]
    new_keys = [p["key"] for p in new["points"]]
    if old_keys != new_keys:
        gone = len(set(old_keys) - set(new_keys))
        added = len(set(new_keys) - set(old_keys))
        what = (f"{added} point(s) are new and {gone} are no longer in the sweep" if gone or added
                else "the points are in another order")
        raise MilkrunError(f"--resume: the points differ from this sweep's ({len(old_keys)} then, "
                           f"{len(new_keys)} now: {what})", _where(path, text, '"points"'), hint=hint)
    check_settings(path, text, old, new, hint)


def check_files(path: Path, text: str, old: dict, new: dict, since: str, hint: str) -> None:
    """The model's and the data's files (`files`: kind -> name -> sha256) must be those of `old`."""
    for kind in ("model", "data"):
        a, b = old.get("files", {}).get(kind, {}), new["files"][kind]
        for name in sorted(set(a) | set(b)):
            if a.get(name) == b.get(name):
                continue
            if name not in b:
                what = f"{kind} file '{name}' is gone {since}"
            elif name not in a:
                what = f"{kind} file '{name}' is new {since}"
            else:
                what = f"{kind} file '{name}' changed {since} (sha256 {a[name][:12]}… then, {b[name][:12]}… now)"
            raise MilkrunError(f"--resume: the {what}", _where(path, text, name), hint=hint)


def check_settings(path: Path, text: str, old: dict, new: dict, hint: str) -> None:
    """Every setting must be what it was in `old`."""
    for key in sorted(set(old.get("settings", {})) | set(new["settings"])):
        a, b = old.get("settings", {}).get(key), new["settings"].get(key)
        if json.dumps(a, sort_keys=True, default=str) != json.dumps(b, sort_keys=True, default=str):
            raise MilkrunError(f"--resume: the setting '{key}' was {json.dumps(a, default=str)}, now "
                               f"{json.dumps(b, default=str)}", _where(path, text, f'"{key}"'), hint=hint)


def _where(path: Path, text: str, needle: str) -> Span:
    for i, line in enumerate(text.splitlines(), start=1):
        col = line.find(needle if needle.startswith('"') else f'"{needle}"')
        if col >= 0:
            return Span(str(path), i, col + 1, i, col + 1 + len(needle) + (0 if needle.startswith('"') else 2))
    return Span(str(path), 1, 1)
