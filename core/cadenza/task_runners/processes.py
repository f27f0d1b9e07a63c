"""`ProcessPoolTaskRunner`: task runs execute in worker processes.

Tasks and arguments travel with cloudpickle (so closures and lambdas work); states, logs and
results come back with each run's outcome and are recorded by the flow's process (see
`remote.py`). Workers are started with the "spawn" method: the flow's process has threads (the
record writer), which fork would copy in an unusable state.
"""

from __future__ import annotations

import concurrent.futures as cf
from typing import TYPE_CHECKING

from cadenza.task_runners.base import TaskRunner
from cadenza.task_runners.remote import run_packed

if TYPE_CHECKING:
    from cadenza.task_runners.ready import ReadyTaskRun


class ProcessPoolTaskRunner(TaskRunner):
    """Runs each task run in a pool of `max_workers` processes (CPU count if None)."""

    launches_elsewhere = True

    def __init__(self, max_workers: int | None = None) -> None:
        super().__init__()
        if max_workers is not None and max_workers < 1:
            raise ValueError(f"max_workers must be >= 1, got {max_workers}")
        self.max_workers = max_workers
        self._executor: cf.ProcessPoolExecutor | None = None

    def duplicate(self) -> ProcessPoolTaskRunner:
        return type(self)(max_workers=self.max_workers)

    def shutdown(self, wait: bool = True) -> None:
        """Stop the worker processes; without `wait`, runs not started are cancelled."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=not wait)

    def launch(self, ready: ReadyTaskRun) -> None:
        """Send the packed run to a worker process; its result is collected when it is done."""
        if self._executor is None:
            with self._lock:
                if self._executor is None:
                    import multiprocessing

                    self._executor = cf.ProcessPoolExecutor(
                        self.max_workers, mp_context=multiprocessing.get_context("spawn")
                    )
        future = self._executor.submit(run_packed, ready.payload())
        future.add_done_callback(ready.collect_future)

    def __repr__(self) -> str:
        return f"ProcessPoolTaskRunner(max_workers={self.max_workers})"


__all__ = ["ProcessPoolTaskRunner"]
