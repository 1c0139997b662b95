"""Hand a built linopy model to SCIP through PySCIPOpt's API, not through an LP file.

Going through the API keeps every variable (an LP file drops a binary that appears in no
row, and SCIP then rejects the file), keeps the label of every variable for reading the
solution back, and lets milkrun add a constraint handler (lazy tours) to the same model.
"""
from __future__ import annotations

import numpy as np

from milkrun.compiler.build.solver_infinity import INFINITE, SCALE_HINT, SOLVER_INFINITY
from milkrun.compiler.solve.progress import finite
from milkrun.dsl.diagnostics import MilkrunError


def to_scip(m, quiet: bool = True):
    """Return (pyscipopt.Model, list of pyscipopt variables indexed by linopy label)."""
    import pyscipopt as scip

    M = m.matrices
    refuse_infinite(m, M)
    model = scip.Model()
    model.hideOutput(quiet)
    vlabels = np.asarray(M.vlabels)
    n_labels = int(vlabels.max()) + 1 if len(vlabels) else 0
    by_label: list = [None] * n_labels
    vtype = {"B": "B", "I": "I", "C": "C"}
    lb, ub, types = np.asarray(M.lb, float), np.asarray(M.ub, float), np.asarray(M.vtypes)
    c = np.asarray(M.c, float) if M.c is not None else np.zeros(len(vlabels))
    cols = []
    for k, lab in enumerate(vlabels):
        lo = None if not np.isfinite(lb[k]) else float(lb[k])
        hi = None if not np.isfinite(ub[k]) else float(ub[k])
        v = model.addVar(name=f"x{int(lab)}", vtype=vtype.get(str(types[k]), "C"), lb=lo, ub=hi, obj=float(c[k]))
        by_label[int(lab)] = v
        cols.append(v)
    if M.A is None:  # no constraint rows
        model.setMinimize() if m.objective.sense == "min" else model.setMaximize()
        return model, by_label
    A = M.A.tocsr()
    b, sense = np.asarray(M.b, float), np.asarray(M.sense)
    clabels = np.asarray(M.clabels)
    for r in range(A.shape[0]):
        start, end = A.indptr[r], A.indptr[r + 1]
        expr = scip.quicksum(float(a) * cols[j] for a, j in zip(A.data[start:end], A.indices[start:end]))
        s = str(sense[r])
        if s == "<":
            model.addCons(expr <= float(b[r]), name=f"c{int(clabels[r])}")
        elif s == ">":
            model.addCons(expr >= float(b[r]), name=f"c{int(clabels[r])}")
        else:
            model.addCons(expr == float(b[r]), name=f"c{int(clabels[r])}")
    model.setMinimize() if m.objective.sense == "min" else model.setMaximize()
    return model, by_label


def refuse_infinite(m, M) -> None:
    """The last check before SCIP: a number it reads as infinite stops it with an error from C
    (printed straight to the terminal), so it is refused here, named. The build refuses those the
    model writes, located; this catches any a pass added afterwards (robust rows, objective rows)."""
    # `m` is a linopy model, so the builder that made it is loaded already; importing it at the top would
    # load linopy for a nonlinear model too, whose run needs only watch_scip here
    from milkrun.compiler.build.linopy_model import _variable_name, origin

    def row_name(r: int) -> tuple[str, object]:
        family, coords = m.constraints.get_label_position(int(np.asarray(M.clabels)[r]))
        at = f" at {', '.join(f'{k}={v}' for k, v in coords.items())}" if coords else ""
        return f"constraint '{family}'{at}", origin(m, str(family))

    c = np.asarray(M.c, float) if M.c is not None else np.zeros(0)
    big = np.flatnonzero(np.abs(c) >= SOLVER_INFINITY)
    if len(big):
        k = int(big[0])
        raise MilkrunError(f"the objective has the coefficient {c[k]:g} on "
                           f"{_variable_name(m, int(np.asarray(M.vlabels)[k]))}: {INFINITE}", hint=SCALE_HINT)
    lb, ub = np.asarray(M.lb, float), np.asarray(M.ub, float)
    big = np.flatnonzero((lb >= SOLVER_INFINITY) | (ub <= -SOLVER_INFINITY))
    if len(big):
        k = int(big[0])
        raise MilkrunError(f"{_variable_name(m, int(np.asarray(M.vlabels)[k]))} has a bound of "
                           f"{(lb[k] if lb[k] >= SOLVER_INFINITY else ub[k]):g}: {INFINITE}", hint=SCALE_HINT)
    if M.A is None:
        return
    A = M.A.tocoo()
    big = np.flatnonzero(np.abs(A.data) >= SOLVER_INFINITY)
    if len(big):
        k = int(big[0])
        what, span = row_name(int(A.row[k]))
        raise MilkrunError(f"{what} has the coefficient {A.data[k]:g} on "
                           f"{_variable_name(m, int(np.asarray(M.vlabels)[A.col[k]]))}: {INFINITE}", span,
                           hint=SCALE_HINT)
    b, sense = np.asarray(M.b, float), np.asarray(M.sense).astype(str)
    wrong = ((sense == ">") & (b >= SOLVER_INFINITY)) | ((sense == "<") & (b <= -SOLVER_INFINITY)) | \
        ((sense == "=") & (np.abs(b) >= SOLVER_INFINITY))
    big = np.flatnonzero(wrong)
    if len(big):
        what, span = row_name(int(big[0]))
        raise MilkrunError(f"{what} has the right-hand side {b[big[0]]:g}: {INFINITE}", span, hint=SCALE_HINT)


def add_start(model, by_label: list, start: np.ndarray) -> None:
    """A (possibly partial) first plan; SCIP completes a partial one itself or discards it."""
    sol = model.createPartialSol()
    for lab, var in enumerate(by_label):
        if var is not None and lab < len(start) and not np.isnan(start[lab]):
            model.setSolVal(sol, var, float(start[lab]))
    model.addSol(sol, free=True)


def values(model, by_label: list) -> np.ndarray | None:
    """The best solution's values by linopy label (NaN for labels SCIP never saw), or None."""
    if model.getNSols() == 0:
        return None
    sol = model.getBestSol()
    out = np.full(len(by_label), np.nan)
    for lab, v in enumerate(by_label):
        if v is not None:
            out[lab] = sol[v]
    return out


# "userinterrupt": SCIP caught Ctrl-C itself (misc/catchctrlc) and kept its best solution, if any
STATUS = {"optimal": "optimal", "infeasible": "infeasible", "unbounded": "unbounded", "inforunbd": "infeasible",
          "timelimit": "time_limit", "gaplimit": "optimal", "memlimit": "error", "userinterrupt": "interrupted"}


def watch_scip(model, progress) -> None:
    """Feed a SolveProgress from SCIP events (new best solution, solved nodes)."""
    if progress is None:
        return
    import pyscipopt as scip


    class Watch(scip.Eventhdlr):
        def eventinit(self):
            self.model.catchEvent(scip.SCIP_EVENTTYPE.BESTSOLFOUND, self)
            self.model.catchEvent(scip.SCIP_EVENTTYPE.NODESOLVED, self)

        def eventexit(self):
            self.model.dropEvent(scip.SCIP_EVENTTYPE.BESTSOLFOUND, self)
            self.model.dropEvent(scip.SCIP_EVENTTYPE.NODESOLVED, self)

        def eventexec(self, event):
            m = self.model
            progress.update(incumbent=finite(m.getPrimalbound()) if m.getNSols() else None,
                            bound=finite(m.getDualbound()), gap=finite(m.getGap()) if m.getNSols() else None,
                            nodes=int(m.getNNodes()))

    model.includeEventhdlr(Watch(), "milkrun_progress", "reports progress to milkrun")
