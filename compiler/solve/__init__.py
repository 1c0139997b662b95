"""Solving: check the solver and its options, run HiGHS or SCIP on a built model (lazy tours, MIP starts,
sessions for many related solves), explain infeasibility, read back a Result. Imports: model/ to passes/.
"""
