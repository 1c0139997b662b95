"""`milkrun fepia`: fronts per scenario, configurations grouped (configurations.py), held and re-optimised
(reoptimise.py), robustness radii (robustness.py), tables and plots. Imports: the core, pipeline.py, pareto.
"""
