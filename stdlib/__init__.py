"""Reusable model pieces written in the language itself, pulled in with `include "name"`."""
