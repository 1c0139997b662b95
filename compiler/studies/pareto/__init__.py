"""`milkrun pareto`: the payoff table, AUGMECON2 and weighted sums on a solver session (augmecon.py),
and the run, its table and files (run.py). Imports: the core stages and pipeline.py.
"""
