"""`RayTaskRunner`: task runs execute as Ray tasks.

Scheduling (dependencies, mapping, waiting, cache hits) is the base `TaskRunner`'s; this module
implements only its public hooks: `launch` starts a run on the cluster, `stop_running` cancels
what is there, `shutdown` leaves the cluster. A run is packed with cloudpickle in the submitting
thread (`ReadyTaskRun.payload`), executed on a Ray worker by `cadenza.task_runners.run_packed`
against a capturing backend, and its final state, state transitions and log lines come back as
the Ray task's return value, which `ReadyTaskRun.collect_future` records into the flow's own
backend — so workers open no database and no connection to cadenza, and may run on other
machines.

`ray` is imported only when a runner starts, never when this module is imported.
"""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError
from typing import TYPE_CHECKING, Any

from cadenza.task_runners import TaskRunner, run_packed

from cadenza_ray import _cluster
from cadenza_ray._settle import Settler
from cadenza_ray.context import options_in

if TYPE_CHECKING:
    from concurrent.futures import Future

    from cadenza.task_runners import ReadyTaskRun


class RayTaskRunner(TaskRunner):
    """Runs each task run as one Ray task (option names as in prefect-ray).

    - No arguments: start a local Ray cluster (``ray.init(address="local")``, no dashboard) on
      the first submission, and stop it when the flow run ends — unless ``RAY_ADDRESS`` is set,
      which names the cluster to connect to.
    - ``address``: connect to a running cluster, as ``ray.init(address)`` does — ``"host:port"``
      of its head node, ``"auto"`` for the one running on this machine, ``"ray://host:10001"``
      through Ray Client. The cluster is neither started nor stopped by the runner.
    - ``init_kwargs``: more keyword arguments for ``ray.init`` (``num_cpus``, ``runtime_env``,
      ``namespace`` — ``"cadenza"`` unless given —, ``include_dashboard`` …).

    Ray connects a process to one cluster: if this process is connected already (the user's
    ``ray.init``, or the runner of another flow run in progress), the runner uses that
    connection and its ``init_kwargs`` are not used; an ``address`` naming another cluster is a
    `RuntimeError`. Options per task run: `cadenza_ray.remote_options`.

    `__exit__` waits for every submitted run to be final, then disconnects (the last runner to
    use a connection it made closes it). An interrupted flow run cancels its runs on the
    cluster: Ray stops a task not started yet and raises `KeyboardInterrupt` in one that runs
    (at its next Python instruction).
    A run whose worker dies ends Crashed, once Ray has given up retrying it (``max_retries``).
    """

    launches_elsewhere = True

    def __init__(self, address: str | None = None, init_kwargs: dict[str, Any] | None = None):
        super().__init__()
        if address is not None and (not isinstance(address, str) or not address.strip()):
            raise TypeError(
                f"address must be a string like '10.0.0.5:6379', 'auto' or 'ray://host:10001', "
                f"got {address!r}"
            )
        if init_kwargs is not None and not isinstance(init_kwargs, dict):
            raise TypeError(
                f"init_kwargs must be a dict of ray.init arguments, got {init_kwargs!r}"
            )
        if init_kwargs and "address" in init_kwargs:
            raise ValueError("RayTaskRunner: pass the address as address=, not in init_kwargs")
        self.address = address
        self.init_kwargs: dict[str, Any] = dict(init_kwargs or {})
        self._remote: Any = None  # run_packed as a Ray remote function, while started
        self._holds_connection = False
        self._settler: Settler | None = None
        self._start_lock = threading.Lock()
        # Runs on the cluster, by task run id: their ObjectRef (the result is lost once the
        # last reference goes, so it is held here) and the run. Whoever removes an entry
        # settles that run: the settler thread, `stop_running` (through `cancel_all`), or
        # `shutdown(wait=False)`.
        self._pending: dict[str, tuple[Any, ReadyTaskRun]] = {}
        self._pending_lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------
    def duplicate(self) -> RayTaskRunner:
        """An unstarted runner with the same options."""
        return type(self)(address=self.address, init_kwargs=self.init_kwargs)

    def __enter__(self) -> RayTaskRunner:
        """Connect this process to the cluster (starting a local one when there is no address);
        errors propagate with nothing held."""
        with self._start_lock:
            if self._remote is None:
                # lazily: ray takes about a second to import; only a started runner needs it
                import ray

                self._holds_connection = _cluster.acquire(self.address, self.init_kwargs)
                try:
                    self._remote = ray.remote(run_packed)
                    self._settler = Settler()
                except BaseException:
                    self._release()
                    raise
        super().__enter__()
        return self

    def shutdown(self, wait: bool = True) -> None:
        """Leave the cluster (stopping a local one this process started, once no runner uses
        it). Without `wait`, runs still on the cluster are cancelled there and end Crashed at
        once."""
        with self._start_lock:
            remote, settler = self._remote, self._settler
            self._remote = self._settler = None
        if remote is None:
            return
        abandoned = [] if wait else self._take_pending()
        try:
            if abandoned:
                _cancel(ref for ref, _ in abandoned)
            if settler is not None:
                settler.stop(wait=wait)
        finally:
            self._release()
            for _, ready in abandoned:
                why = f"Ray task of {ready.task_run.name!r} was cancelled: runner shut down"
                ready.crash(CancelledError(why))

    def stop_running(self, reason: BaseException, deadline: float) -> None:
        """The flow run was interrupted: cancel its runs on the cluster (Ray drops those not
        started and interrupts those under way); `cancel_all` then records them."""
        _cancel(ref for ref, _ in self._take_pending())

    def _take_pending(self) -> list[tuple[Any, ReadyTaskRun]]:
        with self._pending_lock:
            taken = list(self._pending.values())
            self._pending.clear()
        return taken

    def _release(self) -> None:
        held, self._holds_connection = self._holds_connection, False
        if held:
            _cluster.release()

    # -- running -------------------------------------------------------------------------------
    def launch(self, ready: ReadyTaskRun) -> None:
        """Submit the packed run as one Ray task named after the run, with the `remote_options`
        in effect where it was submitted; the settler thread collects it when it is done."""
        remote, settler = self._remote, self._settler
        if remote is None or settler is None:  # the base class records the run Crashed
            raise RuntimeError("RayTaskRunner is not started (or was shut down)")
        run = ready.task_run
        options = {"name": run.name, **options_in(ready.context)}
        ref = remote.options(**options).remote(ready.payload())
        run_id = run.id

        def settle(done: Future[Any]) -> None:  # on the settler's thread
            with self._pending_lock:
                claimed = self._pending.pop(run_id, None) is not None
            if claimed:  # else it was cancelled, and is settled by whoever cancelled it
                ready.collect_future(done)

        with self._pending_lock:
            self._pending[run_id] = (ref, ready)
        settler.watch(ref, settle)

    def __repr__(self) -> str:
        return f"RayTaskRunner(address={self.address!r}, init_kwargs={self.init_kwargs!r})"


def _cancel(refs: Any) -> None:
    """Ask Ray to cancel each task (best effort: one already finished is left as it is)."""
    # lazily: only a started runner cancels, and it has imported ray
    import ray

    for ref in refs:
        try:
            ray.cancel(ref)
        except Exception:
            pass
