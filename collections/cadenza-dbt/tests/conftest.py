"""Fixtures for cadenza-dbt's tests: an isolated cadenza record per test (the `cadenza.testing`
kit), a real dbt with the DuckDB adapter, and the shop project of tests/fixtures.

dbt runs as its own process, so it lives in a virtual environment of its own (dbt-core 1.10
pins pathspec<0.13, which the development environment cannot hold): `dbt_executable` is
``CADENZA_TEST_DBT`` when set, else a venv made once per machine (`cadenza_dbt.testing`).
Each dbt invocation costs seconds, so the builds are session fixtures that the tests read
(test_dbt_build.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cadenza_dbt.testing import dbt_for_tests

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def isolated_home(cadenza_isolated_home: Path) -> Path:
    """The kit's `cadenza_isolated_home`, for every test."""
    return cadenza_isolated_home


@pytest.fixture(scope="session")
def dbt_executable() -> str:
    """A dbt executable with the DuckDB adapter (`cadenza_dbt.testing.dbt_for_tests`)."""
    return dbt_for_tests()


@pytest.fixture(scope="session")
def shop_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shop project (dbt writes target/ and its DuckDB file into it)."""
    project = tmp_path_factory.mktemp("dbt") / "shop"
    shutil.copytree(FIXTURES / "shop", project)
    return project
