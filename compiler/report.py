"""Human-readable output: the solve summary and tables of non-zero variable values."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .result import Result

MAX_ROWS = 40


def _fmt(v) -> str:
    if v is None:
        return "-"
    v = float(v)
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.6g}" if abs(v) >= 1e-3 else f"{v:.4g}"


def print_result(result: Result, console: Console | None = None, max_rows: int = MAX_ROWS) -> None:
    console = console or Console()
    colour = {"optimal": "green", "feasible": "yellow", "time_limit": "yellow"}.get(result.status, "red")
    title = f"[bold]{result.model or 'model'}[/bold]: [{colour}]{result.status}[/{colour}] ({result.solver}, " \
            f"{result.seconds.get('total', result.seconds.get('solve', 0)):.2f} s)"
    console.print(title)
    if result.message:
        console.print(f"  {result.message}")
    for line in result.why:
        console.print(f"  {line}")
    if not result.has_solution:
        return
    sense = {"min": "minimise", "max": "maximise"}.get(result.sense or "", "")
    console.print(f"  objective {result.primary} ({sense}): [bold]{_fmt(result.objective)}[/bold]")
    if result.bound is not None:
        console.print(f"  best bound {_fmt(result.bound)}, gap {result.gap * 100:.4g} %" if result.gap is not None
                      else f"  best bound {_fmt(result.bound)}")
    for name, value in result.objectives.items():
        if name != result.primary:
            console.print(f"  objective {name} (not optimised): {_fmt(value)}")
    if result.size:
        console.print(f"  size: {result.size.get('variables', 0):,} variables, "
                      f"{result.size.get('constraints', 0):,} constraints")
    for name in result.solution.data_vars:
        da = result.solution[name]
        if da.ndim == 0:
            console.print(f"  {name} = {_fmt(da.item())}")
            continue
        s = result.nonzero(name)
        table = Table(title=f"{name}: {len(s)} non-zero", title_justify="left", show_edge=False)
        for d in da.dims:
            table.add_column(str(d))
        table.add_column("value", justify="right")
        for key, value in list(s.items())[:max_rows]:
            key = key if isinstance(key, tuple) else (key,)
            table.add_row(*[str(k) for k in key], _fmt(value))
        if len(s) > max_rows:
            table.add_row(*(["…"] * len(da.dims)), f"{len(s) - max_rows} more")
        if len(s):
            console.print(table)
