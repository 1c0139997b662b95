"""Studies: runs of the pipeline many times over: Pareto fronts, sweeps, the digital twin's what-ifs,
FePIA robustness. Imports: the stages and pipeline.py; a study may use another (FePIA runs fronts).
"""
