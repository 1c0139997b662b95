"""Pictures of a solution: a map of the routes of every `tour` family, and Pareto fronts.

A map needs where the nodes lie. milkrun looks, by convention, for parameters `x` and
`y` (or `lon` and `lat`) indexed over the tour's nodes, as `include "planar_network"`
and `include "geo_network"` declare them; without them no map is drawn and the run
says so.

What every figure shares (labels with units, a title that fits, the legend beside the
panels, colours per series) is in figure.py.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import xarray as xr

from milkrun.compiler.report.figure import (GREY, declared_label, figure_label, fit_title, legend_beside,
                                            new_figure, palette, plural, save, tag)

__all__ = ["COORDINATE_NAMES", "node_coordinates", "route_figure", "route_map", "figure_label", "objective_labels",
           "front_figure", "front_plot"]

COORDINATE_NAMES = [("x", "y"), ("lon", "lat")]
DISTANCE_NAMES = ["dist", "km", "distance"]  # the n×n parameter a route's length is read from, by convention
EARTH_KM_PER_DEGREE = 6371.0088 * math.pi / 180


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


# ------------------------------------------------------------------------------------------ routes
def _distance_matrix(instance, nodes) -> tuple[str, np.ndarray] | None:
    """(name, n×n array over `nodes`) of the model's distance parameter (dist, km), if it has one."""
    syms = instance.ir.symbols
    for name in DISTANCE_NAMES:
        if name in syms and syms[name].kind == "param":
            p = instance.param(name)
            if isinstance(p, xr.DataArray) and p.ndim == 2 and all(set(p.indexes[d]) >= set(nodes) for d in p.dims):
                return name, p.sel({p.dims[0]: list(nodes), p.dims[1]: list(nodes)}).values.astype(float)
    return None


def _scalar(instance, name: str) -> float | None:
    syms = instance.ir.symbols
    if name not in syms or syms[name].kind != "param":
        return None
    v = instance.param(name)
    try:
        return float(v.item() if hasattr(v, "item") else v)
    except (TypeError, ValueError):
        return None


def _unit_word(doc: str | None) -> str | None:
    """A description that is only a unit (`"km"`, `"m"`): the unit; anything longer is not one."""
    return doc.strip() if doc and re.fullmatch(r"[^\s,;:()]{1,12}", doc.strip()) else None


def _length_unit(result, instance, fam, dist_name: str | None, lengths: dict, geo: bool) -> str | None:
    """The unit a route's length is in, from the declarations: the distance parameter's `unit`; else
    a kpi over the tour's index whose values are exactly these lengths (`kpi route_km[k] "km"`), by
    its unit or a description that is only a unit; else km for great-circle distances on lon/lat."""
    syms = instance.ir.symbols
    if dist_name and getattr(syms[dist_name].decl, "unit", None):
        return syms[dist_name].decl.unit
    for name, da in getattr(result, "kpis", {}).items():
        if not isinstance(da, xr.DataArray) or list(da.dims) != list(fam.index_dims) or not lengths:
            continue
        try:
            got = [float(da.sel(dict(zip(fam.index_dims, key))).item()) for key in lengths]
        except (KeyError, ValueError):
            continue
        if np.allclose(got, list(lengths.values()), rtol=1e-6, atol=1e-9):
            unit = result.units.get(name) or _unit_word(result.kpi_docs.get(name))
            if unit:
                return unit
    if geo and (dist_name is None or dist_name == "km" or "haversine" in _definition_text(syms[dist_name])):
        return "km"  # great-circle distances: geo_network's km, or the map's own
    return None


def _haversine(lat1, lon1, lat2, lon2) -> float:
    """km along a great circle of the mean Earth radius (as the language's haversine)."""
    p1, p2, dp, dl = map(math.radians, (lat1, lat2, lat2 - lat1, lon2 - lon1))
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, h)))


def _definition_text(sym) -> str:
    d = getattr(sym.decl, "definition", None)
    return repr(d) if d is not None else ""


def _index_words(instance, fam) -> list[str]:
    """What one tour of the family is called per index position: the set's name in the singular
    (`routes[k in Vehicles]`: vehicle), else the index name."""
    sym = instance.ir.symbols.get(fam.name)
    words = []
    for k, dim in enumerate(fam.index_dims):
        label = sym.positions[k].set_label if sym is not None and k < len(sym.positions) else None
        words.append(_singular(label) if label and re.fullmatch(r"\w+", label) else dim)
    return words


def _singular(name: str) -> str:
    low = name.lower()
    if low.endswith("ies") and len(low) > 4:
        return low[:-3] + "y"
    if low.endswith("s") and not low.endswith("ss") and len(low) > 3:
        return low[:-1]
    return low


def _start_name(instance, start) -> str:
    """The name of the element parameter that holds the tour's start (`param depot in Nodes`), else 'start'."""
    for sym in instance.ir.of_kind("param"):
        if getattr(sym.decl, "element_of", None) is not None and not sym.positions:
            try:
                v = instance.param(sym.name)
                v = v.item() if hasattr(v, "item") else v
            except Exception:  # noqa: BLE001 - a parameter without data is simply not the start
                continue
            if v == start:
                return sym.name
    return "start"


def _nice(x: float) -> float:
    """A round length near x: 1, 2 or 5 times a power of ten."""
    if x <= 0:
        return 1.0
    e = math.floor(math.log10(x))
    return min((m * 10 ** e for m in (1, 2, 5, 10)), key=lambda v: abs(math.log(v / x)))


def route_figure(result, instance):
    """The map of every route of every tour family, as a matplotlib Figure (None when the nodes have
    no coordinates). A colour per route, named in the legend with its length (`vehicle 2: 319.8 km`);
    the start node (the depot) labelled and drawn on top; every node labelled; equal aspect; axes in
    the distance's unit when the coordinates are (x, y over `scale`), else a scale bar (lon/lat)."""
    from matplotlib import patheffects
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    if not result.tours:
        return None
    fams = {t.name: t for t in getattr(result, "tour_families", [])}
    drawable = []
    for name, routes in result.tours.items():
        fam = fams.get(name)
        coords = node_coordinates(instance, list(fam.nodes)) if fam is not None else None
        cycles = {key: c[0] for key, c in routes.items() if c}
        if coords is not None and cycles:
            drawable.append((fam, coords, cycles))
    if not drawable:
        return None
    fig, axes = new_figure(1, 1, 8.6, 7.0)
    ax = axes[0, 0]
    halo = [patheffects.withStroke(linewidth=3, foreground="white")]
    n_routes = sum(len(c) for _, _, c in drawable)
    colours = palette(n_routes)
    c = 0
    geo_seen, units, total = False, set(), 0.0
    for fam, (xs, ys, what), cycles in drawable:
        nodes = list(fam.nodes)
        where = {n: k for k, n in enumerate(nodes)}
        geo = what == "lon/lat"
        geo_seen |= geo
        dist = _distance_matrix(instance, nodes)
        scale = 1.0 if geo else (_scalar(instance, "scale") or 1.0)

        def length(route, d=dist):
            legs = [(where[a], where[b]) for a, b in zip(route[:-1], route[1:])]
            if d is not None:
                return float(sum(d[1][a, b] for a, b in legs))
            if geo:
                return float(sum(_haversine(ys[a], xs[a], ys[b], xs[b]) for a, b in legs))
            return float(sum(np.hypot(xs[b] - xs[a], ys[b] - ys[a]) / scale for a, b in legs))

        lengths = {key: length(route) for key, route in cycles.items()}
        unit = _length_unit(result, instance, fam, dist[0] if dist else None, lengths, geo)
        units.add(unit)
        total += sum(lengths.values())
        # planar coordinates whose euclidean length over `scale` is the distance: draw them in its unit
        in_unit = (not geo and unit is not None and dist is not None
                   and all(np.isclose(lengths[k], length(r, None), rtol=1e-6) for k, r in cycles.items()))
        px, py = (xs / scale, ys / scale) if in_unit else (xs, ys)
        visited = {n for r in cycles.values() for n in r}
        other = [k for n, k in where.items() if n not in visited]
        if other:
            ax.scatter(px[other], py[other], s=22, color="white", edgecolors=GREY, zorder=3, label="not visited")
        on = [k for n, k in where.items() if n in visited and n != fam.start]
        ax.scatter(px[on], py[on], s=24, color="0.25", zorder=4)
        words = _index_words(instance, fam)
        for key, route in cycles.items():
            pts = np.array([[px[where[n]], py[where[n]]] for n in route])
            colour = colours[c % len(colours)]
            c += 1
            who = ", ".join(f"{w} {k}" for w, k in zip(words, key)) if key else fam.name
            if len(drawable) > 1:
                who = f"{fam.name}: {who}"
            (line,) = ax.plot(pts[:, 0], pts[:, 1], "-", color=colour, lw=2,
                              label=f"{who}: {lengths[key]:,.1f}" + (f" {unit}" if unit else ""), zorder=2)
            tag(line)
            for a, b in zip(pts[:-1], pts[1:]):  # the direction, an arrowhead halfway along each leg
                mid, step = (a + b) / 2, (b - a) * 0.02
                if np.hypot(*step) > 0:
                    ax.annotate("", xy=mid + step, xytext=mid - step, zorder=2,
                                arrowprops=dict(arrowstyle="-|>", color=colour, lw=1.5, mutation_scale=14))
        for n, k in where.items():
            if n == fam.start:
                continue
            ax.annotate(str(n), (px[k], py[k]), textcoords="offset points", xytext=(5, 5), fontsize=9,
                        zorder=6, path_effects=halo)
        s = where[fam.start]
        ax.scatter([px[s]], [py[s]], s=170, marker="s", color="black", edgecolors="white", linewidths=1.5,
                   zorder=7)
        ax.annotate(f"{_start_name(instance, fam.start)} ({fam.start})", (px[s], py[s]), textcoords="offset points",
                    xytext=(9, -4), fontsize=10, fontweight="bold", va="top", zorder=8, path_effects=halo)
        if geo:
            ax.set_xlabel("longitude (°)")
            ax.set_ylabel("latitude (°)")
        elif in_unit:
            xdoc, ydoc = _coordinate_docs(instance)
            ax.set_xlabel(f"{xdoc} ({unit})")
            ax.set_ylabel(f"{ydoc} ({unit})")
        else:
            xdoc, ydoc = _coordinate_docs(instance)
            xu, yu = _coordinate_units(instance)
            ax.set_xlabel(figure_label("x", xdoc, xu))
            ax.set_ylabel(figure_label("y", ydoc, yu))
        if geo:
            lat0 = float(np.mean(ys))
            ax.set_aspect(1 / max(math.cos(math.radians(lat0)), 1e-6), adjustable="datalim")
            ax.xaxis.set_major_locator(MaxNLocator(5))  # long labels (-74.12): fewer of them
            _scale_bar(ax, xs, lat0)
    if not geo_seen:
        ax.set_aspect("equal", adjustable="datalim")
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], marker="s", ls="", color="black", ms=9))
    labels.append(f"{_start_name(instance, drawable[0][0].start)}: where every route starts and ends")
    legend_beside(fig, handles, labels, fontsize=9)
    unit = result.units.get(result.primary)
    if not unit and len(units) == 1 and np.isclose(result.objective or 0.0, total, rtol=1e-6):
        unit = units.pop()  # the objective is the length driven: it is in the routes' unit
    objective = f"{result.objective:,.6g}" + (f" {unit}" if unit else "")
    fit_title(fig, f"{result.model or 'model'}: {result.primary} = {objective}, {plural(n_routes, 'route')}"
              if result.primary else f"{result.model or 'model'}: {plural(n_routes, 'route')}")
    return fig


def _coordinate_docs(instance) -> tuple[str, str]:
    syms = instance.ir.symbols
    return (getattr(syms["x"].decl, "doc", None) or "x", getattr(syms["y"].decl, "doc", None) or "y")


def _coordinate_units(instance) -> tuple[str | None, str | None]:
    syms = instance.ir.symbols
    return getattr(syms["x"].decl, "unit", None), getattr(syms["y"].decl, "unit", None)


def _scale_bar(ax, lons: np.ndarray, lat0: float) -> None:
    """A bar of a round number of km in the lower left corner (lon/lat maps)."""
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    km_per_deg = EARTH_KM_PER_DEGREE * max(math.cos(math.radians(lat0)), 1e-6)
    span_km = float(np.ptp(lons)) * km_per_deg
    km = _nice(span_km / 5) if span_km > 0 else 1.0
    text = f"{km:g} km" if km >= 1 else f"{km * 1000:g} m"
    ax.add_artist(AnchoredSizeBar(ax.transData, km / km_per_deg, text, "lower left", pad=0.5, frameon=True,
                                  size_vertical=0))


def route_map(result, instance, path: Path) -> Path | None:
    """Draw every route of every tour family (`route_figure`) into `path`; None when nodes have no coordinates."""
    fig = route_figure(result, instance)
    return None if fig is None else save(fig, path)


# ------------------------------------------------------------------------------------------ fronts
def objective_labels(ir) -> dict[str, str]:
    """The axis label of every objective of a checked model (`figure_label`)."""
    return {s.name: declared_label(ir, s.name) for s in ir.objectives}


def front_figure(fronts: dict, title: str = "", labels: dict[str, str] | None = None):
    """The Pareto front(s) as a matplotlib Figure: two objectives a curve, three or more pairwise panels.
    `fronts` maps a label (a scenario, or '' for one front) to a Front; a colour per front, named in
    a legend beside the panels; a point not proven optimal (stopped by a limit) is drawn hollow.
    `labels`: the axis label of each objective (`objective_labels`); by default `name (min)`."""
    from matplotlib.lines import Line2D

    first = next(iter(fronts.values()))
    objs = first.objectives
    pairs = [(a, b) for i, a in enumerate(objs) for b in objs[i + 1:]]
    cols = min(3, len(pairs))
    rows = (len(pairs) + cols - 1) // cols
    several = len(fronts) > 1
    fig, axes = new_figure(rows, cols, 5.5 * cols + (2.2 if several else 0), 4.5 * rows + 0.5)
    colours = palette(len(fronts))
    unproven = False
    for n, (label, front) in enumerate(fronts.items()):
        statuses = list(front.statuses) + ["optimal"] * (len(front.points) - len(front.statuses))
        proven = np.array([s == "optimal" for s in statuses], dtype=bool)
        unproven |= not proven.all()
        for ax, (a, b) in zip(axes.ravel(), pairs):
            xs = np.array([p[b] for p in front.points], dtype=float)
            ys = np.array([p[a] for p in front.points], dtype=float)
            order = np.argsort(xs)
            if len(objs) == 2:
                (line,) = ax.plot(xs[order], ys[order], "-", lw=1.5, color=colours[n], label=label or None)
                tag(line)
            pts = ax.scatter(xs[proven], ys[proven], s=22, color=colours[n], zorder=3,
                             label=(label or None) if len(objs) > 2 else None)
            tag(pts, part=len(objs) == 2)
            if (~proven).any():
                tag(ax.scatter(xs[~proven], ys[~proven], s=26, facecolors="white", edgecolors=colours[n],
                               linewidths=1.3, zorder=3), part=True)
            ax.set_xlabel((labels or {}).get(b) or figure_label(b, sense=front.senses[b]))
            ax.set_ylabel((labels or {}).get(a) or figure_label(a, sense=front.senses[a]))
            ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(pairs):]:
        ax.axis("off")
    handles, names = [], []
    if several:
        handles = [Line2D([], [], color=colours[n], marker="o", ms=4) for n in range(len(fronts))]
        names = list(fronts)
    if unproven:
        handles.append(Line2D([], [], ls="", marker="o", ms=5, mfc="white", mec="0.3"))
        names.append("not proven optimal\n(stopped by a limit)")
    if handles:
        legend_beside(fig, handles, names)
    fit_title(fig, title or f"Pareto front ({sum(len(f.points) for f in fronts.values())} points)")
    return fig


def front_plot(fronts: dict, path: Path, title: str = "", labels: dict[str, str] | None = None) -> Path:
    """Draw the Pareto front(s) (`front_figure`) into `path`."""
    return save(front_figure(fronts, title, labels), path)
