"""Pictures of a solution: a map of the routes of every `tour` family.

A map needs where the nodes lie. milkrun looks, by convention, for parameters `x` and
`y` (or `lon` and `lat`) indexed over the tour's nodes, as `include "planar_network"`
and `include "geo_network"` declare them; without them no map is drawn and the run
says so.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

COORDINATE_NAMES = [("x", "y"), ("lon", "lat")]


def node_coordinates(instance, nodes) -> tuple[np.ndarray, np.ndarray, str] | None:
    """(east, north, what) for the nodes, from x/y or lon/lat parameters over exactly those nodes."""
    for ex, ny in COORDINATE_NAMES:
        syms = instance.ir.symbols
        if ex in syms and ny in syms and syms[ex].kind == "param" and syms[ny].kind == "param":
            px, py = instance.param(ex), instance.param(ny)
            if not (isinstance(px, xr.DataArray) and isinstance(py, xr.DataArray) and px.ndim == 1 and py.ndim == 1):
                continue
            dim_x, dim_y = px.dims[0], py.dims[0]
            if set(px.indexes[dim_x]) >= set(nodes) and set(py.indexes[dim_y]) >= set(nodes):
                xs, ys = px.sel({dim_x: list(nodes)}).values, py.sel({dim_y: list(nodes)}).values
                if np.ptp(xs) == 0 and np.ptp(ys) == 0:
                    return None  # every node at one point (defaults): no map rather than a wrong one
                return (px.sel({dim_x: list(nodes)}).values.astype(float),
                        py.sel({dim_y: list(nodes)}).values.astype(float), f"{ex}/{ny}")
    return None


def route_map(result, instance, path: Path) -> Path | None:
    """Draw every route of every tour family; returns the file, or None when nodes have no coordinates."""
    if not result.tours:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fams = {t.name: t for t in getattr(result, "tour_families", [])}
    fig, ax = plt.subplots(figsize=(8, 7), dpi=110)
    colours = plt.get_cmap("tab10")
    drawn = False
    c = 0
    for name, routes in result.tours.items():
        fam = fams.get(name)
        if fam is None:
            continue
        coords = node_coordinates(instance, list(fam.nodes))
        if coords is None:
            continue
        xs, ys, _ = coords
        where = {n: k for k, n in enumerate(fam.nodes)}
        ax.scatter(xs, ys, s=28, color="0.35", zorder=3)
        for n, k in where.items():
            ax.annotate(str(n), (xs[k], ys[k]), textcoords="offset points", xytext=(4, 4), fontsize=8)
        s = where[fam.start]
        ax.scatter([xs[s]], [ys[s]], s=140, marker="s", color="black", zorder=4, label=f"start ({fam.start})")
        for key, cycles in routes.items():
            if not cycles:
                continue
            route = cycles[0]
            pts = np.array([[xs[where[n]], ys[where[n]]] for n in route])
            colour = colours(c % 10)
            c += 1
            label = f"{name}[{', '.join(str(k) for k in key)}]" if key else name
            ax.plot(pts[:, 0], pts[:, 1], "-", color=colour, lw=2, label=label, zorder=2)
            for a, b in zip(pts[:-1], pts[1:]):
                ax.annotate("", xy=b, xytext=a, arrowprops=dict(arrowstyle="->", color=colour, lw=1.5))
            drawn = True
    if not drawn:
        plt.close(fig)
        return None
    title = f"{result.model or 'model'}: {result.primary} = {result.objective:,.6g}" if result.primary else "routes"
    ax.set_title(title)
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def figure_label(name: str, doc: str | None = None, unit: str | None = None, sense: str | None = None) -> str:
    """How an axis names an objective: its description (else its name) and its unit, `CO₂ (kg/year)`;
    with neither, its name and sense, `co2 (min)`."""
    text = doc or name
    if unit:
        return f"{text} ({unit})"
    if doc:
        return text
    return f"{name} ({sense})" if sense else name


def objective_labels(ir) -> dict[str, str]:
    """The axis label of every objective of a checked model (`figure_label`)."""
    return {s.name: figure_label(s.name, s.decl.doc, s.decl.unit, "max" if s.decl.sense == "maximize" else "min")
            for s in ir.objectives}


def front_plot(fronts: dict, path: Path, title: str = "", labels: dict[str, str] | None = None) -> Path:
    """The Pareto front(s): two objectives a curve, three or more pairwise panels. `fronts` maps a
    label (a scenario, or '' for one front) to a Front; each front is drawn in its own colour.
    `labels`: the axis label of each objective (`objective_labels`); by default `name (min)`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first = next(iter(fronts.values()))
    objs = first.objectives
    pairs = [(a, b) for i, a in enumerate(objs) for b in objs[i + 1:]]
    cols = min(3, len(pairs))
    rows = (len(pairs) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5.5 * cols, 4.5 * rows), dpi=110, squeeze=False)
    colours = plt.get_cmap("tab10")
    for n, (label, front) in enumerate(fronts.items()):
        for ax, (a, b) in zip(axes.ravel(), pairs):
            xs = np.array([p[b] for p in front.points])
            ys = np.array([p[a] for p in front.points])
            order = np.argsort(xs)
            style = "o-" if len(objs) == 2 else "o"
            ax.plot(xs[order], ys[order], style, ms=4, color=colours(n % 10), label=label or None)
            ax.set_xlabel((labels or {}).get(b) or figure_label(b, sense=front.senses[b]))
            ax.set_ylabel((labels or {}).get(a) or figure_label(a, sense=front.senses[a]))
            ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(pairs):]:
        ax.axis("off")
    if len(fronts) > 1:
        axes.ravel()[0].legend(fontsize=8)
    fig.suptitle(title or f"Pareto front ({sum(len(f.points) for f in fronts.values())} points)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
