"""Fixtures of the concurrency-limit tests: this process forgets its record's limits between
tests (the API objects and the cached tag limits follow CADENZA_HOME and CADENZA_API_URL), and
each test names its limits uniquely, since the session's servers keep theirs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True)
def fresh_limits() -> Iterator[None]:
    from cadenza.concurrency._api import reset_slots_apis
    from cadenza.concurrency.tag_limits import forget

    reset_slots_apis()
    forget()
    yield
    reset_slots_apis()
    forget()


@pytest.fixture
def name(request: pytest.FixtureRequest) -> str:
    """A limit name no other test uses (the servers are shared by the session)."""
    from cadenza._ids import new_id

    return f"limit-{new_id()[-12:]}"
