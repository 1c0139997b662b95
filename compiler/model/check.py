"""Static checks: names, kinds, index positions, bound indices, linearity.

Runs before any data is read, so every mistake found here points at the model text.
It also completes the tree: a bare `sum(j)` gets the set that `j` ranges over,
inferred from where `j` is used as a subscript.
"""
from __future__ import annotations

from dataclasses import dataclass

from milkrun.compiler.model.global_constraints import GLOBAL_CONSTRAINTS
from milkrun.compiler.model.index_types import IndexTypes
from milkrun.compiler.model.ir import BUILTIN_SETS, ModelIR, Position, Symbol
from milkrun.compiler.model.sets import normalize
from milkrun.dsl import ast
from milkrun.dsl.diagnostics import MilkrunError, did_you_mean, source_line

# name -> (fewest arguments, most arguments or None for any)
BUILTINS: dict[str, tuple[int, int | None]] = {
    "euclid": (4, 4),
    "haversine": (4, 4),
    "sqrt": (1, 1),
    "abs": (1, 1),
    "min": (2, None),
    "max": (2, None),
    "ceil": (1, 1),
    "floor": (1, 1),
    "round": (1, 1),
    "exp": (1, 1),
    "log": (1, 1),
    "card": (1, 1),
    "ord": (1, 1),
    "first": (1, 1),
    "last": (1, 1),
    "prev": (1, 2),
    "next": (1, 2),
}
# A model may still name its own items so (a constraint `first`, a set `Next`): a call `first(T)` and a
# name `first[...]` never meet, and these words were free before periods came.
ORDER_FUNCTIONS = {"first", "last", "prev", "next"}
RESERVED_DIMS = {"_term", "_factor"}

CONST, LINEAR, NONLINEAR = 0, 1, 2
CHAINS = {"+": ("+", "-"), "-": ("+", "-"), "*": ("*", "/"), "/": ("*", "/")}  # left-associative operators
# How deeply expressions may nest (brackets around sums, powers of powers, signs, sums in sums): the
# checker and the evaluator recurse once per level, and Python's stack is finite. Chains of + - * /
# are flat (see `chain`), however long.
MAX_NESTING = 100
SMOOTH = {"sqrt", "exp", "log"}  # functions of variables the MINLP backend (SCIP) takes


@dataclass
class _Bound:
    """An index name bound in the current scope and the position it ranges over."""

    set: ast.SetExpr | None
    component: int
    arity: int


def check(model: ast.Model) -> ModelIR:
    return _Checker(model).run()


class _Checker:
    def __init__(self, model: ast.Model):
        self.model = model
        self.symbols: dict[str, Symbol] = {}
        self.order: list[str] = []
        self.post_solve = False  # in a kpi, variables stand for their values: any expression is fine
        self.in_uncertain = False  # checking an uncertain clause (a percentage may stand there)
        self.nonlinear: list[tuple] = []  # (span, what) of each nonlinear construct in the model
        self.types = IndexTypes(self.symbols)  # which set an index position takes (index_types.py)

    # ------------------------------------------------------------------ declarations
    def run(self) -> ModelIR:
        blocks, tables = [], []
        # First pass: declare every name, so a declaration may refer to one written later.
        for st in self.model.statements:
            if isinstance(st, (ast.SetDecl, ast.ParamDecl, ast.VarDecl, ast.Objective, ast.Constraint, ast.Kpi,
                               ast.Check, ast.Scenario)):
                self._declare(st)
            elif isinstance(st, ast.DataBlock):
                blocks.append(st)
            elif isinstance(st, ast.DataTable):
                tables.append(st)
        for name in self.order:  # before any recursive walk below
            _check_nesting(self.symbols[name].decl)
        for name in self.order:
            sym = self.symbols[name]
            if sym.kind == "set":
                sym.arity = self._decl_set_arity(sym)
        for name in self.order:
            sym = self.symbols[name]
            if getattr(sym.decl, "index", None):
                sym.positions = self._positions(sym.decl.index, filters=sym.kind in ("constraint", "check"))
        for name in self.order:
            getattr(self, f"_check_{self.symbols[name].kind}")(self.symbols[name])
        for b in blocks:
            for e in b.entries:
                self._check_data_name(e.name, e.span)
        for t in tables:
            sym = self.symbols.get(t.name)
            if sym is None or sym.kind not in ("set", "param"):
                # A table named after nothing is fine if its columns name parameters;
                # the data reader checks the columns.
                pass
        ir = ModelIR(self.model.name, self.model.doc, self.model.file, self.symbols, self.order, blocks, tables)
        ir.nonlinear = self.nonlinear
        return ir

    def _declare(self, st):
        kind = {ast.SetDecl: "set", ast.ParamDecl: "param", ast.VarDecl: "var", ast.Objective: "objective",
                ast.Constraint: "constraint", ast.Kpi: "kpi", ast.Check: "check", ast.Scenario: "scenario"}[type(st)]
        if st.name.startswith("_"):
            raise MilkrunError(f"names may not start with '_' ('{st.name}')", st.span)
        if st.name in BUILTIN_SETS or (st.name in BUILTINS and st.name not in ORDER_FUNCTIONS):
            raise MilkrunError(f"'{st.name}' is a built-in name and cannot be declared", st.span)
        if st.name in self.symbols:
            prev = self.symbols[st.name]
            raise MilkrunError(f"'{st.name}' is declared twice", st.span,
                               notes=[(f"first declared here as a {prev.kind}", prev.span)])
        sym = Symbol(st.name, kind, st)
        if kind == "param" and st.element_of is not None:
            sym.element_param = True
        self.symbols[st.name] = sym
        self.order.append(st.name)

    def _check_data_name(self, name, span):
        sym = self.symbols.get(name)
        if sym is None:
            raise MilkrunError(f"data for '{name}', which is not declared", span,
                               hint=did_you_mean(name, [s for s in self.symbols if self.symbols[s].kind in ("set", "param")]))
        if sym.kind not in ("set", "param"):
            raise MilkrunError(f"data can only be given for sets and parameters; '{name}' is {_a(sym.kind)}", span)
        if getattr(sym.decl, "definition", None) is not None:
            raise MilkrunError(f"'{name}' is defined in the model by a formula; it cannot also be given as data", span,
                               notes=[("defined here", sym.span)])

    # ------------------------------------------------------------------ index positions
    def _positions(self, index: ast.IndexList, filters: bool = False) -> list[Position]:
        """The dimensions of a declared item. With `filters` (constraints and checks), a name that a
        tuple binding repeats from an earlier binding filters instead of adding a dimension."""
        positions: list[Position] = []
        used: dict[str, int] = {}
        for b in index.bindings:
            arity = self._set_arity(b.set)
            label = _label(b.set)
            if b.names:
                if len(b.names) != arity:
                    self._arity_mismatch(b, arity)
                for c, n in enumerate(b.names):
                    if n in used and filters and len(b.names) > 1:
                        continue
                    if n in used:
                        raise MilkrunError(f"index name '{n}' is used twice in one index list", b.span)
                    self._check_index_name(n, b.span)
                    used[n] = 1
                    positions.append(Position(n, b.set, c, arity, label))
            else:
                base = label if isinstance(b.set, ast.SetRef) else "dim"
                for c in range(arity):
                    dim = base if arity == 1 else f"{base}_{c + 1}"
                    if dim in used:
                        used[dim] += 1
                        dim = f"{dim}_{used[dim]}"
                    used.setdefault(dim, 1)
                    positions.append(Position(dim, b.set, c, arity, label))
        return positions

    def _arity_mismatch(self, b: ast.Binding, arity: int):
        if arity == 1:
            raise MilkrunError(f"{_label(b.set)} holds single elements; bind one index, like 'i in {_label(b.set)}'", b.span)
        names = ", ".join(chr(ord("a") + k) for k in range(arity))
        raise MilkrunError(
            f"{_label(b.set)} holds {arity}-tuples; bind {arity} indices, like '({names}) in {_label(b.set)}'", b.span)

    def _check_index_name(self, n: str, span):
        if n in self.symbols:
            raise MilkrunError(f"index name '{n}' is already the name of a {self.symbols[n].kind}", span,
                               hint="choose another index name")
        if n in RESERVED_DIMS or n.startswith("_"):
            raise MilkrunError(f"index names may not start with '_' ('{n}')", span)

    # ------------------------------------------------------------------ set arity
    def _decl_set_arity(self, sym: Symbol, seen=None) -> int:
        d: ast.SetDecl = sym.decl
        seen = seen or set()
        if sym.name in seen:
            raise MilkrunError(f"set '{sym.name}' is defined in terms of itself", d.span)
        seen = seen | {sym.name}
        if d.definition is not None:
            a = self._set_arity(d.definition, seen)
            if d.within is not None and self._set_arity(d.within, seen) != a:
                raise MilkrunError(f"set '{sym.name}' is defined with {a}-tuples but declared within a set of "
                                   f"{self._set_arity(d.within, seen)}-tuples", d.span)
            return a
        if d.within is not None:
            return self._set_arity(d.within, seen)
        return 1

    def _set_arity(self, s: ast.SetExpr, seen=None) -> int:
        if isinstance(s, ast.SetRef):
            if s.name in BUILTIN_SETS:
                return 1
            sym = self._lookup(s.name, s.span, want="set")
            if sym.kind != "set":
                raise MilkrunError(f"'{s.name}' is {_a(sym.kind)}, but a set is expected here", s.span)
            if sym.positions:
                raise MilkrunError(f"set '{s.name}' is indexed over [{', '.join(p.set_label for p in sym.positions)}]; "
                                   f"write {s.name}[...]", s.span)
            if seen is not None:
                return self._decl_set_arity(sym, seen)
            return sym.arity
        if isinstance(s, ast.IndexedSetRef):
            sym = self._lookup(s.name, s.span, want="set")
            if sym.kind != "set" or not sym.positions:
                raise MilkrunError(f"'{s.name}' is not an indexed set", s.span)
            return self._decl_set_arity(sym, seen) if seen is not None else sym.arity
        if isinstance(s, ast.SetLiteral):
            sizes = {len(e.value) if isinstance(e.value, tuple) else 1 for e in s.elements}
            if len(sizes) > 1:
                raise MilkrunError("a set's elements must all have the same number of components", s.span)
            return sizes.pop() if sizes else 1
        if isinstance(s, ast.SetRange):
            return 1
        if isinstance(s, ast.SetOp):
            a, b = self._set_arity(s.left, seen), self._set_arity(s.right, seen)
            if s.op == "cross":
                return a + b
            if a != b:
                raise MilkrunError(f"'{s.op}' needs two sets of the same shape; got {a}-tuples and {b}-tuples", s.span)
            return a
        if isinstance(s, ast.SetFilter):
            return sum(max(len(b.names), 1) for b in s.bindings)
        raise TypeError(s)

    # ------------------------------------------------------------------ per kind
    def _check_set(self, sym: Symbol):
        d: ast.SetDecl = sym.decl
        scope = self._decl_scope(d)
        for s in (d.within, d.definition):
            if s is not None:
                self._check_set_expr(s, scope)

    def _check_param(self, sym: Symbol):
        d: ast.ParamDecl = sym.decl
        scope = self._decl_scope(d)
        if d.element_of is not None:
            self._check_set_expr(d.element_of, {})
            if d.bounds or d.integer or d.binary:
                raise MilkrunError(f"'{d.name}' holds an element of a set; it takes no numeric bounds", d.span)
        for b in d.bounds:
            self._require_number(b.value, scope, "a parameter's bound", described=True)
        if d.default is not None and sym.element_param and isinstance(d.default, ast.Name) \
                and d.default.name not in self.symbols:
            pass  # `param depot in Nodes default plant`: a bare name is the element itself
        elif d.default is not None and sym.element_param:
            self._require_const(self._expr(d.default, scope), d.default, "a default value")
        elif d.default is not None:
            self._require_number(d.default, scope, "a default value", described=True)
        if d.definition is not None:
            if isinstance(d.definition, ast.Element):
                raise MilkrunError(f"a formula gives a number; to hold the element '{d.definition.value}' declare "
                                   f"'param {d.name} in SET default {d.definition.value}'", d.definition.span)
            self._require_number(d.definition, scope, "a parameter's formula")
        if d.uncertain is not None:
            if sym.element_param:
                raise MilkrunError(f"'{d.name}' holds an element of a set; only numbers can be uncertain",
                                   d.uncertain.span)
            self._check_uncertain(d, d.uncertain, scope)

    def _check_uncertain(self, d: ast.ParamDecl, u: ast.Uncertainty, scope):
        """An uncertainty clause: each part a number from data (the parameter's own name means its
        nominal value there), and a percentage only as a whole part: `+- 2%`, `in [-5%, +3%]`."""
        self.in_uncertain = True
        try:
            for part in u.parts:
                pc = ast.percent_of(part)
                if pc is None:
                    self._require_number(part, scope, "an uncertainty range")
                    continue
                operand = pc[1]
                self._require_number(operand, scope, "a percentage")
                sym = self.symbols.get(operand.name) if isinstance(operand, (ast.Name, ast.Subscript)) else None
                if sym is not None and sym.kind == "param" and sym.element_param:
                    raise MilkrunError(f"'{operand.name}' holds an element of a set, but a percentage must be of a "
                                       "number", operand.span)
        finally:
            self.in_uncertain = False
        if u.lo is not None and (ast.percent_of(u.lo) is None) != (ast.percent_of(u.hi) is None):
            absolute = u.lo if ast.percent_of(u.lo) is None else u.hi
            raise MilkrunError(f"the range of '{d.name}' mixes a percentage with an absolute end; write both ends as "
                               "percentages of the nominal value (in [-5%, +3%]) or both as values (in [1800, 3600])",
                               absolute.span)
        # what can be seen in the text is refused here; the rest when the data are read (data/instance.py)
        if u.deviation is not None:
            v = _constant(u.deviation)
            if v is not None and v < 0:
                raise MilkrunError(f"the deviation of '{d.name}' is negative ({_num(v)}{'%' if u.relative else ''}); "
                                   "'+-' takes the distance the value may move either way, which is at least 0",
                                   u.deviation.span, hint="for a range that is not symmetric, write in [-5%, +3%]")
            return
        lo, hi = _constant(u.lo), _constant(u.hi)
        if lo is not None and hi is not None and lo > hi:
            unit = "%" if u.relative else ""
            raise MilkrunError(f"the range of '{d.name}' is empty: its low end ({_num(lo)}{unit}) is above its high "
                               f"end ({_num(hi)}{unit})", u.lo.span, hint="write the low end first")
        if u.relative:
            for end, v, side in ((u.lo, lo, "low"), (u.hi, hi, "high")):
                if v is not None and (v > 0 if side == "low" else v < 0):
                    raise MilkrunError(f"the range of '{d.name}' must hold its nominal value: its {side} end, "
                                       f"{_num(v)}%, is {'above' if side == 'low' else 'below'} it",
                                       end.span, hint="a relative range runs from a share below the nominal value to "
                                                      "a share above it: in [-5%, +3%]")

    def _check_var(self, sym: Symbol):
        d: ast.VarDecl = sym.decl
        scope = self._decl_scope(d)
        if d.where is not None:
            if not d.index:
                raise MilkrunError(f"'where' needs an indexed variable; '{d.name}' has no index", d.where.span)
            self._cond(d.where, scope)
        if d.kind == "binary" and d.bounds:
            raise MilkrunError(f"binary variable '{d.name}' takes no bounds (it is 0 or 1)", d.bounds[0].span)
        for b in d.bounds:
            if b.op in (">", "<"):
                raise MilkrunError(f"a variable's bound must be '>=' or '<=', not '{b.op}' (strict bounds cannot be "
                                   "solved)", b.span)
            self._require_number(b.value, scope, "a variable's bound", described=True)

    def _check_objective(self, sym: Symbol):
        d: ast.Objective = sym.decl
        self._no_text(d.expr, "an objective")
        deg, open_ = self._expr_full(d.expr, {})
        if open_:
            raise MilkrunError("this objective leaves a '*' position open; sum over it", d.expr.span)

    def _check_constraint(self, sym: Symbol):
        d: ast.Constraint = sym.decl
        scope = self._decl_scope(d)
        if d.is_global:
            self._check_global(d, scope)
            return
        degs = []
        for t in d.terms:
            self._no_text(t, "each side of a constraint")
            deg, open_ = self._expr_full(t, scope)
            if open_:
                raise MilkrunError("this side leaves a '*' position open; sum over it with sum(*) or index it",
                                   t.span)
            degs.append(deg)
        if max(degs) == CONST:
            raise MilkrunError(f"constraint '{d.name}' has no variables", d.span,
                               hint="a condition on data belongs in a parameter's bounds or a 'where'")
        if len(d.terms) == 3 and (degs[0] != CONST or degs[2] != CONST):
            raise MilkrunError("in a ranged constraint 'low <= e <= high' the bounds must be data, not variables",
                               d.span)

    def _earlier_kpi(self, used: Symbol, node):
        """kpis are evaluated in order, so one may use only those declared before it."""
        here = self.order.index(self._current)
        if self.order.index(used.name) >= here:
            raise MilkrunError(f"kpi '{used.name}' is declared after (or is) the kpi that uses it", node.span,
                               hint="kpis are computed in the order they are written; move it up")

    def _check_kpi(self, sym: Symbol):
        self._current = sym.name
        d: ast.Kpi = sym.decl
        self.post_solve = True
        try:
            scope = self._decl_scope(d)
            self._require_number(d.expr, scope, "a kpi")
        finally:
            self.post_solve = False

    def _check_check(self, sym: Symbol):
        d: ast.Check = sym.decl
        scope = self._decl_scope(d)
        self._cond(d.condition, scope)
        for part in d.message:
            if isinstance(part, ast.Placeholder):
                self._require_const(self._expr(part.expr, scope), part.expr, "a check's message")

    def _check_scenario(self, sym: Symbol):
        """Each change names a parameter the data could give, with as many keys as it has positions."""
        for ch in sym.decl.changes:
            target = self.symbols.get(ch.name)
            if target is None or target.kind != "param":
                what = f"is {_a(target.kind)}" if target else "is not declared"
                raise MilkrunError(f"scenario '{sym.name}' changes '{ch.name}', which {what}; a scenario changes "
                                   "parameters", ch.span,
                                   hint=did_you_mean(ch.name, [s.name for s in self.symbols.values()
                                                               if s.kind == "param"]))
            if ch.op == "=" and target.decl.definition is not None:
                raise MilkrunError(f"'{ch.name}' is computed by a formula; a scenario can scale it (*=) or shift it "
                                   "(+=, -=) but not replace it", ch.span, notes=[("defined here", target.span)])
            if ch.op != "=" and target.element_param:
                raise MilkrunError(f"'{ch.name}' holds an element of a set; only '=' applies to it", ch.span)
            if ch.keys and len(ch.keys) != len(target.positions):
                raise MilkrunError(f"'{ch.name}' takes {len(target.positions)} key(s); this change gives "
                                   f"{len(ch.keys)}", ch.span)
            if not target.element_param and not isinstance(ch.value.value, (int, float)):
                raise MilkrunError(f"'{ch.name}' takes numbers; '{ch.value.value}' is not one", ch.value.span)
            if ch.op == "=" and target.positions and not ch.keys:
                raise MilkrunError(f"'{ch.name}' is indexed: set one entry, {ch.name}[...] = value, or scale them "
                                   f"all with {ch.name} *= factor", ch.span)

    # ------------------------------------------------------------------ scopes
    def _decl_scope(self, d) -> dict:
        """The index names a declaration binds; its `where` is checked here, like any condition."""
        if not d.index:
            return {}
        scope = self._scope_of(d.index, {})
        if d.index.where is not None:
            self._cond(d.index.where, scope)
            scope = self.types.narrow(scope, d.index.where)
        return scope

    def _scope_of(self, index: ast.IndexList, outer: dict, reduction=False) -> dict:
        scope = dict(outer)
        for b in index.bindings:
            if b.set is None:  # `sum(j)`: set inferred later
                continue
            self._check_set_expr(b.set, scope)
            arity = self._set_arity(b.set)
            if b.names:
                if len(b.names) != arity:
                    self._arity_mismatch(b, arity)
                for c, n in enumerate(b.names):
                    if n in scope and len(b.names) == 1:
                        raise MilkrunError(f"index '{n}' is already bound here", b.span,
                                           hint="use another name for the inner index")
                    if n not in scope:
                        self._check_index_name(n, b.span)
                        scope[n] = _Bound(b.set, c, arity)
        return scope

    def _check_set_expr(self, s: ast.SetExpr, scope: dict):
        if isinstance(s, ast.SetRef):
            if s.name not in BUILTIN_SETS:
                self._set_arity(s)
        elif isinstance(s, ast.IndexedSetRef):
            sym = self._lookup(s.name, s.span, want="set")
            if sym.kind != "set":
                raise MilkrunError(f"'{s.name}' is {_a(sym.kind)}, but a set is expected here", s.span)
            self._subscripts(sym, s.subscripts, scope, s.span)
        elif isinstance(s, ast.SetLiteral):
            for e in s.elements:
                if e.is_name and isinstance(e.value, str) and e.value in self.symbols:
                    sym = self.symbols[e.value]
                    if not (sym.kind == "param" and sym.element_param):
                        raise MilkrunError(f"'{e.value}' is {_a(sym.kind)}; inside {{...}} a name is an element or a "
                                           "parameter declared 'in SET'", e.span)
        elif isinstance(s, ast.SetRange):
            for x in (s.low, s.high):
                self._require_const(self._expr(x, scope), x, "a range bound")
        elif isinstance(s, ast.SetOp):
            self._check_set_expr(s.left, scope)
            self._check_set_expr(s.right, scope)
            self._set_arity(s)
        elif isinstance(s, ast.SetFilter):
            inner = self._scope_of(ast.IndexList(s.bindings, None, span=s.span), scope)
            self._cond(s.condition, inner)

    # ------------------------------------------------------------------ expressions
    def _require_number(self, e, scope, what: str, described: bool = False) -> int:
        """A value that must be a number computed from data (a bound, a default, a formula)."""
        self._no_text(e, what, described)
        deg = self._expr(e, scope)
        self._require_const(deg, e, what)
        return deg

    def _no_text(self, e, what: str, described: bool = False) -> None:
        text = _text_in(e)
        if text is None:
            return
        hint = "quotes make text (an element's name); numbers are written without them"
        if described:
            hint += (f'. A description in quotes goes at the end of the declaration, after its bounds: '
                     f'param cap[Sites] >= 0 "{text.value}"')
        raise MilkrunError(f'"{text.value}" is text, but {what} must be a number', text.span, hint=hint)

    def _require_const(self, deg, node, what):
        if deg != CONST and not self.post_solve:
            raise MilkrunError(f"{what} must not depend on variables", node.span)

    def _expr(self, e, scope) -> int:
        deg, open_ = self._expr_full(e, scope)
        if open_:
            raise MilkrunError("a '*' position is open here; sum over it with sum(*)", e.span)
        return deg

    def _expr_full(self, e, scope) -> tuple[int, int]:
        """Return (degree in the variables, number of open '*' positions)."""
        if isinstance(e, (ast.Number, ast.Element)):
            return CONST, 0
        if isinstance(e, ast.Name):
            if e.name in scope:
                return CONST, 0
            sym = self._lookup(e.name, e.span, scope=scope)
            if sym.kind == "set":
                raise MilkrunError(f"'{e.name}' is a set, but a value is expected here", e.span,
                                   hint=f"card({e.name}) is its number of elements")
            if sym.kind == "kpi" and self.post_solve and not sym.positions:
                self._earlier_kpi(sym, e)
                return LINEAR, 0
            if sym.kind in ("objective", "constraint", "kpi", "check"):
                where = "inside the model" if sym.kind != "kpi" else "outside other kpis"
                raise MilkrunError(f"'{e.name}' is {_a(sym.kind)} and has no value {where}", e.span)
            if sym.positions:
                idx = ", ".join(p.set_label for p in sym.positions)
                raise MilkrunError(f"{sym.kind} '{e.name}' is indexed over [{idx}]; give its indices, like "
                                   f"{e.name}[{', '.join(p.dim for p in sym.positions)}]", e.span)
            return (LINEAR if sym.kind == "var" else CONST), 0
        if isinstance(e, ast.Subscript):
            sym = self._lookup(e.name, e.span, scope=scope)
            if sym.kind == "kpi" and self.post_solve:
                self._earlier_kpi(sym, e)
                return LINEAR, self._subscripts(sym, e.items, scope, e.span)
            if sym.kind not in ("param", "var"):
                raise MilkrunError(f"'{e.name}' is {_a(sym.kind)}; only parameters and variables take indices here",
                                   e.span)
            open_ = self._subscripts(sym, e.items, scope, e.span)
            return (LINEAR if sym.kind == "var" else CONST), open_
        if isinstance(e, ast.Neg):
            self._no_arithmetic_on_text(e.operand, "-")
            return self._expr_full(e.operand, scope)
        if isinstance(e, ast.BinOp) and e.op in ("++", "--"):
            raise MilkrunError(f"'{e.op}' moves an index around its set, in a subscript such as x[t{e.op}1]; it is "
                               "not arithmetic", e.span, hint=f"for arithmetic write '{e.op[0]} {e.op[0]}' with a space")
        if isinstance(e, ast.Percent):
            if self.in_uncertain:
                raise MilkrunError("a percentage stands alone in an uncertain clause: the whole deviation "
                                   "(uncertain +- 2%) or a whole end of the range (uncertain in [-5%, +3%])", e.span)
            raise MilkrunError("a percentage has a meaning only in an uncertain clause, as a share of the parameter's "
                               "nominal value (uncertain +- 2%, uncertain in [-5%, +3%])", e.span,
                               hint="elsewhere write the fraction: 0.02 for 2%")
        if isinstance(e, ast.BinOp):
            # `a + b - c + ...` is a BinOp as deep as the line is long: walk its left spine in a loop
            first, rest = chain(e)
            self._no_arithmetic_on_text(first, e.op)
            a, oa = self._expr_full(first, scope)
            for op, right, node in rest:
                self._no_arithmetic_on_text(right, op)
                b, ob = self._expr_full(right, scope)
                a, oa = self._combine(node, a, b), oa + ob
            return a, oa
        if isinstance(e, ast.IfExpr):
            self._cond(e.condition, scope)
            (a, oa), (b, ob) = self._expr_full(e.then, scope), self._expr_full(e.otherwise, scope)
            return max(a, b), max(oa, ob)
        if isinstance(e, ast.Call):
            return self._call(e, scope), 0
        if isinstance(e, ast.Reduction):
            return self._reduction(e, scope)
        raise TypeError(e)

    def _combine(self, e: ast.BinOp, a: int, b: int) -> int:
        """The degree of `left op right` from the degrees of its sides."""
        if self.post_solve:
            return max(a, b)
        if e.op == "*" and a and b:
            return self._nonlinear(e, "a product of two expressions with variables")
        if e.op == "/" and b:
            return self._nonlinear(e, "a division by an expression with variables")
        if e.op == "^" and b:
            raise MilkrunError("an exponent that holds variables is not supported; write exp(y * log(a)) for "
                               "a constant base a", e.right.span)
        if e.op == "^" and a:
            return self._nonlinear(e, "a power of an expression with variables")
        return max(a, b)

    def _no_arithmetic_on_text(self, e, op: str) -> None:
        text = _text_in(e)
        if text is not None:
            raise MilkrunError(f'"{text.value}" is text and cannot take part in arithmetic (\'{op}\')', text.span,
                               hint="quotes make text (an element's name); numbers are written without them")

    def _check_global(self, d: ast.Constraint, scope):
        call = d.terms[0]
        if not isinstance(call, ast.Call):
            raise MilkrunError(f"constraint '{d.name}' needs a comparison (<=, >= or ==), or a global constraint "
                               f"such as tour(...)", call.span)
        spec = GLOBAL_CONSTRAINTS.get(call.func)
        if spec is None:
            raise MilkrunError(f"'{call.func}' is not a global constraint", call.span,
                               hint=did_you_mean(call.func, GLOBAL_CONSTRAINTS) or
                               f"global constraints: {', '.join(sorted(GLOBAL_CONSTRAINTS))}; "
                               "other constraints need a comparison (<=, >=, ==)")
        spec.check(call, self, scope)

    def _call(self, e: ast.Call, scope) -> int:
        if e.func in GLOBAL_CONSTRAINTS:
            raise MilkrunError(f"{e.func}(...) is a constraint on its own, not a value", e.span,
                               hint=f"write it as a constraint: name[...]: {e.func}(...)")
        if e.keywords:
            raise MilkrunError(f"{e.func}() takes no named arguments", e.keywords[0].span)
        if e.func not in BUILTINS:
            raise MilkrunError(f"unknown function '{e.func}'", e.span,
                               hint=did_you_mean(e.func, BUILTINS) or f"known functions: {', '.join(sorted(BUILTINS))}")
        lo, hi = BUILTINS[e.func]
        n = len(e.args)
        if n < lo or (hi is not None and n > hi):
            want = f"{lo}" if lo == hi else (f"at least {lo}" if hi is None else f"{lo} to {hi}")
            raise MilkrunError(f"{e.func}() takes {want} argument{'s' if hi != 1 else ''}, got {n}", e.span)
        if e.func == "card":
            arg = e.args[0]
            if not isinstance(arg, ast.Name):
                raise MilkrunError("card() takes the name of a set", arg.span)
            self._check_set_expr(ast.SetRef(arg.name, span=arg.span), scope)
            return CONST
        if e.func == "ord":
            arg = e.args[0]
            if not (isinstance(arg, ast.Name) and arg.name in scope):
                raise MilkrunError("ord() takes an index name: the position of its value in its set", arg.span)
            return CONST
        if e.func in ("first", "last"):
            arg = e.args[0]
            if not isinstance(arg, ast.Name) or (arg.name in self.symbols and self.symbols[arg.name].kind != "set"):
                raise MilkrunError(f"{e.func}() takes the name of a set: its {e.func} member", arg.span)
            self._check_set_expr(ast.SetRef(arg.name, span=arg.span), scope)
            if self._set_arity(ast.SetRef(arg.name, span=arg.span)) != 1:
                raise MilkrunError(f"{e.func}() takes a set of single members; '{arg.name}' holds tuples", arg.span)
            return CONST
        if e.func in ("prev", "next"):
            shift = ast.Shift(e.args[0], ast.Number(1, span=e.span), -1 if e.func == "prev" else 1, span=e.span)
            if not isinstance(e.args[0], ast.Name):
                raise MilkrunError(f"{e.func}() takes an index name, and 'circular' to go round the set", e.args[0].span)
            if len(e.args) == 2 and not (isinstance(e.args[1], ast.Name) and e.args[1].name == "circular"):
                raise MilkrunError(f"the second argument of {e.func}() can only be 'circular'", e.args[1].span,
                                   hint=f"{e.func}(t, circular) wraps around the set; {e.func}(t) stops at its end")
            self._shift(shift, scope)
            return CONST
        for a in e.args:
            self._no_text(a, f"an argument of {e.func}()")
        degs = [self._expr(a, scope) for a in e.args]
        if max(degs) != CONST and not self.post_solve:
            if e.func in SMOOTH:
                return self._nonlinear(e, f"{e.func}() of an expression with variables")
            raise MilkrunError(f"{e.func}() of an expression with variables is not supported (not smooth); "
                               "models may use sqrt, exp and log of variables, products, ratios and powers",
                               e.args[degs.index(max(degs))].span)
        return CONST

    def _nonlinear(self, e, what: str) -> int:
        """Note a nonlinear construct: fine for SCIP, named in the error any linear solver gives."""
        if not self.post_solve:
            self.nonlinear.append((e.span, what))
        return NONLINEAR

    def _reduction(self, e: ast.Reduction, scope) -> tuple[int, int]:
        if e.index is None:  # sum(*): reduce the open slice positions
            if e.op != "sum":
                raise MilkrunError(f"{e.op}(*) is not supported; only sum(*) reduces open '*' positions", e.span)
            deg, open_ = self._expr_full(e.body, scope)
            if not open_:
                raise MilkrunError("sum(*) needs a '*' in a subscript of its body", e.span)
            return deg, 0
        for b in e.index.bindings:
            if b.set is None:
                b.set = self._infer_set(b.names[0], e.body, scope, b)
        inner = self._scope_of(e.index, scope, reduction=True)
        if e.index.where is not None:
            self._cond(e.index.where, inner)
            inner = self.types.narrow(inner, e.index.where)
        self._no_text(e.body, f"the body of {e.op}(...)")
        deg, open_ = self._expr_full(e.body, inner)
        if open_:
            raise MilkrunError("a '*' position is open inside this sum; use sum(*) for it", e.body.span)
        if e.op != "sum" and deg != CONST and not self.post_solve:
            raise MilkrunError(f"{e.op}(...) over an expression with variables is not supported", e.span,
                               hint="prod(...) of variables can be written as exp(sum(...) log(...)); min and max "
                                    "as a variable with one row per term")
        return deg, 0

    def _infer_set(self, name: str, body, scope, b: ast.Binding) -> ast.SetExpr:
        if name in scope:
            raise MilkrunError(f"index '{name}' is already bound here", b.span,
                               hint="use another name for the inner index")
        self._check_index_name(name, b.span)
        for sub in _subscripts_in(body):
            sym = self.symbols.get(sub.name)
            if sym is None or not sym.positions or len(sub.items) != len(sym.positions):
                continue
            for item, pos in zip(sub.items, sym.positions):
                if isinstance(item, ast.Shift):
                    item = item.index
                if isinstance(item, ast.Name) and item.name == name:
                    if pos.arity != 1:
                        raise MilkrunError(
                            f"cannot tell which set '{name}' ranges over: position {pos.dim} of '{sym.name}' is part "
                            f"of the tuple set {pos.set_label}", b.span,
                            hint=f"bind it explicitly, for example ({name}, ...) in {pos.set_label}")
                    b.inferred = True
                    return pos.set
        raise MilkrunError(f"cannot tell which set '{name}' ranges over: it is not used as a subscript here", b.span,
                           hint=f"write '{name} in SET'")

    def _subscripts(self, sym: Symbol, items, scope, span) -> int:
        if not sym.positions:
            raise MilkrunError(f"{sym.kind} '{sym.name}' has no index, but is used with one", span)
        if len(items) != len(sym.positions):
            idx = ", ".join(p.set_label if p.arity == 1 else f"{p.set_label}.{p.component + 1}"
                            for p in sym.positions)
            raise MilkrunError(f"'{sym.name}' takes {len(sym.positions)} "
                               f"ind{'ex' if len(sym.positions) == 1 else 'ices'} [{idx}], got {len(items)}", span)
        open_ = 0
        for item in items:
            if isinstance(item, ast.Slice):
                open_ += 1
            elif isinstance(item, ast.Element):
                pass
            elif isinstance(item, ast.Name):
                if item.name in scope:
                    continue
                ref = self.symbols.get(item.name)
                if ref is not None and ref.kind == "param" and ref.element_param:
                    continue
                if ref is not None and ref.kind == "param" and not ref.positions:
                    continue
                if ref is not None:
                    raise MilkrunError(f"'{item.name}' is {_a(ref.kind)}; a subscript must be an index, an element "
                                       "or a parameter", item.span)
                hint = did_you_mean(item.name, list(scope)) or (
                    f"if '{item.name}' is an element of the set, quote it: '{item.name}'")
                raise _index_of_closed_sum(self.model, item) or MilkrunError(
                    f"unknown index '{item.name}'", item.span, hint=hint)
            elif isinstance(item, ast.Number):
                continue
            elif isinstance(item, ast.Shift):
                self._shift(item, scope)
            elif isinstance(item, ast.Subscript):  # dist[i, home[i]]: an element parameter's value
                ref = self._lookup(item.name, item.span, scope=scope)
                if not (ref.kind == "param" and ref.element_param):
                    raise MilkrunError(f"'{item.name}' is {_a(ref.kind)}; in a subscript, an indexed name must be a "
                                       "parameter whose values are elements (declared 'in SET')", item.span)
                self._subscripts(ref, item.items, scope, item.span)
            elif isinstance(item, ast.Call) and item.func in ("first", "last", "prev", "next"):
                self._expr(item, scope)
            else:
                raise MilkrunError("a subscript must be an index name, an element, a number, '*', or an index "
                                   "moved along its set (t-1, t+2, t--1, prev(t), next(t))", item.span)
        self.types.check_subscripts(sym, items, scope)
        return open_

    def _shift(self, item: ast.Shift, scope) -> None:
        """`t-1`, `t++k`, `prev(t)`: an index bound here, over a set of single members, moved by a whole
        number of places (a number, or a scalar parameter whose value is checked with the data)."""
        name = item.index.name
        b = scope.get(name)
        if b is None:
            ref = self.symbols.get(name)
            if ref is not None:
                raise MilkrunError(f"'{name}' is {_a(ref.kind)}; only an index moves along its set", item.index.span,
                                   hint=f"bind an index, as in [t in T], and write t-1")
            raise MilkrunError(f"unknown index '{name}'", item.index.span,
                               hint=did_you_mean(name, list(scope)) or f"bind it, as in [{name} in SET]")
        if b.arity != 1:
            raise MilkrunError(f"'{name}' is component {b.component + 1} of the tuple set {_label(b.set)}; a member of "
                               "a tuple has no single order to move along", item.span,
                               hint=f"bind '{name}' over a set of single members to write {name}-1")
        k = item.offset
        if isinstance(k, ast.Number):
            if float(k.value) != int(float(k.value)):
                raise MilkrunError(f"an index moves by a whole number of places; got {k.value}", k.span)
            return
        if isinstance(k, ast.Name):
            sym = self.symbols.get(k.name)
            if sym is not None and sym.kind == "param" and not sym.positions and not sym.element_param:
                return
            if k.name in scope:
                raise MilkrunError(f"'{k.name}' is an index; an index moves by a number of places, not by another "
                                   "index", k.span, hint="write ord(...) arithmetic in a 'where' instead")
        raise MilkrunError("an index moves by a whole number or a scalar parameter (t-1, t+lag)", k.span)

    def _cond(self, c, scope):
        if isinstance(c, ast.Compare):
            for x in (c.left, c.right):
                self._require_const(self._expr(x, scope), x, "a condition")
        elif isinstance(c, ast.Member):
            self._check_set_expr(c.set, scope)
            arity = self._set_arity(c.set)
            if arity != len(c.items):
                raise MilkrunError(f"{_label(c.set)} holds {arity}-tuples, but {len(c.items)} value(s) are tested",
                                   c.span)
            for x in c.items:
                self._require_const(self._expr(x, scope), x, "a condition")
        elif isinstance(c, ast.BoolOp):
            for a in c.args:
                self._cond(a, scope)
        else:
            raise MilkrunError("a condition is expected here (a comparison, 'in', 'and', 'or', 'not')", c.span)

    # ------------------------------------------------------------------ names
    def _lookup(self, name, span, want=None, scope=None) -> Symbol:
        sym = self.symbols.get(name)
        if sym is None:
            if want == "set":
                cands = [n for n, s in self.symbols.items() if s.kind == "set"] + sorted(BUILTIN_SETS)
                what = "set"
            else:
                cands = [n for n, s in self.symbols.items() if s.kind in ("set", "param", "var")] + list(scope or [])
                what = "name"
            raise MilkrunError(f"unknown {what} '{name}'", span, hint=did_you_mean(name, cands))
        return sym


def chain(e: ast.BinOp) -> tuple[object, list[tuple[str, object, ast.BinOp]]]:
    """`a + b - c` (or `a * b / c`) read left to right: (a, [("+", b, node), ("-", c, node)]).

    The parser nests a chain to the left, one BinOp per operator; this walks that spine in a loop
    so that a line of thousands of terms needs no deep recursion. `^` binds to the right and is
    never chained. Each `node` is the BinOp whose right operand the item is (for spans)."""
    if e.op not in CHAINS:
        return e.left, [(e.op, e.right, e)]
    family = CHAINS[e.op]
    rest = []
    while isinstance(e, ast.BinOp) and e.op in family:
        rest.append((e.op, e.right, e))
        e = e.left
    rest.reverse()
    return e, rest


def _check_nesting(node) -> None:
    """Refuse expressions nested deeper than MAX_NESTING (a chain `a + b + ...` is one level)."""
    stack = [(node, 0)]
    while stack:
        n, depth = stack.pop()
        if isinstance(n, (list, tuple)):
            stack.extend((x, depth) for x in n)
            continue
        if not isinstance(n, ast.Node):
            continue
        if depth > MAX_NESTING:
            raise MilkrunError(f"this expression is nested too deeply: more than {MAX_NESTING} levels of brackets, "
                               "signs, powers, sums, ifs or set operations inside one another", n.span,
                               hint="compute the inner part as a parameter of its own")
        if isinstance(n, ast.BinOp):
            first, rest = chain(n)
            stack.append((first, depth + 1))
            stack.extend((right, depth + 1) for _, right, _ in rest)
            continue
        stack.extend((v, depth + 1) for k, v in vars(n).items() if k != "span")


def _constant(e) -> float | None:
    """The value of a part of an uncertain clause written as a plain number (`3`, `-2%`, `+3%` in
    per cent), or None when it depends on data."""
    pc = ast.percent_of(e)
    sign = 1.0
    if pc is not None:
        sign, e = pc
    while isinstance(e, ast.Neg):
        sign, e = -sign, e.operand
    if isinstance(e, ast.Number) and isinstance(e.value, (int, float)):
        return sign * float(e.value)
    return None


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _text_in(e):
    """The quoted text (an element that is not a number) a value position holds, or None."""
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, ast.Element) and not x.is_name and isinstance(normalize(x.value), str):
            return x
        if isinstance(x, ast.IfExpr):
            stack += [x.otherwise, x.then]
        elif isinstance(x, ast.Reduction):
            stack.append(x.body)
    return None


def _a(noun: str) -> str:
    """'a set', 'an objective'."""
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _label(s: ast.SetExpr) -> str:
    if isinstance(s, ast.SetRef):
        return s.name
    if isinstance(s, ast.IndexedSetRef):
        return f"{s.name}[...]"
    if isinstance(s, ast.SetOp) and s.op == "cross":
        return f"{_label(s.left)} * {_label(s.right)}"
    if isinstance(s, ast.SetOp):
        return f"{_label(s.left)} {s.op} {_label(s.right)}"
    if isinstance(s, ast.SetRange):
        return "a range"
    return "a set"


def _subscripts_in(e):
    """Subscript nodes of an expression, outermost first (not inside nested sums' bindings)."""
    stack = [e]
    while stack:
        x = stack.pop(0)
        if isinstance(x, ast.Subscript):
            yield x
        elif isinstance(x, ast.BinOp):
            stack += [x.left, x.right]
        elif isinstance(x, ast.Neg):
            stack.append(x.operand)
        elif isinstance(x, ast.IfExpr):
            stack += [x.then, x.otherwise]
        elif isinstance(x, ast.Call):
            stack += list(x.args)
        elif isinstance(x, ast.Reduction):
            stack.append(x.body)


# ------------------------------------------------------------------ an index used after its sum ended
def _index_of_closed_sum(model: ast.Model, item: ast.Name) -> MilkrunError | None:
    """`sum(t) a * x[t] + b * y[t]`: the body of a sum is a product term, so the sum ends at the `+`
    and `y[t]` is outside it. When an unknown index is the index of a sum that ended just before
    (in the same chain of `+` and `-`, or on the other side of a comparison), say so."""
    path = _path_to(model, item)
    if path is None:
        return None
    on_path = {id(n) for n in path}
    for k in range(len(path) - 1, -1, -1):
        node, up = path[k], path[k - 1] if k else None
        if isinstance(up, ast.BinOp) and up.op in ("+", "-") and up.left is node:
            continue  # inside a longer chain: read it once, from its head
        for operands, ops in _sequences(node):
            here = next((i for i, x in enumerate(operands) if id(x) in on_path), None)
            for i in range(here - 1 if here is not None else -1, -1, -1):
                for red in _trailing_reductions(operands[i]):
                    if red.index is not None and any(item.name in b.names for b in red.index.bindings) \
                            and not _closed_by_bracket(red):
                        return _closed_sum_error(item, red, ops[i], operands[here],
                                                 isinstance(node, ast.Constraint))
    return None


def _path_to(root, target) -> list | None:
    """The nodes from `root` down to `target` (found by identity), or None. A line of thousands of
    terms nests as deep as it is long, so the walk keeps one parent per node, not a path per node."""
    parent: dict[int, object] = {id(root): None}
    stack = [root]
    while stack:
        node = stack.pop()
        if node is target:
            path = []
            while node is not None:
                path.append(node)
                node = parent[id(node)]
            return path[::-1]
        children = node if isinstance(node, (list, tuple)) else \
            [v for k, v in vars(node).items() if k != "span"] if isinstance(node, ast.Node) else []
        for child in children:
            if isinstance(child, (ast.Node, list, tuple)) and id(child) not in parent:
                parent[id(child)] = node if isinstance(node, ast.Node) else parent[id(node)]
                stack.append(child)
    return None


def _sequences(node):
    """The operands of `node` read left to right, with the operator after each one."""
    if isinstance(node, ast.BinOp) and node.op in ("+", "-"):
        first, rest = chain(node)
        yield [first] + [r for _, r, _ in rest], [op for op, _, _ in rest]
    elif isinstance(node, ast.Constraint) and len(node.terms) > 1:
        yield list(node.terms), list(node.ops)
    elif isinstance(node, ast.Compare):
        yield [node.left, node.right], [node.op]


def _trailing_reductions(e) -> list[ast.Reduction]:
    """The sums that end where `e` ends: the reductions on its right edge, outermost first."""
    out = []
    while True:
        if isinstance(e, ast.Reduction):
            out.append(e)
            e = e.body
        elif isinstance(e, ast.BinOp) and e.op in ("*", "/", "^"):
            e = e.right
        elif isinstance(e, ast.Neg):
            e = e.operand
        else:
            return out


def _closed_by_bracket(red: ast.Reduction) -> bool:
    """`(sum(t) x[t]) + y[t]`: the sum ended at its closing bracket, not at the operator after it."""
    end = red.span
    if end.end_line is None or end.end_column is None:
        return False
    line = end.end_line
    text = source_line(end.file, line)
    rest = text[end.end_column - 1:] if text is not None else ""
    while text is not None and not rest.strip():
        line += 1
        text = source_line(end.file, line)
        rest = text or ""
    return rest.strip().startswith(")")


def _closed_sum_error(item: ast.Name, red: ast.Reduction, op: str, operand, in_constraint: bool) -> MilkrunError:
    where = f"{red.span.line}:{red.span.column}"
    message = f"'{item.name}' is the index of the {red.op} at line {where}, whose body ends at the '{op}'"
    if op in ("+", "-"):
        head, body = _source(red.span, red.body.span), _source(red.body.span, operand.span, to_end=True)
        hint = (f"write {head} ({body})" if head and body else
                f"the body of a {red.op} is a product term; put the whole body in parentheses")
    else:
        hint = f"'{item.name}' is bound only inside the {red.op}" + (
            f"; for one row per '{item.name}', bind it in the index list of the constraint" if in_constraint else "")
    notes = [] if red.span.line == item.span.line and red.span.file == item.span.file else \
        [(f"the {red.op} that binds '{item.name}'", red.span)]
    return MilkrunError(message, item.span, hint=hint, notes=notes)


def _source(start, end, to_end: bool = False) -> str | None:
    """The model text from the start of span `start` to the start (or, with `to_end`, the end) of
    span `end`, on one line with its spaces collapsed; None when the text cannot be read."""
    line, column = (end.end_line, end.end_column) if to_end else (end.line, end.column)
    if start.file != end.file or line is None or column is None:
        return None
    lines = [source_line(start.file, n) for n in range(start.line, line + 1)]
    if any(x is None for x in lines):
        return None
    if len(lines) == 1:
        text = lines[0][start.column - 1:column - 1]
    else:
        text = "\n".join([lines[0][start.column - 1:], *lines[1:-1], lines[-1][:column - 1]])
    text = " ".join(text.split())
    return text or None
