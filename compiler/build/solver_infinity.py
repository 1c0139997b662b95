"""The size from which solvers read a number as infinite, and what milkrun says when a model has one.

SCIP's numerics/infinity and HiGHS's infinite_bound and infinite_cost: a coefficient this large
stops SCIP with an error from C, and a right-hand side or a cost this large silently means "no
limit". Both builders refuse such numbers while building, located; the last check before SCIP
(solve/scip.py) catches any a pass added later. No linopy here: a nonlinear model never loads it.
"""
from __future__ import annotations

SOLVER_INFINITY = 1e20
INFINITE = "solvers read numbers of 1e20 and more as infinite (SCIP refuses them)"
SCALE_HINT = "scale the model: measure in larger units (thousands of litres, say) so its numbers stay below 1e20"
