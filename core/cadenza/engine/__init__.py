"""The run engine: one lifecycle for flow and task runs, driven synchronously or asynchronously."""

__all__: list[str] = []  # the modules of this package are its API
