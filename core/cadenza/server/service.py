"""A server service: a daemon thread that runs one round of work every `interval` seconds.

Services (the reaper, the scheduler) are small and restartable, and each round is safe to run
in several server processes on one database at once (unique keys, row locks). Given a
`cadenza.server.leadership.Leadership`, a loop runs its rounds only while its process holds the
service's lease (named after the loop), so across processes one runs it at a time. A round that
finds the database busy is skipped; a round that fails is logged and the loop goes on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from cadenza.store.sql import DatabaseBusy

if TYPE_CHECKING:
    from cadenza.server.leadership import Leadership

logger = logging.getLogger("cadenza.server")


class ServiceLoop:
    def __init__(self, name: str, interval: float, round: Callable[[], None]) -> None:
        self.name = name
        self.interval = interval
        self._round = round
        self.leadership: Leadership | None = None
        self.rounds = 0  # run by this process (GET /api/services)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"cadenza-{name}", daemon=True)

    def led_by(self, leadership: Leadership | None) -> ServiceLoop:
        """Run rounds only while `leadership` holds this service's lease (None: always)."""
        self.leadership = leadership
        return self

    def start(self) -> ServiceLoop:
        self._thread.start()
        return self

    @property
    def stopping(self) -> bool:
        """True once `stop` was called: a long round should end at its next safe point (what
        it leaves is the next round's, in this process or another)."""
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def run_once(self) -> None:
        if self.leadership is not None and not self.leadership.holds(self.name):
            return  # another server process runs it
        self.rounds += 1
        try:
            self._round()
        except DatabaseBusy:
            pass  # the next round tries again
        except Exception:  # a failing round must not end the service
            logger.exception(
                "The %s's round failed; it runs again in %ss", self.name, self.interval
            )

    def _loop(self) -> None:
        self.run_once()
        while not self._stop.wait(self.interval):
            self.run_once()


__all__ = ["ServiceLoop"]
