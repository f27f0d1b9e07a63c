"""The `cadenza` entry point of cadenza-sql (``[project.entry-points.cadenza] sql``).

Imported whenever cadenza loads its plugins, so it imports nothing but the `hookimpl` marker:
the blocks (pydantic) and tasks are imported inside the hooks, and SQLAlchemy only when a
connector first creates an engine.
"""

from cadenza import hookimpl

#: The cadenza versions this collection works with (a PEP 440 specifier set).
CADENZA_API = ">=0.1,<0.2"


@hookimpl
def register_block_types() -> list[type]:
    from cadenza_sql.connector import SqlAlchemyConnector
    from cadenza_sql.credentials import DatabaseCredentials

    return [DatabaseCredentials, SqlAlchemyConnector]


@hookimpl
def register_tasks() -> list[object]:
    from cadenza_sql.tasks import (
        sql_execute,
        sql_execute_many,
        sql_fetch_all,
        sql_fetch_many,
        sql_fetch_one,
        sql_to_storage,
    )

    return [
        sql_execute,
        sql_execute_many,
        sql_fetch_one,
        sql_fetch_many,
        sql_fetch_all,
        sql_to_storage,
    ]
