"""Index positions have types: an index bound over one set may not stand where another is declared.

`param cost[Plants, Markets]` used as `cost[m, p]`, with `m in Markets, p in Plants`, is a mistake
even when both sets hold the numbers 1..3, and no check on the data can see it. The rule, checked
before any data is read: an index (or an element parameter) whose set is A may stand in a position
declared over B when A is provably a part of B, by the model's text alone:

- A is B, or A is declared `within` B (or within a set that is part of B);
- A is defined from B: `B diff X`, `B inter X`, `X inter B`, `{b in B where ...}`, `set A = B`,
  followed through the chain of definitions; a union is part of B only when both of its sides are;
- B is defined as a union (or an alias) that has A as a part; a set literal is part of B only
  through the element parameters it names (`{depot}` with `param depot in B`);
- B is a built-in set (`Ints`, `Reals`, `Any`).

A component of a tuple set (`k` in `(k, l) in Slots`, a position over `Slots`) has the set of that
component (`set Slots within Vehicles * Ints`: Vehicles, then Ints). What has no set to compare
is not checked here: `*`, quoted elements and numbers, scalar parameters, and sets written in place
without naming any set (`1..n`, `{a, b}`); the data stage checks their values.
"""
from __future__ import annotations

from dataclasses import dataclass

from milkrun.compiler.model.ir import BUILTIN_SETS
from milkrun.dsl import ast
from milkrun.dsl.diagnostics import MilkrunError

# Definition chains are acyclic (the checker refuses a cycle), but a generated model may chain many
# sets; past this depth the walk stops and the data stage checks the values, as for sets in place.
MAX_DEPTH = 150
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth")


class IndexTypes:
    """What the checker knows about the sets of a model, to tell whether one set is part of another."""

    def __init__(self, symbols: dict):
        self.symbols = symbols
        # id(set expression) -> (the expression, kept alive so that its id is not reused; the answer)
        self._components: dict[tuple, tuple] = {}
        self._anonymous: dict[int, tuple] = {}

    # ------------------------------------------------------------------ the check
    def check_subscripts(self, sym, items, scope: dict) -> None:
        """Refuse an index (or element parameter) of `items` whose set is not part of its position's set.

        `scope` maps index names to their bindings (`set`, `component`, `arity`, and `also` when a
        `where` tested them, see `narrow`)."""
        types = [self.item_type(item, scope) for item in items]
        for k, (item, pos, have) in enumerate(zip(items, sym.positions, types)):
            if have is None or self.fits(have, pos):
                continue
            raise MilkrunError(self._message(item, have, sym, k, pos), item.span,
                               hint=self._hint(sym, items, types, k, have, pos))

    def item_type(self, item, scope: dict):
        """(what the item is, its sets) for an index name in scope or an element parameter, else None.

        The sets are (set expression, component, arity) triples, the binding's first: an item fits a
        position when one of them does."""
        if isinstance(item, ast.Shift):  # t-1 stays in t's set (a move past its end is absent)
            item = item.index
        if isinstance(item, ast.Subscript):  # home[i]: an element of the set the parameter is declared in
            ref = self.symbols.get(item.name)
            if ref is not None and ref.kind == "param" and ref.element_param and not self.anonymous(
                    ref.decl.element_of):
                return ("element", [(ref.decl.element_of, 0, 1)])
            return None
        if not isinstance(item, ast.Name):
            return None
        bound = scope.get(item.name)
        if bound is not None:
            if bound.set is None:
                return None
            return ("index", [(bound.set, bound.component, bound.arity), *getattr(bound, "also", ())])
        ref = self.symbols.get(item.name)
        if ref is not None and ref.kind == "param" and ref.element_param \
                and not self.anonymous(ref.decl.element_of):  # `param d in {a, b}` has no set to compare
            literal = ast.SetLiteral([ast.Element(item.name, is_name=True, span=item.span)], span=item.span)
            return ("element", [(literal, 0, 1)])
        return None

    def narrow(self, scope: dict, where) -> dict:
        """The scope inside an index list whose `where` tests membership: in `[n in Nodes where n in Farms]`
        the index `n` is a member of Farms too, and may stand where Farms is expected. Only tests that
        must hold count: the terms of an `and`, not those under `or` or `not`."""
        out = dict(scope)
        for test in _conjuncts(where):
            if not isinstance(test, ast.Member):
                continue
            for c, x in enumerate(test.items):
                bound = out.get(x.name) if isinstance(x, ast.Name) else None
                if bound is not None and bound.set is not None:
                    also = (*getattr(bound, "also", ()), (test.set, c, len(test.items)))
                    out[x.name] = Narrowed(bound.set, bound.component, bound.arity, also)
        return out

    def fits(self, have, pos) -> bool:
        """Whether an item of type `have` may stand in the position `pos` (a Position of a declaration)."""
        want = self.component(pos.set, pos.component, pos.arity)
        for s, c, arity in have[1]:
            if self.part_of(self.component(s, c, arity), want):
                return True
        return False

    # ------------------------------------------------------------------ sets and their parts
    def part_of(self, a, b) -> bool:
        """Whether every member of the set expression `a` is, by the model's text, a member of `b`.

        None (a component nobody can name) and sets written in place without any set name are
        untyped: they fit anywhere, and anything fits them."""
        if a is None or b is None or self.anonymous(a) or self.anonymous(b):
            return True
        if a == b:  # the same expression written twice (spans are not compared)
            return True
        try:
            return self._part(a, b, 0, {})
        except _TooDeep:
            return True

    def _part(self, a, b, depth: int, seen: dict) -> bool:
        """`part_of` without the untyped shortcut, walking down b's definition and up a's. `seen`
        holds the pairs already answered in this walk: unions on both sides must not make it
        exponential."""
        key = (id(a), id(b))
        if key not in seen:
            seen[key] = False  # a pair met again inside its own walk adds nothing
            seen[key] = self._part_walk(a, b, depth, seen)
        return seen[key]

    def _part_walk(self, a, b, depth: int, seen: dict) -> bool:
        if depth > MAX_DEPTH:
            raise _TooDeep
        d = depth + 1
        if isinstance(b, ast.SetRef) and b.name in BUILTIN_SETS:
            return True
        if self._name(a) is not None and self._name(a) == self._name(b):
            return True
        if a == b and not self.anonymous(a):  # `Nodes diff {depot}` twice; but `1..3` twice says nothing
            return True
        # b's own definition: a part of any of its parts is a part of b
        if isinstance(b, ast.SetRef):
            decl = self._decl(b.name)
            if decl is not None and decl.definition is not None and self._part(a, decl.definition, d, seen):
                return True
        elif isinstance(b, ast.SetOp) and b.op == "union":
            if self._part(a, b.left, d, seen) or self._part(a, b.right, d, seen):
                return True
        elif isinstance(b, ast.SetOp) and b.op == "inter":
            if self._part(a, b.left, d, seen) and self._part(a, b.right, d, seen):
                return True
        elif isinstance(b, ast.SetLiteral) and isinstance(a, ast.SetLiteral):
            named = {e.value for e in b.elements if self._element_param(e)}
            if a.elements and all(self._element_param(e) and e.value in named for e in a.elements):
                return True
        # a's definition: what a is made from
        if isinstance(a, ast.SetRef):
            decl = self._decl(a.name)
            if decl is None:
                return False
            return (decl.within is not None and self._part(decl.within, b, d, seen)) or \
                (decl.definition is not None and self._part(decl.definition, b, d, seen))
        if isinstance(a, ast.IndexedSetRef):  # Near[i]: its `within`, or the filter that defines it
            decl = self._decl(a.name)
            return decl is not None and any(x is not None and self._part(x, b, d, seen)
                                            for x in (decl.within, decl.definition))
        if isinstance(a, ast.SetOp):
            if a.op == "diff":
                return self._part(a.left, b, d, seen)
            if a.op == "inter":
                return self._part(a.left, b, d, seen) or self._part(a.right, b, d, seen)
            if a.op == "union":
                return self._part(a.left, b, d, seen) and self._part(a.right, b, d, seen)
            return False
        if isinstance(a, ast.SetFilter):
            if len(a.bindings) == 1 and len(a.bindings[0].names) <= 1:
                return self._part(a.bindings[0].set, b, d, seen)
            return False
        if isinstance(a, ast.SetLiteral):
            # {depot}: its element parameters' sets
            return bool(a.elements) and all(
                self._element_param(e) and self._part(self.symbols[e.value].decl.element_of, b, d, seen)
                for e in a.elements)
        return False

    def component(self, s, c: int, arity: int):
        """The set of component `c` of the tuple set `s` (`s` itself for single elements); None if unknown."""
        if arity == 1 or s is None:
            return s
        key = (id(s), c)
        if key not in self._components:
            self._components[key] = (s, self._component(s, c, 0))
        return self._components[key][1]

    def _component(self, s, c: int, depth: int):
        if depth > MAX_DEPTH:
            return None
        d = depth + 1
        if isinstance(s, ast.SetRef):
            decl = self._decl(s.name)
            if decl is None:
                return None
            for parent in (decl.within, decl.definition):
                if parent is not None:
                    found = self._component(parent, c, d)
                    if found is not None:
                        return found
            return None
        if isinstance(s, ast.SetOp) and s.op == "cross":
            left = self._arity(s.left)
            if left is None:
                return None
            return self._component_or_self(s.left, c, d) if c < left else \
                self._component_or_self(s.right, c - left, d)
        if isinstance(s, ast.SetOp) and s.op in ("diff", "inter"):
            return self._component(s.left, c, d)
        if isinstance(s, ast.SetOp) and s.op == "union":
            left, right = self._component(s.left, c, d), self._component(s.right, c, d)
            if left is None or right is None:
                return None
            return left if left == right else ast.SetOp("union", left, right, span=s.span)
        if isinstance(s, ast.SetFilter):
            k = c
            for b in s.bindings:
                n = max(len(b.names), 1)
                if k < n:
                    return b.set if n == 1 else self._component(b.set, k, d)
                k -= n
            return None
        if isinstance(s, ast.SetLiteral):
            parts = [e.parts[c] for e in s.elements if len(e.parts) > c]
            return ast.SetLiteral(parts, span=s.span) if len(parts) == len(s.elements) else None
        return None

    def _component_or_self(self, s, c: int, depth: int):
        arity = self._arity(s)
        if arity == 1:
            return s if c == 0 else None
        return self._component(s, c, depth)

    def _arity(self, s):
        if isinstance(s, ast.SetRef):
            if s.name in BUILTIN_SETS:
                return 1
            sym = self.symbols.get(s.name)
            return sym.arity if sym is not None and sym.kind == "set" else None
        if isinstance(s, ast.IndexedSetRef):
            sym = self.symbols.get(s.name)
            return sym.arity if sym is not None else None
        if isinstance(s, ast.SetOp):
            a, b = self._arity(s.left), self._arity(s.right)
            if a is None or b is None:
                return None
            return a + b if s.op == "cross" else a
        if isinstance(s, ast.SetFilter):
            return sum(max(len(b.names), 1) for b in s.bindings)
        if isinstance(s, ast.SetLiteral):
            return len(s.elements[0].parts) or 1 if s.elements else 1
        return 1

    def anonymous(self, s) -> bool:
        """A set written in place that names no set and no element parameter (`1..n`, `{a, b}`)."""
        if id(s) not in self._anonymous:
            self._anonymous[id(s)] = (s, self._names_nothing(s))
        return self._anonymous[id(s)][1]

    def _names_nothing(self, s) -> bool:
        stack = [s]
        while stack:
            x = stack.pop()
            if isinstance(x, (ast.SetRef, ast.IndexedSetRef)):
                return False
            if isinstance(x, ast.SetLiteral):
                if any(self._element_param(e) for e in x.elements):
                    return False
            elif isinstance(x, ast.SetOp):
                stack += [x.left, x.right]
            elif isinstance(x, ast.SetFilter):
                stack += [b.set for b in x.bindings]
        return True

    def _decl(self, name: str):
        sym = self.symbols.get(name)
        return sym.decl if sym is not None and sym.kind == "set" else None

    def _element_param(self, e) -> bool:
        if not (isinstance(e, ast.Element) and e.is_name and isinstance(e.value, str)):
            return False
        sym = self.symbols.get(e.value)
        return sym is not None and sym.kind == "param" and sym.element_param

    @staticmethod
    def _name(s):
        if isinstance(s, (ast.SetRef, ast.IndexedSetRef)):
            return s.name
        return None

    # ------------------------------------------------------------------ the words
    def _message(self, item, have, sym, k: int, pos) -> str:
        s, c, arity = have[1][0]
        if isinstance(item, ast.Shift):
            item = item.index
        if have[0] == "element":
            whose = f"the values of '{item.name}' are elements" if isinstance(item, ast.Subscript) else \
                f"'{item.name}' is an element"
            what = f"{whose} of {label(self.symbols[item.name].decl.element_of)}"
        else:
            what = f"index '{item.name}' ranges over {self.describe(s, c, arity)}"
        return f"{what}, but position {k + 1} of '{sym.name}' is over {self.describe(pos.set, pos.component, pos.arity)}"

    def describe(self, s, c: int, arity: int) -> str:
        """`Markets`, or `Vehicles (the first component of Slots)`."""
        if arity == 1:
            return label(s)
        comp = self.component(s, c, arity)
        nth = _ORDINALS[c] if c < len(_ORDINALS) else f"component {c + 1}"
        whole = f"the {nth} component of {label(s)}" if c < len(_ORDINALS) else f"{nth} of {label(s)}"
        if comp is None or self.anonymous(comp):
            return whole
        return f"{label(comp)} ({whole})"

    def _hint(self, sym, items, types, k: int, have, pos) -> str:
        j = self.swap(sym, items, types, k)
        if j is not None:
            swapped = list(items)
            swapped[k], swapped[j] = swapped[j], swapped[k]
            return f"{sym.name}[{', '.join(show(x) for x in swapped)}]: swap the two subscripts"
        want = self.component(pos.set, pos.component, pos.arity)
        want_label = label(want) if want is not None else label(pos.set)
        name = item_name(items[k])
        if have[0] == "element":
            return f"declare 'param {name} in {want_label}' if it is always one of {want_label}"
        s, c, arity = have[1][0]
        mine = self.component(s, c, arity)
        if want is not None and self.part_of(want, mine):
            return f"{want_label} is a part of {label(mine)}; bind '{name}' over {want_label}, or restrict it with " \
                   f"'where {name} in {want_label}'"
        bind = f"bind '{name}' over {want_label} or a part of it"
        if isinstance(mine, ast.SetRef) and isinstance(want, ast.SetRef):
            return f"{bind}; if every member of {mine.name} is one of {want.name}, declare 'set {mine.name} within " \
                   f"{want.name}'"
        return bind

    def swap(self, sym, items, types, k: int):
        """The position j whose subscript, exchanged with the k-th, makes every subscript fit; else None.

        Only a swap the sets speak for: the k-th subscript must fit position j, which names a set;
        the j-th must fit position k, or be the index of a `sum(j)` whose set was inferred from this
        very subscript (it would be inferred again from its new place)."""
        if not self._named(self.component(*types[k][1][0])):
            return None
        for j in range(len(items)):
            if j == k or types[j] is None or not self._named(self._position_set(sym.positions[j])):
                continue
            if not self.fits(types[k], sym.positions[j]):
                continue
            inferred_here = types[j][0] == "index" and any(types[j][1][0][0] is p.set for p in sym.positions)
            if not inferred_here and not self.fits(types[j], sym.positions[k]):
                continue
            if all(p in (j, k) or types[p] is None or self.fits(types[p], sym.positions[p]) for p in range(len(items))):
                return j
        return None

    def _position_set(self, pos):
        return self.component(pos.set, pos.component, pos.arity)

    def _named(self, s) -> bool:
        """A set with a type to speak of: not unknown, not written in place, not Ints, Reals or Any."""
        return s is not None and not self.anonymous(s) and not (isinstance(s, ast.SetRef) and s.name in BUILTIN_SETS)


class _TooDeep(Exception):
    """A chain of set definitions longer than MAX_DEPTH: the sets are not compared."""


@dataclass
class Narrowed:
    """An index bound over `set` (its `component`, of `arity`), also known to lie in the sets of `also`."""

    set: ast.SetExpr
    component: int
    arity: int
    also: tuple = ()


def _conjuncts(cond):
    """The conditions that must all hold for `cond` to hold: the terms of nested `and`s."""
    stack = [cond]
    while stack:
        c = stack.pop()
        if isinstance(c, ast.BoolOp) and c.op == "and":
            stack.extend(c.args)
        else:
            yield c


def label(s) -> str:
    """A set expression as the user would write it, shortened."""
    if isinstance(s, ast.SetRef):
        return s.name
    if isinstance(s, ast.IndexedSetRef):
        return f"{s.name}[...]"
    if isinstance(s, ast.SetOp):
        op = "*" if s.op == "cross" else s.op
        return f"{label(s.left)} {op} {label(s.right)}"
    if isinstance(s, ast.SetLiteral):
        return "{" + ", ".join(show(e) for e in s.elements) + "}" if len(s.elements) <= 3 else "a set"
    if isinstance(s, ast.SetRange):
        return f"{show(s.low)}..{show(s.high)}"
    if isinstance(s, ast.SetFilter):
        return "{" + ", ".join(f"{b.names[0] if len(b.names) == 1 else '(' + ', '.join(b.names) + ')'} in "
                               f"{label(b.set)}" for b in s.bindings) + " where ...}"
    return "a set"


def item_name(item) -> str:
    return item.name if isinstance(item, ast.Name) else show(item)


def show(item) -> str:
    """A subscript or element as written."""
    if isinstance(item, ast.Name):
        return item.name
    if isinstance(item, ast.Slice):
        return "*"
    if isinstance(item, ast.Number):
        v = item.value
        return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
    if isinstance(item, ast.Element):
        if item.parts:
            return "(" + ", ".join(show(p) for p in item.parts) + ")"
        if item.is_name or isinstance(item.value, (int, float)):
            return str(item.value)
        return f"'{item.value}'"
    if isinstance(item, ast.Shift):
        op = ("++" if item.sign > 0 else "--") if item.circular else ("+" if item.sign > 0 else "-")
        return f"{item.index.name}{op}{show(item.offset)}"
    if isinstance(item, ast.Subscript):
        return f"{item.name}[{', '.join(show(x) for x in item.items)}]"
    return "..."
