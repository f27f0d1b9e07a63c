"""`ThreadPoolTaskRunner`: the default runner; task runs execute on a pool of threads.

The pool is a few lines over `queue.SimpleQueue` rather than `ThreadPoolExecutor`: an executor
creates a `Future` (with its own condition variable) per submission, which doubled the cost of a
mapped task. Workers start on demand, up to `max_workers`.
"""

from __future__ import annotations

import os
import queue
import threading
from typing import TYPE_CHECKING, Any

from cadenza.task_runners.base import TaskRunner

if TYPE_CHECKING:
    import concurrent.futures as cf
    import contextvars

    from cadenza.backends.base import Backend
    from cadenza.runs import TaskRun
    from cadenza.tasks import Task

_STOP = None


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
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0

    def duplicate(self) -> ThreadPoolTaskRunner:
        return type(self)(max_workers=self.max_workers)

    def __exit__(self, *exc_info: Any) -> None:
        super().__exit__(*exc_info)
        self.shutdown(wait=True)

    def shutdown(self, wait: bool = True) -> None:
        """Stop the workers; without `wait`, runs still going finish on their own threads."""
        threads, self._threads = self._threads, []
        for _ in threads:
            self._queue.put(_STOP)
        if wait:
            for thread in threads:
                thread.join()

    def _launch(
        self,
        task: Task,
        run: TaskRun,
        backend: Backend,
        log_prints: bool,
        args: tuple,
        kwargs: dict,
        outcome: cf.Future,
        context: contextvars.Context,
    ) -> None:
        self._queue.put((context, task, run, backend, log_prints, args, kwargs, outcome))
        if self._idle == 0 and len(self._threads) < self._limit:
            with self._lock:
                if len(self._threads) < self._limit:
                    thread = threading.Thread(
                        target=self._work,
                        name=f"cadenza-task-{len(self._threads)}",
                        daemon=True,
                    )
                    self._threads.append(thread)
                    thread.start()

    def _work(self) -> None:
        from cadenza.engine.task_engine import execute
        from cadenza.task_runners.base import crashed

        get = self._queue.get
        while True:
            self._idle += 1
            item = get()
            self._idle -= 1
            if item is _STOP:
                return
            context, task, run, backend, log_prints, args, kwargs, outcome = item
            try:
                state = context.run(execute, task, run, backend, log_prints, args, kwargs)
            except BaseException as exc:
                state = crashed(run, backend, exc)
            self._resolve(outcome, state)
            del item, context, args, kwargs, state  # results are not retained by the pool

    def __repr__(self) -> str:
        return f"ThreadPoolTaskRunner(max_workers={self.max_workers})"
