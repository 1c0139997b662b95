"""Data written in the model (`data { ... }`, `data NAME \"\"\"csv\"\"\"`) and `--set` overrides."""
from __future__ import annotations

import re

import numpy as np

from milkrun.dsl import ast
from milkrun.dsl.diagnostics import MilkrunError, Span, did_you_mean

from ..ir import ModelIR
from ..sets import normalize
from .csv_tables import read_table
from .records import Origin, ParamData, RawData, SetData


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


_OVERRIDE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[(.*)\])?\s*=\s*(.+?)\s*$")


def read_override(ir: ModelIR, text: str, raw: RawData) -> None:
    """`--set name=value` or `--set name[key,key]=value`: replaces the data value, said plainly."""
    where = Span("--set", 1, 1)
    m = _OVERRIDE.match(text)
    if not m:
        raise MilkrunError(f"--set expects NAME=VALUE or NAME[KEY,...]=VALUE, got '{text}'", where)
    name, key_text, value_text = m.group(1), m.group(2), m.group(3)
    sym = ir.symbols.get(name)
    if sym is None or sym.kind != "param":
        cands = [s.name for s in ir.of_kind("param")]
        what = f"a {sym.kind}" if sym else "not declared"
        raise MilkrunError(f"--set {name}: '{name}' is {what}; only parameters can be set", where,
                           hint=did_you_mean(name, cands))
    if sym.decl.definition is not None:
        raise MilkrunError(f"--set {name}: '{name}' is computed by a formula in the model and cannot be set", where)
    keys = tuple(normalize(k) for k in key_text.split(",")) if key_text else ()
    if len(keys) != len(sym.positions):
        raise MilkrunError(f"--set {name}: '{name}' takes {len(sym.positions)} key(s), got {len(keys)}", where,
                           hint=f"write --set {name}[...]=VALUE" if sym.positions else None)
    if sym.element_param:
        values = np.array([normalize(value_text)], dtype=object)
    else:
        try:
            v = float(value_text)
        except ValueError:
            raise MilkrunError(f"--set {name}: '{value_text}' is not a number", where) from None
        if not np.isfinite(v):
            raise MilkrunError(f"--set {name}: values must be finite numbers, got '{value_text}'", where)
        values = np.array([v])
    cols = [_column([k]) for k in keys]
    raw.overrides.setdefault(name, []).append(
        ParamData(name, cols, values, Origin("--set", span=Span("--set", 1, 1)), raw_text=np.array([value_text], dtype=object)))
