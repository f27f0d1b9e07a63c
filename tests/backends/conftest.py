"""Fixtures for the three-backend suite: a throwaway PostgreSQL cluster and real servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cadenza.testing.postgres import start_cluster


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """``postgresql+psycopg://cadenza@127.0.0.1:PORT/postgres`` of a throwaway cluster.

    Fails (never skips) when PostgreSQL is not installed: `.ci/run` installs it.
    """
    try:
        cluster = start_cluster()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield cluster.url
    finally:
        cluster.stop()
