"""Hand a built linopy model to SCIP through PySCIPOpt's API, not through an LP file.

Going through the API keeps every variable (an LP file drops a binary that appears in no
row, and SCIP then rejects the file), keeps the label of every variable for reading the
solution back, and lets milkrun add a constraint handler (lazy tours) to the same model.
"""
from __future__ import annotations

import numpy as np


def to_scip(m, quiet: bool = True):
    """Return (pyscipopt.Model, list of pyscipopt variables indexed by linopy label)."""
    import pyscipopt as scip

    M = m.matrices
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


STATUS = {"optimal": "optimal", "infeasible": "infeasible", "unbounded": "unbounded", "inforunbd": "infeasible",
          "timelimit": "time_limit", "gaplimit": "optimal", "memlimit": "error", "userinterrupt": "error"}


def watch_scip(model, progress) -> None:
    """Feed a SolveProgress from SCIP events (new best solution, solved nodes)."""
    if progress is None:
        return
    import pyscipopt as scip

    from .progress import finite

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
