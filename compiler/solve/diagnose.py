"""Say why a model is infeasible: an irreducible infeasible subset (IIS) in model terms.

HiGHS computes an IIS of a linear program: the few rows and bounds that cannot hold
together. milkrun maps its rows and columns back to constraint families, variables and
their indices, and to the lines that declare them. For a MIP the linear relaxation is
examined; if the relaxation is feasible, integrality is the cause and that is said.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from milkrun.compiler.model.ir import ModelIR

MAX_LISTED = 6
MAX_ROWS = 200_000  # beyond this an IIS may cost more than the solve; say nothing rather than hang
TIME_LIMIT = 30.0


def explain_infeasible(m, ir: ModelIR | None, names: dict[str, str] | None = None) -> list[str]:
    """Plain sentences about why; empty when nothing can be said cheaply. `names`: how reports call
    the rows and variables a pass added (BuiltModel.added_names)."""
    try:
        import highspy
    except ImportError:  # pragma: no cover
        return []
    if int(m.ncons) > MAX_ROWS:
        return []
    try:
        h = m.to_highspy() if hasattr(m, "to_highspy") else None
    except Exception:
        return []
    if h is None:
        return []
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", TIME_LIMIT)
    integral = False
    lp = h.getLp()
    if any(int(t) != 0 for t in getattr(lp, "integrality_", [])):
        integral = True
        h.changeColsIntegrality(lp.num_col_, np.arange(lp.num_col_, dtype=np.int32),
                                np.zeros(lp.num_col_, dtype=np.uint8))
    h.run()
    if h.getModelStatus() == highspy.HighsModelStatus.kUnboundedOrInfeasible:
        h.setOptionValue("presolve", "off")
        h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kInfeasible:
        if integral:
            return ["the linear relaxation is feasible: no integer (or binary) assignment satisfies all constraints"]
        return []
    try:  # strategy 2 finds an IIS in cases the default strategy gives up on
        h.setOptionValue("iis_strategy", 2)
    except Exception:
        pass
    status, iis = h.getIis()
    rows = [int(r) for r in getattr(iis, "row_index_", [])] if getattr(iis, "valid_", False) else []
    cols = [int(c) for c in getattr(iis, "col_index_", [])] if getattr(iis, "valid_", False) else []
    if not rows and not cols:
        return _smallest_relaxation(m, ir, integral, names)
    clabels = np.asarray(_labels(m, "constraints"))
    vlabels = np.asarray(_labels(m, "variables"))
    families: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        name, coords = m.constraints.get_label_position(int(clabels[r]))
        families[name].append(_coords(coords))
    bounds: dict[str, list[str]] = defaultdict(list)
    for c in cols:
        name, coords = m.variables.get_label_position(int(vlabels[c]))
        bounds[name].append(_coords(coords))
    lines = []
    if families:
        parts = []
        for name, idx in families.items():
            parts.append(f"{_named(names, name)}{_where(ir, name)}{_list(idx)}")
        lines.append("constraints that cannot hold together: " + "; ".join(parts))
    if bounds:
        parts = [f"{_named(names, name)}{_where(ir, name)}{_list(idx)}" for name, idx in bounds.items()]
        lines.append("with the bounds of: " + "; ".join(parts))
    if integral and lines:
        lines.append("(found on the linear relaxation, so it holds for the integer model too)")
    return lines


def _smallest_relaxation(m, ir, integral: bool, names: dict[str, str] | None = None) -> list[str]:
    """When HiGHS finds no IIS (an aggregate cause, say total supply below total demand), say which
    rows the least total violation breaks, and by how much: where the model has to give."""
    import highspy

    h = m.to_highspy()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", TIME_LIMIT)
    h.feasibilityRelaxation(1.0, 1.0, 1.0)
    lp, sol = h.getLp(), h.getSolution()
    if not getattr(sol, "value_valid", False):
        return []
    act = np.asarray(sol.row_value)
    lo, hi = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
    tol = 1e-6 * np.maximum(1.0, np.abs(act))
    short, over = lo - act, act - hi
    clabels = np.asarray(_labels(m, "constraints"))
    parts = []
    for r in np.flatnonzero((short > tol) | (over > tol))[:MAX_LISTED]:
        name, coords = m.constraints.get_label_position(int(clabels[r]))
        amount = short[r] if short[r] > tol[r] else over[r]
        side = "its lower side" if short[r] > tol[r] else "its upper side"
        parts.append(f"{_named(names, name)}{_coords(coords)}{_where(ir, name)} by {amount:,.6g} on {side}")
    col, clo, chi = np.asarray(sol.col_value), np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    ctol = 1e-6 * np.maximum(1.0, np.abs(col))
    vlabels = np.asarray(_labels(m, "variables"))
    for j in np.flatnonzero(((clo - col) > ctol) | ((col - chi) > ctol))[:MAX_LISTED]:
        name, coords = m.variables.get_label_position(int(vlabels[j]))
        below = clo[j] - col[j] > ctol[j]
        amount = clo[j] - col[j] if below else col[j] - chi[j]
        parts.append(f"the {'lower' if below else 'upper'} bound of {_named(names, name)}{_coords(coords)}"
                     f"{_where(ir, name)} "
                     f"by {amount:,.6g}")
    if not parts:
        return []
    total = float(h.getInfo().objective_function_value)
    out = [f"the smallest change that makes it feasible (total {total:,.6g}) relaxes: " + "; ".join(parts)]
    if integral:
        out.append("(on the linear relaxation)")
    return out


def _labels(m, kind: str) -> np.ndarray:
    if kind == "constraints":
        return m.matrices.clabels
    return m.matrices.vlabels


def _coords(coords: dict) -> str:
    coords = dict(coords)
    entry = coords.pop("_u", None)  # a robust counterpart's entry of an uncertain parameter, named: a[p]
    where = "[" + ", ".join(str(v) for v in coords.values()) + "]" if coords else ""
    return where if entry is None else f"{where} {entry}".strip()


def _list(items: list[str]) -> str:
    items = [i for i in items if i]
    if not items:
        return ""
    shown = " " + ", ".join(items[:MAX_LISTED])
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


def _named(names: dict[str, str] | None, name: str) -> str:
    """A family as reports call it: a pass's rows and variables by what they stand for."""
    return (names or {}).get(name, name)


def _where(ir: ModelIR | None, name: str) -> str:
    """Where the family is written; for rows and variables a pass added (`minimum_use_price_dev`),
    the declaration they were derived from, so that they are not taken for the user's own."""
    if ir is None:
        return ""
    base = name[:-3] if name.endswith(("_lo", "_hi")) and name[:-3] in ir.symbols else name
    if base in ir.symbols:
        return f" (line {ir.symbols[base].span.line})"
    origin = max((n for n in ir.symbols if name.startswith(n + "_")), key=len, default=None)
    if origin is None:
        return " (added by milkrun)"
    return f" (added by milkrun for {origin}, line {ir.symbols[origin].span.line})"
