"""The results of `milkrun fepia` as tables (long and wide), files and a printout.

Long tables (one row per configuration, scenario and feature) are what scripts read; the wide
ones (a row per configuration, a column per feature and scenario) are the paper's Tables 3 and
4. Everything written is also in summary.json.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from milkrun.compiler.report.console import _fmt
from milkrun.compiler.studies.fepia.plots import features_plot, fronts_plot
from milkrun.compiler.studies.fepia.run import FepiaResult


def configurations_frame(res: FepiaResult) -> pd.DataFrame:
    rows = []
    for g in res.groups:
        rows.append({"configuration": g.label, "design": g.kept.text(), "tanks": len(g.kept.entries),
                     "seen": len(g.seen), "scenarios": " ".join(g.scenarios),
                     "front_points": " ".join(f"{s}:{p}" for s, p in g.seen),
                     "grouped": " | ".join(c.text() for c in g.members if c is not g.kept)})
    return pd.DataFrame(rows).set_index("configuration") if rows else pd.DataFrame()


def groups_frame(res: FepiaResult) -> pd.DataFrame:
    """A row per configuration found: its group, whether it is the one kept, and why it joined."""
    rows = [{"group": g.label, "design": c.text(), "kept": c is g.kept, "seen": c.count,
             "front_points": " ".join(f"{s}:{p}" for s, p in c.seen), "reason": g.why(c)}
            for g in res.groups for c in g.members]
    return pd.DataFrame(rows, columns=["group", "design", "kept", "seen", "front_points", "reason"])


def held_fronts_frame(res: FepiaResult) -> pd.DataFrame:
    """Each held configuration's front per scenario: a row per point (one row without a point when the
    configuration cannot carry the scenario), every objective, status and reason."""
    rows = []
    for (label, s), f in res.held_fronts.items():
        for i, (p, st) in enumerate(zip(f.points, f.statuses), start=1):
            rows.append({"configuration": label, "scenario": s, "point": i, **{k: p.get(k) for k in res.objectives},
                         "status": st, "reason": ""})
        if not f.points:
            rows.append({"configuration": label, "scenario": s, "point": None, **{k: None for k in res.objectives},
                         "status": f.status, "reason": f.reason})
    frame = pd.DataFrame(rows, columns=["configuration", "scenario", "point", *res.objectives, "status", "reason"])
    frame["point"] = frame["point"].astype("Int64")
    return frame


def front_points_frame(res: FepiaResult) -> pd.DataFrame:
    label = {c.entries: g.label for g in res.groups for c in g.members}
    rows = []
    for s, run in res.fronts.items():
        for i, (p, c) in enumerate(zip(run.front.points, run.designs), start=1):
            rows.append({"scenario": s, "point": i, **{k: p[k] for k in res.objectives},
                         "status": run.front.statuses[i - 1], "configuration": label[c.entries], "design": c.text()})
    return pd.DataFrame(rows)


def feature_frame(res: FepiaResult, features: list[str]) -> pd.DataFrame:
    """Long form: configuration, scenario, π, feature, value, status (NaN value: no plan, see status)."""
    rows = []
    for g in res.groups:
        for s in res.scenarios:
            e = res.evaluations[(g.label, s)]
            for f in features:
                rows.append({"configuration": g.label, "scenario": s, res.perturbation: res.pi.get(s),
                             "feature": f, "value": e.feature(f), "status": e.status})
    return pd.DataFrame(rows)


def wide(long: pd.DataFrame) -> pd.DataFrame:
    """A row per configuration, a column per (feature, scenario): the paper's Table 3 layout."""
    if long.empty:
        return long
    w = long.pivot_table(index="configuration", columns=["feature", "scenario"], values="value", sort=False,
                         dropna=False)
    return w


def evaluations_frame(res: FepiaResult) -> pd.DataFrame:
    rows = []
    for g in res.groups:
        for s in res.scenarios:
            e = res.evaluations[(g.label, s)]
            rows.append({"configuration": g.label, "scenario": s, res.perturbation: res.pi.get(s), "status": e.status,
                         "reason": e.reason, **{k: e.objectives.get(k) for k in res.objectives}, **e.kpis})
    return pd.DataFrame(rows)


def radius_frame(res: FepiaResult) -> pd.DataFrame:
    """Per configuration and origin. One parameter: π at the origin and where it fails, the radius in
    π's unit. Several: each parameter at the origin and where it fails, and the direction of the
    crossing (a unit vector of relative changes); the radius is ‖δ‖₂ relative to the nominal values."""
    rows = []
    for row in res.radii:
        r = row.radius
        where = ({f"{n}_origin": r.origin[n] for n in res.perturbations} if res.vector
                 else {f"{res.perturbation}_origin": r.origin})
        fails = ({f"{n}_failing": (r.at or {}).get(n) for n in res.perturbations} if res.vector
                 else {f"{res.perturbation}_failing": r.at})
        towards = {f"direction_{n}": (r.direction or {}).get(n) for n in res.perturbations} if res.vector else {}
        rows.append({"configuration": row.label, "origin": row.origin, **where,
                     "radius": r.value, "holds_up_to": r.low, "fails_at": r.high, "resolution": r.resolution,
                     "crossing_found": r.found, "side": r.side, **fails, **towards,
                     "binding": "; ".join(r.binding), "evaluations": r.evaluations, "hidden_checks": r.hidden_checks,
                     "slope_bounds": "; ".join(f"{k}: {v:.4g}" for k, v in res.slope_bounds.get(row.label, {}).items()),
                     "configuration_radius": res.radius_of(row.label), "mean_" + res.primary: res.mean_primary(row.label),
                     "most_robust": row.label == res.most_robust})
    return pd.DataFrame(rows)


def curve_frame(res: FepiaResult) -> pd.DataFrame:
    """Every evaluation of the radius search: configuration, base scenario, π, status, the features."""
    names = list(dict.fromkeys([t.feature for t in res.tolerances] + res.gamma + res.phi))
    rows = []
    for (label, base), curve in res.curves.items():
        for value in sorted(curve):
            e = curve[value]
            point = dict(zip(res.perturbations, value)) if res.vector else {res.perturbation: value}
            rows.append({"configuration": label, "base": base or "", **point, "status": e.status,
                         **{f: e.feature(f) for f in names}, "reason": e.reason})
    return pd.DataFrame(rows)


def summary(res: FepiaResult) -> dict:
    spec = res.spec
    return _clean({
        "model": res.model, "objectives": res.objectives, "senses": res.senses, "primary": res.primary,
        "design_variables": res.design, "perturbation": res.perturbation, "perturbations": res.perturbations,
        "scenarios": {s: {"doc": res.scenario_docs[s], **res.pi_vector.get(s, {})} for s in res.scenarios},
        "solver": spec.solver, "points": spec.points, "time_limit": spec.time_limit, "gap": spec.gap,
        "fixed_set": spec.fixed_set, "gamma": res.gamma, "phi": res.phi,
        "fronts": {s: {"points": len(r.front.points), "solves": r.front.solves, "seconds": round(r.seconds, 3),
                       "not_proven_optimal": sum(st != "optimal" for st in r.front.statuses),
                       "no_plan_within_time_limit": r.front.no_plan_in_time} for s, r in res.fronts.items()},
        "grouping": {"distance_m": spec.group_distance, "how": res.grouping,
                     "extra_small": {"on": res.small is not None, "how": res.extra_small,
                                     "small_types": sorted(map(str, res.small.labels)) if res.small else None},
                     "distinct": len(res.configurations), "groups": len(res.groups)},
        "configurations": [{"label": g.label, "design": g.kept.text(),
                            "entries": [[n, list(lab), v] for n, lab, v in g.kept.entries],
                            "seen": [[s, p] for s, p in g.seen], "scenarios": g.scenarios,
                            "grouped": [c.text() for c in g.members if c is not g.kept],
                            "members": [{"design": c.text(), "kept": c is g.kept, "seen": [[s, p] for s, p in c.seen],
                                         "reason": g.why(c)} for c in g.members]} for g in res.groups],
        "held_objective": res.held_objective,
        "evaluations": evaluations_frame(res).to_dict(orient="records"),
        "held_fronts": None if not res.held_fronts else {
            "points": spec.held_front, "objective": res.held_objective,
            "rows": held_fronts_frame(res).astype(object).to_dict(orient="records")},
        "tolerances": [t.text for t in res.tolerances],
        "radius": None if not res.radii else {
            "range": list(res.radius_range) if res.radius_range else None, "scan": res.radius_grid,
            "ranges": {n: list(r) for n, r in res.ranges.items()},
            "norm": ("2-norm of the changes relative to the nominal values" if res.vector
                     else f"|change| of {res.perturbation}"),
            "nominal": res.nominal if res.vector else None,
            "directions": spec.radius_directions if res.vector else None,
            "resolution": res.resolution, "guaranteed": res.guarantee,
            "rows": radius_frame(res).to_dict(orient="records")},
        "most_robust": None if res.most_robust is None else {
            "configuration": res.most_robust, "radius": res.radius_of(res.most_robust),
            "mean_" + res.primary: res.mean_primary(res.most_robust)},
        "notes": res.notes, "seconds": {k: round(v, 3) for k, v in res.seconds.items()},
    })


def _clean(x):
    """JSON has no NaN: None instead; numpy numbers as plain ones."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):
        x = x.item()
    if x is pd.NA:
        return None
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def write(res: FepiaResult, out: Path) -> list[Path]:
    """configurations.csv, groups.csv, front_points.csv, evaluations.csv, gamma.csv and phi.csv (long) with
    their wide forms, held_fronts.csv (with --held-front), radius.csv and radius_curve.csv (with tolerances),
    summary.json, fronts.png, features.png."""
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def csv(name, frame, index=False):
        p = out / name
        frame.to_csv(p, index=index)
        written.append(p)

    csv("configurations.csv", configurations_frame(res), index=True)
    csv("groups.csv", groups_frame(res))
    csv("front_points.csv", front_points_frame(res))
    csv("evaluations.csv", evaluations_frame(res))
    for name, features in (("gamma", res.gamma), ("phi", res.phi)):
        long = feature_frame(res, features)
        csv(f"{name}.csv", long)
        csv(f"{name}_wide.csv", wide(long), index=True)
    if res.held_fronts:
        csv("held_fronts.csv", held_fronts_frame(res))
    if res.radii:
        csv("radius.csv", radius_frame(res))
        csv("radius_curve.csv", curve_frame(res))
    p = out / "summary.json"
    p.write_text(json.dumps(summary(res), indent=2) + "\n")
    written.append(p)
    if any(r.front.points for r in res.fronts.values()):
        written.append(fronts_plot(res, out / "fronts.png"))
    drawn = features_plot(res, out / "features.png")
    if drawn is not None:
        written.append(drawn)
    return written


# --------------------------------------------------------------------------- printout
def print_fepia(res: FepiaResult, console: Console | None = None) -> None:
    console = console or Console()
    secs = res.seconds
    console.print(f"[bold]{escape(res.model)}[/bold]: FePIA over {len(res.scenarios)} scenario(s), perturbation "
                  f"{escape(_scenario_values(res))}; "
                  f"{secs.get('total', 0):.1f} s (fronts {secs.get('fronts', 0):.1f} s, held {secs.get('held', 0):.1f} s, "
                  f"radius {secs.get('radius', 0):.1f} s"
                  + (f", held fronts {secs['held_fronts']:.1f} s" if "held_fronts" in secs else "") + ")")
    for s, r in res.fronts.items():
        unproven = sum(st != "optimal" for st in r.front.statuses)
        console.print(f"  front {escape(s)}: {len(r.front.points)} point(s), {r.front.solves} solves, {r.seconds:.1f} s"
                      + (f", {unproven} not proven optimal" if unproven else "")
                      + (f", {r.front.no_plan_in_time} grid point(s) without a plan in time"
                         if r.front.no_plan_in_time else ""))
    console.print(f"  {len(res.configurations)} distinct configuration(s) along the fronts, {len(res.groups)} kept: "
                  f"{escape(res.grouping + res.extra_small_text())}")
    if res.spec.fixed_set:
        console.print(f"  held runs with: {escape(', '.join(res.spec.fixed_set))}")
    if res.held_objective != res.primary:
        console.print(f"  held runs re-optimise {escape(res.held_objective)}; every objective is reported")
    t = Table(title="configurations", title_justify="left", show_edge=False)
    for c in ("", "design", "seen", "front points", "grouped with it"):
        t.add_column(c)
    for g in res.groups:
        t.add_row(g.label, escape(g.kept.text()), str(len(g.seen)), escape(" ".join(f"{s}:{p}" for s, p in g.seen)),
                  escape("\n".join(f"{c.text()}: {g.why(c)}" for c in g.members if c is not g.kept)))
    console.print(t)
    _print_held_fronts(console, res)
    for title, features in (("robustness requirements Γ", res.gamma), ("performance features Φ", res.phi)):
        _print_features(console, res, title, features)
    bad = [(k, e) for k, e in res.evaluations.items() if not e.feasible]
    for (label, s), e in bad:
        console.print(f"  {label} under {escape(s)}: {e.status}: {escape(_short(e.reason))}")
    if res.radii:
        _print_radii(console, res)
    if res.most_robust:
        least = min((row.radius for row in res.radii if row.label == res.most_robust), key=lambda r: r.value)
        console.print(f"[bold]most robust: {res.most_robust}[/bold] ({escape(res.group(res.most_robust).kept.text())}): "
                      f"radius {escape(least.text())}, mean {escape(res.primary)} "
                      f"{_fmt(res.mean_primary(res.most_robust))} over the scenarios it holds")
    for n in res.notes:
        console.print(f"  note: {escape(n)}")


def _scenario_values(res: FepiaResult) -> str:
    """`yield_per_cow (pi1 1800, pi2 2400)`, or with several parameters `yield_per_cow, price (pi1 1800/1300, ...)`."""
    names = res.perturbations or [res.perturbation]
    values = ", ".join(f"{s} " + "/".join(f"{res.pi_vector.get(s, {}).get(n, math.nan):g}" for n in names)
                       for s in res.scenarios)
    return f"{', '.join(names)} ({values})"


def _print_radii(console: Console, res: FepiaResult) -> None:
    tolerances = ", ".join(t.text for t in res.tolerances)
    if res.vector:
        box = ", ".join(f"{n} [{lo:g}, {hi:g}]" for n, (lo, hi) in res.ranges.items())
        console.print(f"robustness radius: the least change of {', '.join(res.perturbations)} together, as the 2-norm "
                      f"of their changes relative to the nominal values ({', '.join(f'{n} {v:g}' for n, v in res.nominal.items())}), "
                      f"within {box}; tolerances: {escape(tolerances)}")
    else:
        lo, hi = res.radius_range
        console.print(f"robustness radius in {escape(res.perturbation)} over [{lo:g}, {hi:g}] (scan of "
                      f"{len(res.radius_grid)} values, bisection to {res.resolution:.3g}); tolerances: "
                      f"{escape(tolerances)}")
    console.print(f"  guaranteed: {escape(res.guarantee)}")
    t = Table(show_edge=False)
    columns = ("", "from", "radius", "direction", "binding") if res.vector else \
        ("", "from", res.perturbation, "radius", "side", "binding")
    for c in columns:
        t.add_column(escape(c), justify="right" if c == res.perturbation and not res.vector else "left")
    for row in res.radii:
        r = row.radius
        cells = [escape(r.text()), escape(r.side)] if res.vector else [_fmt(r.origin), escape(r.text()), r.side]
        t.add_row(row.label, escape(row.origin), *cells, escape(_short("; ".join(r.binding))))
    console.print(t)


def _print_features(console: Console, res: FepiaResult, title: str, features: list[str]) -> None:
    if not features:
        return
    t = Table(title=title, title_justify="left", show_edge=False)
    t.add_column("")
    t.add_column("scenario")
    for f in features:
        t.add_column(escape(f), justify="right")
    for g in res.groups:
        for s in res.scenarios:
            e = res.evaluations[(g.label, s)]
            cells = [_fmt(e.feature(f)) if e.feasible else e.status for f in features]
            t.add_row(g.label, escape(s), *cells)
    console.print(t)


def _print_held_fronts(console: Console, res: FepiaResult) -> None:
    """One row per configuration and scenario: how many points, and each objective from end to end."""
    if not res.held_fronts:
        return
    t = Table(title=f"held fronts ({res.spec.held_front} points each, the design fixed, {res.held_objective} first; "
                    "held_fronts.csv has every point)", title_justify="left", show_edge=False)
    for c in ("", "scenario", "points", *res.objectives):
        t.add_column(escape(c), justify="left" if c in ("", "scenario") else "right")
    for (label, s), f in res.held_fronts.items():
        if not f.points:
            t.add_row(label, escape(s), "0", *[f.status] + [""] * (len(res.objectives) - 1))
            continue
        ends = [(f.points[0][k], f.points[-1][k]) for k in res.objectives]
        t.add_row(label, escape(s), str(len(f.points)),
                  *[_fmt(a) if abs(a - b) <= 1e-9 * max(1.0, abs(a)) else f"{_fmt(a)} … {_fmt(b)}" for a, b in ends])
    console.print(t)


def _short(text: str, width: int = 110) -> str:
    """Reasons can list many rows (an infeasible subset); the files keep them whole."""
    return text if len(text) <= width else text[:width - 1] + "…"
