"""The language server `milkrun lsp`: the checker's errors as diagnostics, hover, definitions, completion, outline.
It imports the pipeline and the stages before it (pygls in server.py only); only the cli imports it.
"""
