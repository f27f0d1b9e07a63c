"""The `cadenza` entry point of cadenza-dask (``[project.entry-points.cadenza] dask``).

The plugin hook system has not landed yet: for now this module only names what the
distribution contributes, as import paths, so that importing it stays fast and imports neither
dask nor distributed (nor even the runner). When hooks land, ``register_task_runners`` will
return these.
"""

#: Task runners this distribution contributes, as ``"module.Attribute"`` import paths.
TASK_RUNNERS = ["cadenza_dask.DaskTaskRunner"]
