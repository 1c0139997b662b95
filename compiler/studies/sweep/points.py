"""The points of a sweep: their coordinates on the sweep's dimensions and what each changes.

Three kinds of dimension combine as a Cartesian product, in this order (outermost first):
- `scenario`: a named scenario declared in the model (`scenario dry "...": ...`);
- one dimension per `--grid` parameter, whose values become `--set`-style overrides;
- `realisation`: draw k of seed S of the model's `uncertain` parameters.

Everything is checked against the model before any worker starts, so a misspelt name is a
located error (exit 2) and not sixteen failed points.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field

import numpy as np

from milkrun.compiler.data.inline import read_override
from milkrun.compiler.data.records import RawData
from milkrun.dsl.diagnostics import MilkrunError, Span, did_you_mean, register_source

_GRID = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\[[^\]]*\])?\s*=\s*(.*?)\s*$")
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"^\s*({_NUM})\s*:\s*({_NUM})\s*:\s*(\d+)\s*$")


@dataclass(frozen=True)
class GridDim:
    """One `--grid` parameter: the dimension name (`price`, `capacity[seattle]`) and its values."""

    name: str           # the override's target as written, without blanks: also the dimension name
    param: str
    values: tuple       # floats when every value is a number, else strings (element parameters)
    texts: tuple[str, ...]  # each value as it goes into the override


@dataclass(frozen=True)
class Point:
    index: int
    coords: dict = field(hash=False)          # dimension -> value
    overrides: tuple[str, ...] = ()           # the grid's `name=value` strings
    scenario: str | None = None
    realisation: tuple[int, int] | None = None
    robust: tuple[tuple[str, float], ...] = ()  # ("level", 0.5) / ("budget", 2): this point's robust setting

    @property
    def key(self) -> str:
        """A name for the point that depends only on what it changes, not on its position in the
        list: --resume finds a finished point by it even if the list was reordered (--force)."""
        what = {"overrides": list(self.overrides), "scenario": self.scenario,
                "realisation": list(self.realisation) if self.realisation else None}
        if self.robust:
            what["robust"] = [list(r) for r in self.robust]
        text = json.dumps(what, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={_fmt(v)}" for k, v in self.coords.items()) or "base"

    def as_json(self) -> dict:
        return {"index": self.index, "key": self.key, "coords": {k: _plain(v) for k, v in self.coords.items()},
                "overrides": list(self.overrides), "scenario": self.scenario,
                "realisation": list(self.realisation) if self.realisation else None,
                "robust": dict(self.robust)}


@dataclass
class Plan:
    """The points in order and the sweep's dimensions with their full coordinate lists."""

    points: list[Point]
    dims: dict[str, list]   # dimension -> every value it takes, in order

    def __len__(self) -> int:
        return len(self.points)


def parse_grid(text: str) -> tuple[str, str, list[str]]:
    """`name=1,2,3`, `name=a:b:n` (n evenly spaced values) or `name[k1,k2]=...` -> (dimension,
    parameter, value texts). Syntax only; the model is consulted by `make_plan`."""
    label = _register("--grid", text)
    m = _GRID.match(text)
    if not m or not m.group(3):
        raise MilkrunError(f"--grid expects NAME=V1,V2,... or NAME=START:STOP:N, got '{text}'",
                           Span(label, 1, 1, 1, len(text) + 1))
    name, keys, values = m.group(1), m.group(2) or "", m.group(3)
    dim = name + re.sub(r"\s+", "", keys)
    r = _RANGE.match(values)
    if r:
        a, b, n = float(r.group(1)), float(r.group(2)), int(r.group(3))
        if n < 2:
            raise MilkrunError(f"--grid {dim}: START:STOP:N needs N >= 2 (got {n})", _at(label, text, values))
        return dim, name, [repr(float(v)) for v in np.linspace(a, b, n)]
    texts = [v.strip() for v in values.split(",")]
    if any(not v for v in texts):
        raise MilkrunError(f"--grid {dim}: an empty value in '{values}'", _at(label, text, values))
    seen = set()
    for v in texts:
        if v in seen:
            raise MilkrunError(f"--grid {dim}: the value {v} is given twice", _at(label, text, v))
        seen.add(v)
    return dim, name, texts


def make_plan(ir, grids: list[str] = (), scenarios: str | None = None, realisations: int | None = None,
              seed: int | None = None, base_overrides: list[str] = (), robust_axes: dict | None = None) -> Plan:
    """Check every dimension against the model and expand their product into points.
    `robust_axes`: {"level": [...]} or {"budget": [...]}, dimensions of the robust pass's setting."""
    dims: dict[str, list] = {}
    axes: list[list[tuple]] = []  # per dim: (coords, overrides, scenario, realisation[, robust])
    for name, values in (robust_axes or {}).items():
        dims[name] = [float(v) for v in values]
        axes.append([({name: float(v)}, (), None, None, ((name, float(v)),)) for v in values])
    if scenarios is not None:
        names = _scenarios(ir, scenarios)
        dims["scenario"] = names
        axes.append([({"scenario": s}, (), s, None) for s in names])
    base_targets = {_target(o) for o in base_overrides}
    for text in grids:
        g = _grid_dim(ir, text)
        if g.name in dims:
            raise MilkrunError(f"--grid {g.name} is given twice", Span(_register("--grid", text), 1, 1))
        if g.name in base_targets or g.param in base_targets:
            raise MilkrunError(f"--grid {g.name}: '{g.param}' is also fixed by --set; give it in one place only",
                               Span(_register("--grid", text), 1, 1))
        dims[g.name] = list(g.values)
        axes.append([({g.name: v}, (f"{g.name}={t}",), None, None) for v, t in zip(g.values, g.texts)])
    if realisations is not None:
        if realisations < 1:
            raise MilkrunError(f"--realisations needs at least 1 (got {realisations})")
        if not _uncertain(ir):
            raise MilkrunError("--realisations: the model declares no 'uncertain' parameter to draw",
                               Span(ir.file, 1, 1), hint="declare one, e.g. param yield_per_cow uncertain in [1800, 3600]")
        s = int(seed or 0)
        dims["realisation"] = list(range(realisations))
        axes.append([({"realisation": k}, (), None, (s, k)) for k in range(realisations)])
    points = []
    for i, combo in enumerate(itertools.product(*axes)):
        coords, overrides, scenario, real, robust = {}, (), None, None, ()
        for c, o, sc, r, *rb in combo:
            coords.update(c)
            overrides += o
            scenario = sc or scenario
            real = r or real
            robust += tuple(rb[0]) if rb else ()
        points.append(Point(i, coords, overrides, scenario, real, robust))
    return Plan(points, dims)


def _grid_dim(ir, text: str) -> GridDim:
    dim, name, texts = parse_grid(text)
    label = _register("--grid", text)
    where = Span(label, 1, text.index(name) + 1, 1, text.index(name) + len(name) + 1)
    sym = ir.symbols.get(name)
    params = [s.name for s in ir.of_kind("param")]
    if sym is None or sym.kind != "param":
        what = f"a {sym.kind}, not a parameter" if sym else "not a parameter"
        raise MilkrunError(f"'{name}' is {what}", where,
                           hint=did_you_mean(name, params) or f"the model's parameters: {', '.join(params[:12])}")
    if sym.decl.definition is not None:
        raise MilkrunError(f"'{name}' is computed by a formula in the model; sweep the parameters it is made of",
                           where)
    for t in texts:  # the same checks as --set: key count, numbers, finite
        try:
            read_override(ir, f"{dim}={t}", RawData())
        except MilkrunError as e:
            raise MilkrunError(e.message.replace("--set", "--grid", 1), _at(label, text, t), hint=e.hint) from None
    try:
        values = tuple(float(t) for t in texts)
    except ValueError:
        values = tuple(texts)
    return GridDim(dim, name, values, tuple(texts))


def _scenarios(ir, text: str) -> list[str]:
    declared = getattr(ir, "scenarios", None)
    if declared is None:
        raise MilkrunError("--scenarios: this version of milkrun does not read scenario blocks")
    label = _register("--scenarios", text)
    if text.strip() == "all":
        if not declared:
            raise MilkrunError("--scenarios all: the model declares no scenario", Span(ir.file, 1, 1),
                               hint="declare one, e.g. scenario dry \"a dry year\": yield_per_cow = 1800")
        return list(declared)
    names = [n.strip() for n in text.split(",")]
    for n in names:
        if n not in declared:
            raise MilkrunError(f"'{n}' is not a scenario of the model", _at(label, text, n),
                               hint=did_you_mean(n, declared) or
                               (f"its scenarios: {', '.join(declared)}" if declared else "it declares none"))
    if len(set(names)) != len(names):
        raise MilkrunError(f"--scenarios: a scenario is named twice in '{text}'", Span(label, 1, 1))
    return names


def _uncertain(ir) -> list:
    return list(getattr(ir, "uncertain_params", []) or [])


def _target(override: str) -> str:
    """`capacity[seattle]=400` -> `capacity[seattle]`; `price*=0.9` -> `price`."""
    head = re.split(r"[*+\-/]?=", override, maxsplit=1)[0]
    return re.sub(r"\s+", "", head)


def _register(flag: str, text: str) -> str:
    """Make a command-line argument showable like a source line, so its errors are underlined."""
    register_source(flag, text)
    return flag


def _at(label: str, text: str, part: str) -> Span:
    col = text.rfind(part) + 1 if part in text else 1
    return Span(label, 1, col, 1, col + max(len(part), 1))


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _plain(v):
    if isinstance(v, (np.floating, float)):
        return float(v)
    if isinstance(v, (np.integer, int)):
        return int(v)
    return v
