"""Data written in the model (`data { ... }`, `data NAME \"\"\"csv\"\"\"`) and `--set` overrides."""
from __future__ import annotations

import re

import numpy as np

from milkrun.compiler.data.csv_tables import read_table
from milkrun.compiler.data.records import Adjustment, Origin, ParamData, RawData, SetData
from milkrun.compiler.model.ir import ModelIR
from milkrun.compiler.model.sets import normalize
from milkrun.dsl import ast
from milkrun.dsl.diagnostics import MilkrunError, Span, did_you_mean


def read_model_data(ir: ModelIR, raw: RawData) -> None:
    for t in ir.data_tables:
        read_table(ir, t.name, t.text, t.span.file, t.text_line, raw, declared_span=t.span)
    for block in ir.data_blocks:
        for e in block.entries:
            _entry(ir, e, raw)


def _entry(ir: ModelIR, e: ast.DataEntry, raw: RawData):
    sym = ir.symbols[e.name]
    if sym.kind == "set":
        if e.kind != "set":
            raise MilkrunError(f"'{e.name}' is a set: give its members in braces, like {e.name} = {{a, b, c}}", e.span)
        elems = [normalize(x.value) for x in e.value]
        arity = sym.arity + len(sym.positions)
        for x, v in zip(e.value, elems):
            n = len(v) if isinstance(v, tuple) else 1
            if n != arity:
                raise MilkrunError(f"set '{e.name}' holds {arity}-tuples; this member has {n} component(s)", x.span)
        if arity == 1:
            cols = [_column(elems)]
        else:
            cols = [_column([v[c] for v in elems]) for c in range(arity)]
        raw.add_set(SetData(e.name, cols, Origin(e.span.file, span=e.span, spans=[x.span for x in e.value])))
        return
    # parameter
    npos = len(sym.positions)
    if e.kind == "scalar":
        if npos:
            raise MilkrunError(f"parameter '{e.name}' is indexed; give its values as {{key: value, ...}}", e.span)
        raw.add_param(_param(sym, [()], [e.value], [e.value.span]))
    elif e.kind == "map":
        if not npos:
            raise MilkrunError(f"parameter '{e.name}' is a scalar; give one value, like {e.name} = 5", e.span)
        keys, vals, spans, key_spans = [], [], [], []
        for k, v in e.value:
            key = normalize(k.value)
            key = key if isinstance(key, tuple) else (key,)
            if len(key) != npos:
                raise MilkrunError(f"parameter '{e.name}' takes {npos} key(s) per entry; this key has {len(key)}",
                                   k.span)
            keys.append(key)
            vals.append(v)
            spans.append(v.span)
            key_spans.append([k.span] * len(key))
        data = _param(sym, keys, vals, spans)
        data.origin.key_spans = key_spans
        raw.add_param(data)
    else:
        raise MilkrunError(f"'{e.name}' is a parameter: give a value, or {{key: value, ...}} for an indexed one",
                           e.span)


def _column(values: list) -> np.ndarray:
    if values and all(isinstance(v, int) for v in values):
        return np.asarray(values, dtype=np.int64)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _param(sym, keys: list[tuple], values: list[ast.Element], spans: list[Span]) -> ParamData:
    npos = len(sym.positions)
    cols = [_column([k[c] for k in keys]) for c in range(npos)]
    if sym.element_param:
        vals = np.empty(len(values), dtype=object)
        vals[:] = [normalize(v.value) for v in values]
    else:
        out = []
        for v in values:
            if not isinstance(v.value, (int, float)) or isinstance(v.value, bool):
                raise MilkrunError(f"parameter '{sym.name}' takes numbers; '{v.value}' is not one", v.span)
            out.append(float(v.value))
        vals = np.asarray(out, dtype=float)
    return ParamData(sym.name, cols, vals, Origin(spans[0].file if spans else "", spans=spans),
                     raw_text=np.array([str(v.value) for v in values], dtype=object))


_OVERRIDE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[(.*)\])?\s*(\*=|\+=|-=|=)\s*(.+?)\s*$")


def read_override(ir: ModelIR, text: str, raw: RawData, flag: str = "--set") -> None:
    """`--set name=value`, `name[key,key]=value`, or `name*=factor` (also += -=; every entry, or one).

    `=` replaces the data value; the others adjust the value the data (or the default, or the
    formula) gives. Both are said plainly in reports; neither changes the model's statements."""
    where = Span(flag, 1, 1)
    m = _OVERRIDE.match(text)
    if not m:
        raise MilkrunError(f"{flag} expects NAME=VALUE, NAME[KEY,...]=VALUE or NAME*=FACTOR (also += -=), "
                           f"got '{text}'", where)
    name, key_text, op, value_text = m.groups()
    sym = ir.symbols.get(name)
    if sym is None or sym.kind != "param":
        cands = [s.name for s in ir.of_kind("param")]
        what = f"a {sym.kind}" if sym else "not declared"
        raise MilkrunError(f"{flag} {name}: '{name}' is {what}; only parameters can be set", where,
                           hint=did_you_mean(name, cands))
    if op == "=" and sym.decl.definition is not None:
        raise MilkrunError(f"{flag} {name}: '{name}' is computed by a formula in the model and cannot be set "
                           f"(it can be scaled: {name}*=FACTOR)", where)
    keys = tuple(normalize(k) for k in key_text.split(",")) if key_text else ()
    if op != "=" and not keys:
        keys = None  # every entry
    elif len(keys) != len(sym.positions):
        raise MilkrunError(f"{flag} {name}: '{name}' takes {len(sym.positions)} key(s), got {len(keys)}", where,
                           hint=f"write {flag} {name}[...]=VALUE, or scale every entry with {name}*=FACTOR"
                           if sym.positions else None)
    if sym.element_param:
        if op != "=":
            raise MilkrunError(f"{flag} {name}: '{name}' holds an element of a set; only '=' applies", where)
        value = normalize(value_text)
    else:
        try:
            value = float(value_text)
        except ValueError:
            raise MilkrunError(f"{flag} {name}: '{value_text}' is not a number", where) from None
        if not np.isfinite(value):
            raise MilkrunError(f"{flag} {name}: values must be finite numbers, got '{value_text}'", where)
    _change(sym, keys, op, value, value_text, where, text.strip(), raw)


def apply_scenario(ir: ModelIR, name: str, raw: RawData) -> None:
    """The changes of `scenario NAME`, located at their place in the model (before any --set)."""
    scenarios = ir.scenarios
    if name not in scenarios:
        known = ", ".join(scenarios) or "none"
        raise MilkrunError(f"no scenario '{name}' in the model (scenarios: {known})", Span("--scenario", 1, 1),
                           hint=did_you_mean(name, list(scenarios)))
    for ch in scenarios[name].changes:
        sym = ir.symbols[ch.name]
        keys = tuple(normalize(k.value) for k in ch.keys) if ch.keys else (() if ch.op == "=" else None)
        value = normalize(ch.value.value) if sym.element_param else float(ch.value.value)
        _change(sym, keys, ch.op, value, str(ch.value.value), ch.span, f"scenario {name}: {ch.name}"
                f"{'[' + ', '.join(str(k.value) for k in ch.keys) + ']' if ch.keys else ''} {ch.op} {ch.value.value}",
                raw)


def _change(sym, keys, op, value, value_text: str, span: Span, text: str, raw: RawData) -> None:
    if op != "=":
        raw.adjustments.setdefault(sym.name, []).append(Adjustment(sym.name, keys, op, float(value), span, text))
        return
    values = np.array([value], dtype=object if sym.element_param else float)
    cols = [_column([k]) for k in keys]
    raw.overrides.setdefault(sym.name, []).append(
        ParamData(sym.name, cols, values, Origin(span.file, span=span), raw_text=np.array([value_text], dtype=object)))
