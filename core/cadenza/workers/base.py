"""`BaseWorker`: the loop every worker type shares (Prefect 3's ``prefect.workers.base``).

A worker serves one work pool of a server (``CADENZA_API_URL``; without one it refuses to
start). `BaseWorker.start` runs the loop:

- on a thread of its own, every ``heartbeat_interval`` seconds, it tells the server the worker
  is alive (``worker_heartbeat``, a lease of three intervals: the pool shows it ``ONLINE``) and
  renews the leases of the runs whose jobs still run (``POST /api/heartbeats``), so a run whose
  child has not started heartbeating yet is not taken for dead — and a run whose worker died is
  (its lease runs out and the server's reaper marks it Crashed);
- it claims up to ``limit`` minus the running jobs of the pool's due runs (each claimed by one
  worker only; the run moves to Pending with a first lease of two heartbeat intervals) and
  starts each with `BaseWorker.run`, which a worker type implements: it returns a `WorkerJob`
  once the job has started;
- when a job ends with a non-zero status and its run is not in a final state on the server
  (the child died before it could say so), it ends the run Crashed with the exit status and
  the end of the job's output, in the state's message and in the run's logs;
- it sleeps until the poll interval has passed, the next run is due (the claim's ``next_due``,
  so scheduled runs start on time) or a job ended;
- a run whose job still runs after it has been Cancelling for ``CADENZA_CANCELLATION_GRACE``
  seconds (the job did not acknowledge the cancellation) has its job killed and is recorded
  Cancelled (`cadenza.deployments.cancellation`);
- SIGTERM or SIGINT stops it cleanly: it claims nothing more, waits for its jobs up to
  ``grace_period`` seconds (a second signal cuts the wait short), then kills those left.
"""

from __future__ import annotations

import abc
import collections
import logging
import os
import signal
import socket
import threading
import time
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from cadenza._times import epoch_times
from cadenza.deployments.cancellation import CancellationDeadline
from cadenza.exceptions import CadenzaError
from cadenza.settings import spec

if TYPE_CHECKING:
    from types import FrameType

    from cadenza.client.http import ApiClient

logger = logging.getLogger("cadenza.workers")

FINAL_STATE_TYPES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})
"""States a run does not leave: the worker never overrides them."""

CLAIM_BATCH = 50
"""How many runs a worker without a ``limit`` claims at most per request."""

OUTPUT_TAIL_LINES = 20
"""How many last lines of a failed job's output go into the Crashed state's message."""


class WorkerError(CadenzaError):
    """A worker cannot start: no server configured, the server unreachable, no such pool."""


class BaseWorkerResult(NamedTuple):
    """How a job ended: its ``identifier`` (a process id, a container id) and exit status."""

    identifier: str
    status_code: int


class WorkerJob(abc.ABC):
    """A started job, as `BaseWorker.run` returns it: the worker polls it until it ends."""

    identifier: str = ""

    @abc.abstractmethod
    def poll(self) -> int | None:
        """The exit status once the job ended, else None."""

    @abc.abstractmethod
    def terminate(self) -> None:
        """Ask the job to stop (SIGTERM for a process)."""

    @abc.abstractmethod
    def kill(self) -> None:
        """Stop the job now (SIGKILL for a process)."""

    def output_tail(self, lines: int = OUTPUT_TAIL_LINES) -> str:
        """The last `lines` lines of what the job wrote on its error output ('' if unknown)."""
        return ""

    def cleanup(self) -> None:  # noqa: B027 - optional: most jobs leave nothing behind
        """Remove what the job left behind (its output files), once the worker is done with it."""


class _Tracked(NamedTuple):
    flow_run: dict[str, Any]
    job: WorkerJob
    started: float


class BaseWorker(abc.ABC):
    """The worker loop (see the module docstring); a worker type subclasses it, sets `type` and
    implements `run`.

    Args:
        work_pool_name: The pool to serve.
        name: The worker's name in the pool (default: ``TYPE-HOSTNAME-PID``).
        limit: At most this many jobs at once (None: no limit of its own; the pool's, queues'
            and deployments' concurrency limits still hold).
        poll_interval: Seconds between asks for due runs (default
            ``CADENZA_WORKER_POLL_INTERVAL``); the worker also wakes when the next run is due.
        heartbeat_interval: Seconds between heartbeats (default ``CADENZA_HEARTBEAT_INTERVAL``).
        queues: Serve only these queues of the pool (default: all).
        grace_period: Seconds a stopping worker waits for its jobs before it kills them.
        create_pool_if_not_found: Create the pool (of this worker's type) if it does not exist.
    """

    type: ClassVar[str] = ""
    """The pool type this worker serves (``"process"``); how plugins register it."""

    def __init__(
        self,
        work_pool_name: str,
        name: str | None = None,
        limit: int | None = None,
        poll_interval: float | None = None,
        heartbeat_interval: float | None = None,
        queues: list[str] | None = None,
        grace_period: float = 30.0,
        create_pool_if_not_found: bool = True,
    ) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"a worker's limit is at least 1, not {limit}")
        self.work_pool_name = work_pool_name
        self.name = name or f"{self.type or 'worker'}-{socket.gethostname()}-{os.getpid()}"
        self.limit = limit
        self.poll_interval = float(
            spec.get("CADENZA_WORKER_POLL_INTERVAL") if poll_interval is None else poll_interval
        )
        self.heartbeat_interval = float(
            spec.get("CADENZA_HEARTBEAT_INTERVAL")
            if heartbeat_interval is None
            else heartbeat_interval
        )
        self.queues = list(queues) if queues else None
        self.grace_period = grace_period
        self.create_pool_if_not_found = create_pool_if_not_found
        self.finished: collections.deque[BaseWorkerResult] = collections.deque(maxlen=1000)
        """The most recent jobs that ended, oldest first."""
        self.started_count = 0
        self._client: ApiClient | None = None
        self._jobs: dict[str, _Tracked] = {}
        self._cancellations: CancellationDeadline | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._hurry = threading.Event()
        self._wake = threading.Event()
        self._beat_stop = threading.Event()

    # -- what a worker type implements -------------------------------------------------------

    @abc.abstractmethod
    def run(self, flow_run: dict[str, Any], configuration: dict[str, Any]) -> WorkerJob:
        """Start the job of `flow_run` (a claimed run, Pending, with its ``deployment``) and
        return it once it has started; the worker then tracks it until it ends.

        Args:
            flow_run: The claimed run, as ``POST /api/work_pools/{name}/claim`` returns it.
            configuration: The run's job configuration (`job_configuration`).
        """

    def job_configuration(self, flow_run: dict[str, Any]) -> dict[str, Any]:
        """The job configuration of `flow_run`: its job variables (the deployment's, with the
        run's own over them)."""
        return dict(flow_run.get("job_variables") or {})

    # -- the loop ----------------------------------------------------------------------------

    @property
    def client(self) -> ApiClient:
        """The client of the server (available once `start` connected)."""
        if self._client is None:
            raise WorkerError("the worker is not connected; call start()")
        return self._client

    @property
    def lease_seconds(self) -> float:
        """The lease a claim or a renewal gives a run: two heartbeat intervals."""
        return 2 * self.heartbeat_interval

    def running(self) -> list[dict[str, Any]]:
        """The runs whose jobs are running."""
        with self._lock:
            return [tracked.flow_run for tracked in self._jobs.values()]

    def wake(self) -> None:
        """Wake the loop now (a job calls it when it ends, so its slot is reused at once)."""
        self._wake.set()

    def stop(self) -> None:
        """Stop claiming and shut down (what SIGTERM does); callable from any thread."""
        if self._stopping.is_set():
            self._hurry.set()
        self._stopping.set()
        self._wake.set()

    def connect(self) -> dict[str, Any]:
        """Connect to the server and read the pool (creating it if allowed); return the pool."""
        if not spec.get("CADENZA_API_URL"):
            raise WorkerError(
                "A worker needs a cadenza server: start one (`cadenza server start`) and set "
                "CADENZA_API_URL to its URL (http://127.0.0.1:4200/api by default), or run the "
                "flow's deployments in its own process with `flow.serve()`."
            )
        # lazily: httpx loads only when a worker connects
        from cadenza.client.errors import ApiError, NotFound, ServerUnavailable
        from cadenza.client.http import client_from_settings

        client = client_from_settings()
        try:
            client.check_version()
            try:
                pool = dict(client.read_work_pool(self.work_pool_name))
            except NotFound:
                if not self.create_pool_if_not_found:
                    raise WorkerError(
                        f"no work pool named {self.work_pool_name!r}: create it with "
                        f"`cadenza work-pools create {self.work_pool_name} --type {self.type}`"
                    ) from None
                pool = dict(client.create_work_pool(self.work_pool_name, type=self.type))
                logger.info("Created work pool %r of type %r", self.work_pool_name, self.type)
        except (ServerUnavailable, ApiError, CadenzaError) as exc:
            client.close()
            if isinstance(exc, WorkerError):
                raise
            url = spec.get("CADENZA_API_URL")
            raise WorkerError(f"cannot reach the server at {url}: {exc}") from exc
        if pool.get("type") != self.type:
            logger.warning(
                "Work pool %r is of type %r; this worker (%s) runs %r jobs",
                self.work_pool_name, pool.get("type"), type(self).__name__, self.type,
            )  # fmt: skip
        self._client = client
        return pool

    def start(self, run_once: bool = False) -> None:
        """Serve the pool until stopped (SIGTERM, SIGINT or `stop`); with `run_once`, claim
        once, wait for the jobs started and return."""
        self.connect()
        self._heartbeat()
        beat = threading.Thread(target=self._beat, name=f"{self.name}-heartbeat", daemon=True)
        beat.start()
        restore = self._install_signal_handlers()
        logger.info(
            "Worker %r started: serving work pool %r%s", self.name, self.work_pool_name,
            f" (queues {', '.join(self.queues)})" if self.queues else "",
        )  # fmt: skip
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                self._reap()
                self._enforce_cancellations()
                answer, asked = self._claim_and_submit()
                if run_once:
                    break
                self._wait(self._delay(answer, asked))
            if run_once:
                self._wait_for_jobs(None)
        finally:
            try:
                self._shutdown()
            finally:
                self._beat_stop.set()
                beat.join(5)
                restore()
                self.client.close()
                self._client = None
                logger.info("Worker %r stopped", self.name)

    def _install_signal_handlers(self) -> Any:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def handler(signum: int, frame: FrameType | None) -> None:
            how = "now" if self._stopping.is_set() else f"within {self.grace_period:g} s"
            logger.info(
                "Received %s: stopping (jobs that still run are killed %s)",
                signal.Signals(signum).name, how,
            )  # fmt: skip
            self.stop()

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}

        def restore() -> None:
            for sig, old in previous.items():
                signal.signal(sig, old)

        return restore

    def _claim_and_submit(self) -> tuple[dict[str, Any] | None, int]:
        with self._lock:
            busy = len(self._jobs)
        want = CLAIM_BATCH if self.limit is None else min(CLAIM_BATCH, self.limit - busy)
        if want <= 0:
            return None, 0
        try:
            answer = self.client.claim_work_pool_runs(
                self.work_pool_name, self.name, limit=want, lease_seconds=self.lease_seconds,
                queues=self.queues,
            )  # fmt: skip
            # the server answers ISO 8601 times; a job (and `next_due`) reads epoch seconds
            answer = epoch_times(answer)
        except Exception as exc:  # the server is away: try again at the next poll
            logger.warning("Could not claim runs of pool %r: %s", self.work_pool_name, exc)
            return None, want
        for flow_run in answer.get("runs") or ():
            self._submit(flow_run)
        return answer, want

    def _submit(self, flow_run: dict[str, Any]) -> None:
        try:
            job = self.run(flow_run, self.job_configuration(flow_run))
        except Exception as exc:
            logger.exception("Could not start flow run %r", flow_run.get("name"))
            message = f"Worker {self.name!r} could not start the job: {type(exc).__name__}: {exc}"
            self._crash(flow_run, f"worker-start:{self.name}", message, message)
            return
        self.started_count += 1
        logger.info(
            "Started flow run %r (%s) as %s", flow_run.get("name"), flow_run["id"], job.identifier
        )
        with self._lock:
            self._jobs[flow_run["id"]] = _Tracked(flow_run, job, time.time())

    def _delay(self, answer: dict[str, Any] | None, asked: int) -> float:
        delay = self.poll_interval
        if answer is None:
            return delay
        if asked and len(answer.get("runs") or ()) >= asked:
            return 0.0  # maybe more are due: ask again at once
        next_due = answer.get("next_due")
        if next_due is not None:
            delay = min(delay, max(0.0, float(next_due) - time.time() + 0.001))
        return delay

    def _wait(self, delay: float) -> None:
        if delay > 0:
            self._wake.wait(delay)

    def _reap(self) -> None:
        with self._lock:
            tracked = list(self._jobs.items())
        for run_id, item in tracked:
            code = item.job.poll()
            if code is None:
                continue
            with self._lock:
                self._jobs.pop(run_id, None)
            self._job_ended(item, code)

    def _enforce_cancellations(self) -> None:
        if self._cancellations is None:
            client = self.client
            self._cancellations = CancellationDeadline(
                spec.get("CADENZA_CANCELLATION_GRACE"),
                lambda ids: {
                    rid: st.get("type")
                    for rid, st in client.read_flow_run_states(ids)["states"].items()
                },
                lambda rid, reason: client.cancel_flow_run(rid, reason, force=True),
            )
        with self._lock:
            jobs = {rid: item.job.kill for rid, item in self._jobs.items()}
        self._cancellations.check(jobs)

    def _job_ended(self, item: _Tracked, code: int) -> None:
        flow_run, job = item.flow_run, item.job
        self.finished.append(BaseWorkerResult(job.identifier, code))
        logger.info(
            "Flow run %r (%s) ended: %s exited with status %s",
            flow_run.get("name"), flow_run["id"], job.identifier, code,
        )  # fmt: skip
        try:
            if code != 0:
                self._crash_unless_final(flow_run, job, code)
        finally:
            job.cleanup()

    def _crash_unless_final(self, flow_run: dict[str, Any], job: WorkerJob, code: int) -> None:
        try:
            state = (self.client.get_flow_run(flow_run["id"]).get("state") or {}).get("type")
        except Exception as exc:
            logger.warning("Could not read flow run %s: %s", flow_run["id"], exc)
            return
        if state in FINAL_STATE_TYPES or state == "SCHEDULED":
            return  # ended; or scheduled again since (a retry): no longer this job's run
        tail = job.output_tail(OUTPUT_TAIL_LINES).rstrip()
        status = _describe_status(code)
        message = f"The job of flow run {flow_run.get('name')!r} ({job.identifier}) {status}"
        message += f"; the end of its output:\n{tail}" if tail else " and wrote no error output"
        self._crash(flow_run, f"worker-exit:{job.identifier}", message, message)

    def _crash(self, flow_run: dict[str, Any], transition_id: str, message: str, log: str) -> None:
        now = time.time()
        line = {
            "flow_run_id": flow_run["id"], "task_run_id": None, "level": logging.ERROR,
            "logger": "cadenza.workers", "message": log, "timestamp": now,
            "id": f"{transition_id}:{flow_run['id']}",
        }  # fmt: skip
        state = {"type": "CRASHED", "name": "Crashed", "message": message, "timestamp": now}
        try:
            self.client.batch({"logs": [line]})
            answer = self.client.set_state(
                flow_run["id"], {"transition_id": transition_id, "state": state}
            )
        except Exception as exc:
            logger.warning("Could not mark flow run %s Crashed: %s", flow_run["id"], exc)
            return
        logger.warning(
            "Flow run %r (%s) marked Crashed (%s): %s",
            flow_run.get("name"), flow_run["id"], answer.get("decision"), message,
        )  # fmt: skip

    # -- heartbeats ---------------------------------------------------------------------------

    def _beat(self) -> None:
        while not self._beat_stop.wait(self.heartbeat_interval):
            self._heartbeat()

    def _heartbeat(self) -> None:
        client = self._client
        if client is None:
            return
        try:
            client.worker_heartbeat(
                self.work_pool_name, self.name, 3 * self.heartbeat_interval, pid=os.getpid(),
                hostname=socket.gethostname(),
            )  # fmt: skip
            ids = [run["id"] for run in self.running()]
            if ids:
                client.heartbeat(ids, self.lease_seconds)
        except Exception as exc:  # the server is away: the next beat tries again
            logger.warning("Heartbeat failed: %s", exc)

    # -- stopping -----------------------------------------------------------------------------

    def _wait_for_jobs(self, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._wake.clear()
            self._reap()
            with self._lock:
                if not self._jobs:
                    return
            if self._hurry.is_set():
                return
            if deadline is not None and time.monotonic() >= deadline:
                return
            left = 0.5 if deadline is None else max(0.0, min(0.5, deadline - time.monotonic()))
            self._wake.wait(left)

    def _shutdown(self) -> None:
        with self._lock:
            if not self._jobs:
                return
            count = len(self._jobs)
        logger.info("Waiting up to %g s for %d running job(s)", self.grace_period, count)
        self._wait_for_jobs(self.grace_period)
        with self._lock:
            left = list(self._jobs.values())
        for item in left:
            logger.warning("Killing the job of flow run %r", item.flow_run.get("name"))
            item.job.terminate()
        if left:
            self._hurry.clear()
            self._wait_for_jobs(min(5.0, self.grace_period))
        with self._lock:
            left = list(self._jobs.values())
        for item in left:
            item.job.kill()
        self._hurry.clear()
        self._wait_for_jobs(5.0)


def _describe_status(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


__all__ = [
    "CLAIM_BATCH",
    "FINAL_STATE_TYPES",
    "OUTPUT_TAIL_LINES",
    "BaseWorker",
    "BaseWorkerResult",
    "WorkerError",
    "WorkerJob",
]
