"""What a model declares, as plain values for Python users: `model.params["supply"].unit`.

Each declaration is a frozen dataclass whose repr reads like the model's own line
(`param capacity[Centres] >= 0  "cases of milk a centre can ship"`); a `Declarations` holds
those of one kind by name and shows as a list (or, in Jupyter, as a table). Bounds, defaults,
formulas and conditions are given as the model writes them (its source text).
"""
from __future__ import annotations

import html
from dataclasses import dataclass, fields
from typing import Generic, TypeVar

import pandas as pd

from milkrun.compiler.model.ir import ModelIR, Symbol
from milkrun.dsl import ast
from milkrun.dsl.diagnostics import source_line


def source_text(node) -> str | None:
    """A node as the model writes it (its span's text, lines joined by a space)."""
    span = getattr(node, "span", None)
    if span is None or span.end_line is None or span.end_column is None:
        return None
    lines = [source_line(span.file, n) or "" for n in range(span.line, span.end_line + 1)]
    if len(lines) == 1:
        return lines[0][span.column - 1:span.end_column - 1].strip() or None
    lines[0] = lines[0][span.column - 1:]
    lines[-1] = lines[-1][:span.end_column - 1]
    return " ".join(x.strip() for x in lines if x.strip()) or None


def _index(sym: Symbol) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the sets as the model writes the index, one per tuple set; a dimension per position)."""
    return (tuple(p.set_label for p in sym.positions if p.component == 0),
            tuple(p.dim for p in sym.positions))


def _bracket(index: tuple[str, ...]) -> str:
    return f"[{', '.join(index)}]" if index else ""


def _bounds(decl) -> tuple[str, ...]:
    out: list[str] = []
    for b in getattr(decl, "bounds", None) or []:
        text = source_text(b) or f"{b.op} {source_text(b.value) or '?'}"
        if text not in out:
            out.append(text)
    return tuple(out)


def _tail(doc: str | None, unit: str | None) -> str:
    return (f'  "{doc}"' if doc else "") + (f'  unit "{unit}"' if unit else "")


def _where(index: ast.IndexList | None) -> str | None:
    return source_text(index.where) if index is not None and index.where is not None else None


@dataclass(frozen=True, repr=False)
class SetInfo:
    name: str
    index: tuple[str, ...]      # an indexed set's positions (their sets)
    arity: int                  # components of each member: 2 for a set of pairs
    within: str | None          # `within ...` as written
    definition: str | None      # the formula after `=`; None: the members come from data
    ordered: bool
    doc: str | None

    @property
    def from_data(self) -> bool:
        return self.definition is None

    def __repr__(self) -> str:
        text = f"set {self.name}{_bracket(self.index)}"
        text += f" within {self.within}" if self.within else ""
        text += f" = {self.definition}" if self.definition else ""
        return text + _tail(self.doc, None)


@dataclass(frozen=True, repr=False)
class ParamInfo:
    name: str
    index: tuple[str, ...]      # the sets of the index, as written (a set of pairs once)
    dims: tuple[str, ...]       # the dimension of each position in arrays and tables (a pair: two)
    kind: str                   # number | integer | binary | element
    bounds: tuple[str, ...]     # as written: (">= 0",)
    element_of: str | None      # `in SET` of an element parameter
    default: str | None
    definition: str | None      # the formula after `=` of a computed parameter; None: from data
    uncertain: str | None       # the `uncertain ...` range as written
    doc: str | None
    unit: str | None

    @property
    def from_data(self) -> bool:
        return self.definition is None

    def __repr__(self) -> str:
        text = f"param {self.name}{_bracket(self.index)}"
        text += f" {self.kind}" if self.kind in ("integer", "binary") else ""
        text += f" in {self.element_of}" if self.element_of else ""
        text += "".join(f" {b}" for b in self.bounds)
        text += f" default {self.default}" if self.default else ""
        text += f" {self.uncertain}" if self.uncertain else ""
        text += f" = {self.definition}" if self.definition else ""
        return text + _tail(self.doc, self.unit)


@dataclass(frozen=True, repr=False)
class VariableInfo:
    name: str
    index: tuple[str, ...]
    dims: tuple[str, ...]
    kind: str                   # continuous | integer | binary
    bounds: tuple[str, ...]
    where: str | None           # the condition that leaves entries out
    design: bool                # a design decision (held by the twin and FePIA)
    doc: str | None
    unit: str | None

    def __repr__(self) -> str:
        text = f"var {self.name}{_bracket(self.index)}"
        text += f" {self.kind}" if self.kind != "continuous" else ""
        text += "".join(f" {b}" for b in self.bounds)
        text += f" where {self.where}" if self.where else ""
        text += " design" if self.design else ""
        return text + _tail(self.doc, self.unit)


@dataclass(frozen=True, repr=False)
class ObjectiveInfo:
    name: str
    sense: str                  # minimize | maximize
    doc: str | None
    unit: str | None

    def __repr__(self) -> str:
        return f"{self.sense} {self.name}" + _tail(self.doc, self.unit)


@dataclass(frozen=True, repr=False)
class ConstraintInfo:
    name: str
    index: tuple[str, ...]
    dims: tuple[str, ...]
    where: str | None
    text: str | None            # the row as written (a global constraint: its call)

    def __repr__(self) -> str:
        return f"{self.name}{_bracket(self.index)}" + (f": {self.text}" if self.text else "")


@dataclass(frozen=True, repr=False)
class KpiInfo:
    name: str
    index: tuple[str, ...]
    dims: tuple[str, ...]
    doc: str | None
    unit: str | None

    def __repr__(self) -> str:
        return f"kpi {self.name}{_bracket(self.index)}" + _tail(self.doc, self.unit)


@dataclass(frozen=True, repr=False)
class ScenarioInfo:
    name: str
    changes: tuple[str, ...]    # `name[keys] op value`, as written
    doc: str | None

    def __repr__(self) -> str:
        return f"scenario {self.name}: {', '.join(self.changes)}" + _tail(self.doc, None)


Info = TypeVar("Info")


class Declarations(dict, Generic[Info]):
    """The declarations of one kind, by name, in the model's order."""

    def __repr__(self) -> str:
        return "\n".join(repr(v) for v in self.values()) if self else "(none)"

    def frame(self) -> pd.DataFrame:
        """One row per declaration, one column per field."""
        rows = [{f.name: getattr(v, f.name) for f in fields(v)} for v in self.values()]
        return pd.DataFrame(rows).set_index("name") if rows else pd.DataFrame()

    def _repr_html_(self) -> str:
        if not self:
            return "<p>(none)</p>"
        return "<pre>" + html.escape(repr(self)) + "</pre>"


def describe(ir: ModelIR) -> dict[str, Declarations]:
    """The model's declarations by kind: sets, params, variables, objectives, constraints, kpis, scenarios."""
    out: dict[str, Declarations] = {k: Declarations() for k in
                                    ("sets", "params", "variables", "objectives", "constraints", "kpis", "scenarios")}
    for name in ir.order:
        sym = ir.symbols[name]
        d = sym.decl
        index, dims = _index(sym)
        if sym.kind == "set":
            out["sets"][name] = SetInfo(name, index, sym.arity, source_text(d.within), source_text(d.definition),
                                        d.ordered, d.doc)
        elif sym.kind == "param":
            kind = ("element" if sym.element_param else "binary" if d.binary else "integer" if d.integer
                    else "number")
            out["params"][name] = ParamInfo(name, index, dims, kind, _bounds(d), source_text(d.element_of),
                                            source_text(d.default), source_text(d.definition),
                                            source_text(d.uncertain), d.doc, d.unit)
        elif sym.kind == "var":
            out["variables"][name] = VariableInfo(name, index, dims, d.kind, _bounds(d),
                                                  source_text(d.where) or _where(d.index), d.design, d.doc, d.unit)
        elif sym.kind == "objective":
            out["objectives"][name] = ObjectiveInfo(name, d.sense, d.doc, d.unit)
        elif sym.kind == "constraint":
            text = " ".join(f"{source_text(t) or '?'}" + (f" {op}" if k < len(d.ops) else "")
                            for k, (t, op) in enumerate(zip(d.terms, d.ops + [""])))
            out["constraints"][name] = ConstraintInfo(name, index, dims, _where(d.index), text.strip() or None)
        elif sym.kind == "kpi":
            out["kpis"][name] = KpiInfo(name, index, dims, d.doc, d.unit)
        elif sym.kind == "scenario":
            out["scenarios"][name] = ScenarioInfo(name, tuple(_change(c) for c in d.changes), d.doc)
    return out


def _change(c: ast.Change) -> str:
    keys = f"[{', '.join(str(k.value) for k in c.keys)}]" if c.keys else ""
    return f"{c.name}{keys} {c.op} {c.value.value}"
