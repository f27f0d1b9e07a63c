"""Heartbeats: a process renews the leases of its flow runs on the server while they are active.

A flow run created through the HTTP backend carries a lease (`CADENZA_HEARTBEAT_INTERVAL`,
twice over) from its creation. While it is active, one daemon thread per backend sends
``POST /api/heartbeats`` every interval with the ids of the flow runs this process created and
has not finished; each renews its run's lease. The server's reaper (`cadenza.server.reaper`)
marks a run whose lease expired Crashed, so a process that dies — SIGKILL, a lost machine —
never leaves its run Running.

A heartbeat the server cannot take (it is unreachable) is simply tried again at the next
interval. A run the server already holds final — marked Crashed because this process could
not reach it for longer than the lease — is reported once and no longer renewed.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from cadenza.client.http import ApiError, ServerUnavailable

if TYPE_CHECKING:
    from cadenza.client.http import ApiClient

logger = logging.getLogger("cadenza.client")

#: A lease is this many heartbeat intervals long: one late heartbeat does not crash a run.
LEASE_INTERVALS = 2.0


class Heartbeat:
    """Renews the leases of the runs `add`ed until they are `discard`ed (see the module)."""

    def __init__(self, client: ApiClient, interval: float) -> None:
        self.client = client
        self.interval = interval
        self.lease = interval * LEASE_INTERVALS
        self._runs: dict[str, str] = {}  # run id -> run name
        self._finishing: set[str] = set()  # ended here; the final state not delivered yet
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, run_id: str, name: str) -> None:
        with self._lock:
            self._runs[run_id] = name
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._loop, name="cadenza-heartbeat", daemon=True
                )
                self._thread.start()

    def discard(self, run_id: str, delivered: bool = True) -> None:
        """`run_id` ended. Its final state not `delivered` yet (journaled during an outage),
        its lease is renewed until the server answers that it holds the run final."""
        with self._lock:
            if delivered:
                self._runs.pop(run_id, None)
            elif run_id in self._runs:
                self._finishing.add(run_id)

    def beat(self) -> bool:
        """Renew every active run's lease now, once; False when the server did not answer."""
        with self._lock:
            ids = list(self._runs)
        if not ids:
            return True
        try:
            answer = self.client.heartbeat(ids, self.lease, retry=False)
        except (ServerUnavailable, ApiError):
            return False
        for run_id in answer.get("final") or ():
            with self._lock:
                name = self._runs.pop(run_id, None)
                if run_id in self._finishing:  # its final state arrived: as expected
                    self._finishing.discard(run_id)
                    continue
            if name is not None:
                logger.error(
                    "The server holds flow run %r (%s) as final already, probably marked Crashed "
                    "when its lease expired while this process could not reach the server; "
                    "what this process records for it now is kept in the dead-letter file",
                    name,
                    run_id,
                )
        return True

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2)

    def _loop(self) -> None:
        # A beat the server did not answer (busy, restarting) is tried again after a sixth of
        # the interval rather than a whole one, so one slow answer never costs the lease.
        wait = self.interval
        while not self._stop.wait(wait):
            try:
                answered = self.beat()
            except Exception as exc:  # keep beating; one bad answer must not stop the leases
                logger.error("cadenza: a heartbeat failed: %s", exc)
                answered = False
            wait = self.interval if answered else max(0.5, self.interval / 6)


__all__ = ["LEASE_INTERVALS", "Heartbeat"]
