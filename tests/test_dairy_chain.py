"""models/dairy_chain.mcp: the seed's robust dairy supply chain (issue 6).

The data against the seed's tables (spec dairy-chain.md), derived parameters worked out by hand,
the recipes' chemistry (yield, fat in dry matter, BOD5 per kg) recomputed here from the formulas
written out in Python, and a reduced case (one supplier, dairy, market, recipe and product, the fat
content fixed) whose optimum, worst case under the box counterpart and weighted optimum are found
by enumerating every breakpoint of the rounded-up employees and trips.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from pytest import approx

import milkrun
from milkrun.compiler.cli.command import main
from milkrun.compiler.passes.robust import RobustOptions

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "models" / "dairy_chain.mcp"
DATA = REPO / "models" / "dairy_chain"

# the assumed compositions and factors of the data folder, written out again (Materials.csv,
# Products.csv, assumed.csv), so that the chemistry below does not read them from the model
RM1 = dict(fat=3.5, protein=3.3, casein=2.6, lactose=4.7)
RM2 = dict(fat=0.25, protein=8.5, casein=6.75, lactose=12.25)
P1 = dict(solids=20, rc=0.90, rs=1.30, fdm=(0, 9))
P2 = dict(solids=27, rc=0.90, rs=1.20, fdm=(30, 40))
RF0, RF1, CREAM = 0.90, 0.03, 40.0


@pytest.fixture(scope="module")
def nominal():
    return milkrun.solve_model(MODEL, solver="scip", time_limit=120)


def value(da, **at):
    return float(da.sel(at)) if at else float(da)


# ---------------------------------------------------------------- the model and its data

def test_model_checks_and_names_its_nonlinear_rows(capsys):
    assert main(["check", str(MODEL)]) == 0
    out = capsys.readouterr().out
    assert "dairy_chain: ok" in out
    assert "143 variables, 187 constraints, objectives: profit, weighted" in out
    # the nonlinearity is where the model says it is: x * milk, RF(x) * milkfat, FDM(x)
    text = MODEL.read_text().splitlines()
    first = int(out.split("nonlinear (solved with SCIP by default): ")[1].split(":")[0])
    assert text[first - 1].lstrip().startswith("fat_content[")


def test_data_read_as_the_seed_gives_it():
    c = milkrun.compile_model(MODEL)
    p = c.instance.param
    assert value(p("capacity"), Suppliers="S2", Materials="RM1") == 100540
    assert value(p("capacity"), Suppliers="S3", Materials="RM2") == 78000
    assert value(p("km_sd"), Suppliers="S3", Dairies="D1") == 20
    assert value(p("km_dm"), Dairies="D1", Markets="M2") == 136
    assert value(p("km_dm"), Dairies="D2", Markets="M1") == 22
    assert value(p("volume"), Dairies="D2", Units="drainers") == 340
    assert value(p("volume"), Dairies="D1", Units="pasteurisers") == 800
    assert value(p("bod_price"), Dairies="D2") == 3.5
    assert value(p("payload"), Vehicles="truck") == 4000
    assert value(p("throughput"), Echelons="markets") == 40
    assert value(p("co2_price_energy")) == 0.00998 and value(p("bod_cap")) == 4500 and value(p("co2_cap")) == 13000
    # the uncertain data: the seed's ranges, with the data's value (the nominal) at the midpoint
    for name, at, want in [("demand", dict(p="P2", m="M2"), (40000, 35000, 45000)),
                           ("price", dict(p="P1", m="M3"), (17.70, 12.70, 22.70)),
                           ("milk_price", dict(s="S3", k="RM2"), (3.00, 2.50, 3.50)),
                           ("social_rate", dict(e="dairies"), (2650, 2150, 3150))]:
        nom, lo, hi = c.instance.uncertainty(name)
        assert (value(nom, **at), value(lo, **at), value(hi, **at)) == approx(want)
        assert np.allclose(nom.values, (lo.values + hi.values) / 2)


def test_spread_narrows_the_ranges_around_their_midpoints():
    c = milkrun.compile_model(MODEL, overrides=["spread=0.5"])
    nom, lo, hi = c.instance.uncertainty("price")
    assert value(lo, p="P1", m="M1") == approx(15.80 - 2.5) and value(hi, p="P1", m="M1") == approx(15.80 + 2.5)
    nom, lo, hi = c.instance.uncertainty("social_rate")
    assert value(lo, e="markets") == approx(2250 - 200)


def test_derived_parameters_by_hand():
    p = milkrun.compile_model(MODEL).instance.param
    # the seed's transport cost per kg and km: L/km x BGN/L x trips / kg, full loads
    assert value(p("cost_kg_km"), v="tanker") == approx(32 / 100 * 2.22 / 2500)      # 2.8416e-4
    assert value(p("cost_kg_km"), v="truck") == approx(23 / 100 * 2.27 / 4000)       # 1.305e-4
    assert value(p("co2_km"), v="tanker") == approx(0.32 * 8.056 * 0.249)          # 0.642 kg CO2/km
    assert value(p("max_trips_milk"), s="S1", k="RM1") == 39                          # 97,000 / 2,500 = 38.8
    # kg an employee handles a month: kg a day x 22 working days
    assert value(p("per_employee"), e="suppliers") == 11000
    assert value(p("per_employee"), e="markets") == 880
    # skimming RM1 (3.5 % fat) with 40 % cream down to 0.05 %: 36.5 / 39.95 kg milk per kg
    assert value(p("ratio_lo"), r="PR1") == approx(36.5 / 39.95)
    # diluting RM2 (0.25 % fat) 1.5 to 2.5 times: x in [0.1, 0.1667]
    assert value(p("fat_lo"), r="PR2") == approx(0.1) and value(p("fat_hi"), r="PR2") == approx(0.25 / 1.5)


# ---------------------------------------------------------------- the chemistry, by hand

def casein_at(x, rm, dilutes):
    return rm["casein"] * (x / rm["fat"] if dilutes else (100 - x) / (100 - rm["fat"]))


def fdm_at(x, rm, prod, dilutes):
    rf = RF0 - RF1 * x
    return 100 * rf * x / (prod["rs"] * (rf * x + prod["rc"] * casein_at(x, rm, dilutes)))


def yield_per_rm(x, rm, prod, dilutes):
    ratio = rm["fat"] / x if dilutes else (CREAM - rm["fat"]) / (CREAM - x)
    per_milk = prod["rs"] / prod["solids"] * ((RF0 - RF1 * x) * x + prod["rc"] * casein_at(x, rm, dilutes))
    return ratio * per_milk


def bod_per_kg_product(x, rm, prod, loss):
    """Seed Table 1 for a diluting recipe, per kg raw material, then per kg product."""
    ratio = rm["fat"] / x
    y = yield_per_rm(x, rm, prod, True)
    bod_rm = (rm["fat"] * 0.89 + rm["protein"] * 1.03 + rm["lactose"] * 0.65) / 100
    milkfat, serum = rm["fat"] / 100, 1.0                    # dilution keeps every mass
    curd_fat = (RF0 - RF1 * x) * milkfat
    per_rm = (loss / 100 * bod_rm
              + 1.2 / 100 * (0.89 * milkfat + (1.03 * rm["protein"] + 0.65 * rm["lactose"]) / 100 * serum)
              + 0.0015 * ratio
              + 2 * 1.6 / 100 * 0.032 * (ratio - y)
              + (0.3 + 0.5) / 100 * (0.89 * curd_fat + 1.03 * prod["rc"] * rm["casein"] / 100 * serum
                                     + 0.65 * prod["solids"] / 100 * (1 - 1 / prod["rs"]) * y))
    return per_rm / y


def bisect(f, lo, hi, n=200):
    for _ in range(n):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return (lo + hi) / 2


def test_nominal_optimum_and_its_chemistry(nominal):
    r = nominal
    assert r.status == "optimal" and r.gap == approx(0, abs=1e-6)
    k = r.kpis
    assert value(k["net_profit"]) == approx(r.objective, rel=1e-6)
    # P2 by PR1: cream is worth nothing, so x goes to the top of P2's window, FDM = 40 %
    x_top = bisect(lambda x: fdm_at(x, RM1, P2, False) - 40, 0.05, 3.5)
    assert x_top == approx(2.65616, abs=1e-4)
    assert value(k["fat_used"], r="PR1", p="P2") == approx(x_top, abs=1e-3)
    assert value(k["fdm_used"], r="PR1", p="P2") == approx(40, abs=1e-2)
    assert value(k["yield_rm"], r="PR1", p="P2") == approx(yield_per_rm(x_top, RM1, P2, False), rel=1e-4)
    # P1 by PR2, diluted as little as allowed (1.5 times)
    x2 = 0.25 / 1.5
    assert value(k["fat_used"], r="PR2", p="P1") == approx(x2, abs=1e-4)
    assert value(k["yield_rm"], r="PR2", p="P1") == approx(yield_per_rm(x2, RM2, P1, True), rel=1e-4)  # 0.4094
    assert value(k["bod_per_kg"], r="PR2", p="P1") == approx(bod_per_kg_product(x2, RM2, P1, 0.146), rel=1e-4)
    # dilution keeps the condensed milk's fat-to-casein ratio: FDM below 3 % at any x in range,
    # far from P2's 30 %, so PR2 never makes P2
    assert max(fdm_at(x, RM2, P2, True) for x in np.linspace(0.1, x2, 20)) < 3
    assert value(r.solution["makes"].sel(Recipes="PR2", Products="P2")) == 0
    # employees are the kg handled over kg per employee, rounded up (eq. 11-13)
    sales = k["sales"].sum(["i", "p"])
    for m in ["M1", "M2", "M3"]:
        assert value(r.solution["staff_m"], m=m) == math.ceil(value(sales, m=m) / 880 - 1e-6)
    made = k["portfolio_dairy"].sum(["r", "p"])
    for i in ["D1", "D2"]:
        assert value(r.solution["staff_d"], i=i) == math.ceil(value(made, i=i) / 3300 - 1e-6)
    # the BOD5 cap binds up to what rounding leaves: the next kg of product would cost an employee
    assert 4400 < value(k["bod5_cost"]) <= 4500 + 1e-3
    assert value(k["co2_cost"]) < 13000


# ---------------------------------------------------------------- a reduced case, enumerated

REDUCED = {
    "Suppliers.csv": "Suppliers\nS1\n",
    "Dairies.csv": "Dairies,bod_price\nD1,2.9\n",
    "Markets.csv": "Markets\nM3\n",
    "Materials.csv": "Materials,fat,protein,casein,lactose,intro_loss\nRM2,0.25,8.5,6.75,12.25,0.146\n",
    # min = max dilution: the fat content is fixed at 0.25 / 1.5 %
    "Recipes.csv": "Recipes,dilutes,skim_fat,min_dilution,max_dilution\nPR2,1,,1.5,1.5\n",
    "Uses.csv": "Recipes,Materials\nPR2,RM2\n",
    "Products.csv": "Products,solids,fdm_min,fdm_max,casein_recovery,solids_factor\nP1,20,0,9,0.90,1.30\n",
    "supply.csv": "Suppliers,Materials,capacity,milk_price,milk_price_lo,milk_price_hi\nS1,RM2,57000,2.80,2.30,3.30\n",
    "market.csv": ("Products,Markets,demand,demand_lo,demand_hi,price,price_lo,price_hi\n"
                   "P1,M3,25000,20000,30000,17.70,12.70,22.70\n"),
    "km_sd.csv": "Suppliers,D1\nS1,10\n",
    "km_dm.csv": "Dairies,M3\nD1,46\n",
    "volume.csv": "Dairies,tanks,pasteurisers,vats,drainers\nD1,1450,800,950,300\n",
    "batch_time.csv": "Recipes,tanks,pasteurisers,vats,drainers\nPR2,3,1.5,7,4\n",
}


@pytest.fixture(scope="module")
def reduced(tmp_path_factory):
    d = tmp_path_factory.mktemp("dairy_chain_reduced")
    for name in ["Vehicles.csv", "Units.csv", "Echelons.csv", "seed.csv", "assumed.csv"]:
        (d / name).write_text((DATA / name).read_text())
    for name, text in REDUCED.items():
        (d / name).write_text(text)
    return d


def enumerate_profit(price, milk_price, social, demand, bod_cap, weights=(1, 1, 1)):
    """The best plan of the reduced case by enumeration: q kg of P1 sold at M3. Between two
    breakpoints of the rounded-up employees and trips the objective rises with q, so the best q
    is a breakpoint (a multiple of a step) or a cap."""
    x = 0.25 / 1.5
    y = yield_per_rm(x, RM2, P1, True)                          # kg product per kg RM2
    bod = bod_per_kg_product(x, RM2, P1, 0.146)                 # kg O2 per kg product
    energy = 0.008333 + 0.06333                                 # kWh per kg cheese milk
    tanker_km, truck_km = 0.32 * 2.22, 0.23 * 2.27              # BGN per km
    tanker_co2, truck_co2 = 0.32 * 8.056 * 0.249, 0.23 * 9.583 * 0.267   # kg CO2 per km
    w_econ, w_env, w_social = weights

    def objective(q):
        rm = q / y
        milk = 1.5 * rm
        trips_rm, trips_p = math.ceil(rm / 2500 - 1e-9), math.ceil(q / 4000 - 1e-9)
        econ = milk_price * rm + 0.14072 * energy * milk + 10 * tanker_km * trips_rm + 46 * truck_km * trips_p
        env = (2.9 * bod * q + 0.00998 * 0.46 * energy * milk
               + 0.174 * (10 * tanker_co2 * trips_rm + 46 * truck_co2 * trips_p))
        soc = (social[0] * math.ceil(rm / 11000 - 1e-9) + social[1] * math.ceil(q / 3300 - 1e-9)
               + social[2] * math.ceil(q / 880 - 1e-9))
        return price * q - w_econ * econ - w_env * env - w_social * soc

    q_max = min(demand, 57000 * y, bod_cap / (2.9 * bod))
    steps = [880, 3300, 4000, 11000 * y, 2500 * y]
    candidates = {0.0, q_max} | {n * s for s in steps for n in range(1, int(q_max / s) + 1)}
    return max((objective(q), q) for q in candidates)


def test_reduced_case_against_enumeration(reduced):
    # a tighter BOD5 cap (1,000 BGN: 22,546 kg of product), below the demand and the supply
    r = milkrun.solve_model(MODEL, data=reduced, solver="scip", overrides=["bod_cap=1000"])
    best, q = enumerate_profit(17.70, 2.80, (1750, 2650, 2250), 25000, 1000)
    assert r.status == "optimal"
    assert r.objective == approx(best, rel=1e-6)
    assert value(r.kpis["portfolio"], r="PR2", p="P1") == approx(q, rel=1e-5)
    # not the BOD5 cap (22,546 kg) but 28 kg below it: the 55,000 kg of RM2 five supplier
    # employees handle; a sixth would cost more than the last kg earn
    assert q == approx(55000 * yield_per_rm(0.25 / 1.5, RM2, P1, True), rel=1e-9)
    assert value(r.solution["staff_s"], s="S1") == 5


def test_reduced_case_robust_box_is_the_worst_case_by_hand(reduced):
    # --robust box --level 0.5: every price and rate at the worse end of half its range,
    # demand at its low end of that box
    r = milkrun.solve_model(MODEL, data=reduced, solver="scip", overrides=["bod_cap=1000"],
                            robust=RobustOptions("box", 0.5))
    best, q = enumerate_profit(17.70 - 2.5, 2.80 + 0.25, (1750 + 200, 2650 + 250, 2250 + 200), 25000 - 2500, 1000)
    assert r.status == "optimal"
    assert r.objective == approx(best, rel=1e-6)
    assert q == approx(22500)                                         # the robust demand binds


def test_reduced_case_weighted_objective(reduced):
    r = milkrun.solve_model(MODEL, data=reduced, solver="scip", objective="weighted",
                            overrides=["bod_cap=1000", "price[P1,M3]=9.0"])
    best, q = enumerate_profit(9.0, 2.80, (1750, 2650, 2250), 25000, 1000, weights=(0.6, 0.3, 0.1))
    assert r.objective == approx(best, rel=1e-6)
    assert value(r.kpis["portfolio"], r="PR2", p="P1") == approx(q, rel=1e-5)
    # at 9 BGN/kg the plain profit makes nothing: the weights change the plan
    plain = milkrun.solve_model(MODEL, data=reduced, solver="scip", overrides=["bod_cap=1000", "price[P1,M3]=9.0"])
    assert plain.objective == approx(0, abs=1e-6) and q > 20000
