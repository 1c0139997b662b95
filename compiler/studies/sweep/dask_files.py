"""The Dask worker plugin that carries a run's files (shipping.Bundle) to every worker, once each.

Imported only by executors.DaskExecutor, since a plugin class must derive from distributed's
WorkerPlugin: a run that uses no Dask never imports distributed. Why a plugin and not a scattered
future: shipping.py. The plugin also holds the coordinator's package versions, so that a worker that
joins after the start (and so missed versions.check_workers) refuses the run's points instead of
solving them with other code.
"""
from __future__ import annotations

import socket
import uuid

from distributed.diagnostics.plugin import WorkerPlugin

from milkrun.compiler.studies.sweep import shipping, versions


class ShipFiles(WorkerPlugin):
    idempotent = False

    def __init__(self, bundle: shipping.Bundle, expected: dict):
        self.bundle = bundle
        self.expected = expected
        # unique per run: two runs of the same files on one cluster each hold the folder (shipping counts them)
        self.name = f"milkrun-files-{bundle.digest[:16]}-{uuid.uuid4().hex[:8]}"

    def setup(self, worker) -> None:
        why = versions.mismatch(getattr(worker, "address", socket.gethostname()), versions.installed(), self.expected)
        if why:
            shipping.refuse(self.bundle.digest, why)
        # in the worker's own scratch folder: a worker killed before its teardown leaves it to Dask,
        # which purges the folders of dead workers when the next one starts
        shipping.receive(self.bundle, getattr(worker, "local_directory", None))

    def teardown(self, worker) -> None:
        shipping.release(self.bundle.digest)
