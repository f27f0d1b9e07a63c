"""A flow run seen alive by a request still waiting for the database is not reaped: sightings
are noted as requests arrive (`cadenza.server.sightings`), before any wait."""

from __future__ import annotations

import time

import sqlalchemy as sa

from cadenza.server import leases
from cadenza.server.sightings import Sightings
from cadenza.server.store import Store
from cadenza.store import urls as schema
from cadenza.store.tables import flow_runs


def _store_with_expired_run(tmp_path, run_id: str) -> Store:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    schema.prepare(url)
    store = Store(url)
    with store._write() as conn:
        conn.execute(
            flow_runs.insert().values(
                id=run_id, name="r", flow_name="f", created=time.time(), parameters="{}",
                tags="[]", retries=0, lease_expires=time.time() - 1,
            )
        )  # fmt: skip
    return store


def _lease(store: Store, run_id: str) -> float | None:
    with store.engine.connect() as conn:
        return conn.execute(
            sa.select(flow_runs.c.lease_expires).where(flow_runs.c.id == run_id)
        ).scalar_one()


def test_a_run_seen_alive_is_spared_and_its_lease_written(tmp_path) -> None:
    store = _store_with_expired_run(tmp_path, "seen")
    store.sightings.saw(["seen"], 30)
    assert leases.reap(store) == []
    assert _lease(store, "seen") > time.time() + 25


def test_a_run_not_seen_is_reaped(tmp_path) -> None:
    store = _store_with_expired_run(tmp_path, "silent")
    assert leases.reap(store) == ["silent"]


def test_sightings_keep_the_latest_and_forget_the_run_out() -> None:
    seen = Sightings()
    seen.saw(["a"], 60)
    seen.saw(["a"], 1)  # an earlier expiry never shortens a sighting
    assert seen.alive_until("a") > time.time() + 55
    seen.saw(["b"], 0.01)
    seen.prune(time.time() + 1)
    assert seen.alive_until("b") == 0.0
    assert seen.alive_until("a") > 0
