"""linopy, imported with milkrun's meaning of a sparse variable pinned.

milkrun's meaning of a sparse variable is AMPL's: an entry that a `where` leaves out does not
exist, so it adds nothing to a sum and a row left without variables is settled by the compiler
(build/linopy_model.py). That is linopy's "legacy" semantics; it is pinned here, and the notice
that a future default will differ is silenced.

Everything that builds linopy objects imports linopy from here. It is not imported by parsing,
checking or reading data (about 0.2 s of linopy's own imports): `milkrun check`, and a run whose
data already fails a `check`, never load it (tests/test_startup.py).
"""
from __future__ import annotations

import warnings

import linopy

if "semantics" in getattr(linopy.options, "_defaults", {}) or hasattr(linopy.options, "semantics"):
    try:
        linopy.options["semantics"] = "legacy"
    except Exception:  # pragma: no cover - option not settable in this linopy
        pass
try:
    from linopy.semantics import LinopySemanticsWarning  # type: ignore

    warnings.filterwarnings("ignore", category=LinopySemanticsWarning)
except Exception:  # pragma: no cover - older linopy
    pass


__all__ = ["linopy"]
