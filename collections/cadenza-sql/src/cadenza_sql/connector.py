"""`SqlAlchemyConnector`: a block that connects to a database and runs SQL on it.

Names and signatures follow prefect-sqlalchemy's ``SqlAlchemyConnector``, so a Prefect flow
ports by changing its imports::

    from cadenza_sql import ConnectionComponents, SqlAlchemyConnector, SyncDriver

    connector = SqlAlchemyConnector(
        connection_info=ConnectionComponents(
            driver=SyncDriver.POSTGRESQL_PSYCOPG, host="db", port=5432,
            database="warehouse", username="etl", password="s3cret",
        )
    )
    connector.save("warehouse")

    with SqlAlchemyConnector.load("warehouse") as db:
        db.execute("CREATE TABLE IF NOT EXISTS users (name TEXT, city TEXT)")
        db.execute_many("INSERT INTO users VALUES (:name, :city)",
                        [{"name": "ada", "city": "London"}])
        db.fetch_all("SELECT * FROM users WHERE city = :city", {"city": "London"})

Parameters are always bound (``:name`` placeholders, `sqlalchemy.text`), never formatted into
the SQL. SQLAlchemy is imported when an engine is first needed, not when this module is.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from cadenza.blocks.core import Block
from cadenza.blocks.fields import SecretDict
from pydantic import ConfigDict, Field, PrivateAttr

from cadenza_sql._runtime import EngineState, close_quietly, cursor_key
from cadenza_sql._statements import Parameters, bind, require_rows, short, statement
from cadenza_sql.connection import ConnectionComponents, check_sync_driver

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, CursorResult, Engine, Row

logger = logging.getLogger("cadenza_sql")


class SqlAlchemyConnector(Block):
    """Connect to a database with SQLAlchemy and run SQL on it.

    ``connection_info`` is a `ConnectionComponents` or a URL string such as
    ``"postgresql+psycopg://etl:s3cret@db:5432/warehouse"``; a string is split into its parts
    and its password kept as a secret, so it never shows in ``repr``, JSON or logs.

    The engine is created on first use and reused; ``fetch_one`` / ``fetch_many`` keep their
    cursor open so that repeating the same call returns the next rows (None / ``[]`` at the
    end, after which the query runs again). Use the connector as a context manager, or call
    `close`, to release connections.
    """

    _block_type_slug = "sqlalchemy-connector"
    _block_type_name = "SQLAlchemy Connector"
    _description = "Connect to a database with SQLAlchemy and run SQL on it."
    _documentation_url = "https://cadenza.dev/collections/sql/"

    model_config = ConfigDict(hide_input_in_errors=True)

    connection_info: ConnectionComponents = Field(
        description="Where the database is: its URL parts, or a URL string (whose password is "
        "split out and kept secret).",
    )
    connect_args: SecretDict | None = Field(
        default=None,
        description="Extra keyword arguments for the driver's connect() (values kept secret), "
        "e.g. {'connect_timeout': 10}.",
    )
    fetch_size: int = Field(
        default=1, ge=1, description="Rows fetch_many() returns when no size is given."
    )

    _state: EngineState = PrivateAttr(default_factory=EngineState)

    # -- engine and connections --------------------------------------------------------------
    def get_engine(self, **create_engine_kwargs: Any) -> Engine:
        """The connector's `sqlalchemy.Engine`, created on first call and reused after.

        Keyword arguments go to `sqlalchemy.create_engine` when the engine is created (they are
        ignored once it exists). Bound parameter values are left out of SQLAlchemy's error
        messages (``hide_parameters=True``) unless you pass ``hide_parameters=False``.
        """
        state = self._state
        with state.lock:
            if state.engine is None:
                state.engine = self._create_engine(create_engine_kwargs)
            return state.engine

    def _create_engine(self, kwargs: dict[str, Any]) -> Engine:
        info = self.connection_info
        check_sync_driver(info.driver)
        from sqlalchemy import create_engine
        from sqlalchemy.exc import NoSuchModuleError

        connect_args = self.connect_args.get_secret_value() if self.connect_args else {}
        kwargs.setdefault("hide_parameters", True)
        try:
            return create_engine(info.create_url(), connect_args=connect_args, **kwargs)
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            raise ImportError(
                f"Cannot create an engine for driver {info.driver!r}: {exc}. Install the dialect "
                "and its driver (for PostgreSQL: pip install 'cadenza-sql[postgresql]')"
            ) from None

    def get_connection(
        self, begin: bool = True, **connect_kwargs: Any
    ) -> AbstractContextManager[Connection]:
        """A connection from the engine, to use in a ``with`` block.

        With ``begin=True`` (the default) the block runs in a transaction, committed when it
        exits normally and rolled back on an exception (`Engine.begin`); with ``begin=False``
        it is a plain connection (`Engine.connect`) and you commit yourself.
        """
        engine = self.get_engine()
        if begin:
            return engine.begin(**connect_kwargs)
        return engine.connect(**connect_kwargs)

    def reset_connections(self) -> None:
        """Close the cursors kept open by `fetch_one` / `fetch_many` (and their connections),
        so that the next fetch runs its query again. The engine stays."""
        self._state.close_cursors()

    def close(self) -> None:
        """Close the open cursors and dispose of the engine (and its pooled connections)."""
        self._state.dispose()

    def __copy__(self) -> SqlAlchemyConnector:
        # model_copy(update=...) may point the copy at another database: never share engines
        copied = super().__copy__()
        copied._state = EngineState()
        return copied

    def __enter__(self) -> SqlAlchemyConnector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- running SQL -------------------------------------------------------------------------
    def execute(
        self, operation: Any, parameters: Parameters | None = None, **execution_options: Any
    ) -> CursorResult[Any]:
        """Run one statement in its own transaction, committed when it succeeds.

        Args:
            operation: The SQL, with ``:name`` placeholders (or a SQLAlchemy statement).
            parameters: Values bound to the placeholders.
            **execution_options: SQLAlchemy execution options for this statement.

        Returns:
            The `CursorResult` (its ``rowcount`` says how many rows were affected).
        """
        with self.get_engine().begin() as connection:
            result = connection.execute(
                statement(operation), bind(parameters), execution_options=execution_options
            )
        logger.debug("Executed %s", short(operation))
        return result

    def execute_many(
        self,
        operation: Any,
        seq_of_parameters: Iterable[Parameters],
        **execution_options: Any,
    ) -> CursorResult[Any] | None:
        """Run one statement once per set of parameters, all in one transaction.

        Args:
            operation: The SQL, with ``:name`` placeholders.
            seq_of_parameters: One mapping of values per execution.
            **execution_options: SQLAlchemy execution options.

        Returns:
            The `CursorResult`, or None when ``seq_of_parameters`` is empty (nothing runs).
        """
        batch = [dict(p) for p in seq_of_parameters]
        if not batch:
            return None
        with self.get_engine().begin() as connection:
            result = connection.execute(
                statement(operation), batch, execution_options=execution_options
            )
        logger.debug("Executed %s with %d parameter sets", short(operation), len(batch))
        return result

    def fetch_one(
        self, operation: Any, parameters: Parameters | None = None, **execution_options: Any
    ) -> Row[Any] | None:
        """The next row of a query, or None when there are no more.

        Repeating the call with the same operation and parameters returns the following row
        from the same cursor (as in prefect-sqlalchemy), then None at the end; the call after
        that runs the query again, and `reset_connections` starts every cursor over.
        """
        key, result = self._cursor(operation, parameters, execution_options)
        with self._state.lock:
            row = result.fetchone()
        if row is None:
            self._drop(key)
        return row

    def fetch_many(
        self,
        operation: Any,
        parameters: Parameters | None = None,
        size: int | None = None,
        **execution_options: Any,
    ) -> list[Row[Any]]:
        """The next ``size`` rows (default: ``fetch_size``) of a query; fewer at the end.

        Repeating the call with the same operation and parameters returns the following rows
        from the same cursor, then ``[]`` at the end (so ``while rows := fetch_many(...)``
        ends); the call after that runs the query again.
        """
        size = self.fetch_size if size is None else size
        if size < 1:
            raise ValueError(f"fetch_many() size must be at least 1, got {size}")
        key, result = self._cursor(operation, parameters, execution_options)
        with self._state.lock:
            rows = list(result.fetchmany(size))
        if not rows:  # reported the end: the next call runs the query again
            self._drop(key)
        return rows

    def fetch_all(
        self, operation: Any, parameters: Parameters | None = None, **execution_options: Any
    ) -> list[Row[Any]]:
        """Every row of a query — or, if `fetch_one` / `fetch_many` left a cursor open for the
        same operation and parameters, every row that cursor has left (it is then closed)."""
        key = cursor_key(operation, parameters, execution_options)
        open_cursor = self._state.pop_cursor(key)
        if open_cursor is not None:
            connection, result = open_cursor
            try:
                return list(result.fetchall())
            finally:
                close_quietly(result, connection)
        with self.get_engine().connect() as connection:
            result = connection.execute(
                statement(operation), bind(parameters), execution_options=execution_options
            )
            require_rows(result, operation)
            rows = list(result.fetchall())
        logger.debug("Fetched %d rows with %s", len(rows), short(operation))
        return rows

    # -- cursors kept open between fetches ----------------------------------------------------
    def _cursor(
        self, operation: Any, parameters: Parameters | None, options: dict[str, Any]
    ) -> tuple[Any, CursorResult[Any]]:
        key = cursor_key(operation, parameters, options)
        state = self._state
        with state.lock:
            existing = state.cursors.get(key)
        if existing is not None:
            return key, existing[1]
        connection = self.get_engine().connect()
        try:
            result = connection.execute(
                statement(operation), bind(parameters), execution_options=options
            )
            require_rows(result, operation)
        except BaseException:
            connection.close()
            raise
        with state.lock:
            kept = state.cursors.setdefault(key, (connection, result))
        if kept[1] is not result:  # another thread opened the same cursor meanwhile
            close_quietly(result, connection)
        return key, kept[1]

    def _drop(self, key: Any) -> None:
        cursor = self._state.pop_cursor(key)
        if cursor is not None:
            close_quietly(cursor[1], cursor[0])


__all__ = ["SqlAlchemyConnector"]
