"""The multi-objective pass (`milkrun pareto`): AUGMECON2 fronts checked against exact ones.

- 2kp50, the bi-objective knapsack of the AUGMECON2 paper (shared/benchmarks/multiobjective/,
  converted by milkrun.models.knapsack_tables for models/knapsack2.mcp), must give exactly its
  published 35 points and payoff table. Like tests/test_vrp.py, a missing benchmark folder is a
  failure, not a skip.
- Small random knapsacks (8-9 items, seeded numpy, some objectives minimised) are enumerated in
  numpy: with points = range + 1 AUGMECON2 must return exactly the non-dominated set. With three
  objectives the grid spans the payoff table, whose worst values can be better than the true
  nadir; Pareto points below them are out of its reach (see test_three_objectives_below_payoff_nadir).
- Zero ranges, weighted sums (with the range normalisation of multiobjective.weighted), errors,
  --json and --out.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from milkrun.compiler.studies.pareto.run import run_pareto
from milkrun.models.knapsack_tables import convert

from conftest import REPO

BENCH = next((p for p in (REPO.parent / "shared" / "benchmarks", Path("/work/shared/benchmarks"))
              if (p / "multiobjective" / "2kp50" / "a.csv").exists()), REPO.parent / "shared" / "benchmarks")
KP50 = BENCH / "multiobjective" / "2kp50"
KNAPSACK2 = REPO / "models" / "knapsack2.mcp"


def needs_bench() -> None:
    """The benchmark files are part of the check: a missing folder is a failure, said plainly."""
    assert (KP50 / "a.csv").exists(), f"benchmark instances not found in {BENCH / 'multiobjective'}"


# ------------------------------------------------------------------ helpers
def knapsack_model(senses: list[int], name: str = "kp") -> str:
    """A knapsack model with objective z_k maximised (sense 1) or minimised (sense -1)."""
    objectives = "\n".join(f"{'maximize' if s > 0 else 'minimize'} z{k}: sum(i) value[{k}, i] * take[i]"
                           for k, s in enumerate(senses, start=1))
    return (f"model {name}\n"
            "set Items; set Resources; set Objectives\n"
            "param value[Objectives, Items]; param weight[Resources, Items] >= 0; param capacity[Resources]\n"
            "var take[Items] binary\n"
            f"{objectives}\n"
            "subject to\n"
            "  room[r in Resources]: sum(i) weight[r, i] * take[i] <= capacity[r]\n")


def write_augmecon(folder: Path, value: np.ndarray, weight: np.ndarray, capacity: np.ndarray) -> Path:
    """a.csv, b.csv, c.csv as in the AUGMECON2 / pyaugmecon files (unnamed first header cell)."""
    folder.mkdir(parents=True, exist_ok=True)
    items = range(1, value.shape[1] + 1)
    pd.DataFrame(weight, index=range(1, len(weight) + 1), columns=items).to_csv(folder / "a.csv")
    pd.DataFrame(capacity, index=range(1, len(capacity) + 1), columns=[1]).to_csv(folder / "b.csv")
    pd.DataFrame(value, index=range(1, len(value) + 1), columns=items).to_csv(folder / "c.csv")
    return folder


def exact_front(value, weight, capacity, senses) -> set[tuple[int, ...]]:
    """Every subset of the items, in numpy: the non-dominated objective vectors (user's signs)."""
    n = value.shape[1]
    x = (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1
    x = x[(x @ weight.T <= capacity).all(axis=1)]
    f = np.unique(x @ value.T, axis=0)
    g = f * np.asarray(senses)                            # maximise form
    ge = (g[None, :, :] >= g[:, None, :]).all(axis=2)    # [i, j]: j at least as good as i
    gt = (g[None, :, :] > g[:, None, :]).any(axis=2)
    return {tuple(int(v) for v in row) for row in f[~(ge & gt).any(axis=1)]}


def points_of(front, names) -> set[tuple[int, ...]]:
    got = [tuple(int(round(p[k])) for k in names) for p in front.points]
    for p in front.points:  # integer data: every value is an integer
        assert all(abs(p[k] - round(p[k])) < 1e-6 for k in names), p
    assert len(got) == len(set(got)), f"duplicate points in {got}"
    return set(got)


def grid_points(front_set, senses) -> int:
    """range + 1 per secondary objective (one grid point per integer value); the front's range is
    at least the payoff table's, so every integer value inside the grid's box is reached."""
    g = np.array(sorted(front_set)) * np.asarray(senses)
    return int((g.max(axis=0) - g.min(axis=0))[1:].max()) + 1


def make_instance(tmp_path: Path, seed: int, n_items: int, senses: list[int], n_resources: int = 2):
    rng = np.random.default_rng(seed)
    value = rng.integers(0, 10, size=(len(senses), n_items))
    weight = rng.integers(1, 20, size=(n_resources, n_items))
    capacity = weight.sum(axis=1) // 2
    folder = tmp_path / f"seed{seed}"
    data = convert(write_augmecon(folder / "src", value, weight, capacity), folder / "data")
    model = folder / "kp.mcp"
    model.write_text(knapsack_model(senses))
    return model, data, exact_front(value, weight, capacity, senses)


def no_traceback(err: str) -> None:
    assert "Traceback" not in err and "internal error" not in err, err


# ------------------------------------------------------------------ the converter
def test_converter_writes_milkrun_tables_and_leaves_the_source(tmp_path):
    needs_bench()
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in KP50.iterdir()}
    out = convert(KP50, tmp_path / "2kp50")
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in KP50.iterdir()} == before
    assert sorted(p.name for p in out.iterdir()) == ["Items.csv", "Objectives.csv", "Resources.csv",
                                                     "capacity.csv", "value.csv", "weight.csv"]
    assert (out / "Items.csv").read_text().split() == ["Items", *map(str, range(1, 51))]
    assert (out / "Objectives.csv").read_text().split() == ["Objectives", "1", "2"]
    assert (out / "capacity.csv").read_text().split() == ["Resources,capacity", "1,1445", "2,1502.5"]
    weight = (out / "weight.csv").read_text().splitlines()
    assert weight[0] == "Resources," + ",".join(map(str, range(1, 51)))
    assert weight[1].startswith("1,84,49,68,20,97,")          # a.csv, resource 1
    value = (out / "value.csv").read_text().splitlines()
    assert value[1].startswith("1,21,69,26,92,77,")           # c.csv, objective 1
    assert len(value) == 3 and len(weight) == 3


def test_converter_as_a_module(tmp_path, capsys):
    from milkrun.models.knapsack_tables import main  # what `python -m milkrun.models.knapsack_tables` runs

    src = write_augmecon(tmp_path / "src", np.array([[1, 2], [3, 4]]), np.array([[5, 6]]), np.array([7]))
    assert main([str(src), str(tmp_path / "out")]) == 0
    assert "knapsack2.mcp" in capsys.readouterr().out
    assert (tmp_path / "out" / "value.csv").read_text() == "Objectives,1,2\n1,1,2\n2,3,4\n"
    assert (tmp_path / "out" / "capacity.csv").read_text() == "Resources,capacity\n1,7\n"
    assert main([str(tmp_path / "nowhere"), str(tmp_path / "out2")]) == 2
    assert "a.csv: not found" in capsys.readouterr().err
    with pytest.raises(ValueError, match="source"):
        convert(src, src)


# ------------------------------------------------------------------ 2kp50, the published front
@pytest.fixture(scope="module")
def kp50(tmp_path_factory):
    needs_bench()
    data = convert(KP50, tmp_path_factory.mktemp("kp") / "2kp50")
    return run_pareto(str(KNAPSACK2), str(data), points=492)  # range 2020 - 1529, + 1


def test_2kp50_gives_the_published_front_and_payoff(kp50):
    _, front = kp50
    published = pd.read_csv(KP50 / "pareto_sols.csv", index_col=0).to_numpy()
    payoff = pd.read_csv(KP50 / "payoff_table.csv", index_col=0).to_numpy()
    assert len(published) == 35
    assert front.objectives == ["z1", "z2"]
    assert points_of(front, ["z1", "z2"]) == {tuple(map(int, row)) for row in published}
    assert len(front.points) == 35
    assert np.array_equal(np.round(front.payoff), payoff), front.payoff
    assert all(s == "optimal" for s in front.statuses)
    assert [p["z1"] for p in front.points] == sorted((p["z1"] for p in front.points), reverse=True)


def test_2kp50_bypass_skips_most_of_the_grid(kp50):
    _, front = kp50
    grid = 492
    assert front.solves < 60, front.solves
    assert front.skipped_bypass > 400
    # every grid point is either solved or skipped (the payoff table takes 2 x 2 solves)
    assert front.solves - 4 + front.skipped_bypass + front.skipped_infeasible == grid


# ------------------------------------------------------------------ exact fronts by enumeration
@pytest.mark.parametrize("seed, senses", [(1, [1, 1]), (2, [1, -1]), (3, [-1, 1])])
def test_two_objectives_match_enumeration(tmp_path, seed, senses):
    model, data, exact = make_instance(tmp_path, seed, 10, senses)
    _, front = run_pareto(str(model), str(data), points=grid_points(exact, senses))
    assert points_of(front, ["z1", "z2"]) == exact


# The payoff-table box, for three objectives, holds the seeds' whole fronts (1, 5) or not (2, 4).
@pytest.mark.parametrize("seed, senses", [(1, [1, 1, -1]), (2, [1, 1, 1]), (4, [1, -1, 1]), (5, [1, 1, -1])])
def test_three_objectives_match_enumeration_within_the_payoff_box(tmp_path, seed, senses):
    model, data, exact = make_instance(tmp_path, seed, 9, senses)
    _, front = run_pareto(str(model), str(data), points=grid_points(exact, senses))
    got = points_of(front, ["z1", "z2", "z3"])
    worst = (front.payoff * np.asarray(senses)).min(axis=0)  # the grid starts here (maximise form)
    in_box = {p for p in exact if all(s * v >= w for s, v, w in list(zip(senses, p, worst))[1:])}
    assert got <= exact, f"not Pareto-optimal: {got - exact}"
    assert got == in_box


def test_three_objectives_below_payoff_nadir(tmp_path):
    # seed 0: 11 Pareto points, 3 of them worse in z2 or z3 than any row of the payoff table;
    # the payoff table's grid misses them, a grid from the true nadir (--nadir) finds them all
    model, data, exact = make_instance(tmp_path, 0, 9, [1, 1, 1])
    _, front = run_pareto(str(model), str(data), points=grid_points(exact, [1, 1, 1]))
    assert points_of(front, ["z1", "z2", "z3"]) < exact
    nadir = {"z2": min(p[1] for p in exact), "z3": min(p[2] for p in exact)}
    span = max(max(p[i] for p in exact) - nadir[k] for i, k in [(1, "z2"), (2, "z3")])
    _, front = run_pareto(str(model), str(data), points=int(span) + 1, nadir=nadir)
    assert points_of(front, ["z1", "z2", "z3"]) == exact
    assert front.summary()["grid_starts_from"] == {"z2": "given", "z3": "given"}


def test_scip_gives_the_same_front_as_highs(tmp_path):
    senses = [1, -1, 1]
    model, data, exact = make_instance(tmp_path, 7, 8, senses)
    points = grid_points(exact, senses)
    _, highs = run_pareto(str(model), str(data), points=points, solver="highs")
    _, scip = run_pareto(str(model), str(data), points=points, solver="scip")
    names = ["z1", "z2", "z3"]
    assert points_of(scip, names) == points_of(highs, names)
    assert np.array_equal(np.round(scip.payoff), np.round(highs.payoff))
    assert points_of(highs, names) <= exact


# ------------------------------------------------------------------ zero ranges
ZERO_RANGE = """
model flat
set Items
param v1[Items]; param v2[Items]
var take[Items] binary
maximize z1: sum(i) v1[i] * take[i]
{middle}
minimize z2: sum(i) v2[i] * take[i]
subject to
  pick: sum(i) take[i] {pick}
data {{
  Items = {{a, b, c, d, e}}
  v1 = {{a: 9, b: 7, c: 4, d: 2, e: 1}}
  v2 = {{a: 8, b: 3, c: 5, d: 1, e: 0}}
}}
"""


@pytest.mark.parametrize("middle, pick, value", [
    ("maximize flat: 0 * sum(i) take[i] + 7", "<= 3", 7),   # a constant objective
    ("minimize flat: sum(i) take[i]", "== 2", 2),             # equal for every plan
])
@pytest.mark.parametrize("order", ["inner", "outer"])
@pytest.mark.filterwarnings("error::RuntimeWarning")  # a 0/0 in numpy would be an error here
def test_zero_range_objective(write_model, middle, pick, value, order):
    text = ZERO_RANGE.format(middle=middle, pick=pick)
    if order == "outer":  # flat declared last: z2 is the inner (bypass) loop, flat the outer one
        lines = text.splitlines()
        i = next(j for j, line in enumerate(lines) if "flat:" in line)
        lines.insert(lines.index(next(line for line in lines if line.startswith("subject to"))), lines.pop(i))
        text = "\n".join(lines)
    model = write_model(text)
    _, front = run_pareto(str(model), points=20)
    assert front.objectives == (["z1", "flat", "z2"] if order == "inner" else ["z1", "z2", "flat"])
    v1 = np.array([9, 7, 4, 2, 1])
    v2 = np.array([8, 3, 5, 1, 0])
    x = (np.arange(32)[:, None] >> np.arange(5)) & 1
    x = x[x.sum(axis=1) <= 3] if pick == "<= 3" else x[x.sum(axis=1) == 2]
    exact = exact_front_of_plans(x, v1, v2)
    assert front.payoff.shape == (3, 3) and np.all(np.isfinite(front.payoff))
    assert all(p["flat"] == pytest.approx(value) for p in front.points)
    assert points_of(front, ["z1", "z2"]) == exact
    assert all(np.isfinite(p[k]) for p in front.points for k in p if not isinstance(p[k], str))


def exact_front_of_plans(x, v1, v2) -> set[tuple[int, int]]:
    """Non-dominated (max v1, min v2) pairs over the given plans."""
    f = np.unique(np.stack([x @ v1, x @ v2], axis=1), axis=0)
    g = f * np.array([1, -1])
    ge = (g[None, :, :] >= g[:, None, :]).all(axis=2)
    gt = (g[None, :, :] > g[:, None, :]).any(axis=2)
    return {tuple(int(v) for v in row) for row in f[~(ge & gt).any(axis=1)]}


# ------------------------------------------------------------------ weighted sums
# At most two of four items. Payoff (lexicographic): max z1 -> {B, C} = (32, 27);
# max z2 -> {A, D} = (19, 64). Ranges: z1 32 - 19 = 13, z2 64 - 27 = 37.
# weighted maximises sum_k (w_k / sum w + 1e-6) * z_k / range_k; with weights 1,1:
#   {C, D} (26, 54): 26/13 + 54/37 = 3.459  <- the best
#   {A, C} (27, 46): 3.320,  {A, D} (19, 64): 3.191,  {B, C} (32, 27): 3.191
# The raw sum z1 + z2 would pick {A, D} (83 > 80): the normalisation matters.
WEIGHTED = """
model pick2
set Items
param v1[Items]; param v2[Items]
var take[Items] binary
maximize z1: sum(i) v1[i] * take[i]
maximize z2: sum(i) v2[i] * take[i]
subject to
  two: sum(i) take[i] <= 2
data {
  Items = {A, B, C, D}
  v1 = {A: 10, B: 15, C: 17, D: 9}
  v2 = {A: 28, B: 9, C: 18, D: 36}
}
"""
W_V1 = np.array([10, 15, 17, 9])
W_V2 = np.array([28, 9, 18, 36])


def weighted_by_enumeration(w1: float, w2: float) -> tuple[int, int]:
    x = (np.arange(16)[:, None] >> np.arange(4)) & 1
    x = x[x.sum(axis=1) <= 2]
    z1, z2 = x @ W_V1, x @ W_V2
    total = w1 + w2
    score = (w1 / total + 1e-6) * z1 / 13 + (w2 / total + 1e-6) * z2 / 37
    order = np.argsort(-score)
    assert score[order[0]] - score[order[1]] > 1e-3, "the instance must have a unique best plan"
    return int(z1[order[0]]), int(z2[order[0]])


@pytest.mark.parametrize("weights", ["1,1", "1,0", "0,1", "3,1"])
def test_weighted_with_given_weights(write_model, cli, weights):
    model = write_model(WEIGHTED)
    code, out, err = cli("pareto", model, "--method", "weighted", "--weights", weights, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["weights_normalised_by_range"] == {"z1": 13.0, "z2": 37.0}
    w1, w2 = map(float, weights.split(","))
    assert [(p["z1"], p["z2"]) for p in summary["front"]] == [weighted_by_enumeration(w1, w2)]
    assert summary["front"][0]["weight_z1"] == pytest.approx(w1 / (w1 + w2))
    assert summary["solves"] == 4 + 1
    if weights == "1,1":
        assert (summary["front"][0]["z1"], summary["front"][0]["z2"]) == (26, 54)


def test_weighted_grid_gives_only_non_dominated_points(tmp_path):
    senses = [1, -1, 1]
    model, data, exact = make_instance(tmp_path, 3, 9, senses)
    _, front = run_pareto(str(model), str(data), method="weighted", points=6)
    got = points_of(front, ["z1", "z2", "z3"])
    assert len(got) >= 3
    assert got <= exact, f"dominated points: {got - exact}"


def test_weighted_wrong_number_of_weights(write_model, cli):
    model = write_model(WEIGHTED)
    code, out, err = cli("pareto", model, "--method", "weighted", "--weights", "1,2,3")
    assert code == 2
    assert "--weights: 3 value(s) for 2 objectives (z1, z2)" in err
    no_traceback(err)
    code, out, err = cli("pareto", model, "--method", "weighted", "--weights", "1,x")
    assert code == 2 and "--weights expects numbers" in err
    no_traceback(err)


# ------------------------------------------------------------------ errors
def test_one_objective_is_an_error(write_model, cli):
    model = write_model("""
        model one
        var x[1..3] binary
        maximize z: sum(i in 1..3) x[i]
        subject to
          c: sum(i in 1..3) x[i] <= 2
        """)
    code, out, err = cli("pareto", model)
    assert code == 2, err
    assert "a Pareto front needs two or more objectives" in err
    assert "declares 1: z" in err
    no_traceback(err)
    assert out == ""


def test_unknown_primary(write_model, cli):
    model = write_model(WEIGHTED)
    code, out, err = cli("pareto", model, "--primary", "Z2")
    assert code == 2
    assert "--primary: no objective named 'Z2'" in err and "did you mean 'z2'?" in err
    no_traceback(err)
    code, out, err = cli("pareto", model, "--primary", "zz")
    assert code == 2
    assert "--primary: no objective named 'zz'" in err
    no_traceback(err)


def test_unknown_primary_says_which_objectives_exist(write_model, cli):
    model = write_model(WEIGHTED)
    code, out, err = cli("pareto", model, "--primary", "zz")
    assert code == 2
    assert "did you mean" in err or ("z1" in err and "z2" in err), err


def test_weights_need_the_weighted_method(write_model, cli):
    model = write_model(WEIGHTED)
    code, out, err = cli("pareto", model, "--weights", "1,1")
    assert code == 2
    assert "--weights goes with --method weighted" in err
    no_traceback(err)
    assert out == ""


# ------------------------------------------------------------------ output
def test_json_output(write_model, cli):
    model = write_model(WEIGHTED)
    code, out, err = cli("pareto", model, "--points", "30", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert {"payoff", "front", "points", "solves", "skipped_by_bypass"} <= summary.keys()
    assert summary["payoff"] == {"z1": {"z1": 32.0, "z2": 27.0}, "z2": {"z1": 19.0, "z2": 64.0}}
    assert summary["points"] == len(summary["front"]) > 0
    assert all({"z1", "z2"} <= p.keys() for p in summary["front"])
    exact = exact_front(np.array([W_V1, W_V2]), np.ones((1, 4), int), np.array([2]), [1, 1])
    assert {(p["z1"], p["z2"]) for p in summary["front"]} == exact
    assert summary["solves"] >= 4 + 1


def test_out_folder(write_model, cli, tmp_path):
    model = write_model(WEIGHTED)
    out_dir = tmp_path / "front"
    code, out, err = cli("pareto", model, "--points", "38", "--out", out_dir)
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == ["front.csv", "front.nc", "front.png", "payoff.csv",
                                                          "summary.json"]
    table = pd.read_csv(out_dir / "front.csv")
    summary = json.loads((out_dir / "summary.json").read_text())
    assert len(table) == summary["points"] > 0
    assert {"z1", "z2"} <= set(table.columns)
    payoff = pd.read_csv(out_dir / "payoff.csv", index_col=0)
    assert payoff.loc["z1", "z1"] == 32 and payoff.loc["z2", "z2"] == 64
    with xr.open_dataset(out_dir / "front.nc") as ds:
        assert ds.sizes["point"] == summary["points"]
        assert ds["z1"].dims == ("point",) and ds["z2"].dims == ("point",)
        assert ds["take"].dims == ("point", "Items")
        take = ds["take"].load()
        z1 = ds["z1"].values
    for i in range(len(z1)):  # each plan gives its point's objective value
        chosen = take.isel(point=i).to_series().round()
        assert sum(W_V1["ABCD".index(str(k))] * v for k, v in chosen.items()) == z1[i]
    assert (out_dir / "front.png").stat().st_size > 1000


def test_a_point_without_a_plan_in_time_is_counted_and_the_others_go_on(tmp_path, monkeypatch):
    """A grid point whose solve hits --time-limit with no plan is lost, not fatal: the run goes on
    and the summary counts it."""
    from milkrun.compiler.solve.session import Outcome, Session

    model, data, exact = make_instance(tmp_path, 1, 8, [1, 1])
    real = Session.solve
    calls = {"grid": 0}

    def flaky(self, weights, bounds, start=None):
        if bounds and len(weights) > 1:  # an ε point (the payoff table optimises one objective at a time)
            calls["grid"] += 1
            if calls["grid"] == 2:
                return Outcome("time_limit", None, {}, 0.0)
        return real(self, weights, bounds, start)

    monkeypatch.setattr(Session, "solve", flaky)
    _, front = run_pareto(str(model), str(data), points=grid_points(exact, [1, 1]))
    assert front.no_plan_in_time == 1
    assert front.summary()["no_plan_within_time_limit"] == 1
    assert points_of(front, ["z1", "z2"]) <= exact and len(front.points) >= len(exact) - 1
