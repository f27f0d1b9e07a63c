"""The embedded run record: its SQLite schema and migrations (`database`) and read queries
(`queries`). Importing this package imports nothing beyond the standard library."""

__all__: list[str] = []  # the modules of this package are its API
