"""The checked model: declarations with resolved index positions, in source order.

The checker (`check.py`) builds this from the syntax tree; data binding and the
backends read it. Nothing here depends on data.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from milkrun.dsl import ast

BUILTIN_SETS = {"Ints", "Reals", "Any"}  # usable only after `within`; their members come from data


@dataclass
class Position:
    """One index position of a declared item: the dimension name and the set it ranges over.

    For a position that is one component of a tuple set, `component` says which (0-based)
    and `arity` how many components the set has; `set` is then the whole tuple set.
    """

    dim: str
    set: ast.SetExpr
    component: int = 0
    arity: int = 1
    set_label: str = ""  # the set as the user wrote it, for messages


@dataclass
class Symbol:
    name: str
    kind: str  # set | param | var | objective | constraint
    decl: ast.Node
    positions: list[Position] = field(default_factory=list)
    arity: int = 1  # sets only: components of each element
    element_param: bool = False  # params only: holds an element of a set, not a number

    @property
    def span(self):
        return self.decl.span

    @property
    def indexed(self) -> bool:
        return bool(self.positions)

    def describe(self) -> str:
        idx = f"[{', '.join(p.set_label for p in self.positions)}]" if self.positions else ""
        return f"{self.kind} {self.name}{idx}"


@dataclass
class ModelIR:
    name: str | None
    doc: str | None
    file: str
    symbols: dict[str, Symbol]
    order: list[str]  # declaration order of sets, params, vars, objectives, constraints
    data_blocks: list[ast.DataBlock]
    data_tables: list[ast.DataTable]
    nonlinear: list = field(default_factory=list)  # (span, what): the constructs that make the model nonlinear

    def of_kind(self, kind: str) -> list[Symbol]:
        return [self.symbols[n] for n in self.order if self.symbols[n].kind == kind]

    @property
    def objectives(self) -> list[Symbol]:
        return self.of_kind("objective")

    @property
    def design_variables(self) -> list[Symbol]:
        """Variables marked `design`: a what-if run (twin, FePIA) fixes them; the others are operational."""
        return [s for s in self.of_kind("var") if s.decl.design]

    @property
    def scenarios(self) -> dict[str, ast.Scenario]:
        return {s.name: s.decl for s in self.of_kind("scenario")}

    @property
    def units(self) -> dict[str, str]:
        """The `unit "..."` of each declaration that gives one (parameters, variables, objectives, kpis)."""
        return {n: self.symbols[n].decl.unit for n in self.order if getattr(self.symbols[n].decl, "unit", None)}

    @property
    def tours(self) -> list[Symbol]:
        """The constraints stated by a `tour(...)` call (global_constraints.py)."""
        return [s for s in self.of_kind("constraint") if s.decl.is_global and s.decl.terms[0].func == "tour"]

    @property
    def undirected_tours(self) -> list[Symbol]:
        """The tours on edges (`graph = "undirected"`)."""
        return [s for s in self.tours if any(k.name == "graph" and k.value == "undirected"
                                             for k in s.decl.terms[0].keywords)]

    @property
    def uncertain_params(self) -> list[Symbol]:
        return [s for s in self.of_kind("param") if s.decl.uncertain is not None]
