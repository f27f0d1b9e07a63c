"""Workers: processes that serve a work pool, starting each of its due flow runs as a job.

A worker (`cadenza worker start --pool NAME`) asks the server for the pool's due runs
(``POST /api/work_pools/{name}/claim``), starts each as a job of its type — `ProcessWorker` runs
``python -m cadenza.deployments.execute RUN_ID`` in a child process — and keeps the runs' leases
until their children report. A plugin adds worker types with the ``register_worker_types`` hook;
`get_worker_class` finds a type by name.

Nothing on the path of ``import cadenza`` imports this package; the ``cadenza worker`` command
imports it when it runs.
"""

from __future__ import annotations

from cadenza.registries import contributed
from cadenza.workers.base import BaseWorker, BaseWorkerResult
from cadenza.workers.process import ProcessWorker


def worker_types() -> dict[str, type[BaseWorker]]:
    """Every worker class the installed plugins registered (the built-in ``process`` one
    included), by its ``type``."""
    return contributed("worker_types")


def get_worker_class(type: str) -> type[BaseWorker]:
    """The worker class registered for `type` (``"process"``, or a plugin's type).

    Raises:
        ValueError: no plugin registered that type; the message lists the known ones.
    """
    found = worker_types()
    cls = found.get(type)
    if cls is None:
        known = ", ".join(sorted(found)) or "none"
        raise ValueError(
            f"no worker type {type!r} is installed (known types: {known}); a plugin adds one "
            "with the register_worker_types hook"
        )
    return cls


__all__ = ["BaseWorker", "BaseWorkerResult", "ProcessWorker", "get_worker_class", "worker_types"]
