"""Fixtures for cadenza-azure's tests: an isolated cadenza record per test (from the
`cadenza.testing` pytest plugin) and one real Azurite per session.

Azurite (the official Azure Storage emulator) comes from npm: `cadenza_azure.testing` installs
``azurite@3`` once into ``build/azurite`` of the repository (gitignored; ``CADENZA_AZURITE_DIR``
overrides it), then starts its Blob service on 127.0.0.1 on a free port, with its data in a
temporary directory, and stops it by its PID at the end of the session. Each test that needs a
container gets a fresh one, so tests do not see each other's blobs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cadenza_azure.testing import Azurite, default_cache_dir, start_azurite


@pytest.fixture(autouse=True)
def isolated_home(cadenza_isolated_home: Path) -> Path:
    """Every test gets its own cadenza record (the `cadenza.testing` kit's fixture)."""
    return cadenza_isolated_home


@pytest.fixture
def record(cadenza_record: Any) -> Any:
    """Query the record after a flush: ``record("SELECT ...", *params)``."""
    return cadenza_record


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    """The session's Azurite; fails (naming what to install) if it cannot be installed."""
    try:
        service = start_azurite(default_cache_dir())
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield service
    service.stop()


@pytest.fixture
def container_name(azurite: Azurite) -> str:
    """The name of a new, empty container in Azurite."""
    name = f"test-{uuid.uuid4().hex[:16]}"
    azurite.container(name)  # creates it
    return name


@pytest.fixture
def container(azurite: Azurite, container_name: str) -> Any:
    """A container block on a fresh container, with a folder (keys live under ``data/``),
    authenticated by connection string."""
    return azurite.container(container_name, base_folder="data", create=False)
