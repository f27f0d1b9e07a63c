"""Limits and leases on the record itself (SQLite and PostgreSQL), with a moved clock.

`cadenza.store.concurrency` takes ``now``, so a lease's expiry or a rate limit's decay is a jump
of the clock; nothing here sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cadenza.exceptions import ObjectAlreadyExists, ObjectNotFound
from cadenza.store import concurrency as store
from cadenza.store.sql import SqlDatabase
from cadenza.store.urls import prepare

T = 1_000_000.0  # the clock of these tests


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cadenza.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    prepare(url)
    database = SqlDatabase(url)
    yield database
    database.close()


def _acquire(db: SqlDatabase, names: list[str], slots: int = 1, **kw: object) -> store.Outcome:
    kw.setdefault("now", T)
    with db.write() as conn:
        return store.acquire(conn, db.engine.dialect.name, names, slots, **kw)  # type: ignore[arg-type]  # keyword options of several types


def _read(db: SqlDatabase, name: str, now: float = T) -> dict:
    with db.read() as conn:
        return store.read_limit(conn, name, now)


def _create(
    db: SqlDatabase, name: str, limit: int, decay: float = 0.0, active: bool = True
) -> dict:
    with db.write() as conn:
        return store.create_limit(conn, name, limit, active, decay, now=T)


def test_a_limit_is_created_read_listed_updated_and_deleted(db: SqlDatabase) -> None:
    made = _create(db, "db", 5)
    assert made["name"] == "db" and made["limit"] == 5 and made["active_slots"] == 0
    assert made["active"] is True and made["slot_decay_per_second"] == 0.0
    _create(db, "tag:etl", 2)
    with pytest.raises(ObjectAlreadyExists, match="'db' exists"):
        _create(db, "db", 1)
    with db.read() as conn:
        assert [x["name"] for x in store.list_limits(conn, now=T)] == ["db", "tag:etl"]
        assert [x["name"] for x in store.list_limits(conn, prefix="tag:", now=T)] == ["tag:etl"]
        assert store.limited_tags(conn) == ["etl"]
    with db.write() as conn:
        changed = store.update_limit(conn, "db", limit=7, slot_decay_per_second=0.5, now=T)
        assert (changed["limit"], changed["slot_decay_per_second"]) == (7, 0.5)
        store.update_limit(conn, "tag:etl", active=False, now=T)
        assert store.limited_tags(conn) == []  # an inactive tag limit holds no task run back
        store.delete_limit(conn, "db", now=T)
        with pytest.raises(ObjectNotFound, match="no concurrency limit named 'db'"):
            store.read_limit(conn, "db")
        with pytest.raises(ObjectNotFound):
            store.update_limit(conn, "db", limit=1)


def test_slots_are_taken_all_or_none_and_never_beyond_the_limit(db: SqlDatabase) -> None:
    _create(db, "a", 2)
    _create(db, "b", 1)
    first = _acquire(db, ["a", "b"], holder={"type": "task_run", "id": "t1"})
    assert first.granted and first.lease_id and first.missing == []
    assert _read(db, "a")["active_slots"] == 1 and _read(db, "b")["active_slots"] == 1
    blocked = _acquire(db, ["a", "b"])
    assert not blocked.granted and blocked.blocked == ["b"]
    assert _read(db, "a")["active_slots"] == 1  # nothing of "a" was taken: all or none
    assert _acquire(db, ["a"]).granted
    assert not _acquire(db, ["a"]).granted
    lease = _read(db, "a")["leases"][0]
    assert lease["holder"] == {"type": "task_run", "id": "t1"} and lease["slots"] == 1


def test_missing_and_inactive_limits_take_nothing(db: SqlDatabase) -> None:
    _create(db, "off", 1, active=False)
    outcome = _acquire(db, ["off", "nowhere"])
    assert outcome.granted and outcome.lease_id is None
    assert outcome.missing == ["nowhere"] and [x["name"] for x in outcome.limits] == ["off"]
    assert _acquire(db, ["off"]).granted  # still nothing held


def test_a_request_that_could_never_be_granted_is_refused(db: SqlDatabase) -> None:
    _create(db, "two", 2)
    with pytest.raises(
        ValueError, match="3 slot\\(s\\) requested, more than the limit of 'two' \\(2\\)"
    ):
        _acquire(db, ["two"], 3)
    with pytest.raises(ValueError, match=r"only concurrency limits with slot decay .*'two'"):
        _acquire(db, ["two"], mode="rate_limit")
    for bad in (0, -1, True, 2**31):
        with pytest.raises(ValueError, match="slots to occupy"):
            _acquire(db, ["two"], bad)


def test_an_expired_lease_frees_its_slots_and_cannot_be_renewed(db: SqlDatabase) -> None:
    _create(db, "one", 1)
    held = _acquire(db, ["one"], lease_seconds=10)
    assert not _acquire(db, ["one"], now=T + 9).granted
    with db.write() as conn:  # renewed at T + 5: held until T + 15
        assert store.renew(conn, db.engine.dialect.name, held.lease_id, 10, now=T + 5) == T + 15
    blocked = _acquire(db, ["one"], now=T + 14)
    assert not blocked.granted and blocked.retry_at == T + 15  # when a dead holder's lease ends
    assert _read(db, "one", now=T + 15.5)["active_slots"] == 0  # nobody released it
    taken = _acquire(db, ["one"], now=T + 15.5)
    assert taken.granted
    with db.write() as conn:
        assert store.renew(conn, db.engine.dialect.name, held.lease_id, 10, now=T + 16) is None


def test_release_frees_slots_and_reset_drops_every_lease(db: SqlDatabase) -> None:
    _create(db, "three", 3)
    leases = [_acquire(db, ["three"]).lease_id for _ in range(3)]
    dialect = db.engine.dialect.name
    with db.write() as conn:
        assert store.release(conn, dialect, leases[0], now=T) == [("three", 1)]
        assert store.release(conn, dialect, leases[0], now=T) == []  # twice: nothing more
        assert store.release(conn, dialect, "no-such-lease", now=T) == []
    assert _read(db, "three")["active_slots"] == 2
    with db.write() as conn:
        assert store.reset_limit(conn, "three", now=T)["active_slots"] == 0
        assert store.renew(conn, dialect, leases[1], 10, now=T) is None  # its holder lost it


def test_a_rate_limit_is_a_leaky_bucket(db: SqlDatabase) -> None:
    _create(db, "api", 10, decay=1.0)
    burst = _acquire(db, ["api"], 10, mode="rate_limit")
    assert burst.granted and burst.expires == T + 10
    for seconds, used in ((0, 10), (1, 9), (2.5, 8), (9.5, 1), (10, 0)):
        assert _read(db, "api", now=T + seconds)["active_slots"] == used
    blocked = _acquire(db, ["api"], 3, mode="rate_limit", now=T + 1)
    assert not blocked.granted and blocked.retry_at == pytest.approx(T + 3)
    later = _acquire(db, ["api"], 3, mode="rate_limit", now=T + 3)
    assert later.granted and later.expires == pytest.approx(T + 13)  # after the burst drains
    assert _read(db, "api", now=T + 3)["active_slots"] == 10
    # sustained: one slot a second, however the takers come
    assert not _acquire(db, ["api"], mode="rate_limit", now=T + 3.5).granted
    assert _acquire(db, ["api"], mode="rate_limit", now=T + 4).granted


def test_a_held_lease_released_on_a_limit_with_decay_decays(db: SqlDatabase) -> None:
    _create(db, "slow", 2, decay=0.5)
    held = _acquire(db, ["slow"], 2)
    with db.write() as conn:
        assert store.release(conn, db.engine.dialect.name, held.lease_id, now=T + 1) == []
    assert _read(db, "slow", now=T + 1)["active_slots"] == 2
    assert _read(db, "slow", now=T + 3)["active_slots"] == 1
    assert _acquire(db, ["slow"], now=T + 3).granted


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("a/b", "must not contain '/'"),
        ("100%", "must not contain '%'"),
        ("", "must not be empty"),
        ("x" * 1_000_000, "is 1,000,000 characters long; at most 200"),
        ("lone\udc80", "must not contain a lone surrogate \\(U\\+DC80\\)"),
        ("new\nline", "must not contain a control character \\(U\\+000A\\)"),
        (42, "must be a string, not int"),
    ],
)
def test_a_bad_name_is_refused_naming_the_rule(db: SqlDatabase, bad: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _create(db, bad, 1)  # type: ignore[arg-type]  # a bad name on purpose
    with pytest.raises(ValueError, match=message):
        _acquire(db, [bad])  # type: ignore[list-item]  # a bad name on purpose


def test_bad_limits_and_decays_are_refused(db: SqlDatabase) -> None:
    with pytest.raises(ValueError, match="from 0 to 2147483647, not -1"):
        _create(db, "neg", -1)
    with pytest.raises(ValueError, match="whole number, not a float"):
        _create(db, "half", 1.5)  # type: ignore[arg-type]  # a bad limit on purpose
    for decay in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="slot_decay_per_second must be from 0"):
            _create(db, "decay", 1, decay=decay)
    with db.read() as conn:
        assert store.list_limits(conn) == []  # nothing was written
