"""Subtour cuts at fractional points: which sets S of nodes (the start not in S) a point breaks.

An LP point of a tour has no cycles to read off, but it may still route too little into a set
of nodes: the cut for S and m in S,

    Σ_{i,j ∈ S} x[i,j]  <=  Σ_{i ∈ S} y[i] − y[m],

is broken when (with every visited node left once) less than y[m] leaves S. Two searches, the
cheaper first, on the support graph of one vehicle (the arcs with x > 0):
- its connected parts that miss the start (nothing leaves them at all);
- else, for each visited node m (most visited first), a minimum cut between m and the start
  (the largest flow m can send home along the arcs, by scipy's maximum_flow): the side of m.
The capacities are the arcs both ways (x[i,j] + x[j,i]: with every visited node left as often as
entered, what leaves S is half of what crosses it), or the edges of an undirected tour. Only the
sets whose cut the point breaks by more than `tol` are returned: a cut barely broken moves the
bound little and costs an LP round. Cutting these at every LP of the branch and bound (not only
at integral points) is what keeps the bound close.
"""
from __future__ import annotations

import numpy as np

SCALE = 10**6  # maximum_flow takes integer capacities: arc values in millionths
SUPPORT = 1e-6  # an arc below this carries nothing


def violation(x: np.ndarray, y: np.ndarray, S: np.ndarray, m: int) -> float:
    """How far the point (x, y) breaks the cut of S and m (> 0: broken)."""
    return float(x[np.ix_(S, S)].sum() - y[S].sum() + y[m])


def violated_sets(x: np.ndarray, y: np.ndarray, start: int, tol: float = 0.05,
                  fractional: bool = True) -> list[tuple[np.ndarray, int]]:
    """(S, m) of cuts broken by more than `tol` at the point x (n × n arc values, or edge values on
    one side of the diagonal), y (n visits). `fractional=False`: only the connected parts of the
    arcs driven (x > 0.5), which is enough at an integral point."""
    n = len(y)
    x = np.where(np.eye(n, dtype=bool), 0.0, np.clip(np.nan_to_num(x), 0.0, None))
    y = np.nan_to_num(y)
    if not (y > tol).any():
        return []
    both = x + x.T  # an arc either way, or the edge: what joins i and j
    joined = both > (SUPPORT if fractional else 0.5)
    found = []
    home = _reachable(joined, start)
    if not home[y > tol].all():  # some visited node cannot be reached from the start: its part
        from scipy.sparse import csr_matrix  # here: scipy's graphs cost an import only a tour needs
        from scipy.sparse.csgraph import connected_components

        _, part = connected_components(csr_matrix(joined & ~home[:, None]), directed=False)
        for p in np.unique(part[~home]):
            S = np.flatnonzero((part == p) & ~home)
            m = int(S[np.argmax(y[S])])
            if violation(x, y, S, m) > tol:
                found.append((S, m))
    if found or not fractional:
        return found
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_flow

    capacity = np.rint(both * SCALE).astype(np.int32)
    graph = csr_matrix(capacity)
    covered = np.zeros(n, bool)
    for m in np.argsort(-y, kind="stable"):
        if m == start or covered[m] or y[m] <= tol:
            continue
        flow = maximum_flow(graph, int(m), int(start)).flow.toarray()
        S = np.flatnonzero(_reachable(capacity - flow > 0, int(m)))
        if violation(x, y, S, int(m)) > tol:
            found.append((S, int(m)))
            covered[S] = True
    return found


def _reachable(arcs: np.ndarray, source: int) -> np.ndarray:
    """The nodes reachable from `source` along the True entries of `arcs`."""
    seen = np.zeros(len(arcs), bool)
    seen[source] = True
    frontier = np.array([source])
    while len(frontier):
        nxt = np.flatnonzero(arcs[frontier].any(axis=0) & ~seen)
        seen[nxt] = True
        frontier = nxt
    return seen
