"""A backend for task runs executed away from their flow run's process.

A process-pool or cluster worker records into a `CaptureBackend`; the rows it captured travel
back with the task's outcome and the flow's own backend ingests them, so remote task runs are
recorded exactly like local ones without the worker opening a database or a connection.
"""

from __future__ import annotations

from cadenza.backends.recording import Recorder, pop_all, take_runs


class CaptureBackend(Recorder):
    def flush(self) -> None:
        """Nothing to write: the owner of the flow run ingests what was captured."""

    def close(self) -> None:
        pass

    def drain(self) -> tuple[list, list[tuple], list[tuple], list[tuple], list[dict], list[dict]]:
        """Remove and return (runs, states, logs, cache entries, artifacts, events) captured so
        far, for
        `Recorder.ingest`. (Cache hits for remote runs are served before launch, by the
        submitting process, which can read the store.)"""
        return (
            take_runs(self._runs),
            pop_all(self._states),
            pop_all(self._logs),
            pop_all(self._cache),
            pop_all(self._artifacts),
            pop_all(self._events),
        )


__all__ = ["CaptureBackend"]
