"""The Python way in, for notebooks: load a model, give it data as pandas and xarray objects, solve, study.
Imports: everything below the package face (the stages, pipeline.py, the studies); only milkrun imports it.
"""
from milkrun.compiler.api.declarations import (ConstraintInfo, Declarations, KpiInfo, ObjectiveInfo, ParamInfo,
                                               ScenarioInfo, SetInfo, VariableInfo)
from milkrun.compiler.api.model import Model, load
from milkrun.compiler.api.result import Result

LAZY = ("Front", "Sweep", "Twin")  # what the studies return: imported with the studies, on first use


def __getattr__(name: str):
    if name in LAZY:
        from milkrun.compiler.api import studies

        return getattr(studies, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ConstraintInfo", "Declarations", "Front", "KpiInfo", "Model", "ObjectiveInfo", "ParamInfo", "Result",
           "ScenarioInfo", "SetInfo", "Sweep", "Twin", "VariableInfo", "load"]
