"""`DatabaseCredentials`: the parts of a database URL, saved as a block (prefect-sqlalchemy's
``DatabaseCredentials``).

Give either the parts (``driver``, ``username``, ``password``, ``host``, ``port``,
``database``, ``query``) or ``url="dialect+driver://user:password@host:port/database"``; a URL
is split into the parts and its password kept as a secret, so it never shows in ``repr``, JSON,
saved data or logs. `get_engine` returns a new SQLAlchemy engine; `get_connector` a
`SqlAlchemyConnector` for the prebuilt tasks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cadenza.blocks.core import Block
from cadenza.blocks.fields import SecretDict
from pydantic import ConfigDict, Field, SecretStr, field_validator, model_validator

from cadenza_sql.connection import (
    ConnectionComponents,
    build_url,
    check_sync_driver,
    split_url,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Engine

    from cadenza_sql.connector import SqlAlchemyConnector


class DatabaseCredentials(Block):
    """Credentials and address of a database: a URL's parts, the password kept secret."""

    _block_type_slug = "database-credentials"
    _block_type_name = "Database Credentials"
    _description = "Credentials and address of a database, the password kept secret."
    _documentation_url = "https://cadenza.dev/collections/sql/"

    model_config = ConfigDict(hide_input_in_errors=True)

    driver: str = Field(
        description="SQLAlchemy dialect+driver, e.g. 'postgresql+psycopg' or 'sqlite'.",
    )
    username: str | None = Field(default=None, description="User to connect as.")
    password: SecretStr | None = Field(
        default=None,
        description="Password of that user; unset means the driver's own sources "
        "(e.g. PGPASSWORD or ~/.pgpass for PostgreSQL).",
    )
    database: str | None = Field(
        default=None, description="Database name; for SQLite, the path of the database file."
    )
    host: str | None = Field(default=None, description="Host name or IP address of the server.")
    port: int | None = Field(default=None, description="Port of the server.")
    query: dict[str, str | list[str]] | None = Field(
        default=None, description="Options appended to the URL as its query string."
    )
    connect_args: SecretDict | None = Field(
        default=None,
        description="Extra keyword arguments for the driver's connect() (values kept secret).",
    )

    @model_validator(mode="before")
    @classmethod
    def _split_url_argument(cls, data: Any) -> Any:
        """``url=...`` is accepted and split into the fields (never stored as a string)."""
        if isinstance(data, dict) and data.get("url") is not None:
            data = dict(data)
            parts = split_url(data.pop("url"))
            clash = sorted(k for k, v in data.items() if v is not None and k in parts)
            if clash:
                raise ValueError(f"Give either url or {', '.join(clash)}, not both")
            data.update(parts)
        elif isinstance(data, dict):
            data.pop("url", None)
        return data

    @field_validator("driver", mode="before")
    @classmethod
    def _driver_value(cls, value: Any) -> Any:
        return getattr(value, "value", value)

    @property
    def rendered_url(self) -> URL:
        """The `sqlalchemy.URL` of these credentials (its ``repr`` hides the password)."""
        return build_url(self)

    def to_components(self) -> ConnectionComponents:
        """These credentials as the ``connection_info`` of a `SqlAlchemyConnector`."""
        return ConnectionComponents(
            driver=self.driver,
            database=self.database,
            username=self.username,
            password=self.password,
            host=self.host,
            port=self.port,
            query=self.query,
        )

    def get_engine(self, **create_engine_kwargs: Any) -> Engine:
        """A new synchronous `sqlalchemy.Engine` for these credentials (dispose of it when
        done). Keyword arguments go to `sqlalchemy.create_engine`."""
        check_sync_driver(self.driver)
        from sqlalchemy import create_engine

        connect_args = self.connect_args.get_secret_value() if self.connect_args else {}
        create_engine_kwargs.setdefault("hide_parameters", True)
        return create_engine(self.rendered_url, connect_args=connect_args, **create_engine_kwargs)

    def get_connector(self, fetch_size: int = 1) -> SqlAlchemyConnector:
        """A `SqlAlchemyConnector` with these credentials, for the prebuilt tasks."""
        from cadenza_sql.connector import SqlAlchemyConnector

        return SqlAlchemyConnector(
            connection_info=self.to_components(),
            connect_args=self.connect_args,
            fetch_size=fetch_size,
        )


__all__ = ["DatabaseCredentials"]
