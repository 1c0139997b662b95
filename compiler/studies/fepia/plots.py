"""Pictures of a FePIA run: the fronts per scenario with each point's configuration marked, and
the features against the perturbation parameter per configuration with the tolerance lines.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from milkrun.compiler.studies.fepia.run import FepiaResult


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def fronts_plot(res: FepiaResult, path: Path) -> Path:
    """Primary objective against each other objective; a colour per scenario, the configuration's
    label next to every point."""
    plt = _plt()
    label = {c.entries: g.label for g in res.groups for c in g.members}
    others = res.objectives[1:]
    fig, axes = plt.subplots(1, len(others), figsize=(7 * len(others), 5.5), dpi=110, squeeze=False)
    colours = plt.get_cmap("tab10")
    for n, (s, run) in enumerate(res.fronts.items()):
        if not run.front.points:
            continue
        ys = np.array([p[res.primary] for p in run.front.points])
        for ax, other in zip(axes.ravel(), others):
            xs = np.array([p[other] for p in run.front.points])
            order = np.argsort(xs)
            ax.plot(xs[order], ys[order], "o-", ms=4, color=colours(n % 10),
                    label=f"{s} ({res.perturbation} {res.pi.get(s, math.nan):g})")
            for x, y, c in zip(xs, ys, run.designs):
                ax.annotate(label[c.entries], (x, y), textcoords="offset points", xytext=(4, 3), fontsize=8,
                            color=colours(n % 10))
    for ax, other in zip(axes.ravel(), others):
        ax.set_xlabel(res.labels.get(other) or f"{other} ({res.senses[other]})")
        ax.set_ylabel(res.labels.get(res.primary) or f"{res.primary} ({res.senses[res.primary]})")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"{res.model}: Pareto fronts per scenario, points labelled by configuration")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def features_plot(res: FepiaResult, path: Path) -> Path | None:
    """One panel per feature (those with a tolerance, else Γ and Φ): its value against π for every
    configuration, from the held runs of the scenarios and the radius search; the tolerance as a
    dashed line, the π where the configuration first fails as a cross."""
    plt = _plt()
    features = list(dict.fromkeys([t.feature for t in res.tolerances] or (res.gamma + res.phi)))
    if not features or not res.groups:
        return None
    cols = min(3, len(features))
    rows = (len(features) + cols - 1) // cols
    legend_cols = 1 + (len(res.groups) - 1) // 16  # the legend stands beside the panels
    fig, axes = plt.subplots(rows, cols, figsize=(5.5 * cols + 0.9 * legend_cols, 4.2 * rows + 0.4), dpi=110,
                             squeeze=False)
    colours = plt.get_cmap("tab10" if len(res.groups) <= 10 else "tab20")
    for n, g in enumerate(res.groups):
        curve = {res.pi[s]: res.evaluations[(g.label, s)] for s in res.scenarios
                 if (g.label, s) in res.evaluations and s in res.pi}
        for (label, base), c in res.curves.items():
            if label == g.label and base is None:
                curve.update(c)
        xs = np.array(sorted(curve))
        for ax, f in zip(axes.ravel(), features):
            ys = np.array([curve[x].feature(f) for x in xs])
            ax.plot(xs, ys, ".", ls=("-", "--", ":")[n // colours.N % 3], ms=3, color=colours(n % colours.N),
                    label=g.label)
            for row in res.radii:
                if row.label == g.label and row.radius.at is not None:
                    at = row.radius.at
                    ax.plot([at], [np.interp(at, xs[~np.isnan(ys)], ys[~np.isnan(ys)])] if np.any(~np.isnan(ys))
                            else [np.nan], "x", color=colours(n % colours.N), ms=8)
    for ax, f in zip(axes.ravel(), features):
        for t in res.tolerances:
            if t.feature == f:
                ax.axhline(t.bound, ls="--", color="0.3", lw=1)
                ax.annotate(t.text, (ax.get_xlim()[0], t.bound), fontsize=7, va="bottom")
        for s in res.scenarios:
            if s in res.pi:
                ax.axvline(res.pi[s], ls=":", color="0.7", lw=0.8)
        ax.set_title(res.labels.get(f, f), fontsize=10)
        ax.set_xlabel(res.labels.get(res.perturbation, res.perturbation))
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(features):]:
        ax.axis("off")
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", fontsize=8, title="configuration", ncol=legend_cols)
    fig.suptitle(f"{res.model}: features with each configuration held\n"
                 "(×: where its radius ends; dotted: the scenarios; a gap: no plan)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1 - 0.9 * legend_cols / fig.get_figwidth(), 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
