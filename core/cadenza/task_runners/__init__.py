"""Task runners: where submitted and mapped task runs execute.

`TaskRunner` is the interface an engine plugin implements (see `base.py` and
docs/howto/write-a-task-runner.md): its `launch` hook receives each run as a `ReadyTaskRun`, and
`run_packed` executes a packed run in another process or on another machine. The core ships a
thread pool (the default) and a process pool.
"""

from cadenza.task_runners.base import TaskRunner
from cadenza.task_runners.processes import ProcessPoolTaskRunner
from cadenza.task_runners.ready import ReadyTaskRun
from cadenza.task_runners.remote import run_packed
from cadenza.task_runners.threads import ThreadPoolTaskRunner

ConcurrentTaskRunner = ThreadPoolTaskRunner
"""Prefect 2's name of the thread-pool runner, which Prefect 3 still accepts."""

__all__ = [
    "ConcurrentTaskRunner",
    "ProcessPoolTaskRunner",
    "ReadyTaskRun",
    "TaskRunner",
    "ThreadPoolTaskRunner",
    "run_packed",
]
