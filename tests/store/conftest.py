from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from record_seed import Seeder

from cadenza.store.database import connect, ensure_schema


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

