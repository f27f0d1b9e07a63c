"""`DaskTaskRunner`: task runs execute on a Dask cluster.

Scheduling (dependencies, mapping, waiting) is the base `TaskRunner`'s; this module implements
only its public hooks: `launch` starts a run on the cluster, `shutdown` closes the client. A run
is packed with cloudpickle in the submitting thread (`ReadyTaskRun.payload`), executed on a
worker by `cadenza.task_runners.run_packed` against a capturing backend, and its final state,
state transitions and log lines come back as the Dask task's result, which
`ReadyTaskRun.collect_future` records into the flow's own backend — so workers open no database
and no connection to cadenza, and may run on other machines.

`distributed` is imported only when a runner starts, never when this module is imported.
"""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError
from typing import TYPE_CHECKING, Any

from cadenza.task_runners import TaskRunner, run_packed

from cadenza_dask import _cluster
from cadenza_dask._settle import Settled, Settler

if TYPE_CHECKING:
    from cadenza.task_runners import ReadyTaskRun
    from distributed import Client, Future


class DaskTaskRunner(TaskRunner):
    """Runs each task run as one Dask task (option names as in prefect-dask).

    - No arguments: start a `distributed.LocalCluster` on 127.0.0.1 with no dashboard (pass
      ``cluster_kwargs={"dashboard_address": ":8787"}`` to get one), and stop it on exit.
    - ``address="tcp://host:8786"``: connect to a running scheduler; it is neither started nor
      stopped by the runner.
    - ``cluster_class``: a cluster class, factory, or import path (``"dask_jobqueue.PBSCluster"``)
      started with ``cluster_kwargs``; ``adapt_kwargs`` makes it adaptive (``cluster.adapt``).
    - ``client_kwargs``: passed to `distributed.Client` (``set_as_default`` is False unless
      given).

    The cluster starts (or the client connects) on `__enter__`, which a flow run does on its
    first submission. `__exit__` waits for every submitted run to be final, then closes the
    client and any cluster the runner started. A run whose worker dies ends Crashed; Dask may
    first retry it on another worker (``distributed.scheduler.allowed-failures``).
    """

    # Workers open no record: cache hits are served here, before a run is sent to the cluster,
    # and a run stopped after it was sent may have started there.
    launches_elsewhere = True

    def __init__(
        self,
        address: str | None = None,
        cluster_class: type | str | Any = None,
        cluster_kwargs: dict[str, Any] | None = None,
        adapt_kwargs: dict[str, Any] | None = None,
        client_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if address is not None and (cluster_class is not None or cluster_kwargs or adapt_kwargs):
            raise ValueError(
                "DaskTaskRunner: pass either address= (connect to a running cluster) or "
                "cluster_class/cluster_kwargs/adapt_kwargs (start one), not both"
            )
        if address is not None and not isinstance(address, str):
            raise TypeError(f"address must be a string like 'tcp://host:8786', got {address!r}")
        if cluster_class is not None:
            _cluster.resolve_cluster_class(cluster_class)  # a bad path fails here, not later
        self.address = address
        self.cluster_class = cluster_class
        self.cluster_kwargs: dict[str, Any] = dict(cluster_kwargs or {})
        self.adapt_kwargs: dict[str, Any] | None = (
            dict(adapt_kwargs) if adapt_kwargs is not None else None
        )
        self.client_kwargs: dict[str, Any] = dict(client_kwargs or {})
        self._client: Client | None = None
        self._cluster: Any = None
        self._settler: Settler | None = None
        self._start_lock = threading.Lock()
        # Runs on the cluster, by Dask key: their Dask future (Dask cancels a task whose last
        # Future is garbage-collected, so it is held here) and the run. Whoever removes an
        # entry settles that run: the settler thread, or `shutdown(wait=False)`.
        self._pending: dict[str, tuple[Future[bytes], ReadyTaskRun]] = {}
        self._pending_lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------
    def duplicate(self) -> DaskTaskRunner:
        """An unstarted runner with the same options."""
        return type(self)(
            address=self.address,
            cluster_class=self.cluster_class,
            cluster_kwargs=self.cluster_kwargs,
            adapt_kwargs=self.adapt_kwargs,
            client_kwargs=self.client_kwargs,
        )

    def __enter__(self) -> DaskTaskRunner:
        """Start the cluster (or connect to `address`); errors propagate with nothing left."""
        with self._start_lock:
            if self._client is None:
                self._client, self._cluster = _cluster.start(
                    self.address,
                    self.cluster_class,
                    self.cluster_kwargs,
                    self.adapt_kwargs,
                    self.client_kwargs,
                )
                self._settler = Settler(self._client)
        super().__enter__()
        return self

    def shutdown(self, wait: bool = True) -> None:
        """Close the client and the cluster this runner started (not one given by address).

        Without `wait`, runs still on the cluster are cancelled and end Crashed at once: they
        are settled here, not through Dask callbacks, which a closing client may never deliver.
        """
        with self._start_lock:
            client, cluster, settler = self._client, self._cluster, self._settler
            self._client = self._cluster = self._settler = None
        if client is None:
            return
        abandoned: list[tuple[Future[bytes], ReadyTaskRun]] = []
        if not wait:
            with self._pending_lock:
                abandoned = list(self._pending.values())
                self._pending.clear()
            if abandoned:
                try:
                    client.cancel([future for future, _ in abandoned])
                except Exception:
                    pass
        if settler is not None:
            settler.stop(wait=wait)
        try:
            _cluster.close(client, cluster)
        finally:
            for future, ready in abandoned:
                why = f"Dask task {future.key!r} was cancelled: runner shut down"
                ready.crash(CancelledError(why))

    @property
    def client(self) -> Client:
        """The runner's `distributed.Client` (only while started)."""
        if self._client is None:
            raise RuntimeError("DaskTaskRunner is not started; use it as a context manager")
        return self._client

    @property
    def cluster(self) -> Any:
        """The cluster this runner started, or None (not started, or connected by address)."""
        return self._cluster

    # -- running -------------------------------------------------------------------------------
    def launch(self, ready: ReadyTaskRun) -> None:
        """Submit the packed run as one Dask task, keyed by the run's name and id; the settler
        thread collects its result when it is done."""
        client, settler = self.client, self._settler
        if settler is None:  # shut down meanwhile; the base class records the run Crashed
            raise RuntimeError("DaskTaskRunner was shut down")
        run = ready.task_run
        key = f"{run.name}-{run.id}"
        future = client.submit(run_packed, ready.payload(), key=key, pure=False)

        def settle(settled: Settled) -> None:  # on the settler's thread
            with self._pending_lock:
                claimed = self._pending.pop(key, None) is not None
            if claimed:  # else shutdown(wait=False) settled it
                ready.collect_future(settled)

        with self._pending_lock:
            self._pending[key] = (future, ready)
        settler.watch(future, settle)

    def __repr__(self) -> str:
        if self.address is not None:
            return f"DaskTaskRunner(address={self.address!r})"
        cls = self.cluster_class
        shown = cls if isinstance(cls, str) or cls is None else getattr(cls, "__name__", cls)
        return f"DaskTaskRunner(cluster_class={shown!r}, cluster_kwargs={self.cluster_kwargs!r})"
