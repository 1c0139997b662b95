"""`include "name"`: splice a standard-library module (or a file beside the model) into a model.

`include "geo_network"` looks in milkrun's stdlib folder; a name with a path or a
`.mcp` suffix is taken relative to the including file. Included statements keep their
own file in their spans, so errors point into the module.
"""
from __future__ import annotations

from pathlib import Path

from . import ast
from .diagnostics import MilkrunError, did_you_mean
from .parser import parse_file

STDLIB = Path(__file__).resolve().parent.parent / "stdlib"


def stdlib_modules() -> list[str]:
    return sorted(p.stem for p in STDLIB.glob("*.mcp"))


def load(path: str | Path) -> ast.Model:
    """Parse a model file and everything it includes, in order."""
    model = parse_file(path)
    model.statements = _expand(model.statements, Path(path), [Path(path).resolve()])
    return model


def _resolve(inc: ast.Include, base: Path) -> Path:
    target = inc.path
    if "/" in target or target.endswith(".mcp"):
        p = (base.parent / target)
        if not p.suffix:
            p = p.with_suffix(".mcp")
        if not p.exists():
            raise MilkrunError(f"included file '{target}' not found (looked at {p})", inc.span)
        return p
    p = STDLIB / f"{target}.mcp"
    if not p.exists():
        raise MilkrunError(f"no standard-library module '{target}'", inc.span,
                           hint=did_you_mean(target, stdlib_modules()) or
                           f"modules: {', '.join(stdlib_modules()) or 'none'}")
    return p


def _expand(statements: list, base: Path, stack: list[Path]) -> list:
    out = []
    for st in statements:
        if not isinstance(st, ast.Include):
            out.append(st)
            continue
        p = _resolve(st, base).resolve()
        if p in stack:
            raise MilkrunError(f"'{st.path}' includes itself (through {' → '.join(x.name for x in stack)})", st.span)
        sub = parse_file(p)
        if sub.name is not None:
            raise MilkrunError(f"included module '{st.path}' has a 'model' header; modules hold declarations only",
                               st.span)
        out.extend(_expand(sub.statements, p, stack + [p]))
    return out
