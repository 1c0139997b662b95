"""The checked model: the checker turns the syntax tree into a ModelIR (declarations, index positions,
linearity), and the evaluator computes its expressions as whole xarray arrays. Imports: milkrun.dsl only.
Every stage that makes arrays comes through here first, so xarray's dask checks are deferred here
(lazy_dask.py: dask is imported only when a dask array can exist).
"""
from milkrun.compiler.model.lazy_dask import defer_dask_imports

defer_dask_imports()
