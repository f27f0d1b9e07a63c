"""The head schema as plain SQL, so a brand-new record is created without importing Alembic.

Importing SQLAlchemy and Alembic costs about two seconds on a small machine, which a user would
pay on their very first flow run. A new, empty record is instead created from `schema.sql` (the
head schema, stamped with its revision) in one transaction. The migrations stay the single
source of truth: `python -m cadenza.store.snapshot` regenerates the file from them, and a test
checks that the two agree.
"""

from __future__ import annotations

import sqlite3
import tempfile
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


def dump_schema(path: Path) -> list[str]:
    """The schema statements of a migrated record, in creation order (SQLite's own text)."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name != 'sqlite_sequence' "
            "ORDER BY rowid"
        ).fetchall()
        (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        conn.close()
    return [row[0] for row in rows] + [
        f"INSERT INTO alembic_version (version_num) VALUES ('{revision}')"
    ]


def render(path: Path) -> str:
    """`schema.sql`'s text for the record migrated at `path`."""
    from cadenza.store.database import current_revision

    statements = dump_schema(path)
    return f"-- revision: {current_revision(path)}\n" + ";\n".join(statements) + ";\n"


def main() -> None:
    from cadenza.store.database import _run_alembic, connect

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cadenza.db"
        connect(path).close()
        _run_alembic(path, "upgrade", "head")  # from the migrations, never the old snapshot
        SNAPSHOT.write_text(render(path))
    print(f"wrote {SNAPSHOT}")


if __name__ == "__main__":
    main()
