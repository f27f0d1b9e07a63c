"""The head schema as plain SQL, so a brand-new record is created without importing Alembic.

Importing SQLAlchemy and Alembic costs about two seconds on a small machine, which a user would
pay on their very first flow run. A new, empty record is instead created from `schema.sql` (the
head schema, stamped with its revision) in one transaction. This module is the standard-library
half that reads the file at run time.

``python -m cadenza.store.generate`` regenerates the derived files after a schema change:
`schema.sql` from the migrations and ``statements.py`` (the embedded writer's SQL) from
`cadenza.store.tables`; `cadenza.store.generate` says why each comes from where. Tests fail
while either file is stale.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SNAPSHOT = Path(__file__).with_name("schema.sql")


def snapshot_revision() -> str | None:
    """The revision `schema.sql` is stamped with (its first line), or None if missing."""
    try:
        first = SNAPSHOT.read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    prefix = "-- revision: "
    return first[len(prefix) :].strip() if first.startswith(prefix) else None


def create_from_snapshot(conn: sqlite3.Connection) -> None:
    """Create the head schema in an empty database, in one transaction."""
    body = SNAPSHOT.read_text().split("\n", 1)[1]  # after the "-- revision:" line
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in body.split(";\n"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


__all__ = ["SNAPSHOT", "create_from_snapshot", "snapshot_revision"]
