"""The Python way in, for notebooks: load a model, give it data as pandas and xarray objects, solve, study.
Imports: everything below the package face (the stages, pipeline.py, the studies); only milkrun imports it.
"""
from milkrun.compiler.api.declarations import (
                                               ConstraintInfo,
                                               Declarations,
                                               KpiInfo,
                                               ObjectiveInfo,
                                               ParamInfo,
                                               ScenarioInfo,
                                               SetInfo,
                                               VariableInfo,
)
from milkrun.compiler.api.model import Model, load
from milkrun.compiler.api.result import Result
from milkrun.compiler.api.studies import Front, Sweep, Twin

__all__ = ["ConstraintInfo", "Declarations", "Front", "KpiInfo", "Model", "ObjectiveInfo", "ParamInfo", "Result",
           "ScenarioInfo", "SetInfo", "Sweep", "Twin", "VariableInfo", "load"]
