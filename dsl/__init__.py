"""The .mcp language: grammar, typed syntax tree, located diagnostics."""
