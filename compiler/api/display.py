"""HTML for Jupyter: small tables in which every text (names, elements, units, messages) is escaped,
so data can never inject markup into a notebook."""
from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
import xarray as xr

ROWS = 10  # the first rows shown of each table


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def number(v, digits: int = 6) -> str:
    """A number as a report shows it: 6 significant digits, no float noise; '' for none."""
    if v is None:
        return ""
    if isinstance(v, (np.generic,)):
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return "" if math.isnan(v) else str(v)
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.{digits}g}"


def table(headers: list[str], rows: list[list], caption: str | None = None, more: int = 0) -> str:
    """A table; `more`: rows left out, said under it."""
    out = ['<table class="milkrun">']
    if caption:
        out.append(f"<caption style='text-align:left'>{esc(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr></thead><tbody>")
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>")
    out.append("</tbody></table>")
    if more:
        out.append(f"<p><small>… and {more:,} more row{'s' if more != 1 else ''}</small></p>")
    return "".join(out)


def nonzero_table(da: xr.DataArray, caption: str, rows: int = ROWS, tol: float = 1e-9) -> str | None:
    """The first rows of an array's non-zero entries (indices, then the value); None when all are zero."""
    if da.ndim == 0:
        v = float(da.item())
        return None if not abs(v) > tol else table(["value"], [[number(v)]], caption)
    s = da.to_series().dropna()
    s = s[s.abs() > tol]
    if not len(s):
        return None
    head = s.iloc[:rows]
    names = [str(n) for n in s.index.names]
    body = [[*(k if isinstance(k, tuple) else (k,)), number(v)] for k, v in head.items()]
    return table([*names, "value"], body, caption, more=len(s) - len(head))


def frame_table(frame: pd.DataFrame, caption: str | None = None, rows: int = ROWS) -> str:
    """The first rows of a DataFrame, index first."""
    head = frame.iloc[:rows]
    names = [str(n) if n is not None else "" for n in head.index.names]
    body = [[*(k if isinstance(k, tuple) else (k,)), *(number(v) for v in r)]
            for k, r in zip(head.index, head.itertuples(index=False))]
    return table([*names, *map(str, head.columns)], body, caption, more=len(frame) - len(head))
