"""Compiler passes: transformations of the compiled model, each a small step.

Global constraints (constraints a modeller states in one line, which the compiler
turns into rows, variables or solver callbacks) are registered here by name.
"""
from milkrun.compiler.passes.tour import TOUR

GLOBAL_CONSTRAINTS = {"tour": TOUR}
