"""A backend for task runs executed away from their flow run's process.

A process-pool or cluster worker records into a `CaptureBackend`; the rows it captured travel
back with the task's outcome and the flow's own backend ingests them, so remote task runs are
recorded exactly like local ones without the worker opening a database or a connection.

Log lines are also appended, as they are logged, to a spool file when the submitting process
named one that this worker can reach (same machine): a worker that dies before its outcome
travels back — killed, out of memory, ``os._exit`` — leaves its lines there, and the submitting
process records them with the crash (`read_spool`).
"""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING, Any

from cadenza.backends.recording import Recorder, pop_all, take_runs

if TYPE_CHECKING:
    from pathlib import Path


class CaptureBackend(Recorder):
    def __init__(self, spool: Path | None = None) -> None:
        super().__init__()
        self._spool_path = spool
        self._spool: Any = None  # the open file, from the first line on

    def log(
        self,
        flow_run_id: str | None,
        task_run_id: str | None,
        level: int,
        logger: str,
        message: str,
        timestamp: float,
    ) -> None:
        super().log(flow_run_id, task_run_id, level, logger, message, timestamp)
        if self._spool_path is not None:
            self._write_spool(self._logs[-1])

    def _write_spool(self, line: tuple) -> None:
        try:
            if self._spool is None:
                # kept open for the run's lines, closed by `close` (run_packed's finally)
                self._spool = open(self._spool_path, "ab")  # type: ignore[arg-type]  # noqa: SIM115
            pickle.dump(line, self._spool, protocol=pickle.HIGHEST_PROTOCOL)
            self._spool.flush()  # in the OS's hands: kept if this process is killed
        except OSError:
            self._spool_path = None  # the line still travels back with the outcome

    def flush(self) -> None:
        """Nothing to write: the owner of the flow run ingests what was captured."""

    def close(self) -> None:
        spool, self._spool = self._spool, None
        if spool is not None:
            spool.close()

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


def read_spool(path: Path) -> list[tuple]:
    """The log lines spooled at `path`, in order, and remove the file; [] when there is none.
    A line cut short by its worker's death ends the list."""
    lines: list[tuple] = []
    try:
        with open(path, "rb") as file:
            while True:
                try:
                    lines.append(pickle.load(file))
                except EOFError:
                    break
                except Exception:  # the last line, half written when the worker died
                    break
    except FileNotFoundError:
        return lines
    try:
        path.unlink()
    except OSError:
        pass
    return lines


__all__ = ["CaptureBackend", "read_spool"]
