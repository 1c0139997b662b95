"""What `model.solve` returns: the solve's Result (compiler/solve/result.py: status, objectives, bound,
gap, the solution as an xarray Dataset, kpis, duals, units, to_json), with its routes and a display
for Jupyter."""
from __future__ import annotations

import dataclasses

from milkrun.compiler.api.display import ROWS, esc, nonzero_table, number, table
from milkrun.compiler.solve import result as core

SENSES = {"min": "minimised", "max": "maximised"}


class Result(core.Result):
    """The outcome of one solve. `solution` holds every variable (an xarray Dataset over the model's
    dimensions), `kpis` every kpi, `duals` and `reduced_costs` (with `duals=True`) one array per
    constraint family and per variable; `units` the `unit "..."` of objectives, variables and kpis."""

    @classmethod
    def of(cls, result: core.Result) -> "Result":
        return cls(**{f.name: getattr(result, f.name) for f in dataclasses.fields(result)})

    @property
    def routes(self) -> dict[str, dict[tuple, list]]:
        """Each tour family's route per index, as the list of its stops from the start:
        `{"routes": {("k1",): ["depot", "f3", "f1", "depot"], ...}}`; empty without tours."""
        return {name: {tuple(map(_plain, key)): [_plain(s) for s in cycles[0]] if cycles else []
                       for key, cycles in routes.items()}
                for name, routes in self.tours.items()}

    def __repr__(self) -> str:
        what = f"{self.model}: " if self.model else ""
        line = f"<milkrun Result {what}{self.status}"
        if self.objective is not None and self.primary:
            line += f", {self.primary} = {number(self.objective)}"
            unit = self.units.get(self.primary)
            line += f" {unit}" if unit else ""
        return line + ">"

    def _repr_html_(self) -> str:
        out = ['<div class="milkrun-result">']
        seconds = self.seconds.get("total", sum(v for k, v in self.seconds.items() if k != "total"))
        title = f"<b>{esc(self.model or 'model')}</b>: {esc(self.status)}"
        out.append(f"<p>{title} <small>({esc(self.solver_choice or self.solver)}, {seconds:.2f} s)</small></p>")
        if self.message:
            out.append(f"<p>{esc(self.message)}</p>")
        out += [f"<p>{esc(w)}</p>" for w in self.why]
        rows = []
        for name, value in self.objectives.items():
            sense = f" ({SENSES.get(self.sense, self.sense)})" if name == self.primary and self.sense else ""
            rows.append([f"{name}{sense}", number(value), self.units.get(name, "")])
        if self.bound is not None and self.status != "optimal":
            rows.append(["best bound", number(self.bound), self.units.get(self.primary or "", "")])
        if self.gap is not None and self.status != "optimal":
            rows.append(["gap", f"{100 * self.gap:.2f} %", ""])
        if rows:
            out.append(table(["objective", "value", "unit"], rows))
        scalars = [[name, number(da.item()), self.units.get(name, "")] for name, da in self.kpis.items()
                   if da.ndim == 0]
        if scalars:
            out.append(table(["kpi", "value", "unit"], scalars))
        if self.has_solution:
            for name, da in self.solution.data_vars.items():
                if name in self.added:
                    continue
                unit = self.units.get(name)
                part = nonzero_table(da, f"{name}" + (f" ({unit})" if unit else "") + ": non-zero entries", ROWS)
                if part:
                    out.append(part)
        for name, da in (self.duals or {}).items():
            part = nonzero_table(da, f"dual of {name}: non-zero rows", ROWS)
            if part:
                out.append(part)
        if self.duals_note:
            out.append(f"<p><small>{esc(self.duals_note)}</small></p>")
        out.append("</div>")
        return "".join(out)


def _plain(v):
    """An element as Python has it (numpy's numbers made int or float)."""
    return v.item() if hasattr(v, "item") and not isinstance(v, (str, bytes)) else v
