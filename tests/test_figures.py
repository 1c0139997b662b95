"""Every picture milkrun writes goes into a report unedited (compiler/report/figure.py): each is
drawn here from a small model and checked, after `fig.canvas.draw()`, for

- an x and a y label on every panel, with the unit wherever the declaration gives one;
- a title inside the canvas (wrapped or shrunk when long);
- a legend (if any) inside the canvas, off the title, and outside every panel (or, inside one,
  off every plotted point);
- one colour per data series up to the palette's size (10, or 20 beyond 10 series); FePIA's
  features with many configurations: one in colour, the rest grey.

The figures: the route map (`milkrun solve --out`, routes.png, planar and lon/lat), the Pareto
front (`milkrun pareto --out`, front.png: two objectives, three, several fronts), FePIA's fronts
and features (fronts.png, features.png), and the dairy-chain benchmark's figures (error bars).
"""
from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
import xarray as xr
from matplotlib.colors import to_hex
from matplotlib.container import BarContainer
from matplotlib.lines import Line2D

from conftest import REPO, dedent
from milkrun.compiler.report.figure import GREY, SERIES, SERIES_PART, fit_title, new_figure, save

ROUTES = """
    model tiny_routes "two milk trucks, six farms"
    include "planar_network"
    param depot in Nodes               "the dairy"
    set Farms = Nodes diff {depot}
    set Vehicles
    param milk[Farms] >= 0             "litres"
    param capacity > 0 default 100     "litres a truck holds"

    var drive[i in Nodes, j in Nodes, k in Vehicles] binary where i != j
    var visit[Nodes, Vehicles] binary

    minimize distance: sum(i, j, k) dist[i, j] * drive[i, j, k]

    subject to
      leave[i in Nodes, k in Vehicles]: sum(j) drive[i, j, k] == visit[i, k]
      enter[i in Nodes, k in Vehicles]: sum(j) drive[j, i, k] == visit[i, k]
      once[i in Farms]: sum(k) visit[i, k] == 1
      used[i in Farms, k in Vehicles]: visit[i, k] <= visit[depot, k]
      load[k in Vehicles]: sum(i in Farms) milk[i] * visit[i, k] <= capacity
      routes[k in Vehicles]: tour(drive[*, *, k], visit[*, k], start = depot)

    kpi route_km[k in Vehicles] "km": sum(i, j) dist[i, j] * drive[i, j, k]

    data { Vehicles = {1, 2}; depot = dairy; scale = 10 }
    data Nodes \"\"\"
    Nodes,x,y
    dairy,0,0
    f1,200,50
    f2,300,250
    f3,100,300
    f4,-150,200
    f5,-250,-50
    f6,-100,-200
    \"\"\"
    data milk \"\"\"
    Farms,milk
    f1,40
    f2,30
    f3,30
    f4,40
    f5,30
    f6,20
    \"\"\"
"""
# the plan: a loop on each side of the dairy, dairy-f4-f5-f6 and dairy-f1-f2-f3 (either way round, either
# truck), in tenths of a km
ROUTE_KM = [(np.hypot(150, 200) + np.hypot(100, 250) + np.hypot(150, 150) + np.hypot(100, 200)) / 10,
            (np.hypot(200, 50) + np.hypot(100, 200) + np.hypot(200, 50) + np.hypot(100, 300)) / 10]

GEO_ROUTES = """
    model geo_routes "one truck, four farms on lon/lat"
    include "geo_network"
    param depot in Sites
    var drive[i in Sites, j in Sites] binary where i != j
    var visit[Sites] binary
    minimize length "driven" unit "km": sum(i, j) km[i, j] * drive[i, j]
    subject to
      leave[i in Sites]: sum(j) drive[i, j] == visit[i]
      enter[i in Sites]: sum(j) drive[j, i] == visit[i]
      all[i in Sites]: visit[i] == 1
      route: tour(drive[*, *], visit[*], start = depot)
    data { depot = plant }
    data Sites \"\"\"
    Sites,lon,lat
    plant,-74.10,4.60
    f1,-74.05,4.65
    f2,-74.00,4.58
    f3,-74.06,4.52
    f4,-74.14,4.55
    \"\"\"
"""

TWO_GOALS = """
    model mix "two products, two goals"
    set Products = {a, b}
    param profit[Products] default 1 unit "$/t"
    param co2[Products] = 2 "emitted per tonne" unit "kg/t"
    param cap default 10 unit "t"
    var make[Products] >= 0 "produced" unit "t"
    maximize money "profit" unit "k$": sum(p) profit[p] * make[p]
    minimize emissions "CO₂" unit "kg/year": sum(p) co2[p] * make[p] + 3 * make['a']
    room: sum(p) make[p] <= cap
    least: make['b'] >= 1
    most_b: make['b'] <= 6
"""

THREE_GOALS = """
    model three "three goals over a triangle"
    var x >= 0 <= 4
    var y >= 0 <= 4
    maximize output "output" unit "t": x + y
    minimize water "water" unit "m3": 2 * x + y
    minimize cost: x + 3 * y
    room: x + y <= 6
"""


# ------------------------------------------------------------------------------------ the checks
def _colour(artist) -> str:
    if hasattr(artist, "get_color") and isinstance(artist, Line2D):
        return to_hex(artist.get_color())
    face = artist.get_facecolor()
    face = face[0] if np.ndim(face) == 2 else face
    return to_hex(face)


def _series(ax) -> list:
    return [a for a in ax.get_children() if a.get_gid() == SERIES]


def _points(ax) -> np.ndarray:
    """Display coordinates of every plotted point of the panel's series."""
    out = []
    for a in ax.get_children():
        if a.get_gid() not in (SERIES, SERIES_PART):
            continue
        if isinstance(a, Line2D):
            xy = np.column_stack([a.get_xdata(), a.get_ydata()]).astype(float)
        elif hasattr(a, "get_offsets"):
            xy = np.asarray(a.get_offsets(), dtype=float).reshape(-1, 2)
        else:  # a bar
            xy = np.array([[a.get_x() + a.get_width() / 2, a.get_y() + a.get_height()]])
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy):
            out.append(ax.transData.transform(xy))
    return np.vstack(out) if out else np.empty((0, 2))


def _inside(inner, outer, slack: float = 1.0) -> bool:
    return (inner.x0 >= outer.x0 - slack and inner.x1 <= outer.x1 + slack and inner.y0 >= outer.y0 - slack
            and inner.y1 <= outer.y1 + slack)


def check(fig, units=(), highlight: bool = False) -> dict:
    """The report-ready checks of the module docstring on a drawn figure; returns what it saw."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    assert panels
    labels = []
    for ax in panels:
        assert ax.get_xlabel().strip() and ax.get_ylabel().strip(), (ax.get_title(), ax.get_xlabel(), ax.get_ylabel())
        labels += [ax.get_xlabel(), ax.get_ylabel()]
    for unit in units:
        assert any(f"({unit})" in text for text in labels), (unit, labels)
    title = fig._suptitle
    assert title is not None and title.get_text().strip()
    assert _inside(title.get_window_extent(renderer), fig.bbox), (title.get_text(), title.get_window_extent(renderer))
    for ax in panels:
        if ax.get_title():
            assert _inside(ax.title.get_window_extent(renderer), fig.bbox)
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + list(fig.legends)
    for legend in legends:
        box = legend.get_window_extent(renderer)
        assert _inside(box, fig.bbox), "the legend runs off the canvas"
        assert not box.overlaps(title.get_window_extent(renderer)), "the legend covers the title"
        if any(box.overlaps(ax.get_window_extent(renderer)) for ax in panels):
            for ax in panels:
                pts = _points(ax)
                hit = ((pts[:, 0] >= box.x0) & (pts[:, 0] <= box.x1) & (pts[:, 1] >= box.y0) & (pts[:, 1] <= box.y1))
                assert not hit.any(), "the legend covers plotted points"
    counts = []
    for ax in panels:
        series = _series(ax)
        if not series:
            continue
        colours = [_colour(a) for a in series]
        if highlight:
            coloured = {c for c in colours if c != to_hex(GREY)}
            assert len(coloured) == 1 and colours.count(to_hex(GREY)) == len(series) - 1, colours
        else:
            size = 10 if len(series) <= 10 else 20
            assert len(set(colours)) == min(len(series), size), colours
        counts.append(len(series))
    return {"labels": labels, "series": counts, "legends": legends, "title": title.get_text()}


def _legend_texts(seen) -> list[str]:
    return [t.get_text() for legend in seen["legends"] for t in legend.get_texts()]


# ------------------------------------------------------------------------------------ titles
def test_a_long_title_is_wrapped_to_fit_the_canvas():
    fig, axes = new_figure(1, 1, 4.0, 3.0)
    axes[0, 0].plot([0, 1], [0, 1])
    axes[0, 0].set_xlabel("x (m)")
    axes[0, 0].set_ylabel("y (m)")
    long = "a_model_with_a_long_name: " + " ".join(["the Pareto front of every scenario"] * 4)
    title = fit_title(fig, long)
    assert "\n" in title.get_text()
    check(fig, units=["m"])
    one_word = fit_title(fig, "x" * 120)  # nothing to wrap at: the font shrinks as far as it may
    assert one_word.get_fontsize() < 12
    save(fig, __import__("pathlib").Path(__import__("tempfile").mkdtemp()) / "t.png")


# ------------------------------------------------------------------------------------ the route map
@pytest.fixture(scope="module")
def routes(tmp_path_factory):
    from milkrun.compiler.pipeline import compile_model, solve_compiled, RunOptions

    folder = tmp_path_factory.mktemp("routes")
    path = folder / "tiny.mcp"
    path.write_text(dedent(ROUTES))
    run = RunOptions(model=str(path), solver="highs")
    compiled = compile_model(run)
    result = solve_compiled(compiled, run, quiet=True)
    result.model = compiled.ir.name
    return result, compiled


def test_route_map(routes):
    from milkrun.compiler.report.plots import route_figure

    result, compiled = routes
    assert result.objective == pytest.approx(sum(ROUTE_KM), rel=1e-6)
    fig = route_figure(result, compiled.instance)
    seen = check(fig, units=["km"])
    assert seen["series"] == [2]
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("east coordinate (km)", "north coordinate (km)")
    assert ax.get_aspect() == 1.0
    texts = _legend_texts(seen)
    lengths = {int(t.split()[1].rstrip(":")): float(t.split()[2]) for t in texts if t.startswith("vehicle")}
    truck = {k: float(result.kpis["route_km"].sel(k=k)) for k in (1, 2)}
    assert lengths == {k: pytest.approx(round(v, 1)) for k, v in truck.items()}
    assert sorted(lengths.values()) == pytest.approx(sorted(round(v, 1) for v in ROUTE_KM))
    assert all(t.endswith(" km") for t in texts if t.startswith("vehicle"))
    depot = [t for t in ax.texts if t.get_text() == "depot (dairy)"]
    assert depot and depot[0].get_zorder() > max(a.get_zorder() for a in ax.get_children() if a.get_gid() == SERIES)
    assert {t.get_text() for t in ax.texts} >= {"f1", "f2", "f3", "f4", "f5", "f6"}
    assert all(t.get_fontsize() >= 9 for t in ax.texts)
    assert "distance = 190.714 km" in seen["title"]
    # the axes are in km: the depot at (0, 0), f2 at (30, 25)
    assert ax.get_xlim()[0] < -25 < 30 < ax.get_xlim()[1]


def test_route_map_on_lon_lat_has_a_scale_bar(write_model):
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    from milkrun.compiler.pipeline import compile_model, solve_compiled, RunOptions
    from milkrun.compiler.report.plots import route_figure

    run = RunOptions(model=str(write_model(GEO_ROUTES, "geo.mcp")), solver="highs")
    compiled = compile_model(run)
    result = solve_compiled(compiled, run, quiet=True)
    fig = route_figure(result, compiled.instance)
    seen = check(fig, units=["°"])
    assert [t for t in _legend_texts(seen) if t.startswith("route")] == [f"route: {result.objective:,.1f} km"]
    bars = [a for a in fig.axes[0].get_children() if isinstance(a, AnchoredSizeBar)]
    assert len(bars) == 1 and bars[0].txt_label.get_text().endswith("km")
    assert fig.axes[0].get_aspect() == pytest.approx(1 / np.cos(np.radians(4.58)), rel=1e-2)


def test_solve_out_writes_the_map_at_its_size(cli, write_model, tmp_path):
    from PIL import Image

    code, _, err = cli("solve", write_model(ROUTES, "tiny.mcp"), "--out", tmp_path / "out", "-q")
    assert code == 0, err
    with Image.open(tmp_path / "out" / "routes.png") as png:
        assert png.size == (round(8.6 * 110), round(7.0 * 110))


# ------------------------------------------------------------------------------------ Pareto fronts
@pytest.fixture(scope="module")
def two_goals(tmp_path_factory):
    from milkrun.compiler.studies.pareto.run import run_pareto

    path = tmp_path_factory.mktemp("front") / "mix.mcp"
    path.write_text(dedent(TWO_GOALS))
    return run_pareto(str(path), points=4)


def test_front_plot_two_objectives(two_goals):
    from milkrun.compiler.report.plots import front_figure, objective_labels

    compiled, front = two_goals
    fig = front_figure({"": front}, "mix: augmecon2", objective_labels(compiled.ir))
    seen = check(fig, units=["kg/year", "k$"])
    assert seen["labels"] == ["CO₂ (kg/year)", "profit (k$)"]
    assert seen["series"] == [1] and not seen["legends"]  # one front: nothing to tell apart


def test_front_plot_several_fronts_legend_beside(two_goals):
    import copy

    from milkrun.compiler.report.plots import front_figure, objective_labels

    compiled, front = two_goals
    fronts = {}
    for k in range(12):  # more fronts than tab10 has colours
        f = copy.deepcopy(front)
        f.points = [{**p, "money": p["money"] + k} for p in f.points]
        fronts[f"scenario {k}"] = f
    fronts["scenario 3"].statuses = ["time_limit"] + fronts["scenario 3"].statuses[1:]
    fig = front_figure(fronts, "mix: twelve fronts " + "with a title long enough to wrap " * 3,
                       objective_labels(compiled.ir))
    seen = check(fig, units=["kg/year", "k$"])
    assert seen["series"] == [12]
    assert "not proven optimal\n(stopped by a limit)" in _legend_texts(seen)
    assert "\n" in seen["title"]


def test_front_plot_three_objectives_in_panels(write_model, tmp_path):
    from milkrun.compiler.report.plots import front_figure, objective_labels
    from milkrun.compiler.studies.pareto.run import run_pareto

    compiled, front = run_pareto(str(write_model(THREE_GOALS, "three.mcp")), points=3)
    fig = front_figure({"": front}, "", objective_labels(compiled.ir))
    seen = check(fig, units=["t", "m3"])
    assert len(seen["series"]) == 3
    assert "cost (min)" in seen["labels"]  # no description, no unit: the name and the sense


def test_pareto_out_writes_front_png(cli, write_model, tmp_path):
    from PIL import Image

    code, _, err = cli("pareto", write_model(TWO_GOALS, "mix.mcp"), "--points", "3", "--out", tmp_path / "f", "-q")
    assert code == 0, err
    with Image.open(tmp_path / "f" / "front.png") as png:
        assert png.size == (round(5.5 * 110), round(5.0 * 110))


# ------------------------------------------------------------------------------------ FePIA
UNITS = [('param yield_per_cow > 0 default 3 uncertain in [2, 5]',
          'param yield_per_cow > 0 default 3 uncertain in [2, 5] "milk a cow gives" unit "L/day"'),
         ("maximize npv:", 'maximize npv "NPV" unit "k$":'),
         ("minimize co2:", 'minimize co2 "CO₂" unit "kg":'),
         ('kpi utilisation "% of installed":', 'kpi utilisation "installed capacity in use" unit "%":')]


@pytest.fixture(scope="module")
def fepia(tmp_path_factory):
    """test_fepia.py's four-farm model, with descriptions and units, run as its command test runs it."""
    from test_fepia import MINI

    from milkrun.compiler.studies.fepia.run import FepiaSpec, run_fepia

    text = dedent(MINI)
    for old, new in UNITS:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path_factory.mktemp("fepia") / "mini.mcp"
    path.write_text(text)
    return run_fepia(FepiaSpec(str(path), points=3, tolerances=["utilisation>=70"], gamma=["npv", "co2"],
                               phi=["installed", "utilisation", "tanks"], radius_steps=6, radius_resolution=0.004,
                               group_extra_small=False))


def test_fepia_fronts(fepia):
    from milkrun.compiler.studies.fepia.plots import fronts_figure

    fig = fronts_figure(fepia)
    seen = check(fig, units=["kg", "k$"])
    assert seen["labels"] == ["CO₂ (kg)", "NPV (k$)"]
    assert seen["series"] == [3]  # a colour per scenario
    texts = _legend_texts(seen)
    assert texts[:3] == ["lo: 3 L a cow", "hi: 4 L a cow", "peak: 5 L a cow"]
    assert texts[3].startswith(f"{fepia.most_robust}: the most robust configuration (radius ")
    assert {t.get_text() for t in fig.axes[0].texts} == {g.label for g in fepia.groups}


def test_fepia_features_a_colour_each(fepia):
    from milkrun.compiler.studies.fepia.plots import features_figure

    fig = features_figure(fepia)
    seen = check(fig, units=["%", "L/day"])
    assert seen["labels"] == ["yield_per_cow: milk a cow gives (L/day)", "utilisation: installed capacity in use (%)"]
    assert seen["series"] == [len(fepia.groups)]
    texts = _legend_texts(seen)
    assert [g.label for g in fepia.groups] == texts[:len(fepia.groups)]
    assert "tolerance: utilisation ≥ 70" in texts


def test_fepia_features_many_configurations_highlight_one(fepia):
    from milkrun.compiler.studies.fepia.plots import features_figure

    fig = features_figure(fepia, distinct=2)  # fewer colours than configurations: the 21 of location.md
    seen = check(fig, units=["%", "L/day"], highlight=True)
    texts = _legend_texts(seen)
    assert texts[0].startswith(f"{fepia.most_robust}: the most robust configuration")
    assert texts[1].startswith(f"the other {len(fepia.groups) - 1} configurations")
    ends = {t.get_text() for t in fig.axes[0].texts} - set(fepia.scenarios)
    assert ends == {g.label for g in fepia.groups} - {fepia.most_robust}  # the grey ones, named at their ends


def test_fepia_out_writes_both_pictures(fepia, tmp_path):
    from PIL import Image

    from milkrun.compiler.studies.fepia.report import write

    written = {p.name for p in write(fepia, tmp_path)}
    assert {"fronts.png", "features.png"} <= written
    for name in ["fronts.png", "features.png"]:
        with Image.open(tmp_path / name) as png:
            assert png.size[0] > 900 and png.size[1] > 500


# ------------------------------------------------------------------------------------ error bars
def _dairy_chain_module():
    spec = importlib.util.spec_from_file_location("dairy_chain_bench", REPO / "benchmarks" / "dairy_chain.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sweep(bench, seed: int) -> xr.Dataset:
    """A dataset shaped like a `milkrun sweep` of the dairy chain: spread x realisation."""
    rng = np.random.default_rng(seed)
    coords = {"spread": [0.5, 1.0], "realisation": np.arange(4)}
    shape = (2, 4)
    ds = xr.Dataset(coords=coords)
    ds["status"] = (("spread", "realisation"), np.full(shape, "optimal", dtype=object))
    ds["seconds"] = (("spread", "realisation"), rng.uniform(1, 5, shape))
    ds["obj_profit"] = (("spread", "realisation"), rng.uniform(1e5, 5e5, shape))
    for name in bench.SCALARS:
        ds[f"kpi_{name}"] = (("spread", "realisation"), rng.uniform(10, 1e5, shape))
    return ds


def test_dairy_chain_figures_state_their_error_bars(tmp_path):
    bench = _dairy_chain_module()
    runs = {"plain": _sweep(bench, 1), "robust": _sweep(bench, 2)}
    for fig, units, panels in [(bench.figure1(runs), ["BGN a month"], 4), (bench.figure2(runs), ["jobs"], 2)]:
        seen = check(fig, units=units)
        assert seen["series"] == [2] * panels  # a colour per uncertainty level
        texts = _legend_texts(seen)
        assert texts[:2] == ["uncertainty level ρ = 0.5", "uncertainty level ρ = 1"]
        assert "± one\nsample standard deviation over\n4 realisations" in texts[2]
        bars = [c for ax in fig.axes for c in ax.containers if isinstance(c, BarContainer)]
        assert bars and all(c.errorbar is not None for c in bars)
    bench.figures(runs, tmp_path)
    assert (tmp_path / "figure1.png").stat().st_size > 10_000 and (tmp_path / "figure2.png").stat().st_size > 10_000
