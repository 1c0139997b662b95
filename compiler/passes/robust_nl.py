"""The robust counterpart for nonlinear models (built for SCIP): the same box and budget
counterparts as passes/robust.py, on rows that may hold products of variables.

Every uncertain entry is stood in for by a marker variable of a scratch SCIP model, and the
row is evaluated once with the markers in place of the data: a row that is affine in the
uncertain data then reads E0(x) + Σ_u P_u·D_u(x), where D_u(x) is a polynomial in the
decision variables, read off the terms that hold P_u. The nominal row is E0 + Σ_u nominal_u·D_u,
and the counterpart adds, per entry, v_u >= ρ·up_u·D_u(x) and v_u >= -ρ·down_u·D_u(x) (box), or
Bertsimas and Sim's z and q (budget). Terms with two markers, or markers inside exp, log, sqrt,
a ratio or a condition, are refused, located: the counterpart would not be exact.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import xarray as xr

from milkrun.compiler.build.nonlinear import scalar
from milkrun.compiler.model.evaluate import Scope
from milkrun.compiler.passes.robust import (FamilyChange, RobustOptions, RobustReport, check_options, entry_ranges,
                                            family_label)
from milkrun.dsl import ast
from milkrun.dsl.diagnostics import MilkrunError

MARK = "__uncertain__"


def tainted_names(ir) -> set[str]:
    """The uncertain parameters and every parameter computed from one, checked on the way."""
    tainted = {s.name for s in ir.uncertain_params}
    changed = True
    while changed:
        changed = False
        for sym in ir.of_kind("param"):
            d = sym.decl
            if sym.name in tainted or d.definition is None:
                continue
            if _names(d.definition) & tainted:
                _refuse_unsafe(d.definition, tainted, f"parameter '{sym.name}'")
                tainted.add(sym.name)
                changed = True
    return tainted


def depends(node, tainted: set[str]) -> bool:
    return bool(_names(node) & tainted)


def _walk(node):
    """Every syntax node below `node` (itself included)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (list, tuple)):
            stack.extend(n)
        elif dataclasses.is_dataclass(n):
            yield n
            stack.extend(getattr(n, f.name) for f in dataclasses.fields(n) if f.name != "span")


def _names(node) -> set[str]:
    return {n.name for n in _walk(node) if isinstance(n, (ast.Name, ast.Subscript))}


def _refuse_unsafe(node, tainted: set[str], where: str) -> None:
    """Uncertain data may enter sums, products with data or variables, and ratios over data only."""
    for n in _walk(node):
        bad = None
        if isinstance(n, ast.IfExpr) and depends(n.condition, tainted):
            bad = "a condition on uncertain data"
        elif isinstance(n, ast.Call) and any(depends(a, tainted) for a in n.args):
            bad = f"{n.func}() of uncertain data"
        elif isinstance(n, ast.Reduction) and n.op != "sum" and depends(n.body, tainted):
            bad = f"{n.op}(...) over uncertain data"
        elif isinstance(n, ast.BinOp) and n.op == "/" and depends(n.right, tainted):
            bad = "a division by uncertain data"
        elif isinstance(n, ast.BinOp) and n.op == "^" and depends(n, tainted):
            bad = "a power of uncertain data"
        elif isinstance(n, ast.BinOp) and n.op == "*" and depends(n.left, tainted) and depends(n.right, tainted):
            bad = "a product of two uncertain values"
        if bad:
            raise MilkrunError(f"{where} holds {bad}: its robust counterpart would not be exact (the pass needs "
                               "rows affine in the uncertain data)", n.span)


class MarkerProbe:
    """Marker variables in place of every uncertain entry, and an evaluator over them."""

    def __init__(self, ir, instance, variables, evaluator_cls, options: RobustOptions):
        import pyscipopt as scip

        check_options(options)
        self.options = options
        self.scratch = scip.Model()
        self.entries: dict[str, tuple[str, int]] = {}  # marker name -> (param, entry)
        self.nominal, self.up, self.down, self.labels = {}, {}, {}, {}
        shadow = instance
        for sym in ir.uncertain_params:
            r = entry_ranges(instance, sym.name, options.level)
            base = r.base
            self.nominal[sym.name], self.up[sym.name], self.down[sym.name] = r.nominal, r.up, r.down
            self.labels[sym.name] = r.labels
            markers = np.empty(base.shape, dtype=object)
            for u in range(base.size):
                name = f"{MARK}{sym.name}__{u}"
                markers.reshape(-1)[u] = self.scratch.addVar(name=name, lb=None, ub=None)
                self.entries[name] = (sym.name, u)
            shadow = shadow.with_param(sym.name, xr.DataArray(markers, dims=base.dims, coords=base.coords))
        self.ev = evaluator_cls(shadow, variables)
        self.tainted = tainted_names(ir)

    def split(self, expr, where, span):
        """E(x; P) -> (E0, {(param, u): D_u}) for a polynomial in the markers of degree <= 1."""
        from pyscipopt.scip import Expr, Term

        if isinstance(expr, (int, float)):
            return expr, {}
        if not isinstance(expr, Expr):
            raise MilkrunError(f"{where} depends on uncertain data through exp, log, sqrt or a ratio of variables: "
                               "its robust counterpart would not be exact", span)
        e0: dict = {}
        dev: dict = {}
        for term, coef in expr.terms.items():
            if coef == 0:
                continue
            marks = [v for v in term.vartuple if v.name.startswith(MARK)]
            if not marks:
                e0[term] = e0.get(term, 0.0) + coef
                continue
            if len(marks) > 1:
                raise MilkrunError(f"{where} multiplies two uncertain values: its robust counterpart would not be "
                                   "exact", span)
            rest = Term(*[v for v in term.vartuple if v is not marks[0]])
            key = self.entries[marks[0].name]
            d = dev.setdefault(key, {})
            d[rest] = d.get(rest, 0.0) + coef
        return Expr(e0), {k: Expr(v) for k, v in dev.items() if any(c != 0 for c in v.values())}


def robust_row(model, probe: MarkerProbe, e0, devs: dict, name: str, change: dict) -> object:
    """The counterpart of E0 + Σ nominal·D <= 0, its auxiliary variables added to `model`."""
    import pyscipopt as scip

    o = probe.options
    row = e0 + scip.quicksum(probe.nominal[p][u] * d for (p, u), d in devs.items())
    if o.method == "box" or not devs:
        for (p, u), d in devs.items():
            up, down = probe.up[p][u], probe.down[p][u]
            if d.degree() == 0:  # only the constant moves: its worst case, no variable
                c = _constant(d)
                row = row + max(up * c, -down * c)
                continue
            v = model.addVar(name=f"{name}_{p}_dev[{u}]", lb=0)
            model.addCons(v >= up * d, name=f"{name}_{p}_up[{u}]")
            model.addCons(v >= -down * d, name=f"{name}_{p}_down[{u}]")
            row = row + v
            change[p]["variables"] += 1
            change[p]["added_rows"] += 2
        return row
    z = model.addVar(name=f"{name}_z", lb=0)
    row = row + o.budget * z
    for (p, u), d in devs.items():
        up, down = probe.up[p][u], probe.down[p][u]
        q = model.addVar(name=f"{name}_{p}_q[{u}]", lb=0)
        model.addCons(q + z >= up * d, name=f"{name}_{p}_up[{u}]")
        model.addCons(q + z >= -down * d, name=f"{name}_{p}_down[{u}]")
        row = row + q
        change[p]["variables"] += 1
        change[p]["added_rows"] += 2
    first = next(iter(devs))[0]
    change[first]["variables"] += 1
    return row


def _constant(d) -> float:
    return float(sum(c for t, c in d.terms.items() if len(t.vartuple) == 0))


def new_changes(probe: MarkerProbe) -> dict:
    return {p: {"rows": 0, "rhs_only_rows": 0, "variables": 0, "added_rows": 0} for p in probe.nominal}


def record(report: RobustReport, family: str, changes: dict) -> None:
    for p, c in changes.items():
        if c["rows"]:
            report.changes.append(FamilyChange(family, p, c["rows"], c["rhs_only_rows"], c["variables"],
                                               c["added_rows"]))


def count_row(changes: dict, devs: dict) -> None:
    for p in {p for p, _ in devs}:
        changes[p]["rows"] += 1
        if all(d.degree() == 0 for (q, _), d in devs.items() if q == p):
            changes[p]["rhs_only_rows"] += 1




class RobustRows:
    """The pass as build/nonlinear.py meets it: while the SCIP model is built, the rows and objectives
    that uncertain data touch are claimed here and added as their robust counterparts."""

    def __init__(self, options: RobustOptions):
        self.options = options
        self.probe: MarkerProbe | None = None
        self.report: RobustReport | None = None
        self.rows: dict = {}  # family -> [(row label, {(param, u): D})] for reports

    def start(self, ir, instance, variables: dict, evaluator_cls) -> None:
        if not ir.uncertain_params:
            raise MilkrunError("--robust needs parameters declared 'uncertain'; this model has none")
        self.probe = MarkerProbe(ir, instance, variables, evaluator_cls, self.options)
        self.report = RobustReport(self.options)
        self.ir = ir

    def evaluator_for(self, sym):
        """The evaluator with markers in place of uncertain entries, if the data touch this constraint."""
        terms = sym.decl.terms
        if not any(depends(t, self.probe.tainted) for t in terms):
            return None
        for t in terms:
            _refuse_unsafe(t, self.probe.tainted, f"constraint '{sym.name}'")
        return self.probe.ev

    def family(self) -> dict:
        return new_changes(self.probe)

    def close(self, name: str, changes: dict) -> None:
        self.report.labels[name] = family_label(self.ir, name)
        record(self.report, name, changes)

    def add(self, model, name, label, a, b, op, sym, changes) -> None:
        """One row of a family the uncertain data touch: E = a - b (<=) or b - a (>=), made robust."""
        e = (a - b) if op != ">=" else (b - a)
        e0, devs = self.probe.split(e, f"constraint '{sym.name}'", sym.span)
        if not devs:
            row = e0
        elif op == "==":
            raise MilkrunError(f"constraint '{sym.name}' is an equation that uncertain data change; no plan keeps "
                               "an equation for every value in a range. Write it as two inequalities, or make the "
                               "data certain", sym.span)
        else:
            count_row(changes, devs)
            row = robust_row(model, self.probe, e0, devs, f"{name}{label}", changes)
            self.rows.setdefault(name, []).append((label, devs))
        if isinstance(row, (int, float)) or row.degree() == 0:
            c = float(row) if isinstance(row, (int, float)) else float(sum(row.terms.values()))
            if c > 1e-9:
                raise MilkrunError(f"constraint '{sym.name}'{label} cannot hold for every value in the uncertainty "
                                   "range (it has no variable)", sym.span, kind="infeasible")
            return
        model.addCons(row == 0 if op == "==" else row <= 0, name=f"{name}{label}")

    def objective(self, model, sym, sense: str):
        """An objective the uncertain data touch: t bounds its worst case, and t is optimised; None if untouched."""
        if not depends(sym.decl.expr, self.probe.tainted):
            return None
        _refuse_unsafe(sym.decl.expr, self.probe.tainted, f"objective '{sym.name}'")
        f = scalar(self.probe.ev.expr(sym.decl.expr, Scope({})))
        t = model.addVar(name=f"{sym.name}_epigraph", lb=None, ub=None)
        changes = new_changes(self.probe)
        row_name = f"{sym.name}_robust"
        self.report.labels[row_name] = f"objective {sym.name}"
        self.report.names[t.name] = f"objective {sym.name}: worst case"
        if sense == "min":  # f - t <= 0
            self.add(model, row_name, "", f, t, "<=", sym, changes)
        else:  # t - f <= 0
            self.add(model, row_name, "", f, t, ">=", sym, changes)
        record(self.report, row_name, changes)
        self.report.epigraphs[sym.name] = t.name
        return t

    def finish(self, built) -> None:
        built.robust_rows, built.robust_report, built.robust_probe = self.rows, self.report, self.probe
        built.added_names.update(self.report.names)
