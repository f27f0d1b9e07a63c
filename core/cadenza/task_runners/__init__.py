"""Task runners: where submitted and mapped task runs execute.

`TaskRunner` is the interface an engine plugin implements (see `base.py`); the core ships a
thread pool (the default) and a process pool.
"""

from cadenza.task_runners.base import TaskRunner
from cadenza.task_runners.processes import ProcessPoolTaskRunner
from cadenza.task_runners.threads import ThreadPoolTaskRunner

__all__ = ["ProcessPoolTaskRunner", "TaskRunner", "ThreadPoolTaskRunner"]
