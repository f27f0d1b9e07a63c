"""A server service: a daemon thread that runs one round of work every `interval` seconds.

Services (the reaper, the scheduler) are small and restartable, and each round is safe to run
in several server processes on one database at once (unique keys, row locks). A round that
finds the database busy is skipped; a round that fails is logged and the loop goes on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from cadenza.store.sql import DatabaseBusy

logger = logging.getLogger("cadenza.server")


class ServiceLoop:
    def __init__(self, name: str, interval: float, round: Callable[[], None]) -> None:
        self.name = name
        self.interval = interval
        self._round = round
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"cadenza-{name}", daemon=True)

    def start(self) -> ServiceLoop:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def run_once(self) -> None:
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
