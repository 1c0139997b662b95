"""Human-readable output: the solve summary, routes, kpis and non-zero variable values."""
from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from milkrun.compiler.model.sets import entry_label
from milkrun.compiler.solve.result import Result, shown

MAX_ROWS = 40


def _fmt(v) -> str:
    if v is None:
        return "-"
    v = float(v)
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.6g}" if abs(v) >= 1e-3 else f"{v:.4g}"


def _with_unit(value, unit: str | None) -> str:
    """A number as printed, followed by its unit when the model gives one: `153.675 k$`."""
    return f"{_fmt(value)} {unit}" if unit and value is not None else _fmt(value)


def _titled(name: str, *notes: str | None) -> str:
    """A table's title: the name, then its description and unit in parentheses, `ship (cases)`."""
    notes = [n for n in notes if n]
    return f"{name} ({'; '.join(notes)})" if notes else name


def _table(console: Console, title: str, dims, series: pd.Series, max_rows: int, column: str = "value") -> None:
    table = Table(title=escape(title), title_justify="left", show_edge=False)
    for d in dims:
        table.add_column(str(d))
    table.add_column(column, justify="right")
    for key, value in list(series.items())[:max_rows]:
        key = key if isinstance(key, tuple) else (key,)
        table.add_row(*[escape(str(k)) for k in key], _fmt(value))
    if len(series) > max_rows:
        table.add_row(*(["…"] * len(dims)), f"{len(series) - max_rows} more")
    console.print(table)


def _nonzero(da) -> pd.Series:
    s = da.to_series().dropna()
    return s[s.abs() > 1e-9]


def print_result(result: Result, console: Console | None = None, max_rows: int | None = MAX_ROWS,
                 verbose: bool = False, quiet: bool = False) -> None:
    """The report of a solve. Variables a pass added (a tour's flow, a robust counterpart's
    deviations) are not the user's: named on one line, shown with `verbose`. `quiet`: the
    status and the objectives only. `max_rows=None`: every row of every table."""
    max_rows = max_rows if max_rows is not None else 10**12
    console = console or Console()
    colour = {"optimal": "green", "feasible": "yellow", "time_limit": "yellow",
              "interrupted": "yellow"}.get(result.status, "red")
    seconds = result.seconds.get("total", result.seconds.get("solve", 0))
    solver = result.solver_choice or result.solver  # auto says why: "nonlinear at m.mcp:3:9 → scip"
    console.print(f"[bold]{result.model or 'model'}[/bold]: [{colour}]{result.status}[/{colour}] "
                  f"({escape(solver)}, {seconds:.2f} s)")
    if result.message:
        console.print(f"  {result.message}", markup=False)
    for line in result.why:
        console.print(f"  {line}", markup=False)
    if not result.has_solution:
        return
    sense = {"min": "minimise", "max": "maximise"}.get(result.sense or "", "")
    if result.primary is None:
        console.print("  a feasible point (the model declares no objective)")
    else:
        value = escape(_with_unit(result.objective, result.units.get(result.primary)))
        console.print(f"  objective {result.primary} ({sense}): [bold]{value}[/bold]")
    if result.bound is not None:
        gap = f", gap {result.gap * 100:.4g} %" if result.gap is not None else ""
        console.print(f"  best bound {_fmt(result.bound)}{gap}")
    for name, value in result.objectives.items():
        if name != result.primary:
            console.print(f"  objective {name} (not optimised): {_with_unit(value, result.units.get(name))}",
                          markup=False)
    if quiet:
        return
    if result.size:
        console.print(f"  size: {result.size.get('variables', 0):,} variables, "
                      f"{result.size.get('constraints', 0):,} constraints")
    if verbose and result.seconds:
        console.print("  seconds: " + ", ".join(f"{k} {v:.3f}" for k, v in result.seconds.items()))
    if result.robust:
        _robust(console, result)
    lazy = result.extra.get("lazy")
    if lazy:
        console.print(f"  tours enforced lazily: {lazy['cuts']} cut(s) in {lazy['rounds']} round(s)")
    for name, routes in result.tours.items():
        for key, cycles in routes.items():
            label = ", ".join(str(k) for k in key)
            for c in cycles[:1]:
                console.print(f"  route {name}[{label}]: {' → '.join(str(n) for n in c)}", markup=False)
    for name, da in result.kpis.items():  # a kpi's description is shown too (it often says what it counts)
        doc, unit = result.kpi_docs.get(name), result.units.get(name)
        if da.ndim == 0:
            console.print(f"  {_titled(name, doc)} = {_with_unit(da.item(), unit)}", markup=False)
        else:
            _table(console, _titled(name, doc, unit), da.dims, _nonzero(da), max_rows)
    for name in result.solution.data_vars:
        if name in result.added and not verbose:
            continue
        da = shown(result.solution[name])
        label = result.label(name)  # a pass's variable by what it stands for, not its generated name
        if name in result.added:
            console.print(f"  {label} (added by milkrun: {result.added[name]})", markup=False)
        unit = result.units.get(name)
        if da.ndim == 0:
            console.print(f"  {label} = {_with_unit(da.item(), unit)}", markup=False)
            continue
        s = _nonzero(da)
        if len(s):
            _table(console, f"{_titled(label, unit)}{', ' if label != name else ': '}{len(s)} non-zero", da.dims, s,
                   max_rows)
    if result.added and not verbose:
        grouped: dict[str, list[str]] = {}
        for n, why in result.added.items():
            grouped.setdefault(why, []).append(result.label(n))
        what = "; ".join(f"{', '.join(labels)} ({why})" for why, labels in grouped.items())
        console.print(f"  not shown, added by milkrun: {what}; --verbose shows them", markup=False)
    if result.duals is not None:
        _duals(console, result, max_rows, verbose)


def _duals(console: Console, result: Result, max_rows: int, verbose: bool) -> None:
    """--duals: the non-zero duals of each constraint family, then the non-zero reduced costs of each
    variable, as tables; the families that are zero everywhere on one line each."""
    if result.duals_of is None:
        console.print(f"  {result.duals_note or 'no duals'}", markup=False)
        return
    console.print(f"  duals of {result.duals_of}: the change of the optimal objective per unit increase of "
                  "each row's right-hand side", markup=False)
    _nonzero_tables(console, result.duals, "dual", max_rows, "  dual 0 on every row of")
    costs = {n: da for n, da in (result.reduced_costs or {}).items() if verbose or n not in result.added}
    console.print("  reduced costs: the change of the optimal objective per unit increase of each variable",
                  markup=False)
    _nonzero_tables(console, costs, "reduced cost", max_rows, "  reduced cost 0 for every entry of")
    if result.duals_note:
        console.print(f"  note: {result.duals_note}", markup=False)


def _nonzero_tables(console: Console, arrays: dict, column: str, max_rows: int, zero: str) -> None:
    zeros = []
    for name, da in arrays.items():
        if da.ndim == 0:
            value = da.item()
            if value == value and abs(value) > 1e-9:
                console.print(f"  {name}: {column} {_fmt(value)}", markup=False)
            else:
                zeros.append(name)
            continue
        s = _nonzero(da)
        if len(s):
            _table(console, f"{name}: {len(s)} non-zero", da.dims, s, max_rows, column=column)
        else:
            zeros.append(name)
    if zeros:
        console.print(f"{zero}: {', '.join(zeros)}", markup=False)


def _robust(console: Console, result: Result) -> None:
    r = result.robust
    how = f"box, level {r['level']:g}" if r["method"] == "box" else f"budget {r['budget']:g}, level {r['level']:g}"
    console.print(f"  robust counterpart ({how}):", markup=False)
    for name, p in r["parameters"].items():
        folded = " (folded into the bound, no variable)" if p["rhs_only_rows"] and not p["variables"] else ""
        rhs = f"; {p['rhs_only_rows']} of them only in the constant{folded}" if p["rhs_only_rows"] else ""
        console.print(f"    uncertain {name}: {', '.join(p['families'])}: {p['rows']} row(s) touched{rhs}; "
                      f"+{p['variables']} variable(s), +{p['added_rows']} row(s)", markup=False)
    for name, value in r.get("nominal_objectives", {}).items():
        console.print(f"    objective {name} of this plan with nominal data: {_fmt(value)} "
                      f"(worst case: {_fmt(result.objectives.get(name))})", markup=False)
    if r.get("nominal_optimum") is not None:
        price = r.get("price")
        rel = f", {100 * price / abs(r['nominal_optimum']):.3g} %" if price is not None and r["nominal_optimum"] else ""
        console.print(f"    nominal optimum {_fmt(r['nominal_optimum'])}: price of robustness {_fmt(price)}{rel}",
                      markup=False)
    elif r.get("nominal_status"):
        console.print(f"    nominal model: {r['nominal_status']}", markup=False)
    for family, cases in r.get("worst_case", {}).items():
        for case in cases:
            at = "[" + ", ".join(str(v) for v in case["row"].values()) + "]" if case["row"] else ""
            moves = ", ".join(f"{entry_label(e['param'], tuple(e['entry']))} {'+' if e['by'] >= 0 else ''}"
                              f"{_fmt(e['by'])}" for e in case["entries"])
            console.print(f"    worst case for {family}{at}: {moves or 'no entry moves it'}", markup=False)
