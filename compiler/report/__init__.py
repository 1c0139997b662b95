"""Reports: a Result printed as tables (console.py), drawn as route maps and fronts (plots.py), and traced
to the files and versions that produced it (provenance.py). Imports: model/ to solve/.
"""
