"""Derive the record's committed, SQLAlchemy-free files from the schema's sources.

``python -m cadenza.store.generate`` calls `write_all`, which writes:

- ``schema.sql``, the head schema as SQLite's own text, **from the migrations**: an empty file
  is migrated with ``alembic upgrade head`` and its ``sqlite_master`` is dumped. A record created
  from the snapshot is therefore byte-for-byte the record the migrations create (column order,
  ``AUTOINCREMENT``, constraint names, the very ``CREATE TABLE`` text), which later batch
  migrations copy and rebuild; rendering it from the tables would only be equal up to what
  Alembic compares. The tables still decide the layout: ``tests/store/test_tables.py`` fails
  when the migrations' head differs from them, so a snapshot of the migrations is a snapshot of
  the tables.
- ``statements.py``, the embedded writer's SQL, **from the tables** (`cadenza.store.tables`),
  compiled for SQLite with ``?`` parameters, each with the column order of its parameters.

Importing this module imports SQLAlchemy: it runs when a developer regenerates, and in tests.
"""

from __future__ import annotations

import sqlite3
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from cadenza.states import StateType
from cadenza.store import tables
from cadenza.store.database import _run_alembic, connect, current_revision
from cadenza.store.snapshot import SNAPSHOT

STATEMENTS = Path(__file__).with_name("statements.py")

_DIALECT = sqlite.dialect(paramstyle="qmark")

# What a run's row changes as the run moves through its states. Everything else is written once,
# when the run is first recorded, and a later upsert of the same run leaves it as it was.
_RUN_PROGRESS = ("state_type", "state_name", "state_message", "start_time", "end_time",
                 "run_count", "result_ref")  # fmt: skip


def _insert(table: sa.Table, prefix: str | None = None) -> sa.Insert:
    stmt = sqlite.insert(table)
    return stmt.prefix_with(prefix) if prefix else stmt


# What a flow run's row takes from each process that records it, besides its progress: the
# owner (so crash detection asks about the process running it now), its tags (the record's
# merged with the flow's) and, when it has one, its entrypoint. A flow run created ahead of time
# (Scheduled, by a scheduler) and adopted by another process (`cadenza.engine.adoption`) thereby
# becomes that process's run; for a run recorded by one process these values never change.
_FLOW_RUN_OWNER = ("pid", "hostname", "process_start", "tags")
_KEPT_UNLESS_GIVEN = ("entrypoint",)


def _upsert(
    table: sa.Table, update: tuple[str, ...], unless_null: tuple[str, ...] = ()
) -> sa.Insert:
    """INSERT; on a clash of primary keys, UPDATE only the columns `update` names, and those
    `unless_null` names to the new value when it is not NULL."""
    stmt = sqlite.insert(table)
    values: dict[sa.Column[Any], Any] = {table.c[name]: stmt.excluded[name] for name in update}
    for name in unless_null:
        values[table.c[name]] = sa.func.coalesce(stmt.excluded[name], table.c[name])
    return stmt.on_conflict_do_update(index_elements=list(table.primary_key.columns), set_=values)


# Columns the embedded writer never has a value for (say, a lease only a server renews), by
# table: its INSERTs leave them to their defaults. Every other column must be in its rows.
# So are a deployment run's columns: the scheduler and the API write those, with SQLAlchemy.
NOT_WRITTEN: dict[str, tuple[str, ...]] = {
    "flow_runs": ("lease_expires", "deployment_id", "work_pool_name", "work_queue_name",
                  "expected_start_time", "idempotency_key", "auto_scheduled", "schedule_id",
                  "job_variables", "worker_name", "warning_count", "error_count"),
}  # fmt: skip


def _written(table: sa.Table) -> list[str]:
    """The columns a writer supplies, in the table's order: all but an autoincrementing id
    (SQLite assigns it) and those `NOT_WRITTEN` names."""
    skip = NOT_WRITTEN.get(table.name, ())
    return [c.name for c in table.c if c is not table.autoincrement_column and c.name not in skip]


def _crash(table: sa.Table) -> sa.Update:
    """Mark one run Crashed, with a message and an end time."""
    crashed = StateType.CRASHED
    return (
        sa.update(table)
        .where(table.c.id == sa.bindparam("id"))
        .ordered_values(
            (table.c.state_type, sa.literal_column(f"'{crashed.value}'")),
            (table.c.state_name, sa.literal_column(f"'{crashed.value.title()}'")),
            (table.c.state_message, sa.bindparam("state_message")),
            (table.c.end_time, sa.bindparam("end_time")),
        )
    )


WARNING, ERROR = 30, 40


def _int(value: int) -> sa.ColumnElement[Any]:
    return sa.literal_column(str(int(value)))


def _count_logs() -> sa.Update:
    """Add to each flow run's warning and error counts its lines stored after log id `after`
    (the highest id before this transaction's lines went in: `LOG_FLOOR`). Only the lines
    actually stored are counted — not one refused, nor one whose uid was seen before — and the
    reads are bounded by the lines just written (the primary key, then ``(flow_run_id, id)``)."""
    fr, lg = tables.flow_runs, tables.logs
    after = sa.bindparam("after")

    def lines(least: int) -> sa.ScalarSelect[Any]:
        return (
            sa.select(sa.func.count())
            .where(lg.c.flow_run_id == fr.c.id, lg.c.id > after, lg.c.level >= _int(least))
            .scalar_subquery()
        )

    touched = sa.select(lg.c.flow_run_id).where(lg.c.id > after, lg.c.level >= _int(WARNING))
    return (
        sa.update(fr)
        .where(fr.c.id.in_(touched))
        .ordered_values(
            (fr.c.warning_count, fr.c.warning_count + lines(WARNING)),
            (fr.c.error_count, fr.c.error_count + lines(ERROR)),
        )
    )


def _statements() -> dict[str, tuple[sa.Executable, list[str] | None]]:
    """Name -> (statement, the columns of an INSERT's VALUES or None when it names its own).

    The names are those the writers import; the semantics are the embedded writer's: a run row
    is upserted (only its progress changes, and a flow run's owner: see `_FLOW_RUN_OWNER`), a
    state or artifact row is added once (OR IGNORE: a resent transition id changes nothing), a
    log line is appended, and a cache entry replaces an older one under the same key.
    """
    t = tables
    a = t.artifacts
    return {
        "UPSERT_FLOW_RUN": (
            _upsert(t.flow_runs, (*_RUN_PROGRESS, *_FLOW_RUN_OWNER), _KEPT_UNLESS_GIVEN),
            _written(t.flow_runs),
        ),
        "UPSERT_TASK_RUN": (
            _upsert(t.task_runs, (*_RUN_PROGRESS, "cache_key")),
            _written(t.task_runs),
        ),
        "INSERT_STATE": (_insert(t.run_states, "OR IGNORE"), _written(t.run_states)),
        "UPSERT_CACHE": (_insert(t.cache_entries, "OR REPLACE"), _written(t.cache_entries)),
        "INSERT_ARTIFACT": (_insert(a, "OR IGNORE"), _written(a)),
        # A progress artifact's data moves on; its description only when a new one is given.
        "UPDATE_ARTIFACT": (
            sa.update(a)
            .where(a.c.id == sa.bindparam("id"), a.c.type == sa.literal_column("'progress'"))
            .ordered_values(
                (a.c.data, sa.bindparam("data")),
                (a.c.description, sa.func.coalesce(sa.bindparam("description"), a.c.description)),
            ),
            None,
        ),
        "INSERT_LOG": (_insert(t.logs), _written(t.logs)),
        # An event (cadenza.events.emit_event) is kept once under its id.
        "INSERT_EVENT": (_insert(t.events, "OR IGNORE"), _written(t.events)),
        # A flow run's warning and error counts (cadenza.backends.writer counts what a
        # transaction stored, from the highest log id before it).
        "LOG_FLOOR": (
            sa.select(sa.func.coalesce(sa.func.max(t.logs.c.id), sa.literal_column("0"))),
            None,
        ),
        "COUNT_LOGS": (_count_logs(), None),
        # Crash detection (cadenza.backends.recovery): a run whose process died.
        "CRASH_FLOW_RUN": (_crash(t.flow_runs), None),
        "CRASH_TASK_RUN": (_crash(t.task_runs), None),
        "INSERT_CRASH_STATE": (
            _insert(t.run_states),
            ["transition_id", "run_id", "flow_run_id", "type", "name", "message", "timestamp"],
        ),
    }


def compile_statements() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Name -> (SQLite text with ``?`` parameters, the names of those parameters in order)."""
    compiled = {}
    for name, (stmt, columns) in _statements().items():
        done = stmt.compile(dialect=_DIALECT, column_keys=columns)
        text = " ".join(str(done).split())  # subqueries render on lines of their own
        compiled[name] = (text, tuple(done.positiontup or ()))
    return compiled


_HEADER = '''\
"""The embedded writer's SQL, generated from `cadenza.store.tables`: do not edit by hand.

Regenerate with ``python -m cadenza.store.generate`` (which also writes ``schema.sql``; see
docs/howto/change-the-schema.md). ``tests/store/test_statements.py`` fails while this file
differs from what the tables give. ``<NAME>_PARAMS`` is the order of ``<NAME>``'s ``?``
parameters: a row executed with ``<NAME>`` holds those columns' values in that order.
No imports: the embedded backend reads it without SQLAlchemy.
"""
'''


def _quote(text: str) -> str:
    """A Python literal for `text` in the quotes `ruff format` keeps (double, unless it holds
    a double quote and no single quote)."""
    if '"' in text and "'" not in text:
        return "'" + text.replace("\\", "\\\\") + "'"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _assignment(name: str, sql: str) -> str:
    line = f"{name} = {_quote(sql)}"
    if len(line) <= 100:
        return line
    # Spaces kept at the piece ends, so the implicit concatenation is the statement exactly.
    pieces = textwrap.wrap(sql, width=88, break_long_words=False, break_on_hyphens=False,
                           drop_whitespace=False)  # fmt: skip
    assert "".join(pieces) == sql, f"{name} would not round-trip through wrapping"
    body = "\n".join(f"    {_quote(piece)}" for piece in pieces)
    return f"{name} = (\n{body}\n)"


def render_statements() -> str:
    """``statements.py``'s text for the tables as declared now."""
    parts = [_HEADER]
    exported = []
    for name, (sql, params) in compile_statements().items():
        names = "".join(f"    {_quote(p)},\n" for p in params)
        listed = f"(\n{names})" if params else "()"
        parts.append(f"{_assignment(name, sql)}\n{name}_PARAMS = {listed}\n")
        exported += [name, f"{name}_PARAMS"]
    listed = "".join(f"    {_quote(n)},\n" for n in sorted(exported))  # all SCREAMING_CASE
    parts.append(f"\n__all__ = [\n{listed}]\n")
    return "\n".join(parts)


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


def render_schema(path: Path) -> str:
    """``schema.sql``'s text for the record migrated at `path`."""
    statements = dump_schema(path)
    return f"-- revision: {current_revision(path)}\n" + ";\n".join(statements) + ";\n"


def migrated_record(path: Path) -> Path:
    """Create the record at `path` (a new file) through ``alembic upgrade head``."""
    connect(path).close()
    _run_alembic(path, "upgrade", "head")  # from the migrations, never the old snapshot
    return path


def write_all() -> list[Path]:
    """Regenerate ``schema.sql`` (from the migrations) and ``statements.py`` (from the tables);
    return the paths written."""
    with tempfile.TemporaryDirectory() as tmp:
        SNAPSHOT.write_text(render_schema(migrated_record(Path(tmp) / "cadenza.db")))
    STATEMENTS.write_text(render_statements())
    return [SNAPSHOT, STATEMENTS]


def main() -> None:
    """Regenerate `schema.sql` and ``statements.py``; print what was written."""
    for path in write_all():
        print(f"wrote {path}")


if __name__ == "__main__":
    main()


__all__ = [
    "NOT_WRITTEN",
    "STATEMENTS",
    "compile_statements",
    "dump_schema",
    "main",
    "migrated_record",
    "render_schema",
    "render_statements",
    "write_all",
]
