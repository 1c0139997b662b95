"""The shipped models (.mcp files) and their data folders, installed as package data."""
from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.mcp"))


def shipped(name: str) -> Path | None:
    """The path of a shipped model by name (`transport`), or None."""
    p = HERE / f"{name.removesuffix('.mcp')}.mcp"
    return p if p.exists() else None
