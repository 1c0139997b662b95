"""Units and descriptions: `unit "..."` on parameters, variables, objectives and kpis, and where
they show: the printed report, `--json`, `--out` (summary.json, solution.nc) and plot axes."""
from __future__ import annotations

import json

import pytest
import xarray as xr

from conftest import REPO, dedent
from milkrun.dsl import ast
from milkrun.dsl.parser import parse_text

TWO_GOALS = """
    model mix "two products, two goals"
    set Products = {a, b}
    param profit[Products] default 1 unit "$/t"
    param co2[Products] = 2 "emitted per tonne" unit "kg/t"
    param cap default 10 unit "t"
    var make[Products] >= 0 "produced" unit "t"
    var spare >= 0 unit "t"
    maximize money "profit" unit "k$": sum(p) profit[p] * make[p]
    minimize emissions "CO₂" unit "kg/year": sum(p) co2[p] * make[p] + make['a']
    kpi share[p in Products] "of the output" unit "%": 100 * make[p] / sum(q) make[q]
    kpi total unit "t": sum(p) make[p]
    kpi plain "no unit": sum(p) make[p]
    room: sum(p) make[p] + spare <= cap
    least: make['b'] >= 1
"""


def test_parsed_units_on_each_kind():
    m = parse_text(dedent(TWO_GOALS), "mix.mcp")
    decls = {s.name: s for s in m.statements if hasattr(s, "name")}
    assert (decls["profit"].doc, decls["profit"].unit) == (None, "$/t")
    assert (decls["co2"].doc, decls["co2"].unit) == ("emitted per tonne", "kg/t")  # after the formula
    assert (decls["make"].doc, decls["make"].unit) == ("produced", "t")
    assert (decls["spare"].doc, decls["spare"].unit) == (None, "t")
    assert isinstance(decls["money"], ast.Objective)
    assert (decls["money"].doc, decls["money"].unit, decls["money"].sense) == ("profit", "k$", "maximize")
    assert (decls["emissions"].doc, decls["emissions"].unit) == ("CO₂", "kg/year")
    assert (decls["share"].doc, decls["share"].unit) == ("of the output", "%")
    assert (decls["total"].doc, decls["total"].unit) == (None, "t")
    assert (decls["plain"].doc, decls["plain"].unit) == ("no unit", None)


def test_unit_and_description_in_either_order():
    m = parse_text('var x >= 0 unit "t" "tonnes made"\nparam p unit "m" = 3\nminimize c unit "k$" "cost": x\n')
    x, p, c = m.statements
    assert (x.doc, x.unit) == ("tonnes made", "t")
    assert (p.unit, p.definition.value) == ("m", 3)
    assert (c.doc, c.unit) == ("cost", "k$")


def test_an_objective_takes_a_description_alone():
    (c,) = parse_text('minimize cost "k$": 1\n').statements[-1:]
    assert (c.doc, c.unit) == ("k$", None)  # a bare string is always the description


def test_model_units_in_the_ir():
    from milkrun.compiler.pipeline import load_model

    ir = load_model(REPO / "models" / "transport.mcp")
    assert ir.units == {"ship": "cases", "total_cost": "k$"}
    ir = load_model(REPO / "models" / "location.mcp")
    assert {k: ir.units[k] for k in ("npv", "co2")} == {"npv": "M COP", "co2": "kg/year"}
    assert (ir.symbols["co2"].decl.doc, ir.symbols["npv"].decl.doc) == ("CO₂", "NPV")


@pytest.mark.parametrize("text, line, column, words", [
    ('var x unit "t" unit "kg"', 1, 16, ['a unit is given twice (unit "t" comes first)']),
    ('var x >= 0 "made" unit "t" "again"', 1, 28, ["one description"]),
    ('param p unit "t" = 3 unit "kg"', 1, 22, ["a unit is given twice"]),
    ('set S unit "kg"', 1, 7, ["set 'S' has no unit", "parameters, variables, objectives and kpis"]),
    ('set S = {a, b} "the sites" unit "kg"', 1, 28, ["set 'S' has no unit"]),
    ('model m "a model" unit "kg"', 1, 19, ["a model has no unit"]),
    ('scenario dry unit "kg": a = 1', 1, 14, ["scenario 'dry' has no unit"]),
    ('var x unit ""', 1, 7, ["a unit cannot be empty"]),
])
def test_misplaced_units_are_located_errors(expect_error, text, line, column, words):
    expect_error(parse_text, text, "m.mcp", line=line, column=column, contains=words)


def test_a_constraint_called_unit_after_a_declaration_gets_a_hint(expect_error):
    err = expect_error(parse_text, "var x >= 0\nunit: x <= 3\n", "m.mcp", line=2, column=5)
    assert "'unit' is a keyword" in (err.hint or "")
    err = expect_error(parse_text, "var x >= 0\nminimize c: x\nunit: x <= 3\n", "m.mcp", line=3, column=1)
    assert "'unit' is a keyword" in (err.hint or "")


def test_unit_is_a_name_elsewhere():
    """Only where a declaration may end is `unit` a keyword: a parameter may be called so."""
    m = parse_text("param unit = 3\nvar x >= 0\nc: x * unit >= 1\n")
    assert m.statements[0].name == "unit"


def test_json_holds_the_units(cli, write_model):
    code, out, _ = cli("solve", REPO / "models" / "transport.mcp", "--json")
    assert code == 0 and json.loads(out)["units"] == {"ship": "cases", "total_cost": "k$"}
    code, out, _ = cli("solve", write_model(TWO_GOALS, "mix.mcp"), "--json")
    doc = json.loads(out)
    assert code == 0
    assert doc["units"] == {"make": "t", "spare": "t", "money": "k$", "emissions": "kg/year", "share": "%",
                            "total": "t"}  # the figures of the result; parameters are inputs


def test_printed_report_shows_the_units(cli, write_model):
    code, out, _ = cli("solve", REPO / "models" / "transport.mcp")
    assert code == 0
    assert "  objective total_cost (minimise): 153.675 k$\n" in out
    assert "ship (cases): 3 non-zero" in out
    code, out, _ = cli("solve", write_model(TWO_GOALS, "mix.mcp"))
    assert code == 0
    assert "  objective money (maximise): 10 k$\n" in out
    assert "  objective emissions (not optimised): " in out and out.split("emissions (not optimised): ")[1].split(
        "\n")[0].endswith(" kg/year")
    assert "  total = 10 t\n" in out
    assert "  plain (no unit) = 10\n" in out  # a kpi's description, as before
    assert "share (of the output; %)" in out
    assert "make (t): " in out


def test_out_keeps_the_csv_columns_and_puts_units_in_summary_and_netcdf(cli, tmp_path):
    out = tmp_path / "out"
    code, _, _ = cli("solve", REPO / "models" / "transport.mcp", "--out", out, "-q")
    assert code == 0
    assert (out / "ship.csv").read_text().splitlines()[0] == "Centres,Dairies,ship"  # tools read it as before
    assert json.loads((out / "summary.json").read_text())["units"] == {"ship": "cases", "total_cost": "k$"}
    with xr.open_dataset(out / "solution.nc") as ds:
        assert ds["ship"].attrs["units"] == "cases"


def test_figure_labels():
    from milkrun.compiler.pipeline import load_model
    from milkrun.compiler.report.plots import figure_label, objective_labels

    assert figure_label("co2", "CO₂", "kg/year", "min") == "CO₂ (kg/year)"
    assert figure_label("co2", None, "kg/year", "min") == "co2 (kg/year)"
    assert figure_label("co2", "CO₂", None, "min") == "CO₂"
    assert figure_label("co2", None, None, "min") == "co2 (min)"
    labels = objective_labels(load_model(REPO / "models" / "location.mcp"))
    assert labels == {"npv": "NPV (M COP)", "co2": "CO₂ (kg/year)"}
    labels = objective_labels(load_model(REPO / "models" / "knapsack2.mcp"))
    assert labels == {"z1": "z1 (max)", "z2": "z2 (max)"}


@pytest.fixture
def drawn(monkeypatch):
    """The axis labels of every figure closed while the test runs (the plots close what they save)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = []
    close = plt.close

    def record(fig=None):
        if fig is not None and hasattr(fig, "axes"):
            labels.append([(ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes if ax.get_xlabel()])
        return close(fig)

    monkeypatch.setattr(plt, "close", record)
    return labels


def test_front_plot_axes_read_description_and_unit(cli, write_model, tmp_path, drawn):
    out = tmp_path / "front"
    code, _, err = cli("pareto", write_model(TWO_GOALS, "mix.mcp"), "--points", "3", "--out", out, "-q")
    assert code == 0, err
    assert (out / "front.png").exists()
    assert drawn == [[("CO₂ (kg/year)", "profit (k$)")]]


def test_front_plot_without_units_keeps_name_and_sense(cli, tmp_path, drawn):
    code, _, err = cli("pareto", REPO / "models" / "knapsack2.mcp", "--points", "3", "--out", tmp_path / "k", "-q")
    assert code == 0, err
    assert drawn == [[("z2 (max)", "z1 (max)")]]


def test_fepia_labels_its_axes_with_units():
    from milkrun.compiler.studies.fepia.run import FepiaSpec, prepare

    _, res, _ = prepare(FepiaSpec(str(REPO / "models" / "location.mcp")))
    assert res.labels["npv"] == "NPV (M COP)" and res.labels["co2"] == "CO₂ (kg/year)"
    # no unit declared: the name and the first clause of the description, which says it in words
    assert res.labels[res.perturbation] == "yield_per_cow: L per cow and year"
    assert res.labels["utilisation"] == "utilisation: % of installed capacity"
    assert res.labels["mean_km_moto"] == "mean_km_moto: km, by motorcycle"
