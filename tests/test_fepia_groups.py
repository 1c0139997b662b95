"""The seed's second grouping rule (Polo Roa et al. 2023, section 4: configurations that "vary only in
opening another cluster with a lower capacity tank" are the same): two configurations that differ
only by one extra tank of the smallest type are one group, with the reason each member joined.

Worked by hand on the six designs of test_fepia.py's four-farm model (its fronts, in order: lo a·big,
lo a·big e·small, hi b·big, hi b·big e·small, peak b·big f·small, peak b·big e·big; each seen once).
b is 100 m north of a, f 500 m south of a, e a kilometre east. The small type (12 L) has the least
capacity, the big one 50 L. With the rule and sites within 250 m, a·big (first seen) keeps:
  a·big e·small   = a·big plus one small tank at e
  b·big           = a·big with its tank 100 m away
  b·big e·small   = b·big plus a small tank at e, and b within 250 m of a
  b·big f·small   = the same with the small tank at f
and b·big e·big stays apart: its extra tank is big. No solve here: the designs are built by hand
(the end-to-end run with the rule is in test_fepia_held.py), so the file takes a second or two.
"""
from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from conftest import dedent
from test_fepia import DESIGNS, MINI

from milkrun.compiler.pipeline import bind_data, load_model
from milkrun.compiler.studies.fepia.configurations import Configuration, find_sites, group, match
from milkrun.compiler.studies.fepia.small import find_small_types


@pytest.fixture(scope="module")
def mini_model(tmp_path_factory):
    p = tmp_path_factory.mktemp("mini_groups") / "mini.mcp"
    p.write_text(dedent(MINI))
    ir = load_model(p)
    instance, _ = bind_data(ir, None)
    sites, _ = find_sites(ir, instance, ["Z"], None)
    return p, ir, instance, sites


def _conf(text: str, seen: int = 1, order: int = 0) -> Configuration:
    """'a·big e·small' (or 'e·small=2' for two tanks) as a configuration seen `seen` times."""
    entries = []
    for part in text.split():
        where, _, value = part.partition("=")
        site, kind = where.split("·")
        entries.append(("Z", (site, kind), float(value or 1)))
    c = Configuration(tuple(sorted(entries)), {"Z": xr.DataArray(np.zeros((1, 1)), dims=("m", "t"))})
    c.seen, c.order = [("s", i) for i in range(seen)], order
    return c


def _fronts() -> list[Configuration]:
    return [_conf(d, order=i) for i, d in enumerate(DESIGNS.values())]


def _groups(groups):
    """{label: [(design, why)]}, the kept one first."""
    return {g.label: [(g.kept.text(), g.why(g.kept))] + [(c.text(), g.why(c)) for c in g.members if c is not g.kept]
            for g in groups}


def test_the_smallest_type_is_read_from_capacity(mini_model):
    _, ir, instance, sites = mini_model
    small, how = find_small_types(ir, instance, ["Z"], sites)
    assert small.labels == {"small"} and small.position == {"Z": 1}
    assert how == "small: least capacity, 12"
    assert small.holds(("Z", ("e", "small"), 1.0)) and not small.holds(("Z", ("e", "big"), 1.0))
    # named instead: here the big type plays the small one
    named, how = find_small_types(ir, instance, ["Z"], sites, small_types=["big"])
    assert named.labels == {"big"} and how == "big: named by --small-types"
    # another size parameter: the cost (30 against 50) makes the same choice
    by_cost, how = find_small_types(ir, instance, ["Z"], sites, size_param="cost")
    assert by_cost.labels == {"small"} and how == "small: least cost, 30"
    off, why = find_small_types(ir, instance, ["Z"], sites, on=False)
    assert off is None and "--no-group-extra-small" in why


def test_without_a_capacity_the_rule_is_off_and_says_why(write_model):
    p = write_model(MINI.replace("capacity", "litres"))
    ir = load_model(p)
    instance, _ = bind_data(ir, None)
    small, why = find_small_types(ir, instance, ["Z"], None)
    assert small is None
    assert why == ("configurations with one more small tank are not grouped: the model has no 'capacity' "
                   "parameter to tell the small types (name them with --small-types, or their size with "
                   "--size-param NAME)")
    assert find_small_types(ir, instance, ["Z"], None, size_param="litres")[0].labels == {"small"}


def test_the_four_farm_designs_with_the_rule(mini_model):
    *_, sites = mini_model
    small, _ = find_small_types(*mini_model[1:3], ["Z"], sites)
    assert _groups(group(_fronts(), sites, 250, small)) == {
        "A": [("a·big", "kept"),
              ("a·big e·small", "A plus one small tank at e"),
              ("b·big", "same sites within 250 m"),
              ("b·big e·small", "A plus one small tank at e, the other sites within 250 m"),
              ("b·big f·small", "A plus one small tank at f, the other sites within 250 m")],
        "B": [("b·big e·big", "kept")]}  # one big tank more is another configuration
    # within 50 m, a and b (100 m apart) are apart, each with its small-tank variants
    assert _groups(group(_fronts(), sites, 50, small)) == {
        "A": [("a·big", "kept"), ("a·big e·small", "A plus one small tank at e")],
        "B": [("b·big", "kept"), ("b·big e·small", "B plus one small tank at e"),
              ("b·big f·small", "B plus one small tank at f")],
        "C": [("b·big e·big", "kept")]}


def test_the_four_farm_designs_without_the_rule(mini_model):
    """--no-group-extra-small: the distance alone, as test_fepia.py's run (four groups)."""
    *_, sites = mini_model
    assert _groups(group(_fronts(), sites, 250, None)) == {
        "A": [("a·big", "kept"), ("b·big", "same sites within 250 m")],
        "B": [("a·big e·small", "kept"), ("b·big e·small", "same sites within 250 m")],
        "C": [("b·big f·small", "kept")], "D": [("b·big e·big", "kept")]}


def test_either_way_round_one_more_of_a_kind_and_no_chains(mini_model):
    *_, sites = mini_model
    small, _ = find_small_types(*mini_model[1:3], ["Z"], sites)
    # the configuration seen most often keeps the group even when it has the extra tank
    more, less = _conf("a·big e·small", seen=2, order=1), _conf("a·big", order=0)
    assert _groups(group([less, more], sites, 250, small)) == {
        "A": [("a·big e·small", "kept"), ("a·big", "A without its small tank at e")]}
    # an integer design: two small tanks at e against one is one more small tank
    two = group([_conf("a·big e·small", order=0), _conf("a·big e·small=2", order=1)], sites, 250, small)
    assert _groups(two)["A"][1] == ("a·big e·small=2", "A plus one more small tank at e")
    two = group([_conf("a·big e·small", order=0), _conf("a·big e·small=2", seen=2, order=1)], sites, 250, small)
    assert _groups(two)["A"][1] == ("a·big e·small", "A with one small tank fewer at e")
    # no chaining: a·big e·small f·small is two small tanks from the kept a·big
    chain = group([_conf("a·big", seen=2), _conf("a·big e·small", order=1), _conf("a·big e·small f·small", order=2)],
                  sites, 250, small)
    assert _groups(chain) == {"A": [("a·big", "kept"), ("a·big e·small", "A plus one small tank at e")],
                              "B": [("a·big e·small f·small", "kept")]}
    # a small tank more AND a big one swapped for a small one: not one extra small tank
    assert match(_conf("a·big"), _conf("a·small e·small"), sites, 250, small) is None
    # without coordinates the sites must be the same, the small tank still may be extra
    assert _groups(group(_fronts()[:3], None, 250, small)) == {
        "A": [("a·big", "kept"), ("a·big e·small", "A plus one small tank at e")], "B": [("b·big", "kept")]}


def test_wrong_names_are_refused_before_any_solve(cli, mini_model, tmp_path):
    mini = mini_model[0]
    out = tmp_path / "out"
    code, _, err = cli("fepia", mini, "--small-types", "smal", "--out", out)
    assert code == 2 and "--small-types: 'smal' is not a type of the design variables" in err
    assert "did you mean 'small'" in err
    code, _, err = cli("fepia", mini, "--small-types", "f", "--out", out)  # a site, not a type
    assert code == 2 and "'f' is not a type of the design variables" in err
    code, _, err = cli("fepia", mini, "--size-param", "capacty", "--out", out)
    assert code == 2 and "--size-param: the model has no parameter 'capacty'" in err
    assert "did you mean 'capacity'" in err
    code, _, err = cli("fepia", mini, "--size-param", "cows", "--out", out)
    assert code == 2 and "'cows' is over Farms, not over a set of the design variables' types (Types)" in err
    code, _, err = cli("fepia", mini, "--size-param", "capacity", "--small-types", "small", "--out", out)
    assert code == 2 and "give one" in err
    code, _, err = cli("fepia", mini, "--no-group-extra-small", "--small-types", "small", "--out", out)
    assert code == 2 and "--no-group-extra-small turns off" in err
    code, _, err = cli("fepia", mini, "--held-objective", "c02", "--out", out)
    assert code == 2 and "--held-objective: the model has no objective 'c02'" in err and "did you mean 'co2'" in err
    code, _, err = cli("fepia", mini, "--held-front", "1", "--out", out)
    assert code == 2 and "--held-front needs 2 or more points" in err
    assert "Traceback" not in err and not out.exists()  # refused before anything ran
