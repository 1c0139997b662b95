"""Evaluate checked expressions as whole arrays.

Every index name in scope is an xarray dimension whose coordinates are the members of
its set; a subscript `x[i, j]` renames the declared dimensions of `x` to `i`, `j` and
reindexes them onto the scope's coordinates. Sums are `.sum(dims)`, conditions are
boolean masks, so a constraint family compiles in a handful of array operations
whatever its size: no Python loop runs per element.

Values are Python numbers, `xr.DataArray`s (data), or linopy `Variable` /
`LinearExpression`s (anything holding a decision variable).
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from milkrun.compiler.model import sets as S
from milkrun.compiler.model.check import chain
from milkrun.compiler.model.index_types import show
from milkrun.compiler.model.ir import BUILTIN_SETS, Symbol
from milkrun.dsl import ast
from milkrun.dsl.diagnostics import MilkrunError, did_you_mean

SLICE_PREFIX = "__slice"
_NOUNS = {"var": "variable", "param": "parameter"}
LONG_CHAIN = 16  # a chain of + and - with this many operators is gathered in one pass (Evaluator._terms)
EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG), for haversine


def is_linear(v) -> bool:
    lp = sys.modules.get("linopy")  # a value can be a linopy object only once linopy is loaded
    return lp is not None and isinstance(v, (lp.Variable, lp.LinearExpression))


def is_variable(v) -> bool:
    lp = sys.modules.get("linopy")
    return lp is not None and isinstance(v, lp.Variable)


def _linopy():
    """linopy, imported (with its semantics pinned) the first time a decision variable is used."""
    from milkrun.compiler.model.linopy_setup import linopy

    return linopy


def summed(x, dims):
    """linear_sum.summed, imported with linopy (a linear sum exists only once linopy is loaded)."""
    from milkrun.compiler.model.linear_sum import summed as linear_summed

    return linear_summed(x, dims)


def multiplied(x, factor):
    """`x * factor` of a linear value and a number or data: built from their arrays when linear_combine
    can, else by linopy (imported with linopy: a linear value exists only once it is loaded)."""
    from milkrun.compiler.model.linear_combine import scaled

    out = scaled(x, factor)
    return out if out is not None else x * factor


def added(a, b, sign: float = 1.0):
    """`a + b` (sign 1) or `a - b` (sign -1) of two linear values: built from their arrays when
    linear_combine can, else by linopy."""
    from milkrun.compiler.model.linear_combine import combined

    out = combined(a, b, sign)
    if out is not None:
        return out
    return a + b if sign > 0 else a - b


@dataclass
class Scope:
    """Index names in scope (in order) with their coordinates, and which combinations are active."""

    coords: dict[str, pd.Index]
    mask: xr.DataArray | None = None

    def extend(self, coords: dict[str, pd.Index], mask: xr.DataArray | None) -> "Scope":
        merged = dict(self.coords)
        merged.update(coords)
        return Scope(merged, _and(self.mask, mask))

    def restrict(self, mask: xr.DataArray | None) -> "Scope":
        return Scope(self.coords, _and(self.mask, mask))

    def full_mask(self) -> xr.DataArray:
        base = xr.DataArray(True) if self.mask is None else self.mask
        shape_like = [xr.DataArray(np.ones(len(c), bool), dims=[d], coords={d: c}) for d, c in self.coords.items()]
        out = base
        for s in shape_like:
            out = out & s
        return out.transpose(*self.coords.keys())

    def active(self, dim: str) -> np.ndarray | None:
        """Which coordinates of `dim` take part in at least one active combination (None: all)."""
        if self.mask is None or dim not in self.mask.dims:
            return None
        others = [d for d in self.mask.dims if d != dim]
        m = self.mask.any(others) if others else self.mask
        return m.reindex({dim: self.coords[dim]}, fill_value=False).values


def _and(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def index_array(dim: str, coords: pd.Index) -> xr.DataArray:
    """The values an index takes, as an array over its dimension. Elements that are all numbers
    (whole and fractional mixed, or none at all: an empty set) are floats when floats hold them
    exactly, so that arithmetic on them gives numbers and not an object array; text elements and
    whole numbers past 2**53 stay as they are."""
    values = np.asarray(coords, dtype=object if coords.dtype == object else None)
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) in (
            "empty", "integer", "floating", "mixed-integer-float"):
        try:
            floats = values.astype(float)
        except OverflowError:
            floats = None
        if floats is not None and bool((floats.astype(object) == values).all()):
            values = floats
    return xr.DataArray(values, dims=[dim], coords={dim: coords})


class Evaluator:
    # False when the variables' values are unknowns (figures.check_kpis): a zero divisor, log() of
    # a number <= 0 or an overflow then says nothing about the model
    check_values = True

    def __init__(self, instance, variables: dict | None = None):
        self.instance = instance
        self.variables = variables if variables is not None else {}

    @property
    def limit(self) -> int:
        """The most entries a domain may have (sets.MAX_ENTRIES unless the instance was given another)."""
        given = getattr(self.instance, "max_entries", None)
        return given if given is not None else S.max_entries()

    # ------------------------------------------------------------------ scopes
    def declaration_scope(self, sym: Symbol) -> Scope:
        """The domain of a declared item, with its positions' dimension names."""
        index = sym.decl.index
        if index is None:
            return Scope({})
        scope = Scope({})
        k = 0
        size = (f"the domain of {_NOUNS.get(sym.kind, sym.kind)} '{sym.name}'", index.span)
        for b in index.bindings:
            if b.names:  # named: the names are the dimensions (a repeated one filters)
                dims = list(b.names)
                k += sum(1 for n in dims if n not in scope.coords)
            else:  # a bare set: the dimensions the checker named
                arity = sym.positions[k].arity
                dims = [p.dim for p in sym.positions[k:k + arity]]
                k += arity
            scope = self._bind(dims, b.set, scope, b, size)
        if index.where is not None:
            scope = scope.restrict(self.cond(index.where, scope))
        return scope

    def scope_of(self, index: ast.IndexList, outer: Scope, what: str = "this index list (with the indices around it)"
                 ) -> Scope:
        scope = outer
        for b in index.bindings:
            scope = self._bind(list(b.names), b.set, scope, b, (what, index.span))
        if index.where is not None:
            scope = scope.restrict(self.cond(index.where, scope))
        return scope

    def _bind(self, names: list[str], set_expr: ast.SetExpr, scope: Scope, b, size=None) -> Scope:
        if isinstance(set_expr, ast.IndexedSetRef):
            # `l in L[k]` is `(k, l) in L` with k taken from the subscript
            sym = self.instance.ir.symbols[set_expr.name]
            full = self.instance.set(set_expr.name)
            lead = []
            for item in set_expr.subscripts:
                if isinstance(item, ast.Name) and item.name in scope.coords:
                    lead.append(item.name)
                else:
                    value = self._element(item, scope)
                    lead.append(("const", value))
            const = [(c, x[1]) for c, x in enumerate(lead) if isinstance(x, tuple)]
            members = full.members
            for c, v in const:
                members = members[members.get_level_values(c) == v]
            members = members.droplevel([c for c, _ in const]) if const else members
            value = S.SetValue(sym.name, members)
            names = [x for x in lead if not isinstance(x, tuple)] + names
            return self._bind_value(names, value, scope, b, size)
        value = self.set_value(set_expr, scope)
        return self._bind_value(names, value, scope, b, size)

    def _bind_value(self, names, value: S.SetValue, scope: Scope, b, size=None) -> Scope:
        # the scope's arrays hold one entry per combination of its indices: count them first
        sizes = [(d, len(c)) for d, c in scope.coords.items()]
        for c, n in enumerate(names):
            if n not in scope.coords:
                sizes.append((n, len(value.members) if value.arity == 1 else len(value.component(c))))
        what, span = size if size is not None else ("this index list (with the indices around it)", b.span)
        S.check_size(sizes, self.limit, span, what)
        if value.arity == 1:
            n = names[0]
            if n in scope.coords:  # already bound: acts as a filter
                return scope.restrict(xr.DataArray(scope.coords[n].isin(value.members), dims=[n],
                                                   coords={n: scope.coords[n]}))
            return scope.extend({n: value.members}, None)
        coords, new = [], {}
        for c, n in enumerate(names):
            if n in scope.coords:
                coords.append(scope.coords[n])
            else:
                comp = value.component(c)
                coords.append(comp)
                new[n] = comp
        mask = value.mask(names, coords)
        return scope.extend(new, mask)

    # ------------------------------------------------------------------ sets
    def set_value(self, s: ast.SetExpr, scope: Scope | None = None) -> S.SetValue:
        scope = scope or Scope({})
        if isinstance(s, ast.SetRef):
            if s.name in BUILTIN_SETS:
                raise MilkrunError(f"'{s.name}' stands for all {s.name.lower()} and can only follow 'within'", s.span)
            return self.instance.set(s.name)
        if isinstance(s, ast.SetLiteral):
            return S.from_elements("", [self._literal(e) for e in s.elements])
        if isinstance(s, ast.SetRange):
            lo, hi = (x.value if isinstance(x, ast.Number) and isinstance(x.value, int)  # exact, however large
                      else self._scalar(x, scope, "a range bound") for x in (s.low, s.high))
            for x, v in ((s.low, lo), (s.high, hi)):
                if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
                    raise MilkrunError(f"a range bound must be a number, got '{v}'", x.span)
                if not math.isfinite(v):
                    raise MilkrunError(f"a range bound must be a finite number, got {v}", x.span)
            if lo != int(lo) or hi != int(hi):
                raise MilkrunError(f"a range needs whole numbers, got {lo}..{hi}", s.span)
            lo, hi = int(lo), int(hi)
            S.check_size([("", max(hi - lo + 1, 0))], self.limit, s.span, f"the range {lo}..{hi}")
            if -2 ** 62 < lo < 2 ** 62 and -2 ** 62 < hi < 2 ** 62:
                return S.SetValue("", pd.Index(np.arange(lo, hi + 1, dtype=np.int64)))
            return S.SetValue("", S.make_index(range(lo, hi + 1)))  # beyond 64 bits: Python integers
        if isinstance(s, ast.SetOp):
            a, b = self.set_value(s.left, scope), self.set_value(s.right, scope)
            if s.op == "cross":
                S.check_size([(_set_label(s.left), len(a)), (_set_label(s.right), len(b))], self.limit, s.span,
                             "this product of sets")
            return {"union": S.union, "diff": S.diff, "inter": S.inter, "cross": S.cross}[s.op](a, b)
        if isinstance(s, ast.SetFilter):
            inner = self.scope_of(ast.IndexList(s.bindings, s.condition, span=s.span), Scope({}),
                                  "the domain of this filtered set")
            names = [n for b in s.bindings for n in b.names]
            mask = inner.full_mask().transpose(*names)
            idx = np.nonzero(mask.values)
            cols = [np.asarray(inner.coords[n])[k] for n, k in zip(names, idx)]
            return S.from_columns("", cols)
        if isinstance(s, ast.IndexedSetRef):
            full = self.instance.set(s.name)
            values = [self._element(x, scope) for x in s.subscripts]
            members = full.members
            for c, v in enumerate(values):
                members = members[members.get_level_values(c) == v]
            return S.SetValue("", members.droplevel(list(range(len(values)))))
        raise TypeError(s)

    def _literal(self, e: ast.Element):
        if e.is_name and isinstance(e.value, str):
            sym = self.instance.ir.symbols.get(e.value)
            if sym is not None and sym.kind == "param" and sym.element_param:
                return self.instance.param(e.value)
        return S.normalize(e.value)

    def _element(self, item, scope: Scope):
        """A single element named by a subscript that is not a bound index."""
        if isinstance(item, ast.Element):
            return S.normalize(item.value)
        if isinstance(item, ast.Number):
            return S.normalize(item.value)
        if isinstance(item, ast.Name):
            v = self.instance.param(item.name)
            if isinstance(v, xr.DataArray):
                v = v.item()
            return S.normalize(v)
        if isinstance(item, ast.Call) and item.func in ("first", "last"):
            return self._end_member(item)
        raise MilkrunError("a single element is expected here", item.span)

    def _end_member(self, e: ast.Call):
        """first(T) or last(T): the set's first or last member in its order."""
        members = self.instance.set(e.args[0].name).members
        if not len(members):
            raise MilkrunError(f"{e.func}({e.args[0].name}): the set is empty", e.span)
        return members[0] if e.func == "first" else members[-1]

    def _scalar(self, e, scope, what):
        v = self.expr(e, scope)
        if isinstance(v, xr.DataArray):
            if v.ndim:
                raise MilkrunError(f"{what} must be a single value", e.span)
            v = v.item()
        return v

    # ------------------------------------------------------------------ expressions
    def number(self, e, scope: Scope, what: str):
        """`expr` where a number is needed (a bound, a default, a side of a constraint): an element
        that is text (a parameter declared `in SET`, an index over names) is refused, located."""
        v = self.expr(e, scope)
        text = _text_value(v)
        if text is not None:
            raise MilkrunError(f"{what} must be a number, but here it is the element '{text}'", e.span,
                               hint="elements of sets can be compared (==, !=, in) but not used as numbers")
        return v

    def expr(self, e, scope: Scope):
        m = getattr(self, "_e_" + type(e).__name__)
        return m(e, scope)

    def _e_Number(self, e, scope):
        return float(e.value)

    def _e_Element(self, e, scope):
        return S.normalize(e.value)

    def _e_Name(self, e, scope):
        if e.name in scope.coords:
            return index_array(e.name, scope.coords[e.name])
        sym = self.instance.ir.symbols[e.name]
        if sym.kind in ("var", "kpi"):
            return self.variables[e.name]
        return self.instance.param(e.name)

    def _e_Neg(self, e, scope):
        v = self.expr(e.operand, scope)
        return multiplied(v, -1) if is_linear(v) else -v

    def _e_Percent(self, e, scope):  # the checker lets one stand only in an uncertain clause (data/instance.py)
        raise MilkrunError("a percentage has a meaning only in an uncertain clause", e.span)

    def _e_BinOp(self, e, scope):
        # `a + b - c ...` is a BinOp as deep as the line is long: its left spine is walked in a loop
        first, rest = chain(e)
        if e.op in ("+", "-"):
            return self._terms(first, rest, scope)
        acc = self.expr(first, scope)
        for op, right, node in rest:
            acc = self._binop(node, op, acc, self.expr(right, scope), scope)
        return acc

    def _terms(self, first, rest, scope):
        """A chain of + and -. A short one is added pair by pair; in a long one the terms that are a
        number times one entry of a variable are gathered into a single linear expression, the
        other linear terms are merged at once and the data summed, so that a line of thousands
        of terms costs a few array operations instead of one linopy operation per term."""
        if len(rest) < LONG_CHAIN or not self._linear_backend():
            acc = self.expr(first, scope)
            for op, right, node in rest:
                acc = self._binop(node, op, acc, self.expr(right, scope), scope)
            return acc
        const, data, linear = 0.0, None, []
        labels, coeffs = [], []
        for sign, node in [(1.0, first)] + [(1.0 if op == "+" else -1.0, right) for op, right, _ in rest]:
            entry = self._entry_term(node, scope)
            if entry is not None:
                labels.append(entry[1])
                coeffs.append(sign * entry[0])
                continue
            v = self.expr(node, scope)
            if is_linear(v):
                linear.append(v if sign > 0 else multiplied(v, -1))
            elif isinstance(v, xr.DataArray):
                data = (v if sign > 0 else -v) if data is None else self._binop(node, "+" if sign > 0 else "-",
                                                                                   data, v, scope)
            else:
                const = self._binop(node, "+" if sign > 0 else "-", const, v, scope)
        if labels:
            model = next(iter(self.variables.values())).model
            ds = xr.Dataset({"coeffs": ("_term", np.asarray(coeffs, dtype=float)),
                             "vars": ("_term", np.asarray(labels, dtype=np.int64))})
            linear.insert(0, _linopy().LinearExpression(ds, model))
        out = _add_all(linear)
        if data is not None:
            out = data if out is None else out + data
        if out is None:
            return const
        return out + const if const else out

    def _linear_backend(self) -> bool:
        return bool(self.variables) and all(is_variable(v) for v in self.variables.values())

    def _entry_term(self, node, scope):
        """(coefficient, label) when `node` is one entry of a variable, maybe times a number: `3 * x['a']`."""
        coef = 1.0
        while True:
            if isinstance(node, ast.Neg):
                coef, node = -coef, node.operand
            elif isinstance(node, ast.BinOp) and node.op == "*" and isinstance(node.left, ast.Number):
                coef, node = coef * float(node.left.value), node.right
            elif isinstance(node, ast.BinOp) and node.op == "*" and isinstance(node.right, ast.Number):
                coef, node = coef * float(node.right.value), node.left
            else:
                break
        if isinstance(node, ast.Name) and node.name not in scope.coords:
            var = self.variables.get(node.name)
            if is_variable(var) and var.ndim == 0:
                return coef, int(var.labels.item())
            return None
        if not isinstance(node, ast.Subscript) or not is_variable(self.variables.get(node.name)):
            return None
        var = self.variables[node.name]
        sym = self.instance.ir.symbols[node.name]
        at = []
        for item, pos in zip(node.items, sym.positions):
            if isinstance(item, (ast.Slice, ast.Shift, ast.Subscript)) or (
                    isinstance(item, ast.Name) and item.name in scope.coords):
                return None
            k = var.labels.indexes[pos.dim].get_indexer([self._element(item, scope)])[0]
            if k < 0:
                return None  # not an element: the general path says so, located
            at.append(k)
        return coef, int(var.labels.values[tuple(at)])

    def _binop(self, e, op, a, b, scope):
        """`a op b` for the node `e` whose operator it is."""
        if op == "/":
            self._check_divisor(b, scope, e)
        try:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                if op in ("+", "-") and is_linear(a) and is_linear(b):
                    out = added(a, b, 1.0 if op == "+" else -1.0)
                elif op == "+":
                    out = b + a if is_linear(b) and not is_linear(a) else a + b
                elif op == "-":
                    out = multiplied(b, -1) + a if is_linear(b) and not is_linear(a) else a - b
                elif op == "*" and is_linear(a) != is_linear(b):
                    out = multiplied(b, a) if is_linear(b) else multiplied(a, b)
                elif op == "*":
                    out = a * b
                elif op == "/":
                    out = a / b
                elif op == "^":
                    out = a ** b
                else:
                    raise TypeError(op)
        except OverflowError:
            raise MilkrunError(f"the result of '{op}' here is too large for a number (it overflows)", e.span,
                               hint="numbers go up to about 1.8e308; write the value in other units") from None
        except (TypeError, ValueError) as err:
            raise MilkrunError(f"cannot compute '{op}' here: {err}", e.span,
                               hint="set elements that are text cannot take part in arithmetic") from None
        if self.check_values:
            _check_overflow(out, (a, b), scope, e, f"the result of '{op}'")
        return out

    def _check_divisor(self, b, scope: Scope, e):
        """A zero divisor where the expression is in use is the modeller's mistake, not an inf to solve with."""
        if is_linear(b) or not self.check_values:
            return
        if isinstance(b, xr.DataArray):
            if b.dtype == object:
                return
            zero = b == 0
            if scope.mask is not None:
                zero = zero & scope.mask
            if bool(zero.any()):
                at = zero.where(zero, drop=True)
                where = ", ".join(f"{d}={at.coords[d].values[0]}" for d in at.dims)
                raise MilkrunError(f"division by zero{' at ' + where if where else ''}", e.right.span,
                                   hint="guard it with 'if ... then ... else ...' or restrict the indices")
        elif isinstance(b, (int, float)) and b == 0:
            raise MilkrunError("division by zero", e.right.span)

    def _e_IfExpr(self, e, scope):
        c = self.cond(e.condition, scope)
        a = self.expr(e.then, scope.restrict(c))
        b = self.expr(e.otherwise, scope.restrict(~c))
        if is_linear(a) or is_linear(b):
            a = a if is_linear(a) else _as_expr(a, b)
            b = b if is_linear(b) else _as_expr(b, a)
            return (1 * a).where(c).fillna(0) + (1 * b).where(~c).fillna(0)
        return xr.where(c, a, b)

    def _e_Call(self, e, scope):
        f = e.func
        if f in ("first", "last"):
            return self._end_member(e)
        if f in ("prev", "next"):  # the neighbouring member as a value (None past the end)
            name = e.args[0].name
            values = scope.coords[name]
            at, inside = _moved(np.arange(len(values)), -1 if f == "prev" else 1, len(values), len(e.args) == 2)
            moved = np.asarray(values, dtype=object)[at]
            return xr.DataArray(np.where(inside, moved, None), dims=[name], coords={name: values})
        if f == "card":
            return float(len(self.instance.set(e.args[0].name)))
        if f == "ord":
            n = e.args[0].name
            coords = scope.coords[n]
            return xr.DataArray(np.arange(1, len(coords) + 1, dtype=float), dims=[n], coords={n: coords})
        args = [_as_numbers(self.expr(a, scope)) for a in e.args]
        try:
            return self._call(f, args, e, scope)
        except TypeError as err:
            raise MilkrunError(f"cannot compute {f}() here: {err}", e.span,
                               hint="set elements that are text cannot take part in arithmetic") from None

    def _call(self, f, args, e, scope):
        if f == "euclid":
            x1, y1, x2, y2 = args
            return np.hypot(x1 - x2, y1 - y2)
        if f == "haversine":
            lat1, lon1, lat2, lon2 = (np.radians(a) for a in args)
            h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
            return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
        if f in ("min", "max"):
            out = args[0]
            ufunc = np.minimum if f == "min" else np.maximum
            for a in args[1:]:
                out = ufunc(out, a)
            return out
        if f == "log":
            self._check_domain(args[0], lambda v: v > 0, e, "log() needs positive values")
        if f == "sqrt":
            self._check_domain(args[0], lambda v: v >= 0, e, "sqrt() needs values >= 0")
        fn = {"sqrt": np.sqrt, "abs": np.abs, "ceil": np.ceil, "floor": np.floor, "round": np.round,
              "exp": np.exp, "log": np.log}[f]
        if f == "exp" and isinstance(args[0], (int, float)):
            try:
                return math.exp(args[0])
            except OverflowError:
                raise MilkrunError("exp() of this value is too large for a number (it overflows)", e.span) from None
        with np.errstate(over="ignore"):
            out = fn(args[0])
        if f == "exp" and self.check_values:
            _check_overflow(out, (args[0],), scope, e, "exp()")
        return out

    def _check_domain(self, v, ok, e, msg):
        if not self.check_values:
            return
        arr = np.asarray(v.values if isinstance(v, xr.DataArray) else v, dtype=float)
        bad = ~ok(arr) & ~np.isnan(arr)
        if np.any(bad):
            raise MilkrunError(msg, e.span)

    def _e_Reduction(self, e, scope):
        if e.index is None:
            body = self.expr(e.body, scope)
            dims = [d for d in body.dims if str(d).startswith(SLICE_PREFIX)]
            return summed(body, dims) if is_linear(body) else body.sum(dims)
        inner = self.scope_of(e.index, scope, reduction_domain(e))
        body = self.expr(e.body, inner)
        new = {d: c for d, c in inner.coords.items() if d not in scope.coords}
        body = broadcast(body, new)
        mask = inner.mask
        if mask is not None and not (set(mask.dims) & set(new)) and mask is scope.mask:
            mask = None
        dims = list(new)
        if e.op == "sum":
            if is_linear(body):
                if mask is not None:
                    body = body.where(mask)
                return summed(body, dims)
            if not isinstance(body, xr.DataArray):
                body = xr.DataArray(body)
            if mask is not None:
                body = body.where(mask, 0.0)
            return self._reduce(body, "sum", dims, scope, e)
        # prod / min / max over data
        if e.op != "prod" and any(len(new[d]) == 0 for d in dims):
            empty = next(b for b in e.index.bindings if any(n in new and len(new[n]) == 0 for n in b.names))
            raise MilkrunError(f"{e.op}() over an empty set has no value", e.span,
                               notes=[("this set has no elements", empty.span)],
                               hint=f"guard it with 'if card(...) > 0 then ... else ...', or give {e.op}() a "
                                    "second argument")
        fill = {"prod": 1.0, "min": np.inf, "max": -np.inf}[e.op]
        if mask is not None:
            body = body.where(mask, fill)
        out = self._reduce(body, e.op, dims, scope, e)
        if e.op != "prod" and np.isinf(np.asarray(out)).any():
            raise MilkrunError(f"{e.op}() over an empty set has no value", e.span)
        return out

    def _reduce(self, body, op: str, dims, scope: Scope, e):
        """`body.sum(dims)` (or prod, min, max) of data; a sum or product of finite numbers that
        comes out infinite is an overflow, located (numpy's own warning never reaches the user)."""
        with np.errstate(over="ignore", invalid="ignore"):
            out = getattr(body, op)(dims)
        if op in ("sum", "prod") and self.check_values and isinstance(out, xr.DataArray) and out.dtype.kind == "f":
            inf = np.isinf(out)
            if bool(inf.any()):
                inf = inf & np.isfinite(body).all(dims)
                if scope.mask is not None:
                    inf = inf & scope.mask
                if bool(inf.any()):
                    at = inf.where(inf, drop=True)
                    where = ", ".join(f"{d}={at.coords[d].values[0]}" for d in at.dims)
                    raise MilkrunError(f"this {op} is too large for a number (it overflows)"
                                       f"{' at ' + where if where else ''}", e.span,
                                       hint="numbers go up to about 1.8e308; write the values in other units")
        return out

    def _e_Subscript(self, e, scope):
        sym = self.instance.ir.symbols[e.name]
        arr = self.variables[e.name] if sym.kind in ("var", "kpi") else self.instance.param(e.name)
        out = self.reference(sym, arr, e.items, scope, e)
        return out

    def reference(self, sym: Symbol, arr, items, scope: Scope, node):
        """`arr[items]` as an array over the scope's index names (see the module docstring)."""
        select, rename, targets = {}, {}, []
        diagonal, shifted, looked_up = [], [], []
        for k, (item, pos) in enumerate(zip(items, sym.positions)):
            if isinstance(item, ast.Shift) and item.index.name in scope.coords:
                shifted.append((k, item, pos))
                continue
            if isinstance(item, ast.Subscript):  # an element parameter's values: read after the indices align
                looked_up.append((k, item, pos))
                continue
            if isinstance(item, ast.Slice):
                rename[pos.dim] = f"{SLICE_PREFIX}_{k}_{pos.dim}"
                continue
            if isinstance(item, ast.Name) and item.name in scope.coords:
                if item.name in targets:
                    tmp = f"__diag_{k}"
                    rename[pos.dim] = tmp
                    diagonal.append((tmp, item.name))
                else:
                    rename[pos.dim] = item.name
                    targets.append(item.name)
                continue
            value = self._element(item, scope)
            coords = arr.indexes[pos.dim]
            if value not in coords:
                raise MilkrunError(f"'{value}' is not an element of {pos.set_label}, which position {k + 1} of "
                                   f"'{sym.name}' ranges over", item.span)
            select[pos.dim] = value
        if select:  # drop=True: no scalar coordinate left behind to clash with an index renamed later
            arr = arr.sel(select, drop=True)
        absent = []
        for k, item, pos in shifted:  # each becomes a dimension of its own, paired with its index below
            arr, outside = self._shifted(arr, k, item, pos, sym, scope, node)
            tmp = f"__shift_{k}"
            if item.index.name in targets or any(i.index.name == item.index.name for j, i, _ in shifted if j < k):
                diagonal.append((tmp, item.index.name))
            else:
                rename[tmp] = item.index.name
                targets.append(item.index.name)
            absent.append(outside.rename({item.index.name: tmp}))
        moves = {d: t for d, t in rename.items() if d != t}
        if moves and set(moves.values()).isdisjoint(arr.dims):  # in one step (each rename copies the array)
            arr = arr.rename(moves)
        elif moves:  # a new name is an old one (x[j, i] over dims i, j): through temporary names
            tmp = {d: f"__tmp{j}" for j, d in enumerate(rename)}
            arr = arr.rename(tmp).rename({tmp[d]: t for d, t in rename.items()})
        for t in targets:
            arr = self._align_dim(arr, t, scope.coords[t], sym, node, t, scope)
        for tmp_dim, name in diagonal:
            arr = self._align_dim(arr, tmp_dim, scope.coords[name], sym, node, name, scope)
            arr = arr.isel({tmp_dim: xr.DataArray(np.arange(len(scope.coords[name])), dims=[name])})
            arr = _drop_coord(arr, tmp_dim)
        for k, item, pos in looked_up:
            arr = self._looked_up(arr, k, item, pos, sym, scope)
        for outside in absent:  # a member moved past the end of its set: the entry is absent, its term drops
            dim = outside.dims[0]
            name = rename.get(dim) or next(n for t, n in diagonal if t == dim)
            outside = outside.rename({dim: name}).assign_coords({name: scope.coords[name]})
            arr = _without(arr, outside)
        if sym.kind == "param" and self.instance.has_holes(sym.name):
            self._check_defined(arr, scope, sym, node)
        return arr

    def _shifted(self, arr, k: int, item: ast.Shift, pos, sym: Symbol, scope: Scope, node):
        """`arr` with position `pos` read at the index moved along the order of the set that position is
        declared over (so `final_stock[j-1]` with j over Years reads the period before, even the one
        before the first year): a dimension `__shift_k` over the index's values, and a mask of the
        values whose move leaves that set (circular: none)."""
        name = item.index.name
        values = scope.coords[name]
        members = arr.indexes[pos.dim]
        n = len(members)
        here = members.get_indexer(values)
        unknown = here < 0
        if unknown.any():
            active = scope.active(name)
            bad = unknown if active is None else (unknown & active)
            if bad.any():
                j = int(np.flatnonzero(bad)[0])
                raise MilkrunError(f"index '{name}' takes the value '{values[j]}', which '{sym.name}' is not defined "
                                   f"for", item.span, hint=f"'{sym.name}' is declared over "
                                                           f"[{', '.join(p.set_label for p in sym.positions)}]")
        at, inside = _moved(here, item.sign * self._places(item.offset, scope), n, item.circular)
        inside &= ~unknown
        tmp = f"__shift_{k}"
        take = xr.DataArray(at, dims=[tmp], coords={tmp: values})
        arr = _drop_coord(arr.isel({pos.dim: take}), pos.dim)
        return arr, xr.DataArray(~inside, dims=[name], coords={name: values})

    def _looked_up(self, arr, k: int, item: ast.Subscript, pos, sym: Symbol, scope: Scope):
        """`dist[i, home[i]]`: position `pos` read at the element each entry of `home[i]` holds, entry by
        entry along the indices the two share (one vectorised take)."""
        labels = self.expr(item, scope)
        if not isinstance(labels, xr.DataArray):
            labels = xr.DataArray(labels)
        found = arr.indexes[pos.dim].get_indexer(pd.Index(labels.values.ravel()))
        bad = found < 0
        if scope.mask is not None and labels.dims:
            active = scope.mask.broadcast_like(labels).transpose(*labels.dims).values.ravel() if all(
                d in scope.mask.dims or d in labels.dims for d in scope.mask.dims) else None
            if active is not None and active.size == bad.size:
                bad = bad & active
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            at = np.unravel_index(j, labels.shape) if labels.dims else ()
            where = ", ".join(f"{d}={labels.indexes[d][i]}" for d, i in zip(labels.dims, at))
            raise MilkrunError(f"'{item.name}'{f' at {where}' if where else ''} is '{labels.values.ravel()[j]}', which "
                               f"is not an element of {pos.set_label} (position {k + 1} of '{sym.name}')", item.span)
        take = xr.DataArray(np.where(bad, 0, found).reshape(labels.shape), dims=labels.dims, coords=labels.coords)
        return _drop_coord(arr.isel({pos.dim: take}), pos.dim)

    def _places(self, offset, scope: Scope) -> int:
        """How many places a shift moves: a whole number, or a scalar parameter's whole-number value."""
        v = float(offset.value) if isinstance(offset, ast.Number) else self._scalar(offset, scope, "a shift")
        if not isinstance(v, (int, float, np.number)) or not float(v).is_integer():
            raise MilkrunError(f"an index moves by a whole number of places; '{getattr(offset, 'name', v)}' is {v}",
                               offset.span)
        return int(v)

    def _align_dim(self, arr, dim, target: pd.Index, sym, node, index_name, scope):
        have = arr.indexes[dim]
        if have.equals(target):
            return arr
        missing = ~target.isin(have)
        if missing.any():
            active = scope.active(index_name)
            bad = missing if active is None else (missing & active)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                raise MilkrunError(
                    f"index '{index_name}' takes the value '{target[k]}', which '{sym.name}' is not defined for",
                    node.span,
                    hint=self._swap_hint(sym, node, index_name, scope) or
                    f"'{sym.name}' is declared over [{', '.join(p.set_label for p in sym.positions)}]; "
                    f"restrict '{index_name}' with a 'where' or to a smaller set")
        return arr.reindex({dim: target})

    def _swap_hint(self, sym, node, index_name: str, scope: Scope) -> str | None:
        """`content[f, n]: swap the two subscripts` when exchanging `index_name` with another index of
        the subscript puts every value both take where the item is defined."""
        items = getattr(node, "items", None) or []
        names = [x.name if isinstance(x, ast.Name) and x.name in scope.coords else None for x in items]
        if index_name not in names or len(items) != len(sym.positions):
            return None
        k = names.index(index_name)
        arr = self.variables.get(sym.name) if sym.kind in ("var", "kpi") else self.instance.param(sym.name)
        if arr is None or not hasattr(arr, "indexes"):
            return None

        def fits(name: str, p: int) -> bool:
            values, active = scope.coords[name], scope.active(name)
            if active is not None:
                values = values[active]
            return bool(values.isin(arr.indexes[sym.positions[p].dim]).all())

        for j, other in enumerate(names):
            if j != k and other is not None and other != index_name and fits(index_name, j) and fits(other, k):
                swapped = list(items)
                swapped[k], swapped[j] = swapped[j], swapped[k]
                return f"{sym.name}[{', '.join(show(x) for x in swapped)}]: swap the two subscripts"
        return None

    def _check_defined(self, arr, scope: Scope, sym, node):
        if not isinstance(arr, xr.DataArray) or arr.dtype == object:
            return
        holes = arr.isnull()
        if scope.mask is not None:
            holes = holes & scope.mask
        if bool(holes.any()):
            where = {d: v.item() for d, v in holes.where(holes, drop=True).isel({d: 0 for d in holes.dims}).coords.items()
                     if d in holes.dims}
            desc = ", ".join(f"{d}={v}" for d, v in where.items())
            raise MilkrunError(f"'{sym.name}' has no value at {desc}", node.span,
                               hint=f"'{sym.name}' is defined only on its declared domain; restrict the indices with "
                                    "a 'where'")

    # ------------------------------------------------------------------ conditions
    def _check_element_compared(self, c: ast.Compare, scope: Scope) -> None:
        """`i != 'plnat'`: a quoted element compared with an index must be one of the index's values."""
        for index, other in ((c.left, c.right), (c.right, c.left)):
            if isinstance(index, ast.Name) and index.name in scope.coords and isinstance(other, ast.Element):
                value = S.normalize(other.value)
                coords = scope.coords[index.name]
                if value not in coords:
                    raise MilkrunError(f"'{value}' is not one of the values '{index.name}' takes here",
                                       other.span, hint=did_you_mean(str(value), [str(x) for x in coords]))

    def cond(self, c, scope: Scope) -> xr.DataArray:
        if isinstance(c, ast.Compare):
            self._check_element_compared(c, scope)
            a, b = self.expr(c.left, scope), self.expr(c.right, scope)
            try:
                out = {"==": lambda: a == b, "!=": lambda: a != b, "<": lambda: a < b, "<=": lambda: a <= b,
                       ">": lambda: a > b, ">=": lambda: a >= b}[c.op]()
            except TypeError:
                raise MilkrunError(f"cannot compare these values with '{c.op}' (text and numbers do not order)",
                                   c.span) from None
            return out if isinstance(out, xr.DataArray) else xr.DataArray(bool(out))
        if isinstance(c, ast.Member):
            value = self.set_value(c.set, scope)
            if all(isinstance(x, ast.Name) and x.name in scope.coords for x in c.items):
                names = [x.name for x in c.items]
                if len(set(names)) == len(names):
                    if value.arity == 1:
                        n = names[0]
                        return xr.DataArray(scope.coords[n].isin(value.members), dims=[n], coords={n: scope.coords[n]})
                    return value.mask(names, [scope.coords[n] for n in names])
            vals = [self.expr(x, scope) for x in c.items]
            vals = [v if isinstance(v, xr.DataArray) else xr.DataArray(v) for v in vals]
            vals = xr.broadcast(*vals)
            if value.arity == 1:
                flat = vals[0].values.ravel()
                hit = pd.Index(flat).isin(value.members)
            else:
                tuples = pd.MultiIndex.from_arrays([v.values.ravel() for v in vals])
                hit = tuples.isin(value.members)
            return xr.DataArray(hit.reshape(vals[0].shape), dims=vals[0].dims, coords=vals[0].coords)
        if isinstance(c, ast.BoolOp):
            parts = [self.cond(a, scope) for a in c.args]
            if c.op == "not":
                return ~parts[0]
            out = parts[0]
            for p in parts[1:]:
                out = out & p if c.op == "and" else out | p
            return out
        raise TypeError(c)


def _as_numbers(v):
    """An object array of numbers (set elements past 2**53 kept exact) as floats, for numpy's
    functions; anything else (text, SCIP expressions, numbers too large) as it is."""
    if isinstance(v, xr.DataArray) and v.dtype == object and v.size and pd.api.types.infer_dtype(
            v.values.ravel(), skipna=True) in ("integer", "floating", "mixed-integer-float"):
        try:
            return v.astype(float)
        except OverflowError:
            return v
    return v


def _text_value(v):
    """The first text element in a value, or None (numbers, linear expressions, SCIP expressions)."""
    if isinstance(v, str):
        return v
    if isinstance(v, xr.DataArray) and v.dtype.kind in "OUS" and v.size:
        flat = v.values.ravel()
        if v.dtype.kind in "US" or pd.api.types.infer_dtype(flat, skipna=True) == "string":
            return str(flat[0])
    return None


def reduction_domain(e: ast.Reduction) -> str:
    return f"the domain of this {e.op}(...) (its indices with those around it)"


def _set_label(s) -> str:
    return s.name if isinstance(s, ast.SetRef) else ""


def _add_all(linear: list):
    """Sum linear expressions: those of the same shape in one merge each, then the groups pairwise."""
    if not linear:
        return None
    groups: dict = {}
    for v in linear:
        v = v.to_linexpr() if is_variable(v) else v
        key = tuple((d, n) for d, n in v.sizes.items() if d != "_term")
        groups.setdefault(key, []).append(v)
    linopy = _linopy()
    parts = [g[0] if len(g) == 1 else linopy.merge(g, cls=linopy.LinearExpression) for g in groups.values()]
    out = parts[0]
    for p in parts[1:]:
        out = added(out, p)
    return out


def _check_overflow(out, inputs, scope, e, what: str) -> None:
    """A number that became infinite although what it came from is finite: an overflow, located."""
    if isinstance(out, float):
        if math.isinf(out) and all(not isinstance(x, float) or math.isfinite(x) for x in inputs):
            raise MilkrunError(f"{what} here is too large for a number (it overflows)", e.span,
                               hint="numbers go up to about 1.8e308; write the value in other units")
        return
    if not isinstance(out, xr.DataArray) or out.dtype.kind != "f":
        return
    inf = np.isinf(out)
    if not bool(inf.any()):
        return
    for x in inputs:
        if isinstance(x, xr.DataArray) and x.dtype.kind == "f":
            inf = inf & np.isfinite(x)
        elif isinstance(x, float) and not math.isfinite(x):
            return
    if scope.mask is not None:
        inf = inf & scope.mask
    if bool(inf.any()):
        at = inf.where(inf, drop=True)
        where = ", ".join(f"{d}={at.coords[d].values[0]}" for d in at.dims)
        raise MilkrunError(f"{what} here is too large for a number (it overflows){' at ' + where if where else ''}",
                           e.span, hint="numbers go up to about 1.8e308; write the value in other units")


def _moved(positions: np.ndarray, places: int, n: int, circular: bool) -> tuple[np.ndarray, np.ndarray]:
    """Positions in a set of `n` members moved by `places`: (where they land, clipped into the set so
    they can index it; whether they stay inside). Circular: round the set, always inside."""
    at = positions + places
    if circular and n:
        return at % n, np.ones(len(at), dtype=bool)
    inside = (at >= 0) & (at < n)
    return np.where(inside, at, 0), inside


def _without(arr, outside: xr.DataArray):
    """`arr` with the entries where `outside` holds made absent: a variable's entry is masked out (its
    term drops from every sum and row), a number is 0, as GAMS reads a lag past the start."""
    if is_variable(arr):
        return arr.where(~outside)
    if isinstance(arr, xr.DataArray) and arr.dtype == object:
        return arr.where(~outside, 0.0)
    return arr.where(~outside, 0)


def _drop_coord(arr, name: str):
    """Drop a leftover coordinate from a data array or a linopy variable."""
    if name not in arr.coords:
        return arr
    if is_variable(arr):
        return _linopy().Variable(arr.data.drop_vars(name), arr.model, arr.name)
    return arr.drop_vars(name)


def _as_expr(const, like):
    """A constant as a linear expression of the same model (for mixed if-branches)."""
    model = like.model
    return _linopy().LinearExpression(const if isinstance(const, xr.DataArray) else xr.DataArray(const), model)


def broadcast(value, coords: dict[str, pd.Index]):
    """Give `value` every dimension in `coords` it lacks (a sum over j of x[i] counts x[i] |J| times)."""
    missing = {d: c for d, c in coords.items() if d not in getattr(value, "dims", ())}
    if not missing:
        return value
    if is_linear(value):
        return value.expand_dims({d: c for d, c in missing.items()})
    base = value if isinstance(value, xr.DataArray) else xr.DataArray(value)
    return base.expand_dims({d: c for d, c in missing.items()})
