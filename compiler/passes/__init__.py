"""Compiler passes: transformations of the built model, each a small step that can be undone or reported:
global constraints expanded into rows (tour.py), robust counterparts (robust.py, robust_nl.py), design
decisions fixed (fix.py). Imports: model/, data/, build/.
"""
