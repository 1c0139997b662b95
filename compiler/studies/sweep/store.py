"""A sweep's files: one netCDF file per finished point, written the moment it arrives, and the
assembled Dataset and CSV built from them.

    OUT/points/00003-3fa9c2e1b7d0.nc   one point (index-key): its outcome, kpis, variables
    OUT/sweep.nc                        every point, along the sweep's dimensions
    OUT/points.csv                      one row per point: coordinates, status, scalars, error

A point file is written to a temporary name and renamed, so a file that exists is complete:
a sweep killed at any moment keeps every point it had received, and `--resume` trusts what it
finds. The point files are the record; sweep.nc and points.csv are rebuilt from them.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from milkrun.compiler.studies.sweep.points import Plan, Point

PENDING = "pending"  # status of a point with no file yet, in an assembled Dataset


def _atomic(path: Path, write) -> Path:
    """write(tmp_path) then rename over `path`: readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix + ".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class PointStore:
    def __init__(self, out: Path):
        self.out = Path(out)
        self.dir = self.out / "points"

    def path(self, point: Point) -> Path:
        return self.dir / f"{point.index:05d}-{point.key}.nc"

    def save(self, point: Point, outcome: dict) -> xr.Dataset:
        """The worker's outcome as the point's file; returns the Dataset written."""
        ds = xr.Dataset.from_dict(outcome["dataset"])
        ds.attrs.update({"index": point.index, "key": point.key, "label": point.label,
                         "point": json.dumps(point.as_json()), "host": str(outcome.get("host", "")),
                         "pid": int(outcome.get("pid", -1)), "attempt": int(outcome.get("attempt", 1))})
        for old in self.dir.glob(f"*-{point.key}.nc"):  # the same point under another index (--force)
            if old != self.path(point):
                old.unlink(missing_ok=True)
        _atomic(self.path(point), lambda tmp: ds.to_netcdf(tmp, engine="netcdf4"))
        return ds

    def load(self, warn=None) -> dict[str, xr.Dataset]:
        """Every complete point file, by point key. A file that cannot be read as a point (cut
        short or garbled by a disk, a copy or a hand) is left out with a warning, so that its point
        is run again (and its file replaced) rather than the whole sweep refused."""
        warn = warn or (lambda text: sys.stderr.write(f"warning: {text}\n"))
        found = {}
        for f in sorted(self.dir.glob(".*.tmp")) if self.dir.is_dir() else []:
            f.unlink(missing_ok=True)  # a write cut short by a kill: the point was not finished
        for f in sorted(self.dir.glob("*.nc")) if self.dir.is_dir() else []:
            if f.name.startswith("."):
                continue
            try:
                ds = _read_point(f)
            except Exception as e:  # noqa: BLE001 - netCDF/HDF5 report damage by many exception types
                warn(f"{f}: damaged point file ({_first_line(e)}); its point is run again")
                continue
            found[str(ds.attrs["key"])] = ds
        return found

    def has_points(self) -> bool:
        return self.dir.is_dir() and any(f for f in self.dir.glob("*.nc") if not f.name.startswith("."))


def _read_point(f: Path) -> xr.Dataset:
    """A point file as PointStore.save wrote it, or an exception saying what is wrong with it."""
    ds = xr.load_dataset(f, engine="netcdf4")
    if "status" not in ds:
        raise ValueError("no 'status' in it")
    key = str(ds.attrs.get("key", ""))
    if key != f.stem.split("-", 1)[-1]:
        raise ValueError(f"its key {key!r} is not the one in its name")
    return ds


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def _fills(datasets) -> dict:
    """What an absent entry holds: NaN for numbers, '' for text, 'pending' for a status."""
    fills = {}
    for ds in datasets:
        for name, da in ds.data_vars.items():
            if name in fills:
                continue
            if da.dtype.kind in "USO":
                fills[name] = PENDING if name == "status" else ""
            elif da.dtype.kind == "b":
                fills[name] = False
            else:
                fills[name] = np.nan
    return fills


def assemble(plan: Plan, finished: dict[str, xr.Dataset], attrs: dict | None = None) -> xr.Dataset:
    """One Dataset over the sweep's dimensions (first) and each item's own dimensions (after),
    from the finished points; a point not finished has status 'pending' and NaN elsewhere."""
    present = [p for p in plan.points if p.key in finished]
    dims = list(plan.dims)
    parts = [finished[p.key].expand_dims(point=[p.index]) for p in present]
    fills = _fills(parts) or {"status": PENDING}
    if parts:
        ds = xr.concat(parts, dim="point", join="outer", data_vars="all", coords="minimal", compat="override",
                       fill_value=fills, combine_attrs="drop")
    else:
        ds = xr.Dataset({"status": ("point", np.array([], dtype=str))}, coords={"point": []})
    for v, fill in fills.items():  # integer-valued arrays padded with NaN come back as float; text stays text
        if isinstance(fill, str) and v in ds:
            ds[v] = ds[v].astype(str)
    if len(dims) == 1:
        (d,) = dims
        ds = ds.assign_coords({d: ("point", [p.coords[d] for p in present])}).swap_dims(point=d).drop_vars("point")
    else:
        mi = pd.MultiIndex.from_arrays([[p.coords[d] for p in present] for d in dims], names=dims)
        ds = ds.drop_vars("point").assign_coords(xr.Coordinates.from_pandas_multiindex(mi, "point"))
        ds = ds.unstack("point", fill_value=fills)
    ds = ds.reindex({d: plan.dims[d] for d in dims}, fill_value=fills)
    for v, fill in fills.items():
        if isinstance(fill, str):
            ds[v] = ds[v].astype(str)
    ds = ds.transpose(*dims, ...)
    ds.attrs = {k: (json.dumps(v) if isinstance(v, (dict, list, tuple)) else ("" if v is None else v))
                for k, v in (attrs or {}).items()}
    return ds


def points_frame(plan: Plan, finished: dict[str, xr.Dataset]) -> pd.DataFrame:
    """One row per point of the plan: coordinates, status, every scalar outcome, error text."""
    rows = []
    for p in plan.points:
        row = {"index": p.index, **p.coords}
        ds = finished.get(p.key)
        if ds is None:
            row["status"] = PENDING
        else:
            for name, da in ds.data_vars.items():
                if da.ndim == 0:
                    v = da.item()
                    row[name] = v.decode() if isinstance(v, bytes) else v
        rows.append(row)
    frame = pd.DataFrame(rows)
    first = ["index", *plan.dims, "status", "has_plan", "objective", "bound", "gap"]
    last = ["front_size", "seconds", "cpu_seconds", "solve_seconds", "compile_seconds", "error"]
    cols = ([c for c in first if c in frame] + sorted(c for c in frame if c not in first and c not in last)
            + [c for c in last if c in frame])
    return frame[cols]


def write_outputs(out: Path, plan: Plan, finished: dict[str, xr.Dataset], attrs: dict) -> xr.Dataset:
    """sweep.nc and points.csv, each replaced atomically."""
    ds = assemble(plan, finished, attrs)
    _atomic(Path(out) / "sweep.nc", lambda tmp: ds.to_netcdf(tmp, engine="netcdf4"))
    frame = points_frame(plan, finished)
    _atomic(Path(out) / "points.csv", lambda tmp: frame.to_csv(tmp, index=False))
    return ds
