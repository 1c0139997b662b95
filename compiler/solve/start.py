"""A MIP start read from a folder of variable tables (`milkrun solve --start DIR`).

The folder has the layout `--out` writes: one `NAME.csv` per variable, index columns
first and the value last. So a time-limited run can be continued from its plan, and a
construction heuristic (`milkrun first-plan`, compiler/studies/routing/) can hand the solver a first plan.
Entries missing from a variable's table are 0 (a heuristic writes only what it sets); a
variable without a table is left to the solver: HiGHS and SCIP complete such a partial
start themselves or reject it. Either way a start only helps the search and never
changes the model.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from milkrun.dsl.diagnostics import MilkrunError, did_you_mean


def read_start(m, folder: str | Path) -> tuple[np.ndarray, dict[str, int]]:
    """Values by linopy label (NaN where the start says nothing), and entries read per variable."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MilkrunError(f"--start: '{folder}' is not a folder of variable tables")
    n_labels = max((int(v.labels.max()) for v in m.variables.data.values() if v.labels.size), default=-1) + 1
    out = np.full(n_labels, np.nan)
    counts: dict[str, int] = {}
    names = set(m.variables.data)
    for path in sorted(folder.glob("*.csv")):
        if path.stem not in names:
            continue  # kpi_*.csv, routes.csv and other tables written beside the variables
        var = m.variables[path.stem]
        counts[path.stem] = _read_one(path, path.stem, var.labels, out)
    if not counts:
        raise MilkrunError(f"--start: no table in '{folder}' is named like a variable of the model",
                           hint=f"expected files such as {', '.join(sorted(names)[:4])}.csv")
    return out, counts


def _read_one(path: Path, name: str, labels, out: np.ndarray) -> int:
    frame = pd.read_csv(path, dtype=str)
    dims = list(labels.dims)
    if list(frame.columns) != dims + [name]:
        raise MilkrunError(f"{path}:1: expected the columns {', '.join(dims + [name])}, "
                           f"found {', '.join(frame.columns)}")
    value = pd.to_numeric(frame[name], errors="coerce")
    bad = value.isna() & frame[name].notna()
    if bad.any():
        row = int(np.flatnonzero(bad.values)[0])
        raise MilkrunError(f"{path}:{row + 2}: '{frame[name].iloc[row]}' is not a number")
    if not dims:
        lab = int(labels.item())
        if lab >= 0 and len(value):
            out[lab] = float(value.iloc[0])
        return int(len(value) > 0)
    # match the table's keys to the variable's coordinates as text (CSV keys carry no type)
    lab = labels.to_series()
    lab.index = pd.MultiIndex.from_arrays([lab.index.get_level_values(i).astype(str) for i in range(len(dims))]) \
        if len(dims) > 1 else lab.index.astype(str)
    keys = pd.MultiIndex.from_frame(frame[dims]) if len(dims) > 1 else pd.Index(frame[dims[0]])
    pos = lab.index.get_indexer(keys)
    if (pos < 0).any():
        row = int(np.flatnonzero(pos < 0)[0])
        key = keys[row]
        key = key if isinstance(key, tuple) else (key,)
        for d, k in zip(dims, key):
            valid = lab.index.get_level_values(dims.index(d)) if len(dims) > 1 else lab.index
            if k not in set(valid):
                raise MilkrunError(f"{path}:{row + 2}: '{k}' is not an element of the index '{d}' of '{name}'",
                                   hint=did_you_mean(k, sorted(set(valid))))
        raise MilkrunError(f"{path}:{row + 2}: {name}[{', '.join(key)}] is not an entry of the variable "
                           "(its 'where' leaves it out)")
    every = lab.values[lab.values >= 0]
    out[every] = 0.0  # entries the table does not list are 0
    labs = lab.values[pos]
    ok = labs >= 0
    out[labs[ok]] = value.values[ok]
    return int(ok.sum())


def broken_rows(m, x: np.ndarray, tol: float = 1e-6) -> pd.DataFrame:
    """Every bound and row a plan breaks, with by how much (rows whose variables it all sets).

    One row per break: family, index, the plan's activity, the sense, the limit, and the
    excess (always positive: how far past the limit)."""
    M = m.matrices
    vlabels = np.asarray(M.vlabels)
    xv = x[vlabels]
    known = ~np.isnan(xv)
    out = []
    lb, ub, vt = np.asarray(M.lb, float), np.asarray(M.ub, float), np.asarray(M.vtypes).astype(str)
    over = np.where(known, np.maximum(lb - xv, xv - ub), 0.0)
    frac = np.where(known & np.isin(vt, ["B", "I"]), np.abs(xv - np.round(xv)), 0.0)
    for j in np.flatnonzero((over > tol) | (frac > tol)):
        name, coord = m.variables.get_label_position(int(vlabels[j]))
        out.append((name, _at(coord), xv[j], "in", f"[{lb[j]:g}, {ub[j]:g}]", max(over[j], frac[j]), "bound"))
    if M.A is not None:
        A = M.A.tocsr()
        full = np.asarray((A != 0).astype(float) @ (~known).astype(float)).ravel() == 0
        act = A @ np.where(known, xv, 0.0)
        b, sense = np.asarray(M.b, float), np.asarray(M.sense).astype(str)
        scale = tol * np.maximum(1.0, np.abs(b))
        excess = np.select([sense == "<", sense == ">"], [act - b, b - act], np.abs(act - b))
        clabels = np.asarray(M.clabels)
        for r in np.flatnonzero(full & (excess > scale)):
            name, coord = m.constraints.get_label_position(int(clabels[r]))
            op = {"<": "<=", ">": ">=", "=": "=="}[sense[r]]
            out.append((name, _at(coord), act[r] + 0.0, op, b[r] + 0.0, excess[r], "row"))
    return pd.DataFrame(out, columns=["family", "at", "activity", "op", "limit", "excess", "kind"])


def start_problems(m, start: np.ndarray, limit: int = 5) -> list[str]:
    """Where a start breaks the model: bounds, integrality, and rows whose variables it all sets.

    Solvers drop a start that breaks a constraint without saying why; milkrun says which
    constraint and index, so a heuristic or an edited plan can be fixed.
    """
    broken = broken_rows(m, start)
    problems = []
    for r in broken.head(limit).itertuples():
        if r.kind == "bound":
            problems.append(f"{r.family}{r.at} = {r.activity:g} is outside its bounds or not integral")
        else:
            problems.append(f"{r.family}{r.at}: {r.activity:.6g} {r.op} {r.limit:.6g} does not hold")
    if len(broken) > len(problems):
        problems.append(f"… {len(broken) - len(problems)} more")
    return problems


def _at(coord: dict | None) -> str:
    return f"[{', '.join(str(v) for v in coord.values())}]" if coord else ""
