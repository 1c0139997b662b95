"""Random milk-collection cases drawn like the paper's base case, as data folders for
models/routing.mcp (used by benchmarks/routing.py and the tests of large runs).

What is drawn, with a seeded numpy generator:
- farms at uniform coordinates in [0, 1000]², the dairy at (0, 0) as in the paper;
- each farm has 1 to 3 of the milk types α, β, γ, its total uniform in [35, 5500] L (the
  paper's range) split over its types, rounded to 5 L;
- service 10 to 25 min per farm (the paper's range), 1 min at the dairy;
- the paper's fleet (5000; 5000+5000+5000; 2000+2000+2000; 4000+4000 L), T = 3000 min,
  60 km/h, coordinates in units of 100 m. When the milk exceeds 85 % of the fleet's
  capacity, copies of the paper's vehicles are added in turn (vehicle 5 is a copy of
  vehicle 1, ...) until it does not: bigger cases then need bigger fleets, and the copies
  are identical vehicles, which the model's symmetry breaking handles.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

PAPER_FLEET = [[5000], [5000, 5000, 5000], [2000, 2000, 2000], [4000, 4000]]
TYPES = ["alpha", "beta", "gamma"]
FILL_LIMIT = 0.85


def generate(n_farms: int, seed: int, out: Path, max_duration: float = 3000, speed: float = 60) -> Path:
    rng = np.random.default_rng(seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    xy = np.round(rng.uniform(0, 1000, size=(n_farms, 2)), 3)
    service = rng.integers(10, 26, size=n_farms)
    supply = np.zeros((n_farms, len(TYPES)))
    for f in range(n_farms):
        k = rng.integers(1, 4)
        types = rng.choice(len(TYPES), size=k, replace=False)
        total = rng.uniform(35, 5500)
        split = rng.dirichlet(np.ones(k)) * total
        supply[f, types] = np.maximum(5, np.round(split / 5) * 5)
    fleet = [list(v) for v in PAPER_FLEET]
    while supply.sum() > FILL_LIMIT * sum(map(sum, fleet)):
        fleet.append(list(PAPER_FLEET[(len(fleet)) % len(PAPER_FLEET)]))
    nodes = ["Nodes,x,y,service", "1,0,0,1"]
    nodes += [f"{f + 2},{xy[f, 0]},{xy[f, 1]},{service[f]}" for f in range(n_farms)]
    (out / "Nodes.csv").write_text("\n".join(nodes) + "\n")
    rows = ["Farms," + ",".join(TYPES)]
    rows += [f"{f + 2}," + ",".join(str(int(v)) for v in supply[f]) for f in range(n_farms)]
    (out / "supply.csv").write_text("\n".join(rows) + "\n")
    comp = ["Vehicles,compartment,capacity"]
    for k, caps in enumerate(fleet, start=1):
        comp += [f"{k},{l},{c}" for l, c in enumerate(caps, start=1)]
    (out / "Compartments.csv").write_text("\n".join(comp) + "\n")
    (out / "Vehicles.csv").write_text("Vehicles\n" + "\n".join(str(k) for k in range(1, len(fleet) + 1)) + "\n")
    (out / "Types.csv").write_text("Types\n" + "\n".join(TYPES) + "\n")
    (out / "scalars.csv").write_text(f"depot,scale,speed,max_duration\n1,10,{speed},{max_duration}\n")
    return out


def generate_feasible(n_farms: int, seed: int, out: Path, tries: int = 20, **kw) -> tuple[Path, int]:
    """A case with a certificate of feasibility: the first of seed, seed + 1000, ... for which the
    sweep heuristic (construction.py) finds a plan. Returns the folder and the seed used.
    (A case the heuristic cannot serve may still be feasible; it is skipped, never reported solved.)"""
    from milkrun.compiler.studies.routing.construction import NoPlan, best_plan, read_case

    for t in range(tries):
        s = seed + 1000 * t
        folder = generate(n_farms, s, out, **kw)
        try:
            best_plan(read_case(folder))
            return folder, s
        except NoPlan:
            continue
    raise RuntimeError(f"no case of {n_farms} farms with a heuristic plan in {tries} draws from seed {seed}")


if __name__ == "__main__":  # python -m milkrun.compiler.studies.routing.cases N SEED OUTDIR
    import sys

    n, seed, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    print(generate(n, seed, Path(folder)))
