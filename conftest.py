"""Markers shared by every suite of the repository (the core's, the plugins' and the collections').

`make test-fast` leaves out tests marked ``integration``, ``slow``, ``docs`` or ``soak`` (see
the ``markers`` in pyproject.toml). A test is marked ``integration`` here when it uses a fixture
that starts something real outside the test's own process — a PostgreSQL cluster, a server
process, an S3 or GCS emulator, a Dask cluster, a fresh interpreter — so a new test using one is
selected correctly without a mark of its own. Tests that start such things themselves carry
the mark explicitly (``pytestmark`` or ``pytest.param(..., marks=...)``).
"""

from __future__ import annotations

import os

import pytest

# The CLI fits its tables to COLUMNS when it is set (cadenza.cli.formatting.output_width).
# pytest-xdist's workers start with COLUMNS=80 and LINES=24 in their environment, which would cut
# the output of every CLI test there but not in a serial run; a test that wants a width sets it.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)

INTEGRATION_FIXTURES = frozenset(
    {
        # a throwaway PostgreSQL cluster (tests/conftest.py, cadenza-sql)
        "postgres_cluster",
        "postgres_url",
        "pg_url",
        "postgres",
        "postgres_database",
        # a real server process (tests/conftest.py)
        "sqlite_server",
        "postgresql_server",
        # a fresh interpreter (tests/conftest.py)
        "run_python",
        # emulators and clusters of the collections and the Dask and Ray plugins
        "moto_server",
        "gcs_emulator",
        "azurite",
        "dask_cluster",
        "dask_address",
        "ray_address",  # cadenza-ray: a local Ray cluster, once per session
        "dbt_executable",  # cadenza-dbt: dbt installed in a venv of its own
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from cadenza.testing import PluginModuleConformance

    for item in items:
        if INTEGRATION_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
        # the import checks of a plugin (and of its distribution) run fresh interpreters
        cls = getattr(item, "cls", None)
        if cls is not None and issubclass(cls, PluginModuleConformance):
            item.add_marker(pytest.mark.integration)
