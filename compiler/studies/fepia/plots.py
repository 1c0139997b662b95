"""Pictures of a FePIA run: the fronts per scenario with each point's configuration marked, and
the features against the perturbation parameter per configuration with the tolerance lines.

Up to `DISTINCT` configurations each get a colour of their own, named in the legend. With more,
no palette keeps them apart, so the features figure draws one configuration in colour (the most
robust, else the best on average in the primary objective) and the others in grey, each labelled
at the end of its line; the fronts figure rings the points of that configuration.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from milkrun.compiler.report.figure import GREY, fit_title, legend_beside, new_figure, palette, plural, save, tag
from milkrun.compiler.studies.fepia.run import FepiaResult

DISTINCT = 10
HIGHLIGHT = "tab:blue"


def highlighted(res: FepiaResult) -> str | None:
    """The configuration a figure singles out: the most robust (largest radius), else the one with the
    best mean primary objective over the scenarios it holds."""
    if res.most_robust:
        return res.most_robust
    means = {g.label: res.mean_primary(g.label) for g in res.groups}
    means = {k: v for k, v in means.items() if not math.isnan(v)}
    if not means:
        return None
    best = max if res.senses.get(res.primary) == "max" else min
    return best(means, key=means.get)


def _why(res: FepiaResult, label: str) -> str:
    if label == res.most_robust:
        r = res.radius_of(label)
        return f"{label}: the most robust configuration" + (f" (radius {r:,.4g})" if r is not None else "")
    return f"{label}: the best mean {res.primary} over the scenarios"


def _scenario_label(res: FepiaResult, s: str) -> str:
    doc = res.scenario_docs.get(s)
    return f"{s}: {doc}" if doc else f"{s}: {res.perturbation} = {res.pi.get(s, math.nan):g}"


def _halo():
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=2.5, foreground="white")]


def fronts_figure(res: FepiaResult):
    """Primary objective against each other objective, as a matplotlib Figure: a colour per scenario,
    the configuration's label next to every point, the singled-out configuration's points ringed."""
    from matplotlib.lines import Line2D

    label = {c.entries: g.label for g in res.groups for c in g.members}
    star = highlighted(res)
    others = res.objectives[1:]
    fig, axes = new_figure(1, len(others), 6.6 * len(others) + 2.8, 5.6)
    colours = palette(len(res.fronts))
    ringed = unproven = False
    for n, (s, run) in enumerate(res.fronts.items()):
        if not run.front.points:
            continue
        ys = np.array([p[res.primary] for p in run.front.points], dtype=float)
        statuses = list(run.front.statuses) + ["optimal"] * (len(ys) - len(run.front.statuses))
        proven = np.array([st == "optimal" for st in statuses], dtype=bool)
        for ax, other in zip(axes.ravel(), others):
            xs = np.array([p[other] for p in run.front.points], dtype=float)
            order = np.argsort(xs)
            (line,) = ax.plot(xs[order], ys[order], "-", lw=1.5, color=colours[n], label=_scenario_label(res, s))
            tag(line)
            tag(ax.scatter(xs[proven], ys[proven], s=22, color=colours[n], zorder=3), part=True)
            if (~proven).any():
                unproven = True
                tag(ax.scatter(xs[~proven], ys[~proven], s=26, facecolors="white", edgecolors=colours[n],
                               linewidths=1.3, zorder=3), part=True)
            for rank, k in enumerate(order):  # labels alternately above and below, so neighbours do not collide
                text = label[run.designs[k].entries]
                mine = text == star
                ax.annotate(text, (xs[k], ys[k]), textcoords="offset points",
                            xytext=(4, 5) if rank % 2 == 0 else (4, -11), fontsize=9 if mine else 8,
                            fontweight="bold" if mine else "normal", color=colours[n], path_effects=_halo(),
                            zorder=5)
                if mine:
                    ringed = True
                    tag(ax.scatter([xs[k]], [ys[k]], s=150, facecolors="none", edgecolors="black", linewidths=1.4,
                                   zorder=4), part=True)
    for ax, other in zip(axes.ravel(), others):
        ax.set_xlabel(res.labels.get(other) or f"{other} ({res.senses[other]})")
        ax.set_ylabel(res.labels.get(res.primary) or f"{res.primary} ({res.senses[res.primary]})")
        ax.grid(alpha=0.3)
    handles, names = axes[0, 0].get_legend_handles_labels()
    if ringed:
        handles.append(Line2D([], [], ls="", marker="o", ms=11, mfc="none", mec="black"))
        names.append(_why(res, star))
    if unproven:
        handles.append(Line2D([], [], ls="", marker="o", ms=5, mfc="white", mec="0.3"))
        names.append("not proven optimal (stopped by a limit)")
    legend_beside(fig, handles, names, title="scenario", fontsize=9)
    fit_title(fig, f"{res.model}: the Pareto front of each scenario, every point labelled with its configuration")
    return fig


def fronts_plot(res: FepiaResult, path: Path) -> Path:
    """Draw `fronts_figure` into `path`."""
    return save(fronts_figure(res), path)


def _curve(res: FepiaResult, label: str) -> dict:
    """π → Evaluation of the configuration held: the scenarios' runs and the radius search on the plain data.
    Several parameters: the distance along the configuration's binding direction (in %) → Evaluation."""
    if res.vector:
        return _ray_curve(res, label)
    curve = {res.pi[s]: res.evaluations[(label, s)] for s in res.scenarios
             if (label, s) in res.evaluations and s in res.pi}
    for (lab, base), c in res.curves.items():
        if lab == label and base is None:
            curve.update(c)
    return curve


def _binding_row(res: FepiaResult, label: str):
    """The radius row that gives the configuration its radius (the nearest crossing over its origins)."""
    rows = [row for row in res.radii if row.label == label]
    return min(rows, key=lambda row: row.radius.value) if rows else None


def _ray_curve(res: FepiaResult, label: str) -> dict:
    """Several parameters: the evaluations on the ray of the configuration's radius, by distance (%)."""
    row = _binding_row(res, label)
    if row is None or row.radius.direction is None:
        return {}
    r, names = row.radius, res.perturbations
    d = np.array([r.direction[n] for n in names])
    scale = np.array([res.nominal[n] for n in names])
    origin = np.array([r.origin[n] for n in names])
    out = {}
    for (lab, _), curve in res.curves.items():
        if lab != label:
            continue
        for point, e in curve.items():
            delta = (np.array(point, dtype=float) - origin) / scale
            t = float(delta @ d)
            if t >= 0 and np.allclose(delta, t * d, atol=1e-9):
                out[100 * t] = e
    return out


def _radius_x(res: FepiaResult, row) -> float | None:
    """Where a radius ends on the features' x axis: π, or (several parameters) the distance in %."""
    if res.vector:
        return None if row.radius.high is None else 100 * row.radius.high
    return row.radius.at


def features_figure(res: FepiaResult, distinct: int = DISTINCT):
    """One panel per feature (those with a tolerance, else Γ and Φ), as a matplotlib Figure: its value
    against π for every configuration held, from the held runs of the scenarios and the radius search;
    the tolerance as a dashed line, the scenarios dotted, × where a configuration's radius ends, a gap
    where it has no plan. More than `distinct` configurations: one in colour, the rest grey and
    labelled at their ends. None when there is nothing to draw."""
    from matplotlib.lines import Line2D

    features = list(dict.fromkeys([t.feature for t in res.tolerances] or (res.gamma + res.phi)))
    if not features or not res.groups:
        return None
    cols = min(3, len(features))
    rows = (len(features) + cols - 1) // cols
    fig, axes = new_figure(rows, cols, 5.8 * cols + 3.2, 4.4 * rows + 0.7)
    panels = list(zip(axes.ravel(), features))
    many = len(res.groups) > distinct
    star = highlighted(res) if many else None
    colours = palette(len(res.groups))
    groups = sorted(res.groups, key=lambda g: g.label == star)  # the singled-out one drawn last, on top
    ends = {ax: [] for ax, _ in panels}  # (x, y, label) where each grey line ends
    for g in groups:
        colour = (HIGHLIGHT if g.label == star else GREY) if many else colours[res.groups.index(g)]
        width = 2.4 if g.label == star else (1.0 if many else 1.4)
        curve = _curve(res, g.label)
        xs = np.array(sorted(curve), dtype=float)
        for ax, f in panels:
            ys = np.array([curve[x].feature(f) for x in xs], dtype=float)
            (line,) = ax.plot(xs, ys, "-", marker=".", ms=3, lw=width, color=colour,
                              label=None if many else g.label, zorder=4 if g.label == star else 3)
            tag(line)
            ok = ~np.isnan(ys)
            for row in [_binding_row(res, g.label)] if res.vector else res.radii:
                at = _radius_x(res, row) if row is not None and row.label == g.label else None
                if at is not None and ok.any():
                    tag(ax.plot([at], [np.interp(at, xs[ok], ys[ok])], "x", color=colour, ms=8, mew=1.6,
                                zorder=4)[0], part=True)
            if many and g.label != star and ok.any():
                last = np.flatnonzero(ok)[-1]
                ends[ax].append((xs[last], ys[last], g.label))
    for ax, f in panels:
        for t in res.tolerances:
            if t.feature == f:
                ax.axhline(t.bound, ls="--", color="0.2", lw=1.1, zorder=2)
        for s in [] if res.vector else res.scenarios:  # several parameters: x is no parameter's value
            if s in res.pi:
                ax.axvline(res.pi[s], ls=":", color="0.55", lw=0.9, zorder=1)
                ax.annotate(s, (res.pi[s], 1.0), xycoords=("data", "axes fraction"), textcoords="offset points",
                            xytext=(0, 2), ha="center", va="bottom", fontsize=7, color="0.4")
        ax.set_title(f, fontsize=10, pad=12)
        ax.set_ylabel(res.labels.get(f, f))
        ax.set_xlabel(_x_label(res))
        ax.grid(alpha=0.3)
        if ends[ax]:
            lo, hi = ax.get_xlim()
            ax.set_xlim(lo, hi + 0.05 * (hi - lo))  # room for the labels at the lines' ends
    for ax in axes.ravel()[len(features):]:
        ax.axis("off")
    if many:
        handles = [Line2D([], [], color=HIGHLIGHT, lw=2.4), Line2D([], [], color=GREY, lw=1.0)]
        names = [_why(res, star), f"the other {plural(len(res.groups) - 1, 'configuration')},\nnamed at their lines' ends"]
    else:
        handles, names = axes[0, 0].get_legend_handles_labels()
    if res.radii:
        handles.append(Line2D([], [], ls="", marker="x", ms=8, mew=1.6, color="0.3"))
        names.append("where a configuration's\nradius ends")
    for t in dict.fromkeys(t.text for t in res.tolerances if t.feature in features):
        handles.append(Line2D([], [], ls="--", color="0.2", lw=1.1))
        names.append("tolerance: " + t.replace(">=", "≥").replace("<=", "≤"))
    if not res.vector:
        handles.append(Line2D([], [], ls=":", color="0.55", lw=0.9))
        names.append("the scenarios")
    handles.append(Line2D([], [], ls=""))
    names.append("a gap in a line: no plan")
    legend_beside(fig, handles, names, title=None if many else "configuration", ncols=1 if many or
                  len(res.groups) <= 12 else 2)
    against = " and ".join(res.perturbations) + " together" if res.vector else res.perturbation
    fit_title(fig, f"{res.model}: features with each configuration held, against {against}")
    if any(ends.values()):
        _label_ends(fig, ends)
    return fig


def _x_label(res: FepiaResult) -> str:
    if res.vector:
        return (f"change of {', '.join(res.perturbations)} along each configuration's nearest crossing "
                "(2-norm of changes relative to nominal, %)")
    return res.labels.get(res.perturbation, res.perturbation)


def _label_ends(fig, ends: dict) -> None:
    """Each grey line's label just right of its last point, nudged apart vertically where labels
    would overlap (positions in display units, after the layout)."""
    fig.canvas.draw()
    halo = _halo()
    for ax, items in ends.items():
        pts = [(ax.transData.transform((x, y)), label) for x, y, label in items]
        pts.sort(key=lambda p: (p[0][1], p[0][0]))
        gap = 9.0 * fig.dpi / 72  # a 7-pt label's height, with a little air
        near = 14 * fig.dpi / 72
        placed = []  # display (x, y) of the labels put so far
        for (px, py), label in pts:
            tries = [py + sign * j * gap / 3 for j in range(60) for sign in (1, -1)]  # nearest first, up before down
            y = next((t for t in tries if ax.bbox.y0 + gap / 2 <= t <= ax.bbox.y1 - gap / 2
                      and all(abs(qx - px) >= near or abs(qy - t) >= gap for qx, qy in placed)), py)
            placed.append((px, y))
            dy = (y - py) * 72 / fig.dpi
            text = ax.annotate(label, ax.transData.inverted().transform((px, py)), textcoords="offset points",
                               xytext=(5, dy), va="center", fontsize=7, color="0.35", path_effects=halo, zorder=5)
            text.set_in_layout(False)


def features_plot(res: FepiaResult, path: Path) -> Path | None:
    """Draw `features_figure` into `path`; None when there is nothing to draw."""
    fig = features_figure(res)
    return None if fig is None else save(fig, path)
