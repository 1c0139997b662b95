"""xarray without dask until dask is used: the same answers, without importing dask on every run.

xarray asks two questions of the arrays it handles. Wrapping an array (every DataArray made from
numpy, by milkrun or linopy) asks "is it a dask array?" as `isinstance(data, array_type("dask"))`,
which imports dask.array the first time (about 0.3 s, 1.5 s on a busy machine, with scipy.fft).
An operation (`fillna`, `where`, ...) asks `is_dask_collection(operand)`, which imports dask.

Both answers are known without the import: no object is a dask.array.Array before dask.array is
imported, and dask's own `is_dask_collection` answers False for an object without a
`__dask_graph__` method. So `defer_dask_imports()` gives xarray those answers and leaves every
other case, and every case once dask.array is imported, to xarray's own code. If xarray's internals
change, nothing is patched: start-up is slower, results are the same (tests/test_startup.py fails).
"""
from __future__ import annotations

import sys


def defer_dask_imports() -> bool:
    """Answer xarray's two dask questions without importing dask where the answer is no. True when done."""
    try:
        from xarray.namedarray import pycompat, utils

        cache = pycompat._cached_duck_array_modules
        module_class = pycompat.DuckArrayModule
        asked = utils.is_dask_collection
    except (ImportError, AttributeError):  # another xarray: leave it as it is
        return False
    if getattr(asked, "deferred", False):
        return True
    if "dask" not in cache:
        cache["dask"] = _dask_when_imported(module_class, cache)

    def is_dask_collection(x) -> bool:
        return hasattr(x, "__dask_graph__") and asked(x)  # dask's own first test, then dask's answer

    is_dask_collection.deferred = True
    utils.is_dask_collection = is_dask_collection
    return True


def _dask_when_imported(module_class, cache):
    """xarray's record of dask (its array type, module, version), read only once dask.array is imported."""

    class DaskWhenImported(module_class):
        def __init__(self):  # nothing imported yet
            pass

        def _real(self):
            real = cache["dask"] = module_class("dask")  # xarray's own record, from now on
            return real

        @property
        def type(self):
            return self._real().type if "dask.array" in sys.modules else ()

        @property
        def module(self):
            return self._real().module

        @property
        def version(self):
            return self._real().version

        @property
        def available(self):
            return self._real().available

    return DaskWhenImported()
