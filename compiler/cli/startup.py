"""What a command does once the libraries it needs are imported: set them aside from the garbage collector.

A command is a short process that imports some hundred thousand objects (modules, functions, pandas',
xarray's and linopy's tables) that live until it exits. Python's cycle collector walks all of them
again on every full collection while the model is compiled, and finds nothing to free: on a small
model that was a fifth of `milkrun check`'s time. `gc.freeze()` moves what exists now out of its
sight; everything made later (the model, its arrays) is collected as usual. Called once the imports
are done and before anything large exists, so no garbage of any size is kept.
"""
from __future__ import annotations

import gc


def imports_done() -> None:
    gc.freeze()
