"""Facts about the run in progress, as in `prefect.runtime`:
``from cadenza.runtime import flow_run, task_run; flow_run.name, task_run.id``.

Attributes are read when accessed; outside a run they are None (`parameters`: empty)."""

from cadenza.runtime import flow_run, task_run

__all__ = ["flow_run", "task_run"]
