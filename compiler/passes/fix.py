"""Fix decisions to given values: the step behind what-if runs (digital twin, FePIA).

A design found under one set of data is held while the data changes; the solver then
re-optimises only what is left free. The step is invertible (linopy keeps the original
bounds), so `unfix` returns the model as it was.
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from milkrun.compiler.build.linopy_model import BuiltModel
from milkrun.compiler.model.ir import ModelIR
from milkrun.dsl.diagnostics import MilkrunError


def design_names(ir: ModelIR) -> list[str]:
    names = [s.name for s in ir.design_variables]
    if not names:
        raise MilkrunError("this model marks no variable as 'design' (write `var NAME[...] binary design`), so "
                           "there is no design to hold fixed", None)
    return names


def fix_variables(built: BuiltModel, values: dict[str, xr.DataArray]) -> dict[str, int]:
    """Collapse the bounds of each named variable onto `values` (aligned by label).

    Entries the values do not cover (or masked ones) are an error: a half-fixed design
    would silently become a different question. Returns how many entries each fix holds."""
    m = built.linopy
    held = {}
    for name, value in values.items():
        var = m.variables[name]
        coords = {d: var.coords[d] for d in var.dims}
        value = value.astype(float)
        missing = [d for d in var.dims if d not in value.dims]
        if missing:
            raise MilkrunError(f"the values to fix '{name}' lack its dimension(s) {', '.join(missing)}", None)
        value = value.reindex(coords)
        active = var.labels >= 0
        if bool((value.isnull() & active).any()):
            raise MilkrunError(f"the values to fix '{name}' do not cover every entry of it", None)
        value = value.fillna(0.0)
        if var.attrs.get("binary") or var.attrs.get("integer"):
            value = value.round()
        var.fix(value.transpose(*var.dims))
        held[name] = int(active.sum())
    return held


def unfix_variables(built: BuiltModel, names) -> None:
    for name in names:
        built.linopy.variables[name].unfix()


def solution_values(solution: xr.Dataset, names) -> dict[str, xr.DataArray]:
    """The named variables of a solved plan, with masked entries as 0 (what they mean in the model)."""
    out = {}
    for n in names:
        v = solution[n]
        out[n] = v.where(np.isfinite(v), 0.0)
    return out
