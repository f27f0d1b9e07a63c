"""Facts about the run in progress, as in `prefect.runtime`:
``from cadenza.runtime import flow_run, task_run, deployment; flow_run.name, task_run.id``.

Attributes are read when accessed; outside a run they are what Prefect gives (None, empty
collections, 0 run counts)."""

from cadenza.runtime import deployment, flow_run, task_run

__all__ = ["deployment", "flow_run", "task_run"]
