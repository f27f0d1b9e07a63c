"""cadenza-dbt passes cadenza's conformance suites for everything it registers.

Each suite is a class of tests from `cadenza.testing`; a subclass supplies one fixture.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from cadenza.testing import BlockConformance, DistributionConformance, StorageBackendConformance

from cadenza_dbt import (
    DbtCredentials,
    DbtStorage,
)

# the collection's names, each on a line of its own (they can be long)
DISTRIBUTION = "cadenza-dbt"
PACKAGE = "cadenza_dbt"
ENTRY_POINT = "dbt"
Credentials = DbtCredentials
Storage = DbtStorage


class TestCredentials(BlockConformance):
    """Saved and loaded by name; the token never shows in repr, JSON, logs or the database."""

    @pytest.fixture
    def block(self) -> Credentials:
        return Credentials(api_token="a-long-test-token")


class TestStorageBlock(BlockConformance):
    @pytest.fixture
    def block(self, tmp_path: Path) -> Storage:
        return Storage(basepath=tmp_path / "blobs")


class TestStorageInADirectory(StorageBackendConformance):
    """read/write/exists/delete/list, unsafe keys refused, 8 MB blobs, usable as result storage."""

    @pytest.fixture
    def storage(self, tmp_path: Path) -> Storage:
        return Storage(basepath=tmp_path / "blobs")


class TestStorageInMemory(StorageBackendConformance):
    @pytest.fixture
    def storage(self) -> Storage:
        return Storage(namespace=f"conformance-{uuid.uuid4().hex}")


class TestDistribution(DistributionConformance):
    """The `cadenza` entry point names the plugin module; the cadenza range required is bounded,
    includes this cadenza and is the plugin's CADENZA_API; the package and plugin module import in
    < 100 ms, without pydantic or the modules below."""

    distribution = DISTRIBUTION
    entry_point = ENTRY_POINT
    plugin_module = f"{PACKAGE}.plugin"
    # add your SDK's top-level module here, e.g. "boto3"
    heavy_modules = (f"{PACKAGE}.credentials", f"{PACKAGE}.storage", f"{PACKAGE}.tasks")
