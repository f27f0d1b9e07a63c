"""The end of a cancellation that a child process does not acknowledge.

A worker or `serve` process runs each flow run in a child process. When a run goes Cancelling,
its child normally stops it and reports Cancelled (`cadenza.engine.cancellation`). A child that
does not — hung in a C call, frozen, ignoring it — is killed here once the run has been
Cancelling (or ended by someone else while the child lives on) for the grace period
(``CADENZA_CANCELLATION_GRACE``), and the run is recorded Cancelled with that reason, its
subflow and task runs with it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("cadenza.workers")

_ENDED = ("CANCELLED", "COMPLETED", "FAILED", "CRASHED")


class CancellationDeadline:
    """Kills children whose runs stayed Cancelling past `grace` seconds (see the module).

    `read_states(ids)` gives each run's recorded state type; `force_cancel(id, reason)` records
    a killed child's run Cancelled."""

    def __init__(
        self,
        grace: float,
        read_states: Callable[[list[str]], dict[str, Any]],
        force_cancel: Callable[[str, str], None],
    ) -> None:
        self.grace = grace
        self.read_states = read_states
        self.force_cancel = force_cancel
        self._since: dict[str, float] = {}  # run id -> when first seen Cancelling (or ended)
        self.killed: list[str] = []

    def check(self, children: dict[str, Callable[[], None]]) -> list[str]:
        """Look at the runs of the live `children` (run id -> kill); kill those past the
        deadline and return their run ids."""
        if not children:
            self._since.clear()
            return []
        try:
            states = self.read_states(list(children))
        except Exception as exc:  # the record is away: look again next time
            logger.warning("Could not read the states of running flow runs: %s", exc)
            return []
        now = time.monotonic()
        killed = []
        for run_id, kill in children.items():
            state = states.get(run_id)
            if state != "CANCELLING" and state not in _ENDED:
                self._since.pop(run_id, None)
                continue
            since = self._since.setdefault(run_id, now)
            if now - since < self.grace:
                continue
            self._since.pop(run_id, None)
            self._kill(run_id, kill, state)
            killed.append(run_id)
        self.killed.extend(killed)
        return killed

    def _kill(self, run_id: str, kill: Callable[[], None], state: str | None) -> None:
        reason = (
            f"its process did not acknowledge the cancellation within {self.grace:g} s "
            "(CADENZA_CANCELLATION_GRACE), so its worker killed it"
        )
        logger.warning("Flow run %s is %s but its process still runs: killing it", run_id, state)
        try:
            if state == "CANCELLING":
                self.force_cancel(run_id, reason)
        except Exception as exc:
            logger.warning("Could not mark flow run %s Cancelled: %s", run_id, exc)
        kill()


__all__ = ["CancellationDeadline"]
