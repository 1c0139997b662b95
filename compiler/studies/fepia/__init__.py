"""`milkrun fepia`: fronts per scenario, configurations grouped (configurations.py), held and re-optimised
(reoptimise.py; in batches, on workers: cases.py), robustness radii (robustness.py; one ray: search.py;
several parameters: vector.py), the checkpoint for --resume, tables and plots.
Imports: the core, pipeline.py, pareto, and sweep's executors.
"""
