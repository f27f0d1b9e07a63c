"""Fixtures for cadenza-sql's tests: an isolated cadenza record per test (from the
`cadenza.testing` pytest plugin), one real PostgreSQL cluster per session, and databases.

The PostgreSQL cluster is the core kit's throwaway cluster (`cadenza_sql.testing.start_postgres`):
initdb + pg_ctl on 127.0.0.1 and a free port, stopped (pg_ctl stop) and removed at the end of the
session. Behavioural tests take ``db_url`` / ``connector``, parametrized over a SQLite file and a
fresh PostgreSQL database, so each runs against both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cadenza_sql.testing import connector_for, sqlite_url, start_postgres


@pytest.fixture(autouse=True)
def isolated_home(cadenza_isolated_home: Path) -> Path:
    """Every test gets its own cadenza record (the `cadenza.testing` kit's fixture)."""
    return cadenza_isolated_home


@pytest.fixture
def record(cadenza_record: Any) -> Any:
    """Query the record after a flush: ``record("SELECT ...", *params)``."""
    return cadenza_record


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """A real PostgreSQL server for the session (fails, naming the package, if not installed)."""
    cluster = start_postgres()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def postgres_database(postgres: Any) -> str:
    """The URL of one database in the session cluster, for the tests' schemas."""
    return postgres.create_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new, empty database: a SQLite file, or — for PostgreSQL — a new schema of
    the session database, made the connection's ``search_path`` (much faster than CREATE
    DATABASE, and just as isolated for tests that use unqualified table names)."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "test.db")
    import uuid

    import psycopg

    url = request.getfixturevalue("postgres_database")
    schema = f"s_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return f"{url}?options=-csearch_path%3D{schema}"


@pytest.fixture
def connector(db_url: str) -> Iterator[Any]:
    """A `SqlAlchemyConnector` for ``db_url``, closed after the test."""
    with connector_for(db_url) as db:
        yield db


@pytest.fixture
def users(connector: Any) -> Any:
    """``connector`` with a ``users`` table of three rows (id, name, city)."""
    connector.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, city TEXT)")
    connector.execute_many(
        "INSERT INTO users (id, name, city) VALUES (:id, :name, :city)",
        [
            {"id": 1, "name": "ada", "city": "London"},
            {"id": 2, "name": "grace", "city": "New York"},
            {"id": 3, "name": "alan", "city": "London"},
        ],
    )
    return connector
