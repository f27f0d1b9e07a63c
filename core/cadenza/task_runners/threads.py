"""`ThreadPoolTaskRunner`: the default runner; task runs execute on a pool of threads.

The pool is a few lines over `queue.SimpleQueue` rather than `ThreadPoolExecutor`: an executor
creates a `Future` (with its own condition variable) per submission, which doubled the cost of a
mapped task. Workers start on demand, up to `max_workers`.

Interrupted (`cancel_all`), the pool empties its queue (those runs never start) and raises the
interruption in each worker running a task, as timeouts do: Python code stops at its next
bytecode, and a call blocked in C (a sleep, a socket read) when it returns.

It uses only the public hooks of `TaskRunner` (`launch`, `stop_running`, `shutdown`): a runner of
your own can start from it.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from typing import TYPE_CHECKING, Any

from cadenza.engine.interrupts import raise_in_thread
from cadenza.exceptions import CancellationRequested, TerminationSignal
from cadenza.states import StateType
from cadenza.task_runners.base import TaskRunner

if TYPE_CHECKING:
    from cadenza.task_runners.ready import ReadyTaskRun

_STOP = None
_RUNNING = StateType.RUNNING
_POLL_S = 0.01


class ThreadPoolTaskRunner(TaskRunner):
    """Runs each task run on one of at most `max_workers` threads.

    `max_workers=None` uses Python's default for thread pools, ``min(32, cpu_count + 4)``.
    Async tasks run too, each on its own event loop in a pool thread.
    """

    def __init__(self, max_workers: int | None = None) -> None:
        super().__init__()
        if max_workers is not None and max_workers < 1:
            raise ValueError(f"max_workers must be >= 1, got {max_workers}")
        self.max_workers = max_workers
        self._limit = max_workers or min(32, (os.cpu_count() or 1) + 4)
        self._queue: queue.SimpleQueue[ReadyTaskRun | None] = queue.SimpleQueue()  # or _STOP
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._spawn_lock = threading.Lock()
        self._busy: dict[int, Any] = {}  # worker thread id -> the TaskRun it runs, or None

    def duplicate(self) -> ThreadPoolTaskRunner:
        return type(self)(max_workers=self.max_workers)

    def shutdown(self, wait: bool = True) -> None:
        """Stop the workers; without `wait`, runs still going finish on their own threads."""
        threads, self._threads = self._threads, []
        for _ in threads:
            self._queue.put(_STOP)
        if wait:
            for thread in threads:
                thread.join()

    def launch(self, ready: ReadyTaskRun) -> None:
        """Queue the run for the next idle worker; start a worker if none is idle and the pool
        is not full."""
        self._queue.put(ready)
        if self._idle == 0 and len(self._threads) < self._limit:
            with self._spawn_lock:
                if len(self._threads) < self._limit:
                    thread = threading.Thread(
                        target=self._work,
                        name=f"cadenza-task-{len(self._threads)}",
                        daemon=True,
                    )
                    self._threads.append(thread)
                    thread.start()

    def _work(self) -> None:
        get = self._queue.get
        busy = self._busy
        me = threading.get_ident()
        while True:
            self._idle += 1
            ready = get()
            self._idle -= 1
            if ready is _STOP:
                return
            busy[me] = ready.task_run  # before the check: `cancel_all` sets it, then looks here
            if self.cancelled_by is not None:
                busy[me] = None
                ready.stop()
                continue
            ready.execute()
            busy[me] = None
            del ready  # results are not retained by the pool

    def stop_running(self, reason: BaseException, deadline: float) -> None:
        """Runs still queued never start; runs under way are interrupted and waited for until
        `deadline` (those blocked in C, or beyond reach, are then abandoned by `cancel_all`)."""
        stops = 0
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                stops += 1
            else:
                item.stop()
        for _ in range(stops):
            self._queue.put(_STOP)
        exc_type = _raisable(reason)
        sent: set[str] = set()
        while True:
            running = [(ident, run) for ident, run in list(self._busy.items()) if _active(run)]
            if not running or time.monotonic() >= deadline:
                return
            for ident, run in running:
                # Only while the run is Running (in its function or the engine around it), and
                # never inside code writing the record: `raise_in_thread` checks.
                state = run.state
                if exc_type is None or run.id in sent or state is None:
                    continue
                if state.type is _RUNNING and raise_in_thread(ident, exc_type):
                    sent.add(run.id)
            time.sleep(_POLL_S)

    def __repr__(self) -> str:
        return f"ThreadPoolTaskRunner(max_workers={self.max_workers})"


def _active(run: Any) -> bool:
    return run is not None and (run.state is None or not run.state.is_final())


def _raisable(reason: BaseException) -> type[BaseException] | None:
    """The exception class to raise in a worker for `reason` (it is raised without arguments),
    or None to let the runs under way go on until they are abandoned."""
    if isinstance(reason, TerminationSignal):
        return TerminationSignal  # its signal defaults to SIGTERM, the one handled
    kind = type(reason)
    if kind in (KeyboardInterrupt, SystemExit, CancellationRequested):
        return kind
    if kind.__name__ == "CancelledError":
        return kind
    return None


__all__ = ["ThreadPoolTaskRunner"]
