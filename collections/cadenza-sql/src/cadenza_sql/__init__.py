"""SQL databases for cadenza: connector and credentials blocks, prebuilt SQL tasks.

    from cadenza import flow
    from cadenza_sql import SqlAlchemyConnector, sql_execute, sql_fetch_all

    @flow
    def report():
        db = SqlAlchemyConnector.load("warehouse")
        sql_execute("CREATE TABLE IF NOT EXISTS users (name TEXT, city TEXT)", db)
        return sql_fetch_all("SELECT * FROM users WHERE city = :city", db, {"city": "Paris"})

Importing this package imports neither SQLAlchemy nor pydantic: each name below is imported
from its module on first access, and SQLAlchemy only when a connector first needs an engine.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cadenza_sql.connection import AsyncDriver, ConnectionComponents, SyncDriver
    from cadenza_sql.connector import SqlAlchemyConnector
    from cadenza_sql.credentials import DatabaseCredentials
    from cadenza_sql.export import SqlExport
    from cadenza_sql.tasks import (
        sql_execute,
        sql_execute_many,
        sql_fetch_all,
        sql_fetch_many,
        sql_fetch_one,
        sql_to_storage,
    )

_EXPORTS = {
    "AsyncDriver": "cadenza_sql.connection",
    "ConnectionComponents": "cadenza_sql.connection",
    "DatabaseCredentials": "cadenza_sql.credentials",
    "SqlAlchemyConnector": "cadenza_sql.connector",
    "SqlExport": "cadenza_sql.export",
    "SyncDriver": "cadenza_sql.connection",
    "sql_execute": "cadenza_sql.tasks",
    "sql_execute_many": "cadenza_sql.tasks",
    "sql_fetch_all": "cadenza_sql.tasks",
    "sql_fetch_many": "cadenza_sql.tasks",
    "sql_fetch_one": "cadenza_sql.tasks",
    "sql_to_storage": "cadenza_sql.tasks",
}

__all__ = [
    "AsyncDriver",
    "ConnectionComponents",
    "DatabaseCredentials",
    "SqlAlchemyConnector",
    "SqlExport",
    "SyncDriver",
    "sql_execute",
    "sql_execute_many",
    "sql_fetch_all",
    "sql_fetch_many",
    "sql_fetch_one",
    "sql_to_storage",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":  # the one version literal is pyproject.toml's
        # lazily: importlib.metadata costs milliseconds on every plugin load
        from importlib.metadata import version

        return version("cadenza-sql")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cadenza_sql' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS, "__version__"])
