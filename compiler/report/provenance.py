"""Where a result came from: hashes of the model, its includes and its data, and the versions of
milkrun, the packages and the solvers. A solve's summary.json and a sweep's manifest record them,
so that a number can be traced to exactly what produced it.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from milkrun.compiler.solve.stdout_guard import silenced
from milkrun.dsl.includes import load

PACKAGES = ("milkrun", "linopy", "highspy", "pyscipopt", "xarray", "numpy", "pandas", "dask", "distributed",
            "netCDF4", "lark")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_files(model: Path, include_path=None) -> list[Path]:
    """The model file and every file whose statements it includes (each statement keeps its file)."""
    files = {Path(model).resolve()}
    for st in load(model, list(include_path) if include_path else None).statements:
        span = getattr(st, "span", None)
        if span is not None and span.file and Path(span.file).is_file():
            files.add(Path(span.file).resolve())
    return sorted(files)


def data_files(data_dir: Path | None) -> list[Path]:
    """The files the data stage reads: every .csv in the data folder (compiler/data/csv_tables.py)."""
    return sorted(Path(data_dir).glob("*.csv")) if data_dir is not None and Path(data_dir).is_dir() else []


def hashes(model: Path, data_dir: Path | None) -> dict:
    """Model files by path relative to the model's folder, data files by name: a project moved
    as a whole keeps its hashes."""
    base = Path(model).resolve().parent
    return {"model": {os.path.relpath(f, base): sha256(f) for f in model_files(model)},
            "data": {f.name: sha256(f) for f in data_files(data_dir)}}


def versions() -> dict:
    return package_versions(PACKAGES)


def package_versions(names) -> dict[str, str | None]:
    """The installed version of each distribution in `names` (None: not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def solver_versions() -> dict:
    out = {}
    try:
        import highspy

        with silenced(True):  # HiGHS prints its banner when an instance is made
            out["highs"] = highspy.Highs().version()
    except Exception:  # noqa: BLE001 - a missing solver is recorded as missing
        out["highs"] = None
    try:
        import pyscipopt

        m = pyscipopt.Model()
        out["scip"] = f"{m.getMajorVersion()}.{m.getMinorVersion()}.{m.getTechVersion()}"
    except Exception:  # noqa: BLE001
        out["scip"] = None
    return out
