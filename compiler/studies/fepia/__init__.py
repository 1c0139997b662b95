"""`milkrun fepia`: fronts per scenario, configurations grouped (configurations.py, small.py), held and
re-optimised (reoptimise.py; in batches: cases.py; what workers run: work.py), robustness radii
(robustness.py; one ray: search.py; several parameters: vector.py), held fronts (heldfront.py), the
checkpoint for --resume, tables and plots.
Imports: the core, pipeline.py, pareto, and sweep's executors.
"""
