"""Duals of the constraint rows and reduced costs of the variables, from HiGHS on the LP.

Whatever solver found the plan, the duals are computed here by HiGHS, on the linear programme:
the model itself when it is an LP, and for a MIP the LP that remains when every integer variable
is fixed at the plan's value. The values are read back by linopy label, as the primal values are
(compiler/solve/highs.py), and given one array per constraint family and per variable family, on
the family's own index.

Sign convention (docs/language.md, "Duals"): the build writes every row as `a·x (op) b`, its
variables on the left and its constant on the right. A row's dual is the change of the optimal
objective per unit increase of b; a variable's reduced cost is the change of the optimal
objective per unit increase of the variable (at a bound: per unit the bound moves up). Both hold
for minimising and maximising alike, and are what HiGHS reports.
"""
from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from milkrun.compiler.build.linopy_model import plan_vector
from milkrun.dsl.diagnostics import MilkrunError

OF_LP = "the LP"
OF_FIXED = "the LP with the integer variables fixed at the plan"


@dataclass
class Duals:
    rows: dict[str, xr.DataArray] = field(default_factory=dict)     # constraint family → dual of each row
    columns: dict[str, xr.DataArray] = field(default_factory=dict)  # variable family → reduced cost of each entry
    of: str | None = None   # OF_LP or OF_FIXED; None when there are none
    note: str | None = None  # why there are none, or what they leave out
    seconds: float = 0.0


def refuse_nonlinear(ir) -> None:
    """Duals are those of a linear programme: a nonlinear model is refused before it is solved."""
    if not ir.nonlinear:
        return
    span, what = ir.nonlinear[0]
    raise MilkrunError(f"--duals needs a linear model; this one is nonlinear here ({what})", span,
                       hint="duals and reduced costs are those of a linear programme; solve without --duals")


def has_integers(m) -> bool:
    return any(v.attrs.get("integer") or v.attrs.get("binary") for v in m.variables.data.values())


def lp_duals(built, solution: xr.Dataset, optimal: bool, time_limit: float | None = None) -> Duals:
    """The duals of `built` at the plan `solution` (one array per variable). `optimal`: the plan was
    proven optimal; an LP's duals are only given then (a MIP's are those of its plan, proven or not)."""
    import highspy

    t0 = time.perf_counter()
    m = built.linopy
    mip = has_integers(m)
    lazy = [t.name for t in built.tours if t.method == "lazy"]
    if not mip and not optimal:
        return Duals(note="no duals: the LP was not solved to optimality")
    h = m.to_highspy()
    h.setOptionValue("output_flag", False)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    vlabels = np.asarray(m.matrices.vlabels)
    if mip:  # the integer variables held at the plan: what is left is an LP
        vtypes = np.asarray(m.matrices.vtypes)
        cols = np.flatnonzero((vtypes == "B") | (vtypes == "I")).astype(np.int32)
        held = np.round(plan_vector(m, solution)[vlabels[cols]]).astype(float)
        h.changeColsIntegrality(len(cols), cols, np.zeros(len(cols), dtype=np.uint8))
        h.changeColsBounds(len(cols), cols, held, held)
    with contextlib.redirect_stdout(sys.stderr):  # stdout keeps exactly the report
        h.run()
    status = h.getModelStatus()
    solution = h.getSolution()
    if status != highspy.HighsModelStatus.kOptimal or not solution.dual_valid:
        return Duals(note=f"no duals: HiGHS ended {'the LP' if not mip else 'the LP with the integers fixed'} "
                          f"with '{h.modelStatusToString(status).lower()}'", seconds=time.perf_counter() - t0)
    clabels = np.asarray(m.matrices.clabels)
    by_row = np.full(_n_rows(m), np.nan)
    by_row[clabels] = np.asarray(solution.row_dual, dtype=float)
    by_col = np.full(max(int(vlabels.max(initial=-1)) + 1, 0), np.nan)
    by_col[vlabels] = np.asarray(solution.col_dual, dtype=float)
    duals = Duals(of=OF_FIXED if mip else OF_LP)
    duals.rows = {name: _by_label(c.labels, by_row) for name, c in m.constraints.data.items()}
    duals.columns = {name: _by_label(v.labels, by_col) for name, v in m.variables.data.items()}
    if lazy:
        duals.note = (f"the rows of {', '.join(repr(t) for t in lazy)} are added lazily and are not in the model, "
                      "so they have no duals (--tour flow or mtz puts them in)")
    duals.seconds = time.perf_counter() - t0
    return duals


def _n_rows(m) -> int:
    return max((int(c.labels.max()) for c in m.constraints.data.values() if c.labels.size), default=-1) + 1


def _by_label(labels: xr.DataArray, by: np.ndarray) -> xr.DataArray:
    lab = labels.values
    ok = (lab >= 0) & (lab < len(by))
    arr = np.where(ok, by[np.where(ok, lab, 0)], np.nan) if by.size else np.full(lab.shape, np.nan)
    return xr.DataArray(arr, dims=labels.dims, coords=labels.coords)
