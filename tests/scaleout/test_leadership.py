"""Service leases (`cadenza.server.leadership`): one holder per service at a time, renewed by its
holder, taken over once expired, given up on stop — on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from cadenza.server import leadership
from cadenza.server.leadership import Leadership, claim, exited, release, this_host
from cadenza.server.service import ServiceLoop
from cadenza.store import urls as schema
from cadenza.store.sql import SqlDatabase


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def db(request: pytest.FixtureRequest, tmp_path) -> Iterator[SqlDatabase]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'server.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    schema.prepare(url)
    database = SqlDatabase(url)
    yield database
    database.close()


def _claim(db: SqlDatabase, name: str, holder: str, ttl: float) -> bool:
    with db.write() as conn:
        return claim(conn, name, holder, ttl)


def _rows(db: SqlDatabase) -> dict[str, dict]:
    with db.read() as conn:
        return {row["name"]: row for row in leadership.leases(conn)}


def test_a_held_lease_is_refused_to_another_until_it_expires(db: SqlDatabase) -> None:
    assert _claim(db, "reaper", "a", 0.6)
    assert not _claim(db, "reaper", "b", 0.6)
    assert _claim(db, "scheduler", "b", 0.6)  # each service has its own lease
    time.sleep(0.8)
    assert _claim(db, "reaper", "b", 10)
    assert not _claim(db, "reaper", "a", 10)
    assert _rows(db)["reaper"]["holder"] == "b"


def test_renewal_keeps_the_holder_and_when_it_took_the_lease(db: SqlDatabase) -> None:
    assert _claim(db, "reaper", "a", 0.5)
    first = _rows(db)["reaper"]
    for _ in range(4):  # renewed for 1 s, past its first expiry
        time.sleep(0.25)
        assert _claim(db, "reaper", "a", 0.5)
        assert not _claim(db, "reaper", "b", 0.5)
    row = _rows(db)["reaper"]
    assert row["acquired"] == first["acquired"]
    assert row["expires"] > first["expires"] + 0.5
    assert row["live"]


def test_a_released_lease_is_taken_at_once_and_only_by_its_holder_s_release(
    db: SqlDatabase,
) -> None:
    assert _claim(db, "reaper", "a", 60)
    with db.write() as conn:
        release(conn, ["reaper"], "b")  # not b's: nothing happens
    assert not _claim(db, "reaper", "b", 60)
    with db.write() as conn:
        release(conn, ["reaper"], "a")
    assert _claim(db, "reaper", "b", 60)


def test_concurrent_claims_of_a_free_lease_give_it_to_exactly_one(db: SqlDatabase) -> None:
    won: list[str] = []
    barrier = threading.Barrier(8)

    def contend(holder: str) -> None:
        barrier.wait()
        if _claim(db, "scheduler", holder, 60):
            won.append(holder)

    threads = [threading.Thread(target=contend, args=(f"h{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    assert _rows(db)["scheduler"]["holder"] == won[0]


def test_a_service_loop_runs_rounds_only_while_its_process_holds_the_lease(
    db: SqlDatabase,
) -> None:
    first = Leadership(db, ["ticker"], ttl=0.9).start()
    second = Leadership(db, ["ticker"], ttl=0.9).start()
    ran: list[str] = []
    loops = [
        ServiceLoop("ticker", 0.05, lambda: ran.append("first")).led_by(first).start(),
        ServiceLoop("ticker", 0.05, lambda: ran.append("second")).led_by(second).start(),
    ]
    try:
        time.sleep(0.6)
        assert first.holds("ticker") and not second.holds("ticker")
        assert set(ran) == {"first"} and len(ran) >= 5
        first._stop.set()  # the first process freezes: it renews nothing from now on
        loops[0].stop()
        ran.clear()
        deadline = time.monotonic() + 0.9 + 0.3 + 1.0  # the lease, a renewal period, slack
        while not second.holds("ticker"):
            assert time.monotonic() < deadline, "the second process did not take over"
            time.sleep(0.02)
        assert not first.holds("ticker")  # its own deadline ran out before the lease did
        time.sleep(0.3)
        assert set(ran) == {"second"}
    finally:
        for loop in loops:
            loop.stop()
        first.stop()
        second.stop()
    assert _rows(db) == {}  # both gave up what they held


def test_a_process_that_stops_hands_its_services_on_at_once(db: SqlDatabase) -> None:
    first = Leadership(db, ["reaper", "scheduler"], ttl=30).start()
    second = Leadership(db, ["reaper", "scheduler"], ttl=30).start()
    try:
        assert first.held() == ["reaper", "scheduler"] and second.held() == []
        first.stop()
        second.claim_all()  # its next renewal, without waiting for it
        assert second.held() == ["reaper", "scheduler"]
        assert {r["holder"] for r in _rows(db).values()} == {second.holder}
    finally:
        second.stop()


def test_a_holder_on_this_host_whose_process_exited_is_taken_over_at_once(
    db: SqlDatabase,
) -> None:
    here = this_host()
    assert here is not None  # Linux: /proc gives the boot id and the pid namespace
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with db.write() as conn:
            assert claim(conn, "reaper", f"h:{proc.pid}:a", 60, (here, proc.pid))
            assert claim(conn, "scheduler", f"h:{proc.pid}:a", 60, ("another-host", proc.pid))
        lead = Leadership(db, ["reaper", "scheduler"], ttl=60).start()
        assert lead.held() == []  # alive: its leases stand
        proc.kill()
        proc.wait()
        lead.claim_all()
        # gone from this host: taken now; the same pid on another host proves nothing
        assert lead.held() == ["reaper"]
        lead.stop()
    finally:
        proc.kill()
        proc.wait()


def test_exited_tells_a_running_process_from_one_that_is_gone() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    assert not exited(proc.pid) and not exited(os.getpid())
    proc.kill()
    time.sleep(0.2)
    assert exited(proc.pid)  # killed, not yet reaped: a zombie is gone too
    proc.wait()
    assert exited(proc.pid)
