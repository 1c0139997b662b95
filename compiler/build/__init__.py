"""Building: an Instance becomes a linopy model (build/linopy_model.py) or, for a nonlinear model, a
PySCIPOpt model (build/nonlinear.py); kpis and checks; LP/MPS export. Imports: model/, data/.
"""
