"""How big the record is: each table's row count and size on disk (``cadenza db stats``).

Sizes include a table's indexes. On SQLite they come from the ``dbstat`` virtual table (when the
SQLite library has it; otherwise sizes are None), and the file's free pages — left by deletes,
reused by later writes — are reported too; on PostgreSQL from ``pg_total_relation_size`` (table,
indexes and TOAST).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from cadenza.store.sql import SqlDatabase
from cadenza.store.tables import metadata


def table_stats(db: SqlDatabase) -> dict[str, Any]:
    """``{"database": {...}, "tables": [{"table", "rows", "bytes"}, ...]}``, tables by name."""
    names = sorted(metadata.tables)
    with db.read() as conn:
        rows = {
            name: int(conn.execute(sa.select(sa.func.count()).select_from(metadata.tables[name]))
                      .scalar_one())
            for name in names
        }  # fmt: skip
        if db.sqlite_path is not None:
            sizes, database = _sqlite_sizes(conn)
        else:
            sizes, database = _postgresql_sizes(conn, names)
    tables = [{"table": n, "rows": rows[n], "bytes": sizes.get(n)} for n in names]
    return {"database": database, "tables": tables}


def _sqlite_sizes(conn: sa.Connection) -> tuple[dict[str, int | None], dict[str, Any]]:
    page_size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
    pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
    free = conn.exec_driver_sql("PRAGMA freelist_count").scalar_one()
    database = {"dialect": "sqlite", "bytes": page_size * pages, "free_bytes": page_size * free}
    owner: dict[str, str] = dict(
        conn.exec_driver_sql(
            "SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"
        ).all()
    )
    try:
        used = conn.exec_driver_sql("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").all()
    except OperationalError:  # a SQLite built without dbstat
        return {}, database
    sizes: dict[str, int | None] = {}
    for name, size in used:
        table = owner.get(name, name)
        sizes[table] = (sizes.get(table) or 0) + int(size)
    return sizes, database


def _postgresql_sizes(
    conn: sa.Connection, names: list[str]
) -> tuple[dict[str, int | None], dict[str, Any]]:
    sizes: dict[str, int | None] = {}
    for name in names:
        query = sa.text("SELECT pg_total_relation_size(to_regclass(:name))")
        size = conn.execute(query, {"name": name}).scalar_one()
        sizes[name] = None if size is None else int(size)
    total = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()
    return sizes, {"dialect": "postgresql", "bytes": int(total), "free_bytes": None}


__all__ = ["table_stats"]
