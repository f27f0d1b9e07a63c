"""The embedded run record: its SQLite schema and migrations (`database`) and read queries
(`queries`). Importing this package imports nothing beyond the standard library."""
