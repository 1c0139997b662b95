"""The Python API (`milkrun.load`, compiler/api/): the notebook flow, data as objects read by the CSV
reader's own checks and located in the object (row, column), results, the studies, and docs/python.md,
whose every ```python block is run here and compared with the output the page shows.
"""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from conftest import REPO
from pytest import approx

import milkrun
from milkrun.compiler.pipeline import solve_model

TRANSPORT = REPO / "models" / "transport.mcp"
CENTRES = ["seattle", "san-diego"]
DAIRIES = ["new-york", "chicago", "topeka"]
DISTANCE = pd.DataFrame([[2.5, 1.7, 1.8], [2.5, 1.8, 1.4]], index=pd.Index(CENTRES, name="Centres"), columns=DAIRIES)
DEMAND = pd.Series([325, 300, 275], index=pd.Index(DAIRIES, name="Dairies"), name="demand")


@pytest.fixture(scope="module")
def transport():
    return milkrun.load("transport")


# ------------------------------------------------------------------ the model and its declarations
def test_the_package_face():
    assert milkrun.MilkrunError is milkrun.dsl.diagnostics.MilkrunError
    assert milkrun.__version__
    for name in ("load", "Model", "Result", "Front", "Sweep", "Twin", "Tables", "MilkrunError"):
        assert name in milkrun.__all__ and hasattr(milkrun, name)


def test_load_by_name_or_path_describes_the_declarations(transport):
    # by name: the shipped model wherever the package is installed (the repository's copy when the
    # install is editable, the site-packages copy otherwise); by path: that file
    from milkrun.models import shipped

    assert transport.path == shipped("transport") and transport.path.read_bytes() == TRANSPORT.read_bytes()
    assert milkrun.load(TRANSPORT).path == TRANSPORT
    assert transport.name == "transport" and transport.doc.startswith("Ship milk")
    assert list(transport.sets) == ["Centres", "Dairies"] and transport.sets["Centres"].from_data
    cap = transport.params["capacity"]
    assert (cap.index, cap.bounds, cap.doc, cap.kind) == (("Centres",), (">= 0",), "cases of milk a centre can ship",
                                                          "number")
    assert transport.params["freight"].default == "90" and transport.params["freight"].bounds == ("> 0",)
    assert transport.params["cost"].definition == "freight * distance[c, d] / 1000"
    assert transport.params["cost"].dims == ("c", "d") and not transport.params["cost"].from_data
    ship = transport.variables["ship"]
    assert (ship.index, ship.kind, ship.unit, ship.bounds) == (("Centres", "Dairies"), "continuous", "cases", (">= 0",))
    obj = transport.objectives["total_cost"]
    assert (obj.sense, obj.unit, obj.doc) == ("minimize", "k$", "freight cost")
    assert list(transport.constraints) == ["supply", "meet"]
    assert transport.constraints["meet"].text == "sum(c) ship[c, d] >= demand[d]"
    assert repr(cap) == 'param capacity[Centres] >= 0  "cases of milk a centre can ship"'
    assert repr(transport.variables) == 'var ship[Centres, Dairies] >= 0  "cases shipped"  unit "cases"'
    assert list(transport.params.frame().index) == list(transport.params)
    assert "kpis" not in repr(transport.kpis) and repr(transport.kpis) == "(none)"


def test_declarations_of_a_richer_model():
    routing = milkrun.load("routing")
    assert routing.params["capacity"].index == ("Compartments",)  # a set of pairs, written once
    assert routing.params["capacity"].dims == ("Compartments_1", "Compartments_2")
    assert routing.params["depot"].kind == "element" and routing.params["depot"].element_of == "Nodes"
    drive = routing.variables["drive"]  # an edge: one per pair of nodes, twice to the dairy for a one-farm trip
    assert (drive.kind, drive.where, drive.bounds) == ("integer", "ord(i) < ord(j)", ("in [0, trips[i, j]]",))
    assert routing.variables["share"].bounds == ("in [0, 1]",)
    assert routing.kpis["route_km"].doc == "km" and routing.kpis["route_km"].index == ("Vehicles",)
    assert routing.constraints["routes"].text == 'tour(drive[*, *, k], visit[*, k], start = depot, graph = "undirected")'
    assert milkrun.load("location").variables["Z"].design


def test_an_unknown_model_is_a_milkrun_error():
    with pytest.raises(milkrun.MilkrunError) as info:
        milkrun.load("transprot")
    assert "did you mean 'transport'" in str(info.value)


# ------------------------------------------------------------------ the notebook flow of the issue
def test_a_dataframe_replaces_a_table_and_the_solution_is_an_xarray_dataset(transport, tmp_path):
    # every distance 1 (thousand miles): each case costs freight 90 / 1000 = 0.09, the 900 cases 81 k$
    ones = pd.DataFrame(1.0, index=pd.Index(CENTRES, name="Centres"), columns=DAIRIES)
    r = transport.solve(data={"distance": ones})
    assert r.status == "optimal" and r.objective == approx(81.0)
    assert isinstance(r.solution, xr.Dataset) and r.solution["ship"].dims == ("Centres", "Dairies")
    shipped = r.solution["ship"].sum("Centres").to_series()
    assert shipped.to_dict() == approx({"new-york": 325, "chicago": 300, "topeka": 275})
    assert r.units == {"ship": "cases", "total_cost": "k$"}

    # the same table as a CSV file in a copy of the data folder gives the same run
    changed = DISTANCE.copy()
    changed.loc["seattle", "topeka"] = 1.2
    folder = tmp_path / "transport"
    shutil.copytree(REPO / "models" / "transport", folder)
    changed.to_csv(folder / "distance.csv")
    from_csv = solve_model(TRANSPORT, data=folder)
    from_frame = transport.solve(data={"distance": changed})
    assert from_frame.objective == approx(from_csv.objective) and from_frame.objective < 153.675
    xr.testing.assert_allclose(from_frame.solution["ship"], from_csv.solution["ship"])


def test_the_shipped_data_as_objects_give_the_known_optimum(transport):
    centres = pd.DataFrame({"capacity": [350, 600]}, index=pd.Index(CENTRES, name="Centres"))
    r = transport.solve(data={"Centres": centres, "Dairies": DEMAND.to_frame(), "distance": DISTANCE}, folder=False)
    assert r.objective == approx(153.675)
    # a long table with pandas' row numbers (keys in the leading columns), a dict, a list, a DataArray
    long = DISTANCE.reset_index().melt(id_vars="Centres", var_name="Dairies", value_name="distance")
    da = xr.DataArray(DISTANCE.to_numpy(), dims=("Centres", "Dairies"), coords={"Centres": CENTRES, "Dairies": DAIRIES})
    for data in ({"Centres": centres, "Dairies": DAIRIES, "demand": dict(zip(DAIRIES, [325, 300, 275])),
                  "distance": long},
                 {"Centres": centres, "Dairies": DEMAND.to_frame(), "distance": da}):
        assert transport.solve(data=data, folder=False).objective == approx(153.675)


def test_a_parameter_object_replaces_its_values_in_the_folders_other_tables(transport):
    # demand lives in Dairies.csv; a Series of demand takes its place there (10 more cases to topeka,
    # each at the cheapest remaining cost, san-diego → topeka: 0.09 * 1.4 = 0.126 k$, topeka's dual)
    r = transport.solve(data={"demand": DEMAND + pd.Series({"new-york": 0, "chicago": 0, "topeka": 10})})
    assert r.objective == approx(153.675 + 10 * 0.126)
    # and a scalar, a numpy number, a 0-d DataArray or set= change freight the same way
    for data, kw in (({"freight": 45}, {}), ({"freight": np.int64(45)}, {}), ({"freight": xr.DataArray(45.0)}, {}),
                     (None, {"set": {"freight": 45}}), (None, {"set": "freight*=0.5"})):
        assert transport.solve(data=data, **kw).objective == approx(153.675 / 2)


def test_missing_values_take_the_default_and_booleans_are_numbers(write_model):
    model = milkrun.load(write_model("""
        set I
        param a[I] default 7
        param on[I] binary
        var x[I] >= 0 <= 10
        maximize v: sum(i) (a[i] + on[i]) * x[i]
    """))
    frame = pd.DataFrame({"a": [1.0, np.nan], "on": [True, False]}, index=pd.Index(["p", "q"], name="I"))
    r = model.solve(data={"I": frame}, folder=False)
    assert r.objective == approx(10 * (1 + 1) + 10 * 7)


def test_every_kind_of_object_the_doc_names(transport, tmp_path):
    """A Dataset (one parameter per variable), a Path (a CSV file), a Python set (sorted), a dict of single
    values under an undeclared name (a row of scalars), numpy arrays: each gives the shipped optimum."""
    centres = xr.Dataset({"capacity": ("Centres", [350, 600])}, coords={"Centres": CENTRES})
    csv = tmp_path / "d.csv"
    DISTANCE.to_csv(csv)
    data = {"Centres": centres, "distance": csv, "Dairies": set(DAIRIES), "demand": DEMAND,
            "scalars": {"freight": 90}}
    assert transport.solve(data=data, folder=False).objective == approx(153.675)
    data.update(Dairies=np.array(DAIRIES), Centres=pd.Index(CENTRES), capacity=pd.Series([350, 600], index=CENTRES))
    assert transport.solve(data=data, folder=False).objective == approx(153.675)
    DISTANCE.assign(topeka=[1.8, -1.4]).to_csv(csv)
    with pytest.raises(milkrun.MilkrunError) as info:  # an error in a Path's file names the file's cell
        transport.solve(data={"distance": csv})
    assert str(info.value).startswith(f"{csv}:3:19: error: distance[san-diego, topeka] = -1.4")
    with pytest.raises(milkrun.MilkrunError) as info:
        transport.solve(data={"freight": 0})
    assert str(info.value).startswith("data['freight']: error: freight = 0, but it must be greater than 0")


# ------------------------------------------------------------------ mistakes, located in the object
BAD = [
    # (data, where the message points, what it says)
    ({"distance": DISTANCE.assign(chicago=[-1.7, 1.8])},
     "data['distance']: row 0 (Centres 'seattle'), column 'chicago'",
     "distance[seattle, chicago] = -1.7, but it must be at least 0"),
    ({"distance": DISTANCE.rename(index={"san-diego": "san-diago"})},
     "data['distance']: row 1 (Centres 'san-diago'), index 'Centres'", "'san-diago' is not an element of Centres"),
    ({"distance": pd.concat([DISTANCE, DISTANCE.iloc[[0]]])},
     "data['distance']: row 2 (Centres 'seattle'), column 'new-york'", "parameter 'distance' is given twice"),
    ({"distance": DISTANCE.astype(object).assign(topeka=[1.8, "far"])},
     "data['distance']: row 1 (Centres 'san-diego'), column 'topeka'", "'far' is not a number"),
    ({"distance": DISTANCE.assign(topeka=[1.8, np.inf])},
     "data['distance']: row 1 (Centres 'san-diego'), column 'topeka'", "distance"),
    ({"demand": DEMAND * [1, -1, 1]}, "data['demand']: row 1 (Dairies 'chicago')", "must be at least 0"),
    ({"demand": {"new-york": 325, "chicago": 300, "boston": 1}}, "data['demand']: entry (Dairies 'boston')",
     "'boston' is not an element of Dairies"),
    ({"Dairies": ["new-york", "chicago", "new-york"]}, "data['Dairies']: item 2 ('new-york')", "twice"),
    ({"capacity": [1, 2]}, "data['capacity']", "a list gives the members of a set"),
    ({"freigt": 3}, "data['freigt']", "did you mean 'freight'?"),
    ({"freight": "cheap"}, "data['freight']", "'cheap' is not a number"),
    ({"demand": 5}, "data['demand']", "is indexed over [Dairies]"),
    ({"ship": DISTANCE}, "data['ship']", "'ship' is a variable"),
    ({"distance": object()}, "data['distance']", "cannot read a object as a table"),
]


@pytest.mark.parametrize("data, where, says", BAD, ids=[w.split(":")[0] + f"-{k}" for k, (_, w, _) in enumerate(BAD)])
def test_a_bad_object_is_a_milkrun_error_naming_table_row_and_column(transport, data, where, says):
    with pytest.raises(milkrun.MilkrunError) as info:
        transport.solve(data=data)
    text = str(info.value)
    assert text.startswith(where + ": error:"), text
    assert says in text, text


def test_a_duplicate_note_points_at_the_first_row(transport):
    with pytest.raises(milkrun.MilkrunError) as info:
        transport.compile(data={"distance": pd.concat([DISTANCE, DISTANCE.iloc[[0]]])})
    assert "note: first given here (data['distance']: row 0 (Centres 'seattle'), column 'new-york')" in str(info.value)


def test_an_object_replaces_the_folder_table_of_the_same_name(transport):
    # Dairies.csv also holds demand: a list of dairies in its place leaves demand without data
    with pytest.raises(milkrun.MilkrunError) as info:
        transport.solve(data={"Dairies": DAIRIES})
    assert "parameter 'demand' has no value" in str(info.value)
    assert transport.solve(data={"Dairies": DAIRIES, "demand": DEMAND}).objective == approx(153.675)


def test_other_call_mistakes(transport):
    for kw, says in (({"data": DISTANCE}, "expected a dict of tables by name"),
                     ({"time_limit": 0}, "more than 0 seconds"), ({"gap": 2}, "[0, 1)"),
                     ({"robust": "boxx"}, "box or budget"), ({"set": {"freigt": 1}}, "'freigt' is not declared"),
                     ({"tour": "tsp"}, "mtz, flow or lazy")):
        with pytest.raises(milkrun.MilkrunError) as info:
            transport.solve(**kw)
        assert says in str(info.value), (kw, str(info.value))


# ------------------------------------------------------------------ results
def test_duals_are_trnsport_marginals(transport):
    r = transport.solve(duals=True)
    meet = r.duals["meet"].to_series()
    assert meet.to_dict() == approx({"new-york": 0.225, "chicago": 0.153, "topeka": 0.126})
    assert set(r.reduced_costs) == {"ship"}
    assert transport.solve().duals is None
    summary = json.loads(r.to_json())
    assert summary["objective"] == approx(153.675) and summary["duals"]["meet"]["chicago"] == approx(0.153)


def test_the_result_reads_like_the_command(transport):
    r = transport.solve()
    assert (r.status, r.primary, r.bound, r.routes) == ("optimal", "total_cost", approx(153.675), {})
    assert r.objectives == {"total_cost": approx(153.675)} and r.gap == approx(0, abs=1e-9)
    assert repr(r) == "<milkrun Result transport: optimal, total_cost = 153.675 k$>"
    assert isinstance(r, milkrun.Result) and isinstance(r, milkrun.compiler.solve.result.Result)


def test_routes_of_a_tour():
    # the shipped routing case: the depot is node 1, the farms 2..9, each visited by a route from the depot
    r = milkrun.load("routing").solve(time_limit=60)
    assert r.has_solution and set(r.routes) == {"routes"}
    routes = [stops for stops in r.routes["routes"].values() if stops]
    assert routes and all(stops[0] == stops[-1] == 1 and type(stops[0]) is int for stops in routes)
    assert sorted({s for stops in routes for s in stops[1:-1]}) == list(range(2, 10))
    assert all(type(k) is int for key in r.routes["routes"] for k in key)


def test_repr_html_shows_the_objective_and_escapes_markup(transport):
    evil = "<script>alert('x')</script>"
    dairies = ["new-york", "chicago", evil]
    r = transport.solve(data={"Dairies": pd.Series([325, 300, 275], index=pd.Index(dairies, name="Dairies"),
                                                   name="demand").to_frame(),
                              "distance": DISTANCE.set_axis(dairies, axis=1)})
    page = r._repr_html_()
    assert "153.675" in page and "k$" in page and "ship (cases)" in page
    assert "<script>" not in page and html.escape(evil) in page


KNAP = """
    set I
    param a[i in I] uncertain +- 1
    param cap default 10 uncertain in [8, 12]
    param value[I]
    var x[I] >= 0 <= 5
    maximize v: sum(i) value[i] * x[i]
    use: sum(i) a[i] * x[i] <= cap
    data { I = {p, q, r}  a = {p: 2, q: 3, r: 4}  value = {p: 3, q: 4, r: 6} }
"""


def test_robust_and_the_models_own_data(write_model):
    # tests/test_robust.py's knapsack: nominal 15 (x[r] = 2.5); box: every a one up, cap 8, x[r] = 8 / 5, 9.6;
    # level 0.5: a + 0.5, cap 9, x[r] = 2, 12
    knap = milkrun.load(write_model(KNAP))
    r = knap.solve(robust="box")
    assert r.objective == approx(9.6) and r.robust["nominal_optimum"] == approx(15) and r.robust["price"] == approx(5.4)
    assert knap.solve(robust="box", level=0.5).objective == approx(12)
    assert knap.params["a"].uncertain == "uncertain +- 1"
    with pytest.raises(milkrun.MilkrunError, match="needs --budget"):
        knap.solve(robust="budget")
    with pytest.raises(milkrun.MilkrunError, match="level= and budget= go with robust="):
        knap.solve(level=0.5)
    # the model's data block stays: a value given there and by an object is given twice
    with pytest.raises(milkrun.MilkrunError) as info:
        knap.solve(data={"value": {"p": 3, "q": 4, "r": 6}})
    assert str(info.value).startswith("data['value']: entry (I 'p'): error: parameter 'value' is given twice")


def test_compile_without_solving(transport):
    compiled = transport.compile(data={"freight": 45})
    assert set(compiled.linopy.variables) == {"ship"} and float(compiled.instance.param("freight")) == 45


# ------------------------------------------------------------------ the studies
def test_pareto_on_knapsack2_gives_the_published_front():
    front = milkrun.load("knapsack2").pareto(points=492)  # range 2020 - 1529, + 1 (tests/test_pareto.py)
    assert len(front) == 35 and front.objectives == ["z1", "z2"]
    ds = front.dataset()
    assert ds.sizes["point"] == 35 and set(ds["take"].dims) == {"point", "Items"}
    assert front.payoff().loc["z1", "z2"] == approx(1529) and front.table()["z1"].max() == approx(2103)
    assert "35 Pareto point(s)" in front._repr_html_()


SITES = """
    set Sites
    set Farms
    param cap[Sites] default 100
    param open_cost[Sites] default 50
    param milk[Farms]
    param dist[Farms, Sites]
    var open[Sites] binary design
    var go[Farms, Sites] binary
    minimize cost: sum(s) open_cost[s] * open[s] + sum(f, s) dist[f, s] * milk[f] * go[f, s]
    one[f in Farms]: sum(s) go[f, s] == 1
    fits[s in Sites]: sum(f) milk[f] * go[f, s] <= cap[s] * open[s]
    kpi utilisation "%": 100 * sum(f) milk[f] / sum(s) cap[s] * open[s]
"""


def test_twin_with_data_as_objects(write_model, tmp_path):
    # tests/test_twin.py's case by hand: baseline 250 (both sites: 100 + 60 + 60 + 30); c's distance to x
    # doubled: held 280, re-planned with c moved to y 256
    model = milkrun.load(write_model(SITES))
    dist = pd.DataFrame({"x": [1, 3, 1], "y": [3, 1, 1.2]}, index=pd.Index(["a", "b", "c"], name="Farms"))
    data = {"Sites": ["x", "y"], "Farms": ["a", "b", "c"], "milk": {"a": 60, "b": 60, "c": 30}, "dist": dist}
    twin = model.twin(["dist[c,x]*=2"], data=data, out=tmp_path / "twin")
    assert twin.design == ["open"]
    assert twin.baseline.objectives["cost"] == approx(250) and twin.baseline.kpis["utilisation"] == approx(75)
    assert twin.fixed.objectives["cost"] == approx(280) and twin.adjusted.objectives["cost"] == approx(256)
    assert twin.table().loc["cost", "adjusted vs baseline %"] == approx(100 * 6 / 250)
    assert isinstance(twin.baseline.result, milkrun.Result)
    assert (tmp_path / "twin" / "twin.csv").exists() and "digital twin" in twin._repr_html_()


def test_sweep_over_a_grid_checked_by_hand(transport, tmp_path):
    # cost is freight * distance / 1000 per case, so the optimum scales with freight: 153.675 * f / 90
    sweep = transport.sweep(grid={"freight": [45, 90, 180]})
    assert sweep.out is None and sweep.n_solved == 3
    assert sweep.dataset["objective"].sel(freight=45).item() == approx(153.675 / 2)
    assert sweep.dataset["objective"].values == approx([76.8375, 153.675, 307.35])
    assert list(sweep.points["status"]) == ["optimal"] * 3

    # data as objects: written as CSV tables in out/data/ for the workers; distance 1 everywhere
    # gives 900 cases * freight / 1000
    ones = pd.DataFrame(1.0, index=pd.Index(CENTRES, name="Centres"), columns=DAIRIES)
    out = tmp_path / "sweep"
    sweep = transport.sweep(grid={"freight": [50, 100]}, data={"distance": ones}, out=out)
    assert sweep.dataset["objective"].values == approx([45.0, 90.0])
    assert sorted(p.name for p in (out / "data").iterdir()) == ["Centres.csv", "Dairies.csv", "distance.csv"]
    assert (out / "sweep.nc").exists() and sweep.out == out
    with pytest.raises(milkrun.MilkrunError, match="already holds a sweep"):
        transport.sweep(grid={"freight": [50, 100]}, data={"distance": ones}, out=out)
    with pytest.raises(milkrun.MilkrunError, match=re.escape("data['distance']: row 0 (Centres 'seattle')")):
        transport.sweep(grid={"freight": [50]}, data={"distance": -ones}, out=tmp_path / "bad")


def test_the_folder_a_sweep_writes_gives_the_same_data(transport, tmp_path):
    from milkrun.compiler.data.objects import Tables, write_folder

    data = Tables({"demand": DEMAND * 0.5})
    folder = write_folder(transport.ir, data, transport.data_folder, tmp_path / "data")
    assert (folder / "Dairies.csv").read_text().splitlines()[0] == "Dairies"  # its demand column left out
    assert solve_model(TRANSPORT, data=folder).objective == approx(transport.solve(data=data.objects).objective)


# ------------------------------------------------------------------ docs/python.md
DOC = REPO / "docs" / "python.md"
FENCE = re.compile(r"^```(\w*)\s*$")


def doc_blocks(text: str) -> list[tuple[int, str, str | None]]:
    """(line, code, shown output or None) of every ```python block; its output is the ```text block
    right after it (blank lines between)."""
    lines = text.split("\n")
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m or not m.group(1):
            i += 1
            continue
        j = i + 1
        while not FENCE.match(lines[j]):
            j += 1
        blocks.append((i + 1, m.group(1), "\n".join(lines[i + 1:j])))
        i = j + 1
    out = []
    for k, (line, lang, body) in enumerate(blocks):
        if lang != "python":
            continue
        nxt = blocks[k + 1] if k + 1 < len(blocks) else None
        closing = line + body.count("\n") + 1  # 0-based index of the block's closing fence
        between = lines[closing + 1:nxt[0] - 1] if nxt else []
        shown = nxt[2] if nxt and nxt[1] == "text" and not any(x.strip() for x in between) else None
        out.append((line, body, shown))
    return out


def same_output(shown: str, printed: str) -> bool:
    """Line by line after trailing blanks are dropped; a line `...` stands for any lines."""
    pattern = "".join(r"(?:[^\n]*\n)*?" if s.strip() == "..." else re.escape(s.rstrip()) + r"\n"
                      for s in shown.rstrip("\n").split("\n"))
    text = "".join(p.rstrip() + "\n" for p in printed.rstrip("\n").split("\n"))
    return re.fullmatch(pattern, text) is not None


def test_the_doc_blocks_are_read():
    blocks = doc_blocks("```python\nprint(1)\n```\n\n```text\n1\n```\n```python\nx = 2\n```\n```\n$ no\n```\n")
    assert blocks == [(1, "print(1)", "1"), (8, "x = 2", None)]
    assert same_output("a\n...\nd", "a\nb\nc\nd\n") and not same_output("a\nd", "a\nb\nd")


def test_every_python_block_of_the_doc_runs_and_prints_what_it_shows(tmp_path):
    """The page is one notebook: its blocks run in order as one script, in a fresh interpreter and a
    scratch folder, each block's output marked off so it can be compared with what the page shows."""
    blocks = doc_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 10 and sum(shown is not None for _, _, shown in blocks) >= 6
    marker = "--- docs/python.md block at line {} ---"
    script = "\n".join(f"print({marker.format(line)!r}, flush=True)\n{code}" for line, code, _ in blocks)
    (tmp_path / "notebook.py").write_text(script + "\n", encoding="utf-8")
    # run as a notebook kernel runs it: no script path, so worker processes do not start it again
    proc = subprocess.run([sys.executable, "-c", "import runpy; runpy.run_path('notebook.py', run_name='notebook')"],
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    parts = re.split(r"^--- docs/python\.md block at line (\d+) ---\n", proc.stdout, flags=re.MULTILINE)[1:]
    printed = dict(zip(map(int, parts[0::2]), parts[1::2]))
    assert sorted(printed) == [line for line, _, _ in blocks]
    failures = [f"docs/python.md:{line}: shows\n{shown}\nprints\n{printed[line]}"
                for line, _, shown in blocks if shown is not None and not same_output(shown, printed[line])]
    assert not failures, "\n\n".join(failures)
