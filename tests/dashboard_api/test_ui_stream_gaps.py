"""`cadenza.store.live_stream` on PostgreSQL, where rows commit out of id order: a cursor never
moves past a log line whose transaction is still open (it would never be sent), and moves past
an id rolled back once that transaction has ended."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from cadenza.store import live_stream
from cadenza.store.live_stream import Gaps, LiveCursor, LiveFilter
from cadenza.store.urls import prepare

pytestmark = pytest.mark.integration

INSERT = sa.text(
    "INSERT INTO logs (flow_run_id, level, logger, message, timestamp) "
    "VALUES ('r', 20, 'x', :m, 1.0)"
)


@pytest.fixture
def engine(pg_url: str) -> Iterator[sa.Engine]:
    prepare(pg_url)
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO flow_runs (id, name, flow_name, created) VALUES ('r', 'r', 'f', 1.0)"
        ))  # fmt: skip
    yield engine
    engine.dispose()


def _read(engine: sa.Engine, after: LiveCursor, gaps: Gaps) -> tuple[list[str], LiveCursor]:
    with engine.connect() as conn:
        changes, cursor = live_stream.read(conn, LiveFilter(flow_run_id="r"), after, 100, gaps)
    return [data["message"] for kind, data, _ in changes if kind == "log"], cursor


def test_a_line_committed_after_a_later_one_is_not_skipped(engine: sa.Engine) -> None:
    gaps = Gaps()
    start = LiveCursor()
    slow = engine.connect()
    slow_tx = slow.begin()
    slow.execute(INSERT, {"m": "slow"})  # takes an id, commits last
    with engine.begin() as conn:
        conn.execute(INSERT, {"m": "fast"})
    got, cursor = _read(engine, start, gaps)
    assert (got, cursor) == ([], start)  # waits at the open transaction's id
    got, cursor = _read(engine, cursor, gaps)
    assert got == []
    slow_tx.commit()
    slow.close()
    got, cursor = _read(engine, cursor, gaps)
    assert got == ["slow", "fast"]
    assert _read(engine, cursor, gaps)[0] == []


def test_an_id_rolled_back_is_passed_once_its_transaction_ended(engine: sa.Engine) -> None:
    gaps = Gaps()
    with engine.connect() as gone:
        tx = gone.begin()
        gone.execute(INSERT, {"m": "rolled back"})
        with engine.begin() as conn:
            conn.execute(INSERT, {"m": "kept"})
        got, cursor = _read(engine, LiveCursor(), gaps)
        assert got == []
        tx.rollback()
    got, cursor = _read(engine, cursor, gaps)
    assert got == ["kept"]
