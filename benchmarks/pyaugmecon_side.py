"""pyaugmecon's side of benchmarks/pareto_vs_pyaugmecon.py: one knapsack instance through pyaugmecon.

Runs in the separate environment that the benchmark makes (pyaugmecon 1.0.8, Pyomo, HiGHS
through Pyomo's `appsi_highs`), never in milkrun's: it imports nothing from milkrun. The model
is the one of pyaugmecon's own tests (tests/optimization_models.py, `three_kp_model`: binary
x, objectives c·x maximised, a·x ≤ b), read from the AUGMECON2 files a.csv, b.csv, c.csv.

pyaugmecon 1.0.8 was written for Gurobi: every solve makes a new solver with
`SolverFactory(name, solver_io=..., manage_env=True)` and loads its solution, which Pyomo's
HiGHS interfaces refuse (unknown keywords; no solution to load at an infeasible point). The
solver name `highs_via_appsi` registered below is Pyomo's `appsi_highs` taking those keywords
and loading a solution only when there is one; pyaugmecon's own code runs unchanged.

    python pyaugmecon_side.py INSTANCE_DIR --grid N --nadir V2 V3 ... --workers W --timeout S --solver NAME

Prints one JSON object: points (unique Pareto points), models_solved (pyaugmecon's count of
grid solves; the payoff table's solves are not in it), infeasibilities, seconds (its own
runtime), the payoff table and the points.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from pyomo.environ import Binary, ConcreteModel, ConstraintList, ObjectiveList, Set, TerminationCondition, Var, maximize
from pyomo.opt import SolverFactory


@SolverFactory.register("highs_via_appsi", doc="appsi_highs as pyaugmecon 1.0.8 calls a solver")
class HighsViaAppsi:
    def __init__(self, **keywords):  # solver_io, manage_env: Gurobi's, nothing to do here
        self.inner = SolverFactory("appsi_highs")
        self.options = self.inner.options

    def solve(self, model, **keywords):
        result = self.inner.solve(model, load_solutions=False)
        if result.solver.termination_condition == TerminationCondition.optimal:
            self.inner.load_vars()
        return result


def knapsack(folder: str) -> ConcreteModel:
    a = pd.read_csv(os.path.join(folder, "a.csv"), index_col=0).to_numpy()
    b = pd.read_csv(os.path.join(folder, "b.csv"), index_col=0).to_numpy()
    c = pd.read_csv(os.path.join(folder, "c.csv"), index_col=0).to_numpy()
    m = ConcreteModel()
    m.ITEMS = Set(initialize=range(a.shape[1]))
    m.x = Var(m.ITEMS, within=Binary)
    m.room = ConstraintList()  # no rule functions: the model must pickle for pyaugmecon's workers
    for r in range(a.shape[0]):
        m.room.add(sum(a[r][i] * m.x[i] for i in m.ITEMS) <= b[r][0])
    m.obj_list = ObjectiveList()
    for k in range(c.shape[0]):
        m.obj_list.add(expr=sum(c[k][i] * m.x[i] for i in m.ITEMS), sense=maximize)
    for o in range(len(m.obj_list)):
        m.obj_list[o + 1].deactivate()
    return m


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("instance")
    p.add_argument("--grid", type=int, required=True)
    p.add_argument("--nadir", type=float, nargs="+", required=True)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--timeout", type=float, default=None)
    p.add_argument("--solver", default="highs_via_appsi")
    args = p.parse_args(argv)

    # pyaugmecon starts its workers with the default method, fork on Linux: forked after HiGHS ran
    # here (the payoff table), they hang in HiGHS's thread pool. spawn starts them clean.
    multiprocessing.set_start_method("spawn", force=True)
    from pyaugmecon import PyAugmecon

    model = knapsack(args.instance)
    opts = {"name": os.path.basename(args.instance.rstrip("/")), "grid_points": args.grid,
            "nadir_points": list(args.nadir), "cpu_count": args.workers, "solver_name": args.solver,
            "output_excel": False, "process_timeout": args.timeout}
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # its pickled model (model.p) and its logs go here
        opts["logging_folder"] = "logs"  # relative: pyaugmecon puts it under the working folder
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # its progress lines; the JSON is the only output
            # MIPGap (Gurobi's name) out, HiGHS's gap 0 in: pyaugmecon asks for an exact front
            a = PyAugmecon(model, opts, {"MIPGap": None, "mip_rel_gap": 0.0})
            a.solve()
        wall = time.perf_counter() - t0
    pts = sorted(tuple(int(round(v)) for v in key) for key in a.unique_pareto_sols)
    print(json.dumps({"points": len(pts), "models_solved": int(a.model.models_solved.value()),
                      "infeasibilities": int(a.model.infeasibilities.value()), "seconds": float(a.runtime),
                      "wall_seconds": wall, "payoff": np.round(a.model.payoff).astype(int).tolist(),
                      "front": pts, "workers": args.workers, "solver": args.solver}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
