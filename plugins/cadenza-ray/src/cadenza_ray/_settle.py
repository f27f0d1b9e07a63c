"""Settling finished Ray tasks on one thread per runner, off Ray's own threads.

``ObjectRef.future()`` gives a `concurrent.futures.Future` that Ray resolves — value already
fetched, or the task's error — from a thread of its core worker, the one that also talks to the
cluster. Recording a run (unpacking what the worker captured, handing it to the flow's backend)
must not hold that thread up, so the done callback only queues the future, and a `Settler`
thread hands each one to its run (`ReadyTaskRun.collect_future`).
"""

from __future__ import annotations

import queue
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import Future

_STOP: Any = object()


class Settler:
    """Calls ``on_done(future)`` for each watched Ray task once it is done, on its own thread.

    `on_done` must not raise (`ReadyTaskRun.collect_future` does not); if it does, the error is
    swallowed so that the other runs still settle. `stop()` lets the thread end after what is
    queued.
    """

    def __init__(self, name: str = "cadenza-ray-settler") -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()  # (future, on_done) or _STOP
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def watch(self, ref: Any, on_done: Callable[[Future[Any]], None]) -> None:
        """Settle the Ray task of `ref` (an ``ObjectRef``) with `on_done` once it is done."""
        put = self._queue.put
        ref.future().add_done_callback(lambda done: put((done, on_done)))

    def stop(self, wait: bool = True) -> None:
        self._queue.put(_STOP)
        if wait and threading.current_thread() is not self._thread:
            self._thread.join()

    def _run(self) -> None:
        get = self._queue.get
        while True:
            item = get()
            if item is _STOP:
                return
            done, on_done = item
            try:
                on_done(done)
            except BaseException:
                pass
