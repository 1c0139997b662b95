"""What a solve returns: status, objective(s), bound, gap, timings and the variable values
as an xarray Dataset, plus its JSON and file forms."""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

STATUSES = ("optimal", "feasible", "infeasible", "unbounded", "time_limit", "interrupted", "error")
EXIT_INTERRUPTED = 130  # as a shell reports a process ended by SIGINT (compiler/cli/command.py uses the same)


def interrupted_message(has_plan: bool) -> str:
    """What a solve stopped by Ctrl-C (SIGINT) says, with or without a plan to report."""
    if has_plan:
        return "interrupted (Ctrl-C): the best plan found so far is reported, not proven optimal"
    return "interrupted (Ctrl-C) before the solver found any plan"


@dataclass
class Result:
    status: str
    solver: str
    model: str | None = None
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    primary: str | None = None
    sense: str | None = None
    objectives: dict[str, float | None] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    termination: str = ""
    message: str | None = None
    solution: xr.Dataset = field(default_factory=xr.Dataset)
    size: dict[str, int] = field(default_factory=dict)
    why: list[str] = field(default_factory=list)  # what is known about an infeasible model
    tours: dict[str, dict] = field(default_factory=dict)  # tour family -> {index: [cycles of nodes]}
    extra: dict = field(default_factory=dict)  # solver-path details (lazy rounds and cuts, ...)
    kpis: dict[str, xr.DataArray] = field(default_factory=dict)  # the model's kpi figures on this solution
    kpi_docs: dict[str, str | None] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)  # `unit "..."` of the objectives, variables and kpis
    tour_families: list = field(default_factory=list, repr=False)  # for maps: nodes and start of each tour
    robust: dict | None = None  # the robust counterpart: what was added, nominal values, worst cases
    solver_choice: str | None = None  # with --solver auto: why this solver ("linear → highs")
    added: dict[str, str] = field(default_factory=dict)  # variables a pass added (not the user's): what they are
    labels: dict[str, str] = field(default_factory=dict)  # of those, how reports call them ("use: worst case per
    #                                                       entry of a"); the others by their name
    provenance: dict | None = None  # versions and input hashes (compiler/report/provenance.py), for summary.json
    duals: dict[str, xr.DataArray] | None = None  # with --duals: constraint family → dual of each row
    reduced_costs: dict[str, xr.DataArray] | None = None  # with --duals: variable → reduced cost of each entry
    duals_of: str | None = None  # "the LP", or "the LP with the integer variables fixed at the plan"
    duals_note: str | None = None  # why there are none, or what they leave out

    @property
    def has_solution(self) -> bool:
        return (self.status in ("optimal", "feasible", "time_limit", "interrupted")
                and len(self.solution.data_vars) > 0)

    @property
    def interrupted(self) -> bool:
        """Ctrl-C stopped the solver: with a plan (the best found so far) or without one. Solver
        paths say so by the status "interrupted"; the termination text catches the others
        (HiGHS's "interrupted by user", SCIP's "userinterrupt")."""
        return (self.status == "interrupted" or bool(self.extra.get("interrupted"))
                or "interrupt" in self.termination.lower())

    @property
    def exit_code(self) -> int:
        """0 a plan, 1 none, 130 stopped by Ctrl-C (whether or not it has a plan to report)."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        return 0 if self.has_solution else 1

    def summary(self) -> dict:
        return {
            "status": "interrupted" if self.interrupted else self.status,
            "objective": _num(self.objective),
            "bound": _num(self.bound),
            "gap": _num(self.gap),
            "solver": self.solver,
            "solver_choice": self.solver_choice,
            "seconds": round(self.seconds.get("total", 0.0), 4),
            "timings": {k: round(v, 4) for k, v in self.seconds.items()},
            "model": self.model,
            "primary": self.primary,
            "sense": self.sense,
            "objectives": {k: _num(v) for k, v in self.objectives.items()},
            "termination": self.termination,
            "message": self.message,
            "size": self.size,
            "why": self.why,
            "routes": {name: [{"index": [_jsonable(x) for x in k], "route": [_jsonable(x) for x in (r[0] if r else [])]}
                              for k, r in routes.items()]
                       for name, routes in self.tours.items()},
            "kpis": {name: _kpi_json(da) for name, da in self.kpis.items()},
            "units": dict(self.units),
            "robust": self.robust,
            "added_variables": {self.label(n): why for n, why in self.added.items()},
            "details": self.extra,
            **(self._duals_json() if self.duals is not None else {}),
        }

    def label(self, name: str) -> str:
        """A variable as reports call it: a pass's own by what it stands for, the model's by its name."""
        return self.labels.get(name, name)

    def shown(self, name: str) -> xr.DataArray:
        """A variable's values as reports show them (shown(), under the name `label` gives)."""
        return shown(self.solution[name]).rename(self.label(name))

    def _duals_json(self) -> dict:
        """--duals: every row's dual and every entry's reduced cost, keyed by element ("e1,e2" for two or
        more indices; a number alone for a family without index)."""
        return {"duals_of": self.duals_of, "duals_note": self.duals_note,
                "duals": {name: _keyed(da) for name, da in self.duals.items()},
                "reduced_costs": {name: _keyed(da) for name, da in (self.reduced_costs or {}).items()}}

    def to_json(self) -> str:
        return json.dumps(self.summary(), indent=2)

    def nonzero(self, name: str, tol: float = 1e-9):
        """The variable's non-zero entries as a pandas Series (index: its indices)."""
        da = self.solution[name]
        if da.ndim == 0:
            return da.to_series() if hasattr(da, "to_series") else da
        s = da.to_series().dropna()
        return s[s.abs() > tol]

    def write(self, out: Path) -> list[Path]:
        """One CSV per variable, a NetCDF file of all of them, and the JSON summary."""
        out.mkdir(parents=True, exist_ok=True)
        written = [_write_csv(out / f"{name}.csv", name, da) for name, da in self.solution.data_vars.items()
                   if name not in self.added]
        if self.added:  # the passes' own variables, apart from the model's, named by what they stand for
            (out / "added").mkdir(exist_ok=True)
            written += [_write_csv(out / "added" / f"{file_name(self.label(name))}.csv", self.label(name),
                                   self.shown(name)) for name in self.added]
        written += [_write_csv(out / f"kpi_{name}.csv", name, da) for name, da in self.kpis.items()]
        written += [_write_csv(out / f"dual_{name}.csv", "dual", da) for name, da in (self.duals or {}).items()]
        written += [_write_csv(out / f"reduced_cost_{name}.csv", "reduced_cost", da)
                    for name, da in (self.reduced_costs or {}).items() if name not in self.added]
        if self.tours:
            rows = ["tour,index,stop,node"]
            for name, routes in self.tours.items():
                for key, cycles in routes.items():
                    for stop, node in enumerate(cycles[0] if cycles else []):
                        rows.append(f"{name},{'/'.join(str(k) for k in key)},{stop},{node}")
            p = out / "routes.csv"
            p.write_text("\n".join(rows) + "\n")
            written.append(p)
        nc = out / "solution.nc"
        ds = xr.Dataset({(file_name(self.label(n)) if n in self.added else n): (self.shown(n) if n in self.added else da)
                         for n, da in self.solution.data_vars.items()})
        for name in self.solution.data_vars:  # the CF convention's attribute, which NetCDF readers show
            if name in self.units and name not in self.added:
                ds[name].attrs["units"] = self.units[name]
        ds.attrs = {k: (json.dumps(v) if isinstance(v, (dict, list)) else ("" if v is None else v))
                    for k, v in self.summary().items() if k not in ("duals", "reduced_costs")}  # (their CSVs)
        ds = _netcdf_safe(ds)
        ds.to_netcdf(nc, engine="netcdf4")
        written.append(nc)
        js = out / "summary.json"
        js.write_text(json.dumps({**self.summary(), "provenance": self.provenance}, indent=2) + "\n")
        written.append(js)
        return written


def shown(da: xr.DataArray) -> xr.DataArray:
    """A pass's variable as shown to people: the robust pass's entry dimension `_u` (values such as
    `price[p1,m2]`) is called `entry`."""
    return da.rename({"_u": "entry"}) if "_u" in da.dims and "entry" not in da.dims else da


def file_name(label: str) -> str:
    """A label as a file (or NetCDF variable) name: "use: worst case per entry of a" is
    use-worst-case-per-entry-of-a; a plain name stays as it is."""
    return re.sub(r"[^A-Za-z0-9_.]+", "-", label).strip("-") or "added"


def _write_csv(path: Path, name: str, da: xr.DataArray) -> Path:
    """One column per index, then the value; entries a `where` left out are not written."""
    if da.ndim == 0:
        path.write_text(f"{name}\n{_csv_num(da.item())}\n")
    else:
        da.to_series().dropna().rename(name).to_frame().to_csv(path)
    return path


def _netcdf_safe(ds: xr.Dataset) -> xr.Dataset:
    """NetCDF cannot store mixed-type labels; write them as text."""
    for name, idx in ds.indexes.items():
        if idx.dtype == object:
            ds = ds.assign_coords({name: [str(v) for v in idx]})
    return ds


def _kpi_json(da: xr.DataArray):
    """A scalar kpi as a number; an indexed one as a list of {index..., value} records."""
    if da.ndim == 0:
        return _num(da.item())
    s = da.to_series().dropna()
    records = []
    for key, value in s.items():
        key = key if isinstance(key, tuple) else (key,)
        rec = {str(d): _jsonable(k) for d, k in zip(da.dims, key)}
        rec["value"] = _num(value)
        records.append(rec)
    return records


def _keyed(da: xr.DataArray):
    """An array as {"element": value} ({"e1,e2": value} over two or more dimensions), entries a `where`
    left out omitted; a scalar as a number."""
    if da.ndim == 0:
        return _plus(_num(da.item()))
    out = {}
    for key, value in da.to_series().dropna().items():
        key = key if isinstance(key, tuple) else (key,)
        out[",".join(str(_jsonable(k)) for k in key)] = _plus(_num(value))
    return out


def _plus(v):
    """-0.0 (a solver's zero dual on a minimising row) written as 0.0."""
    return v + 0.0 if v is not None else None


def _jsonable(v):
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def _num(v):
    if v is None:
        return None
    v = float(v)
    if math.isnan(v) or math.isinf(v):
        return None
    return v


def _csv_num(v) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else repr(float(v))
