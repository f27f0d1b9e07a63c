"""Where a database is: `ConnectionComponents`, the driver names, and URL handling.

A database URL such as ``postgresql+psycopg://etl:s3cret@db:5432/warehouse`` carries a password.
Cadenza never keeps such a string: `split_url` takes it apart into fields, the password becomes
a `SecretStr`, and `build_url` puts the parts back together as a `sqlalchemy.URL` object only
when an engine is created (SQLAlchemy shows that object's password as ``***``). So a URL given
as a string never appears in a ``repr``, a saved block, a log line or an error message.

SQLAlchemy is imported inside the functions that need it, never when this module is imported.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

if TYPE_CHECKING:
    from sqlalchemy.engine import URL


class SyncDriver(str, Enum):
    """Synchronous SQLAlchemy dialect+driver names (as in prefect-sqlalchemy)."""

    POSTGRESQL_PSYCOPG = "postgresql+psycopg"
    POSTGRESQL_PSYCOPG2 = "postgresql+psycopg2"
    POSTGRESQL_PG8000 = "postgresql+pg8000"
    POSTGRESQL_PSYCOPG2CFFI = "postgresql+psycopg2cffi"
    POSTGRESQL_PYPOSTGRESQL = "postgresql+pypostgresql"
    POSTGRESQL_PYGRESQL = "postgresql+pygresql"
    MYSQL_MYSQLDB = "mysql+mysqldb"
    MYSQL_PYMYSQL = "mysql+pymysql"
    MYSQL_MYSQLCONNECTOR = "mysql+mysqlconnector"
    MYSQL_CYMYSQL = "mysql+cymysql"
    MYSQL_OURSQL = "mysql+oursql"
    MYSQL_PYODBC = "mysql+pyodbc"
    SQLITE_PYSQLITE = "sqlite+pysqlite"
    SQLITE_PYSQLCIPHER = "sqlite+pysqlcipher"
    ORACLE_CX_ORACLE = "oracle+cx_oracle"
    MSSQL_PYODBC = "mssql+pyodbc"
    MSSQL_MXODBC = "mssql+mxodbc"
    MSSQL_PYMSSQL = "mssql+pymssql"


class AsyncDriver(str, Enum):
    """Asynchronous driver names, accepted for porting but refused when an engine is created:
    cadenza-sql runs synchronous engines (use e.g. ``postgresql+psycopg``)."""

    POSTGRESQL_ASYNCPG = "postgresql+asyncpg"
    SQLITE_AIOSQLITE = "sqlite+aiosqlite"
    MYSQL_ASYNCMY = "mysql+asyncmy"
    MYSQL_AIOMYSQL = "mysql+aiomysql"


ASYNC_DRIVERS = frozenset(d.value for d in AsyncDriver) | {"postgresql+psycopg_async"}

URL_SHAPE = "dialect+driver://username:password@host:port/database?key=value"


class ConnectionComponents(BaseModel):
    """The parts of a database URL, with the password kept secret (prefect-sqlalchemy's
    `ConnectionComponents`). ``ConnectionComponents.from_url(url)`` splits a URL string."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    driver: str = Field(
        description="SQLAlchemy dialect+driver, e.g. 'postgresql+psycopg' or 'sqlite' "
        "(a SyncDriver member or its value).",
    )
    database: str | None = Field(
        default=None,
        description="Database name; for SQLite, the path of the database file.",
    )
    username: str | None = Field(default=None, description="User to connect as.")
    password: SecretStr | None = Field(
        default=None,
        description="Password of that user; unset means the driver's own sources "
        "(e.g. PGPASSWORD or ~/.pgpass for PostgreSQL).",
    )
    host: str | None = Field(default=None, description="Host name or IP address of the server.")
    port: int | None = Field(default=None, description="Port of the server.")
    query: dict[str, str | list[str]] | None = Field(
        default=None,
        description="Options appended to the URL as its query string, e.g. {'sslmode': 'require'}.",
    )

    @field_validator("driver", mode="before")
    @classmethod
    def _driver_value(cls, value: Any) -> Any:
        return value.value if isinstance(value, Enum) else value

    @model_validator(mode="before")
    @classmethod
    def _from_url_string(cls, data: Any) -> Any:
        if isinstance(data, str) or _is_sqlalchemy_url(data):
            return split_url(data)
        return data

    @classmethod
    def from_url(cls, url: Any) -> ConnectionComponents:
        """Split ``url`` (a string or a `sqlalchemy.URL`); its password becomes the secret."""
        return cls.model_validate(split_url(url))

    def create_url(self) -> URL:
        """The `sqlalchemy.URL` these parts describe (its ``repr`` hides the password)."""
        return build_url(self)

    def describe(self) -> str:
        """``driver://user@host:port/database``, without the password: for messages."""
        return self.create_url().render_as_string(hide_password=True).replace(":***@", "@")


def split_url(url: Any) -> dict[str, Any]:
    """The fields of `ConnectionComponents` from a URL string or `sqlalchemy.URL`.

    A string that is not a URL is a `ValueError` that does not repeat it (it may hold a
    password).
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        raise ValueError(
            f"Could not parse the database URL (not shown: it may hold a password); expected "
            f"{URL_SHAPE}, e.g. postgresql+psycopg://etl@db:5432/warehouse or sqlite:///data.db"
        ) from None
    query = {k: (list(v) if isinstance(v, tuple) else v) for k, v in parsed.query.items()}
    return {
        "driver": parsed.drivername,
        "database": parsed.database,
        "username": parsed.username,
        "password": parsed.password,
        "host": parsed.host,
        "port": parsed.port,
        "query": query or None,
    }


def build_url(parts: Any) -> URL:
    """A `sqlalchemy.URL` from an object with the fields of `ConnectionComponents`."""
    from sqlalchemy.engine import URL

    password = parts.password.get_secret_value() if parts.password is not None else None
    return URL.create(
        drivername=parts.driver,
        username=parts.username,
        password=password,
        host=parts.host,
        port=parts.port,
        database=parts.database,
        query=parts.query or {},
    )


def check_sync_driver(driver: str) -> None:
    """Refuse asynchronous drivers with a message saying what to use instead."""
    if driver in ASYNC_DRIVERS:
        raise ValueError(
            f"Driver {driver!r} is asynchronous; cadenza-sql creates synchronous engines. Use a "
            "synchronous driver such as 'postgresql+psycopg', 'sqlite' or 'mysql+pymysql'"
        )


def _is_sqlalchemy_url(value: Any) -> bool:
    cls = type(value)
    return cls.__name__ == "URL" and cls.__module__.startswith("sqlalchemy")


__all__ = [
    "AsyncDriver",
    "ConnectionComponents",
    "SyncDriver",
    "build_url",
    "check_sync_driver",
    "split_url",
]
