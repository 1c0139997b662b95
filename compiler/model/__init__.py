"""The checked model: the checker turns the syntax tree into a ModelIR (declarations, index positions,
linearity), and the evaluator computes its expressions as whole xarray arrays. Imports: milkrun.dsl only.
"""
