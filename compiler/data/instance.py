"""Data binding: the model's sets and parameters as values, checked against their declarations.

Values are computed on first use (a set defined from a parameter pulls that parameter
in), so declarations may appear in any order; a cycle is reported. Every check the
issue names happens here: unknown elements, missing entries without default, duplicate
keys, non-finite values and values outside declared bounds, each located.
"""
from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import xarray as xr

from milkrun.compiler.data.records import ParamData, RawData, SetData
from milkrun.compiler.model import sets as S
from milkrun.compiler.model.evaluate import Evaluator, Scope, _set_label, broadcast
from milkrun.compiler.model.ir import ModelIR, Symbol
from milkrun.dsl import ast
from milkrun.dsl.diagnostics import MilkrunError, Span, did_you_mean

_OPS = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}
_WORDS = {">=": "at least", ">": "greater than", "<=": "at most", "<": "less than"}


class Instance:
    def __init__(self, ir: ModelIR, raw: RawData, max_entries: int | None = None):
        """`max_entries`: the most entries one domain may have (default sets.MAX_ENTRIES, or
        the environment variable MILKRUN_MAX_ENTRIES)."""
        self.ir = ir
        self.raw = raw
        self.max_entries = S.max_entries(max_entries)
        self._sets: dict[str, S.SetValue] = {}
        self._params: dict[str, object] = {}
        self._holes: set[str] = set()  # params defined on only part of the product of their sets
        self._busy: list[str] = []
        self._ranges: dict[str, tuple] = {}  # uncertain parameters: (nominal, lo, hi)
        self._nominal: dict[str, xr.DataArray] = {}  # a parameter's value while its own uncertain clause is read
        self._checking = True
        self._preset: dict[str, xr.DataArray] = {}  # values a shadow instance was given (with_param)
        self.ev = Evaluator(self)

    # ------------------------------------------------------------------ public
    def bind_all(self) -> "Instance":
        """Evaluate every set and parameter now, so data errors surface before building."""
        for sym in self.ir.of_kind("set"):
            self.set(sym.name)
        for sym in self.ir.of_kind("param"):
            self.param(sym.name)
        return self

    def has_holes(self, name: str) -> bool:
        return name in self._holes

    def set(self, name: str) -> S.SetValue:
        if name not in self._sets:
            self._enter(name)
            try:
                self._sets[name] = self._eval_set(self.ir.symbols[name])
            finally:
                self._busy.pop()
        return self._sets[name]

    def param(self, name: str):
        if name not in self._params:
            if name in self._nominal and self._busy[-1:] == [name]:
                # inside its own uncertain clause (`uncertain +- 0.1 * yield[f]`) a parameter's name means its
                # nominal value; reached through another declaration, it is still a cycle (_enter says so)
                return self._nominal[name]
            self._enter(name)
            try:
                self._params[name] = self._eval_param(self.ir.symbols[name])
            finally:
                self._busy.pop()
        return self._params[name]

    def _enter(self, name):
        if name in self._busy:
            cycle = " → ".join(self._busy[self._busy.index(name):] + [name])
            raise MilkrunError(f"'{name}' is defined in terms of itself ({cycle})", self.ir.symbols[name].span)
        self._busy.append(name)

    # ------------------------------------------------------------------ sets
    def _eval_set(self, sym: Symbol) -> S.SetValue:
        d: ast.SetDecl = sym.decl
        if d.definition is not None and d.index is not None:
            value = self._indexed_set(sym)
        elif d.definition is not None:
            value = self.ev.set_value(d.definition, Scope({}))
            value = S.SetValue(sym.name, value.members)
        else:
            data = self.raw.sets.get(sym.name)
            if data is None:
                raise MilkrunError(f"set '{sym.name}' has no data", d.span,
                                   hint=f"give it in a data block, as {sym.name}.csv in the data folder, "
                                        "or define it with '='")
            value = S.from_columns(sym.name, data.columns)
            value.name = sym.name
            self._check_index_part(sym, data)
            dup = len(data.columns[0]) - len(value)
            if dup:
                raise self._duplicate_member(sym, data)
        if d.within is not None:
            self._check_within(sym, value, d.within)
        return value

    def _indexed_set(self, sym: Symbol) -> S.SetValue:
        """`set Near[i in Farms] = {j in Farms where dist[i, j] <= radius}`: one set per index value, held
        as an indexed set from data is, the index's value leading each member: (i, j) for every i and each
        j of its set, from one mask over both (whole-array, no loop per i)."""
        d: ast.SetDecl = sym.decl
        outer = self.ev.declaration_scope(sym)
        lead = list(outer.coords)
        definition = d.definition
        if isinstance(definition, ast.SetFilter):
            inner = self.ev.scope_of(ast.IndexList(definition.bindings, definition.condition, span=definition.span),
                                     outer, f"the members of '{sym.name}'")
            names = lead + [n for b in definition.bindings for n in b.names]
        else:  # a set that does not depend on the index: the same members for every index value
            value = self.ev.set_value(definition, outer)
            names = lead + [f"__member{c}" for c in range(value.arity)]
            inner = self.ev._bind_value(names[len(lead):], value, outer, d)
        mask = inner.full_mask().transpose(*names)
        at = np.nonzero(mask.values)
        return S.from_columns(sym.name, [np.asarray(inner.coords[n])[k] for n, k in zip(names, at)])

    def _duplicate_member(self, sym, data):
        if len(data.columns) == 1:
            keys = pd.Index(data.columns[0])
        else:
            keys = pd.MultiIndex.from_arrays([S.make_index(c) for c in data.columns])
        k = int(np.flatnonzero(keys.duplicated())[0])
        return MilkrunError(f"set '{sym.name}' lists '{_fmt(keys[k])}' twice", data.origin.at(k))

    def _check_index_part(self, sym: Symbol, data):
        """For an indexed set given as data, the leading columns must be members of the index sets."""
        for c, pos in enumerate(sym.positions):
            members = self.ev.set_value(pos.set).component(pos.component)
            col = data.columns[c]
            bad = ~pd.Index(col).isin(members)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                raise MilkrunError(f"'{col[k]}' is not an element of {pos.set_label}", data.origin.at(k))

    def _check_within(self, sym: Symbol, value: S.SetValue, within: ast.SetExpr):
        comps = _components(within)
        data = self.raw.sets.get(sym.name)
        lead = len(sym.positions)  # an indexed set's members start with their index: check only the rest
        if lead:
            members = value.members
            element = members.droplevel(list(range(lead))) if members.nlevels > lead + 1 else \
                S.make_index(members.get_level_values(lead))
            value = S.SetValue(sym.name, element)
            if data is not None:
                data = SetData(data.name, data.columns[lead:], data.origin)
                data.origin = _ShiftedOrigin(data.origin, lead)
        if len(comps) != value.arity:
            comps = [within]
        for c, comp in enumerate(comps):
            col = value.component(c) if value.arity > 1 else value.members
            if isinstance(comp, ast.SetRef) and comp.name in ("Ints", "Reals", "Any"):
                if comp.name == "Any":
                    continue
                ok = np.array([isinstance(v, int) if comp.name == "Ints" else isinstance(v, (int, float))
                               for v in col], dtype=bool)
                if not ok.all():
                    bad = col[int(np.flatnonzero(~ok)[0])]
                    raise MilkrunError(f"set '{sym.name}' holds '{bad}', which is not "
                                       f"{'a whole number' if comp.name == 'Ints' else 'a number'}",
                                       self._member_span(sym, data, c, bad), hint=f"declared within {comp.name}")
                continue
            parent = self.ev.set_value(comp)
            parent_members = parent.members if len(comps) == 1 else parent.component(0)
            if len(comps) == 1 and value.arity > 1:
                bad_mask = ~value.members.isin(parent.members)
                if bad_mask.any():
                    bad = value.members[int(np.flatnonzero(bad_mask)[0])]
                    raise MilkrunError(f"set '{sym.name}' holds {_fmt(bad)}, which is not in the set it is declared "
                                       "within", self._member_span(sym, data, None, bad))
                return
            bad_mask = ~pd.Index(col).isin(parent_members)
            if bad_mask.any():
                bad = col[int(np.flatnonzero(bad_mask)[0])]
                label = comp.name if isinstance(comp, ast.SetRef) else "its parent set"
                raise MilkrunError(f"set '{sym.name}' holds '{bad}', which is not an element of {label}",
                                   self._member_span(sym, data, c, bad),
                                   hint=f"'{sym.name}' is declared within {label}")

    def _member_span(self, sym, data, c, value) -> Span | None:
        """Where a set member (or, with `c`, its c-th component) is written in the data."""
        if data is None:
            return sym.span
        if c is None:
            keys = list(zip(*[list(x) for x in data.columns]))
            hits = [k for k, t in enumerate(keys) if t == value]
            return data.origin.at(hits[0]) if hits else sym.span
        hits = np.flatnonzero(np.asarray(data.columns[c] == value, dtype=bool)).tolist()
        return data.origin.key_at(hits[0], c) if hits else sym.span

    # ------------------------------------------------------------------ parameters
    def _eval_param(self, sym: Symbol):
        d: ast.ParamDecl = sym.decl
        if sym.element_param:
            return self._element_param(sym)
        scope = self.ev.declaration_scope(sym)
        dims = list(scope.coords)
        if d.definition is not None:
            value = self.ev.number(d.definition, scope, "a parameter's formula")
            value = _full(value, scope)
            if value.dtype == object:  # numbers kept as objects (elements past 2**53) become floats
                try:
                    value = value.astype(float)
                except OverflowError:
                    raise MilkrunError("a parameter's formula gives a number too large for a float (over 1.8e308)",
                                       d.definition.span) from None
            src = None
        else:
            value, src = self._from_data(sym, scope)
        value = self._adjust(sym, value)
        if d.uncertain is not None:
            value = self._uncertain(sym, value, scope)
        if scope.mask is not None:
            value = value.where(scope.full_mask())
            if not bool(scope.full_mask().all()):
                self._holes.add(sym.name)
        value = value.transpose(*dims, ...)  # a shadow instance's values carry one more dimension last
        active = scope.full_mask() if scope.mask is not None else None
        if self._checking:
            self._check_values(sym, value, src, scope, active)
        return value

    def with_param(self, name: str, value: xr.DataArray) -> "Instance":
        """A copy in which parameter `name` takes `value` and everything computed from it follows.

        The robust pass gives the value an extra dimension (one nominal-plus-unit-step per
        uncertain entry), so one evaluation of a constraint yields every entry's effect. The
        copy's values are not re-checked: they are probes, not data."""
        shadow = Instance(self.ir, self.raw, self.max_entries)
        shadow._sets = self._sets
        shadow._ranges = dict(self._ranges)  # a probe's ranges (which may carry its extra dimension) stay its own
        shadow._preset = {**self._preset, name: value}  # earlier probes stay in place
        shadow._params.update(shadow._preset)
        shadow._checking = False
        return shadow

    def _adjust(self, sym: Symbol, value: xr.DataArray) -> xr.DataArray:
        """`name *= f` (also += -=) from --set, --perturb or a scenario, in the order given."""
        for a in self.raw.adjustments.get(sym.name, []):
            value = value.copy()
            if a.keys is None:
                target = value.values
                sel = ...
            else:
                codes = []
                for c, (key, dim) in enumerate(zip(a.keys, value.dims)):
                    idx = value.indexes[dim]
                    code = idx.get_indexer([key])[0]
                    if code < 0:
                        raise MilkrunError(f"{a.text}: '{key}' is not an element of {sym.positions[c].set_label} "
                                           f"(key {c + 1} of '{sym.name}')", a.span, hint=_near_element(key, idx))
                    codes.append(code)
                sel = tuple(codes)
                target = value.values[sel]
            new = {"*=": np.multiply, "+=": np.add, "-=": np.subtract}[a.op](target, a.value)
            if sel is ...:
                value.values[...] = new
            else:
                value.values[sel] = new
        return value

    def uncertainty(self, name: str) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray]:
        """(nominal, lo, hi) of an `uncertain` parameter: the data's value and the range around it."""
        self.param(name)
        return self._ranges[name]

    def _uncertain(self, sym: Symbol, value: xr.DataArray, scope: Scope) -> xr.DataArray:
        """Keep the range; with a realisation asked for, draw the value uniformly within it."""
        self._nominal[sym.name] = value
        try:
            lo, hi = self._range(sym, value, scope)
        finally:
            del self._nominal[sym.name]
        self._ranges[sym.name] = (value, lo, hi)
        if self.raw.realisation is None:
            return value
        seed, k = self.raw.realisation
        # one stream per (seed, realisation, parameter): the draw does not depend on evaluation order
        rng = np.random.default_rng([int(seed), int(k), zlib.crc32(sym.name.encode())])
        draw = lo + (hi - lo) * rng.random(value.shape)
        draw = draw.transpose(*value.dims) if value.dims else draw
        # the drawn value is now the nominal one: a robust counterpart of a realisation is the box
        # of the same widths around the draw (the seed's [draw - rho G, draw + rho G])
        self._ranges[sym.name] = (draw, draw - (value - lo), draw + (hi - value))
        return draw

    def _range(self, sym: Symbol, value: xr.DataArray, scope: Scope) -> tuple[xr.DataArray, xr.DataArray]:
        """(lo, hi) of an uncertain clause around the nominal `value`. Absolute: `in [lo, hi]` (the
        nominal value may lie outside it, a --set what-if; the draws never do) and `+- dev`. Relative:
        `+- 2%` and `in [-5%, +3%]`, shares of the nominal value's size (after scenarios and --set)."""
        u = sym.decl.uncertain
        size = abs(value)

        def part(e):
            """A part of the clause as a value; a percentage as its share (-0.05 for -5%) and that in per cent."""
            pc = ast.percent_of(e)
            if pc is None:
                return _full(self.ev.number(e, scope, "an uncertainty range"), scope), None
            pct = pc[0] * _full(self.ev.number(pc[1], scope, "a percentage"), scope)
            return pct / 100, pct

        if u.deviation is not None:
            dev, pct = part(u.deviation)
            shown, unit = (dev, "") if pct is None else (pct, "%")
            bad = (shown < 0).values
            if bad.any():
                k = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
                raise MilkrunError(f"the deviation of '{sym.name}' is negative for {self._entry(sym, shown, bad)} "
                                   f"({_num(shown.values[k])}{unit}): '+-' takes the distance the value may move "
                                   "either way, which is at least 0",
                                   u.deviation.span, hint="for a range that is not symmetric, write in [-5%, +3%]")
            dev = dev if pct is None else dev * size
            return value - dev, value + dev
        (lo, lo_pct), (hi, hi_pct) = part(u.lo), part(u.hi)
        low, high = (lo, hi) if lo_pct is None else (lo_pct, hi_pct)
        unit = "" if lo_pct is None else "%"
        bad = (high < low).values
        if bad.any():
            k = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
            raise MilkrunError(f"the range of '{sym.name}' is empty for {self._entry(sym, low, bad)}: its low end "
                               f"({_num(low.values[k])}{unit}) is above its high end ({_num(high.values[k])}{unit})",
                               u.lo.span, hint="write the low end first")
        if lo_pct is None:
            return lo, hi
        for end, pct, side in ((u.lo, lo_pct, "low"), (u.hi, hi_pct, "high")):
            bad = ((pct > 0) if side == "low" else (pct < 0)).values
            if bad.any():
                k = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
                raise MilkrunError(f"the range of '{sym.name}' must hold its nominal value, but for "
                                   f"{self._entry(sym, pct, bad)} its {side} end, {_num(pct.values[k])}%, is "
                                   f"{'above' if side == 'low' else 'below'} it", end.span,
                                   hint="a relative range runs from a share below the nominal value to a share "
                                        "above it: in [-5%, +3%]")
        return value + lo * size, value + hi * size

    @staticmethod
    def _entry(sym: Symbol, da: xr.DataArray, bad: np.ndarray) -> str:
        """The first entry where `bad` holds, as a model writes it: `a[p]`, `content[protein, milk]`."""
        k = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
        return S.entry_label(sym.name, tuple(da.indexes[d][i] for d, i in zip(da.dims, k)))

    def _element_param(self, sym: Symbol):
        d: ast.ParamDecl = sym.decl
        if d.index is not None:
            return self._indexed_elements(sym)
        entries = self._entries(sym)
        if not entries:
            if d.default is not None:
                return self._element_default(sym, self.ev.set_value(d.element_of).members)
            raise MilkrunError(f"parameter '{sym.name}' has no value", d.span,
                               hint="give it in a data block or a table, or with --set")
        pd_, k = entries[-1]
        value = S.normalize(pd_.values[k])
        members = self.ev.set_value(d.element_of)
        if value not in members.members:
            raise MilkrunError(f"'{sym.name}' is '{value}', which is not an element of the set it is declared in",
                               pd_.origin.at(k))
        return value

    def _element_default(self, sym: Symbol, members: pd.Index):
        """An element parameter's `default`: the element it names (bare or quoted), checked against its set."""
        default = sym.decl.default
        if isinstance(default, ast.Name) and default.name not in self.ir.symbols:
            value = S.normalize(default.name)
        elif isinstance(default, ast.Element):
            value = self.ev._literal(default)
        else:
            value = self.ev._element(default, Scope({}))
        if value not in members:
            raise MilkrunError(f"the default of '{sym.name}', '{value}', is not an element of the set it is "
                               "declared in", default.span)
        return value

    def _indexed_elements(self, sym: Symbol) -> xr.DataArray:
        """`param home[Farms] in Depots`: an object array of elements over the parameter's sets, every
        value checked to be a member of its set (located at the cell), the default filling the rest."""
        d: ast.ParamDecl = sym.decl
        scope = self.ev.declaration_scope(sym)
        dims = list(scope.coords)
        coords = [scope.coords[n] for n in dims]
        shape = tuple(len(c) for c in coords)
        values = np.full(shape, None, dtype=object)
        given = np.zeros(shape, dtype=bool)
        members = self.ev.set_value(d.element_of).members
        mask = scope.full_mask().values if scope.mask is not None else None
        sources = self.raw.params.get(sym.name, [])
        for t, data in enumerate(sources + self.raw.overrides.get(sym.name, [])):
            flat = self._locate(sym, data, coords, mask)
            vals = [S.normalize(v) for v in data.values]
            if t < len(sources):
                again = given.ravel()[flat]
                if again.any():
                    k = int(np.flatnonzero(again)[0])
                    raise MilkrunError(f"parameter '{sym.name}' is given twice for "
                                       f"{_fmt(tuple(col[k] for col in data.keys))}", data.origin.at(k))
            outside = ~pd.Index(vals, dtype=object).isin(members)
            if outside.any():
                k = int(np.flatnonzero(outside)[0])
                raise MilkrunError(f"'{sym.name}' for {_fmt(tuple(col[k] for col in data.keys))} is '{vals[k]}', "
                                   f"which is not an element of {_set_label(d.element_of)}", data.origin.at(k),
                                   hint=_near_element(vals[k], members))
            values.ravel()[flat] = np.array(vals, dtype=object)
            given.ravel()[flat] = True
        missing = ~given if mask is None else (~given & mask)
        if missing.any():
            if d.default is None:
                k = np.unravel_index(int(np.flatnonzero(missing)[0]), shape)
                raise MilkrunError(f"parameter '{sym.name}' has no value for "
                                   f"{_fmt(tuple(c[i] for c, i in zip(coords, k)))}", d.span,
                                   hint="give every entry in a data block or a table, or a default")
            values[missing] = self._element_default(sym, members)
        return xr.DataArray(values, dims=dims, coords=dict(zip(dims, coords)))

    def _entries(self, sym):
        """(ParamData, entry) pairs for a scalar parameter: data first, overrides last."""
        out = []
        for src in self.raw.params.get(sym.name, []) + self.raw.overrides.get(sym.name, []):
            out += [(src, k) for k in range(len(src.values))]
        overrides = self.raw.overrides.get(sym.name, [])
        data_only = [(s, k) for s, k in out if not any(s is o for o in overrides)]
        if len(data_only) > 1:
            (a, i), (b, j) = data_only[0], data_only[1]
            raise MilkrunError(f"parameter '{sym.name}' is given twice", b.origin.at(j),
                               notes=[("first given here", a.origin.at(i))])
        return out

    def _from_data(self, sym: Symbol, scope: Scope):
        d: ast.ParamDecl = sym.decl
        dims = list(scope.coords)
        coords = [scope.coords[n] for n in dims]
        shape = tuple(len(c) for c in coords)
        values = np.full(shape, np.nan)
        src_table = np.full(shape, -1, dtype=np.int32)
        src_entry = np.full(shape, -1, dtype=np.int64)
        sources: list[ParamData] = self.raw.params.get(sym.name, [])
        overrides: list[ParamData] = self.raw.overrides.get(sym.name, [])
        mask = scope.full_mask().values if scope.mask is not None else None
        for t, data in enumerate(sources + overrides):
            is_override = t >= len(sources)
            flat = self._locate(sym, data, coords, mask)
            if not is_override:
                seen = src_table.ravel()[flat] >= 0 if len(flat) else np.zeros(0, bool)
                _, first = np.unique(flat, return_index=True)
                dup_inside = np.ones(len(flat), bool)
                dup_inside[first] = False
                clash = seen | dup_inside
                if clash.any():
                    k = int(np.flatnonzero(clash)[0])
                    key = np.unravel_index(flat[k], shape) if shape else ()
                    desc = f" for {_fmt(tuple(c[i] for c, i in zip(coords, key)))}" if dims else ""
                    if seen[k]:
                        t0, k0 = int(src_table.ravel()[flat[k]]), int(src_entry.ravel()[flat[k]])
                        first = (sources + overrides)[t0].origin.at(k0)
                    else:
                        k0 = int(np.flatnonzero(flat == flat[k])[0])
                        first = data.origin.at(k0)
                    raise MilkrunError(f"parameter '{sym.name}' is given twice{desc}", data.origin.at(k),
                                       notes=[("first given here", first)])
            values.ravel()[flat] = data.values
            src_table.ravel()[flat] = t
            src_entry.ravel()[flat] = np.arange(len(flat))
        value = xr.DataArray(values, dims=dims, coords=dict(zip(dims, coords)))
        missing = np.isnan(values) if mask is None else (np.isnan(values) & mask)
        if missing.any():
            if d.default is not None:
                default = _full(self.ev.number(d.default, scope, "a default value"), scope)
                value = value.fillna(default)
            else:
                idx = np.argwhere(missing)
                first = tuple(c[i] for c, i in zip(coords, idx[0]))
                more = f" and {len(idx) - 1} more" if len(idx) > 1 else ""
                origin = f"; data came from {sources[0].origin.where()}" if sources else "; no data was given for it"
                raise MilkrunError(
                    f"parameter '{sym.name}' has no value for {_fmt(first) if dims else 'it'}{more}{origin}",
                    d.span, hint="give the missing entries, or declare a default")
        return value, (sources + overrides, src_table, src_entry)

    def _locate(self, sym: Symbol, data: ParamData, coords: list[pd.Index], mask) -> np.ndarray:
        """Flat positions of the data's keys in the parameter's array; unknown keys are errors."""
        if not coords:
            return np.zeros(len(data.values), dtype=np.int64)
        codes = []
        for c, (col, idx) in enumerate(zip(data.keys, coords)):
            code = idx.get_indexer(pd.Index(col))
            if (code < 0).any():
                k = int(np.flatnonzero(code < 0)[0])
                pos = sym.positions[c]
                raise MilkrunError(f"'{col[k]}' is not an element of {pos.set_label} (key {c + 1} of "
                                   f"'{sym.name}')", data.origin.key_at(k, c),
                                   hint=_near_element(col[k], idx))
            codes.append(code)
        flat = np.ravel_multi_index(codes, tuple(len(c) for c in coords))
        if mask is not None:
            outside = ~mask.ravel()[flat]
            if outside.any():
                k = int(np.flatnonzero(outside)[0])
                key = tuple(col[k] for col in data.keys)
                raise MilkrunError(f"{_fmt(key)} is not in the domain of '{sym.name}' "
                                   f"[{', '.join(p.set_label for p in sym.positions)}]", data.origin.at(k))
        return flat

    def _check_values(self, sym: Symbol, value: xr.DataArray, src, scope: Scope, active):
        d: ast.ParamDecl = sym.decl
        vals = value.values
        if active is None and vals.dtype.kind == "f" and np.isfinite(vals).all():
            live = np.True_  # every entry present and finite (one pass, the usual case)
        else:
            live = ~np.isnan(vals) if active is None else active.values
            nonfinite = ~np.isfinite(vals) & live
            if nonfinite.any():
                self._fail(sym, src, value, nonfinite, "must be a finite number", None)
        checks = []
        if d.integer or d.binary:
            checks.append(((vals == np.round(vals)) | ~live, "must be a whole number", None))
        if d.binary:
            checks.append((np.isin(vals, [0, 1]) | ~live, "must be 0 or 1", None))
        for b in d.bounds:
            bound = _full(self.ev.number(b.value, scope, "a parameter's bound"), scope)
            bvals = np.broadcast_to(bound.values, vals.shape) if isinstance(bound, xr.DataArray) else bound
            ok = _OPS[b.op](vals, bvals) | ~live
            checks.append((ok, f"must be {_WORDS[b.op]}", (b, bvals)))
        for ok, words, bound in checks:
            if not np.all(ok):
                self._fail(sym, src, value, ~ok, words, bound)

    def _fail(self, sym, src, value, bad, words, bound):
        idx = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
        key = tuple(value.indexes[d][i] for d, i in zip(value.dims, idx))
        v = value.values[idx] if idx else value.values.item()
        span, shown = sym.span, _num(v)
        if src is not None:
            sources, table, entry = src
            t, k = int(table[idx]), int(entry[idx])
            if t >= 0:
                span = sources[t].origin.at(k)
                if sources[t].raw_text is not None:
                    shown = str(sources[t].raw_text[k])
        at = f"[{', '.join(map(str, key))}]" if key else ""
        if bound is not None:
            b, bvals = bound
            limit = bvals[idx] if isinstance(bvals, np.ndarray) and bvals.ndim else bvals
            words = f"{words} {_num(limit)}"
        raise MilkrunError(f"{sym.name}{at} = {shown}, but it {words}", span,
                           notes=[(f"'{sym.name}' is declared here", sym.span)] if span != sym.span else [])


class _ShiftedOrigin:
    """An origin whose key columns start `lead` columns later (the element part of an indexed set)."""

    def __init__(self, origin, lead: int):
        self._o, self._lead = origin, lead

    def at(self, k):
        return self._o.at(k)

    def key_at(self, k, c):
        return self._o.key_at(k, c + self._lead)


def _full(value, scope: Scope) -> xr.DataArray:
    """A data value spread over every index of the scope, in the scope's order."""
    if not isinstance(value, xr.DataArray):
        value = xr.DataArray(float(value) if not isinstance(value, (str, tuple)) else value)
    value = broadcast(value, scope.coords)
    return value.transpose(*scope.coords.keys(), ...) if scope.coords else value


def _components(s: ast.SetExpr) -> list[ast.SetExpr]:
    if isinstance(s, ast.SetOp) and s.op == "cross":
        return _components(s.left) + _components(s.right)
    return [s]


def _fmt(key) -> str:
    if isinstance(key, tuple):
        return "(" + ", ".join(map(str, key)) + ")" if len(key) != 1 else str(key[0])
    return str(key)


def _num(v) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else f"{v:g}"


def _near_element(value, idx: pd.Index) -> str | None:
    if len(idx) > 5000:
        return None
    return did_you_mean(str(value), [str(x) for x in idx])
