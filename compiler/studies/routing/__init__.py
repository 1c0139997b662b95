"""Routing at real sizes, for models/routing.mcp: first plans (construction.py, `milkrun first-plan`), their improvement
by exact re-solves (lns.py), random cases (cases.py), the seed's base case and its variants (variants.py). Imports: the core stages and pipeline.py; nothing from compiler/cli.
"""
