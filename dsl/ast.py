"""Typed syntax tree of a .mcp model; every node knows its source span.

The tree says what the user wrote, nothing more: names are not resolved here
(that is the checker's job in `milkrun.compiler.model.check`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from .diagnostics import Span


@dataclass
class Node:
    span: Span = field(repr=False, compare=False, kw_only=True)


# ------------------------------------------------------------------ elements and sets
@dataclass
class Element(Node):
    """A literal set element: a bare name, a number, a quoted string or a tuple."""

    value: object  # str | int | float | tuple
    is_name: bool = False  # written as a bare name (may be an element parameter)
    parts: list["Element"] = field(default_factory=list, repr=False, compare=False)  # a tuple's items


@dataclass
class SetRef(Node):
    name: str


@dataclass
class IndexedSetRef(Node):
    name: str
    subscripts: list["Expr"]


@dataclass
class SetLiteral(Node):
    elements: list[Element]


@dataclass
class SetRange(Node):
    low: "Expr"
    high: "Expr"


@dataclass
class SetOp(Node):
    op: str  # union | diff | inter | cross
    left: "SetExpr"
    right: "SetExpr"


@dataclass
class SetFilter(Node):
    bindings: list["Binding"]
    condition: "Cond"


SetExpr = Union[SetRef, IndexedSetRef, SetLiteral, SetRange, SetOp, SetFilter]


# ------------------------------------------------------------------ index lists
@dataclass
class Binding(Node):
    """`i in S`, `(k, l) in S`, a bare set `S` (declarations), or a bare index `i` (sums).

    `names` is empty for a bare set; `set` is None for a bare index whose set the
    checker infers from where the index is used (it then fills `set`).
    """

    names: list[str]
    set: SetExpr | None
    inferred: bool = False


@dataclass
class IndexList(Node):
    bindings: list[Binding]
    where: "Cond | None" = None


# ------------------------------------------------------------------ expressions
@dataclass
class Number(Node):
    value: float


@dataclass
class Name(Node):
    name: str


@dataclass
class Slice(Node):
    """`*` in a subscript: the position stays open."""


@dataclass
class Subscript(Node):
    name: str
    items: list["Expr | Slice | Element"]


@dataclass
class Shift(Node):
    """An index moved along the order of its set in a subscript: `t-1`, `t+k` (absent past either end),
    `t--1`, `t++k` (circular: past the last comes the first), `prev(t)`, `next(t)`. `offset` is a
    Number or the Name of a scalar parameter; `sign` is -1 or +1."""

    index: Name
    offset: Node
    sign: int
    circular: bool = False


@dataclass
class KeywordArg(Node):
    name: str
    value: "Expr | str"  # a string for options such as method = "lazy"


@dataclass
class Call(Node):
    func: str
    args: list["Expr"]
    keywords: list[KeywordArg] = field(default_factory=list)


@dataclass
class BinOp(Node):
    op: str  # + - * / ^
    left: "Expr"
    right: "Expr"


@dataclass
class Neg(Node):
    operand: "Expr"


@dataclass
class Percent(Node):
    """`2%`: a share of the parameter's nominal value. It has a meaning only in an uncertain
    clause (`uncertain +- 2%`, `uncertain in [-5%, +3%]`); the checker refuses it elsewhere."""

    operand: "Expr"


@dataclass
class IfExpr(Node):
    condition: "Cond"
    then: "Expr"
    otherwise: "Expr"


@dataclass
class Reduction(Node):
    op: str  # sum | prod | min | max
    index: IndexList | None  # None: `sum(*)`, reduce the open slice positions
    body: "Expr"


Expr = Union[Number, Name, Subscript, Call, BinOp, Neg, Percent, IfExpr, Reduction]


# ------------------------------------------------------------------ conditions
@dataclass
class Compare(Node):
    op: str
    left: Expr
    right: Expr


@dataclass
class Member(Node):
    items: list[Expr]  # one item, or the components of a tuple
    set: SetExpr


@dataclass
class BoolOp(Node):
    op: str  # and | or | not
    args: list["Cond"]


Cond = Union[Compare, Member, BoolOp]


# ------------------------------------------------------------------ declarations
@dataclass
class SetDecl(Node):
    name: str
    index: IndexList | None
    within: SetExpr | None
    definition: SetExpr | None
    ordered: bool
    doc: str | None


@dataclass
class Bound(Node):
    op: str  # >= <= > <
    value: Expr


@dataclass
class ParamDecl(Node):
    name: str
    index: IndexList | None
    integer: bool
    binary: bool
    bounds: list[Bound]
    element_of: SetExpr | None
    default: Expr | None
    doc: str | None
    definition: Expr | None
    uncertain: "Uncertainty | None" = None
    unit: str | None = None  # `unit "..."`: what the values are measured in, shown with them


@dataclass
class Uncertainty(Node):
    """`uncertain in [lo, hi]` or `uncertain +- dev`: the range a parameter's true value may take.

    The value the data gives is the nominal one. By itself the annotation changes nothing; random
    realisations (sweeps) and robust counterparts read it. The forms are absolute (`in [1800, 3600]`,
    `+- dev[i]`, in the parameter's own units) or relative (`+- 2%`, `in [-5%, +3%]`: each part a
    `Percent` of the nominal value); `relative` says which."""

    lo: Expr | None = None
    hi: Expr | None = None
    deviation: Expr | None = None

    @property
    def parts(self) -> list:
        return [e for e in (self.lo, self.hi, self.deviation) if e is not None]

    @property
    def relative(self) -> bool:
        return any(percent_of(e) is not None for e in self.parts)


def percent_of(e) -> "tuple[float, Expr] | None":
    """(sign, operand) when `e` is a percentage standing alone: `2%`, `-5%`; else None."""
    sign = 1.0
    while isinstance(e, Neg):
        sign, e = -sign, e.operand
    return (sign, e.operand) if isinstance(e, Percent) else None


@dataclass
class VarDecl(Node):
    name: str
    index: IndexList | None
    kind: str  # continuous | integer | binary
    bounds: list[Bound]
    where: Cond | None
    doc: str | None
    design: bool = False  # a design decision: what-if runs (twin, FePIA) fix it; the rest are operational
    unit: str | None = None


@dataclass
class Objective(Node):
    sense: str  # minimize | maximize
    name: str
    expr: Expr
    doc: str | None = None
    unit: str | None = None


@dataclass
class Constraint(Node):
    """`lhs op rhs`, a ranged `lo <= e <= hi`, or a global constraint call (one term, no op)."""

    name: str
    index: IndexList | None
    terms: list[Expr]  # one (global constraint), two, or three (ranged)
    ops: list[str]

    @property
    def is_global(self) -> bool:
        return len(self.terms) == 1


@dataclass
class Kpi(Node):
    """A figure computed from the solution and reported after every solve."""

    name: str
    index: IndexList | None
    doc: str | None
    expr: Expr
    unit: str | None = None


@dataclass
class Placeholder(Node):
    """`{expr}` inside a check's message."""

    expr: Expr


@dataclass
class Check(Node):
    """A condition every feasible plan needs; `message` parts are text or placeholders."""

    name: str
    index: IndexList | None
    condition: Cond
    message: list  # str | Placeholder


@dataclass
class Change(Node):
    """One parameter change of a scenario: `name[keys] op value`, op one of = *= += -=."""

    name: str
    keys: list[Element]
    op: str
    value: Element


@dataclass
class Scenario(Node):
    """A named set of parameter changes, applied on request (`--scenario`, sweeps, FePIA)."""

    name: str
    doc: str | None
    changes: list[Change]


@dataclass
class Include(Node):
    path: str


@dataclass
class DataEntry(Node):
    name: str
    kind: str  # scalar | set | map
    value: object  # Element | list[Element] | list[tuple[Element, Element]]


@dataclass
class DataBlock(Node):
    entries: list[DataEntry]


@dataclass
class DataTable(Node):
    """`data NAME \"\"\"csv\"\"\"`: a CSV table written inside the model."""

    name: str
    text: str
    text_line: int  # line of the first CSV line in the model file


Declaration = Union[SetDecl, ParamDecl, VarDecl, Objective, Constraint, Kpi, Check]


@dataclass
class Model(Node):
    name: str | None
    doc: str | None
    file: str
    statements: list = field(default_factory=list)
