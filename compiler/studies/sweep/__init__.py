"""`milkrun sweep` (its arguments: cli/sweep.py): solve one model at many points (a grid of parameter values, the model's
named scenarios, random realisations of its uncertain parameters) in worker processes or on
a Dask cluster, and gather every point's outcome in one xarray Dataset. Imports: the core stages,
pipeline.py and the pareto study.

One idea per module:
    points.py     what a sweep runs: the points, their coordinates and what each changes
    tasks.py      what a worker does with one point (a plain dict in, a plain dict out)
    executors.py  where points run: a local process pool or a dask.distributed cluster
    store.py      each finished point on disk at once; the assembled Dataset and CSV
    manifest.py   what a sweep was run on (hashes, versions), so --resume can refuse a change
    progress.py   done / running / failed while it runs
    report.py     the table and summary line at the end, and --json
    runner.py     the coordinator that ties them together
"""
from __future__ import annotations

__all__ = ["SweepSpec", "run_sweep"]


def __getattr__(name: str):
    """SweepSpec and run_sweep, imported when first asked for: the pareto study uses executors.py
    alone, and importing this package must not pull in the runner, which imports that study."""
    if name in __all__:
        from milkrun.compiler.studies.sweep import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
