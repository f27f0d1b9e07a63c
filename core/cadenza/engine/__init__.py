"""The run engine: one lifecycle for flow and task runs, driven synchronously or asynchronously."""
