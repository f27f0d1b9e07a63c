"""Prebuilt tasks: run SQL with a `SqlAlchemyConnector` inside a flow.

Each is an ordinary `@task`: call it in a flow, ``.submit()`` or ``.map()`` it, give it
``retries`` with ``.with_options(retries=3)``. ``connector`` is a `SqlAlchemyConnector` or the
name of a saved one (loaded in the process that runs the task, which also masks its password in
that process's logs). Parameter values are always bound to ``:name`` placeholders, never
formatted into the SQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cadenza import get_run_logger, task

from cadenza_sql._statements import short

if TYPE_CHECKING:
    from sqlalchemy.engine import Row

    from cadenza_sql.connector import SqlAlchemyConnector
    from cadenza_sql.export import ExportFormat, SqlExport


def _connector(connector: SqlAlchemyConnector | str) -> SqlAlchemyConnector:
    from cadenza_sql.connector import SqlAlchemyConnector

    if isinstance(connector, str):
        return SqlAlchemyConnector.load(connector)
    if not isinstance(connector, SqlAlchemyConnector):
        raise TypeError(
            "connector must be a SqlAlchemyConnector or the name of a saved one, got "
            f"{type(connector).__name__}"
        )
    return connector


@task
def sql_execute(
    operation: str,
    connector: SqlAlchemyConnector | str,
    parameters: dict[str, Any] | None = None,
) -> int:
    """Run one SQL statement in its own transaction, committed when it succeeds.

    Args:
        operation: The SQL, with ``:name`` placeholders for values.
        connector: The database: a `SqlAlchemyConnector`, or the name of a saved one.
        parameters: Values bound to the placeholders.

    Returns:
        The number of rows the statement affected (-1 when the driver cannot tell, as for DDL).

    Example:
        ```python
        @flow
        def cleanup(connector: SqlAlchemyConnector):
            sql_execute("DELETE FROM events WHERE day < :day", connector, {"day": "2024-01-01"})
        ```
    """
    result = _connector(connector).execute(operation, parameters)
    affected = f" ({result.rowcount} rows)" if result.rowcount >= 0 else ""
    get_run_logger().info("Executed %s%s", short(operation), affected)
    return result.rowcount


@task
def sql_execute_many(
    operation: str,
    connector: SqlAlchemyConnector | str,
    seq_of_parameters: list[dict[str, Any]],
) -> int:
    """Run one SQL statement once per set of parameters, all in one transaction.

    Args:
        operation: The SQL, with ``:name`` placeholders for values.
        connector: The database: a `SqlAlchemyConnector`, or the name of a saved one.
        seq_of_parameters: One dict of values per execution; an empty list runs nothing.

    Returns:
        The number of parameter sets executed.

    Example:
        ```python
        @flow
        def load(connector: SqlAlchemyConnector, users: list[dict]):
            sql_execute_many("INSERT INTO users (name, city) VALUES (:name, :city)",
                             connector, users)
        ```
    """
    batch = list(seq_of_parameters)
    _connector(connector).execute_many(operation, batch)
    get_run_logger().info("Executed %s with %d parameter sets", short(operation), len(batch))
    return len(batch)


@task
def sql_fetch_one(
    operation: str,
    connector: SqlAlchemyConnector | str,
    parameters: dict[str, Any] | None = None,
) -> Row[Any] | None:
    """The next row of a query.

    Calling it again with the same operation and parameters (and the same connector object)
    returns the following row, as in prefect-sqlalchemy.

    Args:
        operation: The query, with ``:name`` placeholders for values.
        connector: The database: a `SqlAlchemyConnector`, or the name of a saved one.
        parameters: Values bound to the placeholders.

    Returns:
        The row (a `sqlalchemy.Row`: a tuple whose values are also attributes named by the
        columns), or None when there are no more rows.

    Example:
        ```python
        @flow
        def newest(connector: SqlAlchemyConnector):
            row = sql_fetch_one("SELECT id, name FROM users ORDER BY id DESC", connector)
            return row.name if row else None
        ```
    """
    return _connector(connector).fetch_one(operation, parameters)


@task
def sql_fetch_many(
    operation: str,
    connector: SqlAlchemyConnector | str,
    parameters: dict[str, Any] | None = None,
    size: int | None = None,
) -> list[Row[Any]]:
    """The next ``size`` rows of a query.

    Calling it again with the same operation and parameters (and the same connector object)
    returns the following rows, then ``[]`` at the end; the call after that runs the query
    again.

    Args:
        operation: The query, with ``:name`` placeholders for values.
        connector: The database: a `SqlAlchemyConnector`, or the name of a saved one.
        parameters: Values bound to the placeholders.
        size: How many rows; default: the connector's ``fetch_size``.

    Returns:
        Up to ``size`` rows (`sqlalchemy.Row`); fewer, or none, at the end.

    Example:
        ```python
        @flow
        def in_batches(connector: SqlAlchemyConnector):
            while batch := sql_fetch_many("SELECT * FROM events", connector, size=500):
                process(batch)
        ```
    """
    return _connector(connector).fetch_many(operation, parameters, size=size)


@task
def sql_fetch_all(
    operation: str,
    connector: SqlAlchemyConnector | str,
    parameters: dict[str, Any] | None = None,
) -> list[Row[Any]]:
    """Every row of a query.

    Args:
        operation: The query, with ``:name`` placeholders for values.
        connector: The database: a `SqlAlchemyConnector`, or the name of a saved one.
        parameters: Values bound to the placeholders.

    Returns:
        The rows (`sqlalchemy.Row`: tuples whose values are also attributes named by the
        columns).

    Example:
        ```python
        @flow
        def londoners(connector: SqlAlchemyConnector) -> list[str]:
            rows = sql_fetch_all("SELECT name FROM users WHERE city = :city", connector,
                                 {"city": "London"})
            return [row.name for row in rows]
        ```
    """
    rows = _connector(connector).fetch_all(operation, parameters)
    get_run_logger().info("Fetched %d rows with %s", len(rows), short(operation))
    return rows


@task
def sql_to_storage(
    query: str,
    connector: SqlAlchemyConnector | str,
    storage: Any,
    key: str,
    format: ExportFormat = "csv",
    parameters: dict[str, Any] | None = None,
) -> SqlExport:
    """Run a query and write its rows as CSV or JSON lines to a storage backend.

    The key and format are checked before the query runs; the rows are written with one
    ``write_path`` call, so readers see the whole file or the previous one.

    Args:
        query: The query, with ``:name`` placeholders for values.
        connector: The database: a `SqlAlchemyConnector`, or the name of a saved one.
        storage: Any `cadenza.storage.StorageBackend` — `LocalFileSystem`, an S3 or GCS
            bucket block, ... — or the name of a saved one (``"local-file-system/exports"``).
        key: Where to write, relative to the storage's base (``"exports/users.csv"``); keys
            that could escape it (``../x``, ``/etc/passwd``) are refused.
        format: ``"csv"`` (a header line, then one line per row) or ``"jsonl"`` (one JSON
            object per row).
        parameters: Values bound to the placeholders.

    Returns:
        `SqlExport`, a named tuple ``(key, row_count)``: the normalised key and the number of
        rows written.

    Example:
        ```python
        @flow
        def export(connector: SqlAlchemyConnector):
            key, rows = sql_to_storage("SELECT * FROM users", connector,
                                       LocalFileSystem("/data/exports"), "users.csv")
        ```
    """
    from cadenza_sql.export import export_query

    written = export_query(_connector(connector), query, parameters, storage, key, format)
    get_run_logger().info(
        "Wrote %d rows of %s to %r as %s", written.row_count, short(query), written.key, format
    )
    return written


__all__ = [
    "sql_execute",
    "sql_execute_many",
    "sql_fetch_all",
    "sql_fetch_many",
    "sql_fetch_one",
    "sql_to_storage",
]
