from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "store"))

from record_seed import Seeder

from cadenza.cli.main import cli
from cadenza.store.database import connect, ensure_schema


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated CADENZA_HOME; returns the record's path (not yet created)."""
    monkeypatch.setenv("CADENZA_HOME", str(tmp_path / "home"))
    return tmp_path / "home" / "cadenza.db"


@pytest.fixture
def seeder(home: Path) -> Iterator[Seeder]:
    ensure_schema(home)
    conn = connect(home)
    yield Seeder(conn)
    conn.close()


@pytest.fixture
def sample(seeder: Seeder) -> dict[str, str]:
    return seeder.sample()


@pytest.fixture
def invoke():
    """Run the cadenza CLI in-process; stderr is kept separate from stdout."""

    def run(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return run
