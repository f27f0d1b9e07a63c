from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from record_seed import Seeder

from cadenza.store.database import connect, ensure_schema
from cadenza.testing.postgres import PostgresCluster, start_cluster


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "home" / "cadenza.db"


@pytest.fixture
def conn(db_path: Path) -> Iterator:
    ensure_schema(db_path)
    connection = connect(db_path)
    yield connection
    connection.close()


@pytest.fixture
def seeder(conn) -> Seeder:
    return Seeder(conn)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster (cadenza.testing.postgres); fails if PostgreSQL is missing."""
    try:
        cluster = start_cluster()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(postgres_cluster: PostgresCluster) -> str:
    """The URL of a new, empty PostgreSQL database for this test."""
    return postgres_cluster.create_database()
