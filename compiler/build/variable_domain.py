"""Where a variable family exists and its bounds: what both builders (linopy, and SCIP for a
nonlinear model) read from a `var` declaration before making its variables."""
from __future__ import annotations

import numpy as np

from milkrun.compiler.model.evaluate import Evaluator
from milkrun.compiler.model.ir import Symbol
from milkrun.dsl import ast


def variable_domain(sym: Symbol, ev: Evaluator):
    """(scope with the `where` applied, lower, upper) of a variable family."""
    d: ast.VarDecl = sym.decl
    scope = ev.declaration_scope(sym)
    if d.where is not None:
        scope = scope.restrict(ev.cond(d.where, scope))
    lower, upper = (0.0, 1.0) if d.kind == "binary" else (-np.inf, np.inf)
    for b in d.bounds:
        v = ev.number(b.value, scope, "a variable's bound")
        if b.op == ">=":
            lower = v
        else:
            upper = v
    return scope, lower, upper
