"""Which tank types are small: what the seed's second grouping rule needs to know.

The seed groups configurations that "vary only in opening another cluster with a lower capacity
tank" (Polo Roa et al. 2023, section 4). milkrun reads that as: two configurations differing
only by one extra tank of the smallest type(s) are one (configurations.py applies it). Which
types are smallest is asked of the model, not assumed:

- `--small-types A,B`: these labels, of the one dimension of the design variables (besides the
  site) whose labels include them all;
- else the size parameter (`--size-param NAME`, by default `capacity` when the model has one): a
  parameter over one set that indexes the design variables; the labels where it is least;
- neither (no `capacity` over such a set): the rule is off, and the run says why.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from milkrun.dsl.diagnostics import MilkrunError, Span, did_you_mean

DEFAULT_SIZE = "capacity"


@dataclass
class SmallTypes:
    """The small labels and, per design variable, which of an entry's labels is its type."""

    position: dict[str, int]   # design variable -> index of the type among its labels
    labels: frozenset
    how: str                   # a sentence for the output: which types, and why those

    def holds(self, entry) -> bool:
        """Is this entry (variable, labels, value) a tank of a small type?"""
        name, labels, _ = entry
        k = self.position.get(name)
        return k is not None and labels[k] in self.labels


def _candidates(ir, instance, design: list[str], sites) -> dict[str, list[tuple[int, str, list]]]:
    """Per design variable, its one-set positions but the site: [(index, set as written, labels)]."""
    out = {}
    for name in design:
        site = sites.dims.get(name) if sites is not None else None
        out[name] = [(k, p.set_label, [_plain(x) for x in instance.ev.set_value(p.set).component(p.component)])
                     for k, p in enumerate(ir.symbols[name].positions) if p.arity == 1 and p.dim != site]
    return out


def _plain(x):
    return x.item() if hasattr(x, "item") else x


def _by_label(given: list[str], labels: list) -> list:
    """The given texts as the set's own labels (a label 3 is the number 3)."""
    text = {str(x): x for x in labels}
    return [text.get(g, g) for g in given]


def find_small_types(ir, instance, design: list[str], sites, on: bool = True, small_types: list[str] | None = None,
                     size_param: str | None = None) -> tuple[SmallTypes | None, str]:
    """(the small types for the extra-small-tank rule, or None; a sentence: which they are, or why the rule is off)."""
    if not on:
        for flag, given in (("--small-types", small_types), ("--size-param", size_param)):
            if given is not None:
                raise MilkrunError(f"{flag} tells the small types of the extra-small-tank rule, which "
                                   "--no-group-extra-small turns off", Span(flag, 1, 1),
                                   hint=f"drop {flag}, or --no-group-extra-small")
        return None, "configurations with one more small tank are not grouped (--no-group-extra-small)"
    if small_types is not None and size_param is not None:
        raise MilkrunError("--small-types names the small types, --size-param picks them by size: give one",
                           Span("--size-param", 1, 1))
    cands = _candidates(ir, instance, design, sites)
    if small_types is not None:
        small = _named(cands, small_types)
        return small, small.how
    explicit = size_param is not None
    name = size_param or DEFAULT_SIZE
    where = Span("--size-param", 1, 1)
    sym = ir.symbols.get(name)
    if sym is None or sym.kind != "param":
        if explicit:
            params = [s.name for s in ir.of_kind("param")]
            raise MilkrunError(f"--size-param: the model has no parameter '{name}'", where,
                               hint=did_you_mean(name, params) or "give the tank types' size parameter")
        return None, (f"configurations with one more small tank are not grouped: the model has no '{DEFAULT_SIZE}' "
                      "parameter to tell the small types (name them with --small-types, or their size with "
                      "--size-param NAME)")
    sets = sorted({s for c in cands.values() for _, s, _ in c})
    over = sym.positions[0].set_label if len(sym.positions) == 1 and not sym.element_param else None
    position = {v: k for v, c in cands.items() for k, s, _ in c if s == over}
    if not position:
        what = (f"is over {over}" if over else "is not a number over one set")
        if explicit:
            raise MilkrunError(f"--size-param: '{name}' {what}, not over a set of the design variables' types "
                               f"({', '.join(sets) or 'none besides the site'})", sym.span)
        return None, (f"configurations with one more small tank are not grouped: '{name}' {what}, not over a "
                      f"set of the design variables' types (name them with --small-types)")
    size = instance.param(name)
    values = np.asarray(size.values, dtype=float)
    labels = [_plain(x) for x in size.indexes[size.dims[0]]]
    least = values.min()
    small = [lab for lab, v in zip(labels, values) if v == least]
    found = SmallTypes(position, frozenset(small), f"{', '.join(map(str, small))}: least {name}, {least:g}")
    return found, found.how


def _named(cands: dict[str, list[tuple[int, str, list]]], given: list[str]) -> SmallTypes:
    where = Span("--small-types", 1, 1)
    position, known = {}, []
    for var, positions in cands.items():
        for k, _, labels in positions:
            known += [str(x) for x in labels if str(x) not in known]
            if all(str(g) in map(str, labels) for g in given):
                if var in position:
                    raise MilkrunError(f"--small-types: {', '.join(given)} are labels of two dimensions of "
                                       f"'{var}', so which is the tank type is not clear", where)
                position[var] = (k, labels)
    if not position:
        bad = next((g for g in given if g not in known), None)
        if bad is not None:
            raise MilkrunError(f"--small-types: '{bad}' is not a type of the design variables", where,
                               hint=did_you_mean(bad, known) or f"their types: {', '.join(known)}")
        raise MilkrunError(f"--small-types: {', '.join(given)} are not all labels of one dimension of a design "
                           "variable", where)
    labels = next(iter(position.values()))[1]
    small = _by_label(given, labels)
    return SmallTypes({v: k for v, (k, _) in position.items()}, frozenset(small),
                      f"{', '.join(map(str, small))}: named by --small-types")
