"""Reading and validating model data: CSV tables, inline data blocks, overrides."""
