"""``GET /metrics`` of a real server process (``cadenza server start``: uvicorn on 127.0.0.1),
on SQLite and on PostgreSQL, after real flows reported to it: every figure equals what its
database holds, or what the client saw it send."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from backends.server_process import ServerProcess
from cadenza import flow, get_run_logger, task
from cadenza.backends.http import HttpBackend
from cadenza.client.http import ApiClient
from cadenza.client.journal import read_lines
from cadenza.client.spool import Spool

pytestmark = [pytest.mark.integration, pytest.mark.slow]

QUICK = {"CADENZA_SERVER_REAPER_INTERVAL": "0.2", "CADENZA_SERVER_SCHEDULER_INTERVAL": "0.2"}


@task
def double(x: int) -> int:
    get_run_logger().info("doubling %d", x)
    return 2 * x


@flow
def fan(n: int) -> int:
    return sum(f.result() for f in double.map(range(n)))


@flow
def broken() -> None:
    double(1)
    raise ValueError("broken on purpose")


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'server.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    home = tmp_path / "server-home"
    home.mkdir()
    process = ServerProcess(url, home, env=QUICK).start()
    yield process
    process.stop()


@pytest.fixture
def offline_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CADENZA_CLIENT_OFFLINE_OK", "true")


def _install(monkeypatch: pytest.MonkeyPatch, backend: HttpBackend) -> HttpBackend:
    import cadenza.backends as backends

    key = (os.environ.get("CADENZA_HOME"), os.environ.get("CADENZA_API_URL"))
    monkeypatch.setattr(backends, "_current", (key, backend))
    return backend


def _backend(
    server: ServerProcess, home: Path, sent: list[str], records: list[int] | None = None
) -> HttpBackend:
    """A backend sending to `server`; `sent` gets each answer's "status path", and `records`
    the number of records in each batch the server took (200)."""

    def answered(response: httpx.Response) -> None:
        path = response.request.url.path
        sent.append(f"{response.status_code} {path}")
        if records is not None and response.status_code == 200 and path == "/api/batch":
            body = json.loads(response.request.content)
            records.append(sum(len(v) for v in body.values() if isinstance(v, list)))

    hooks = {"response": [answered]}
    client = ApiClient(server.url, retry_time=0.5, backoff=0.02, event_hooks=hooks)
    return HttpBackend(client, flush_interval=0.05, spool=Spool(home / "spool"))


Samples = dict[tuple[str, frozenset], float]


def scrape(server: ServerProcess) -> Samples:
    base = server.url.removesuffix("/api")
    answer = httpx.get(f"{base}/metrics", timeout=30)
    assert answer.status_code == 200, answer.text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the series of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def rows(server: ServerProcess, sql: str, **params: Any) -> list[tuple]:
    engine = sa.create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def count(server: ServerProcess, sql: str, **params: Any) -> int:
    return int(rows(server, sql, **params)[0][0])


def wait_for(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_after_real_flows_the_metrics_equal_the_database(
    server: ServerProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sent: list[str] = []
    batch_records: list[int] = []
    backend = _install(monkeypatch, _backend(server, tmp_path, sent, batch_records))
    for n in (3, 5, 8):
        assert fan(n) == 2 * sum(range(n))
    for _ in range(2):
        assert broken(return_state=True).is_failed()
    backend.flush()
    samples = scrape(server)

    by_flow_state = {
        (flow_name, state): n
        for flow_name, state, n in rows(
            server, "SELECT flow_name, state_type, count(*) FROM flow_runs GROUP BY 1, 2"
        )
    }
    assert by_flow_state == {("fan", "COMPLETED"): 3, ("broken", "FAILED"): 2}
    served = {
        (dict(labels)["flow"], dict(labels)["state"]): v
        for (name, labels), v in samples.items()
        if name == "cadenza_flow_runs"
    }
    assert served == by_flow_state

    # every transition the database holds was ingested through the API, and counted once
    transitions = count(server, "SELECT count(*) FROM run_states")
    accepted = total(samples, "cadenza_ingested_transitions_total", outcome="accepted")
    assert accepted == transitions == 5 * 3 + (3 + 5 + 8 + 2) * 3
    task_transitions = count(
        server, "SELECT count(*) FROM run_states WHERE run_id IN (SELECT id FROM task_runs)"
    )
    batch = value(samples, "cadenza_ingested_transitions_total", route="batch", outcome="accepted")
    assert batch == task_transitions
    assert total(samples, "cadenza_ingested_transitions_total", outcome="rejected") == 0

    # one observation per batch the client saw answered, of as many records as it carried
    batches = sent.count("200 /api/batch")
    assert batches >= 1
    assert value(samples, "cadenza_ingest_batch_records_count") == batches
    assert value(samples, "cadenza_ingest_batch_seconds_count") == batches
    assert value(samples, "cadenza_ingest_batch_records_sum") == sum(batch_records)
    # every row arrived in a batch, some more than once (a task run is sent again when it
    # changed after a flush had taken it)
    stored = sum(
        count(server, f"SELECT count(*) FROM {table}")
        for table in ("task_runs", "logs", "artifacts", "cache_entries", "events")
    )
    assert stored + task_transitions <= sum(batch_records)
    assert 0 < value(samples, "cadenza_ingest_batch_seconds_sum") < 60

    assert value(samples, "cadenza_record_up") == 1.0
    assert value(samples, "cadenza_record_scrape_statements") == 2
    assert total(samples, "cadenza_journal_replayed_requests_total") == 0
    held = count(
        server,
        "SELECT count(*) FROM flow_runs WHERE lease_expires IS NOT NULL AND state_type NOT IN "
        "('COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED')",
    )
    assert value(samples, "cadenza_flow_run_leases", status="held") == held == 0


def test_leases_workers_due_runs_and_the_reaper(server: ServerProcess) -> None:
    api, now = server.url, time.time()
    with httpx.Client(base_url=api, timeout=30) as http:
        # a run whose process vanishes (its lease lapses) and one whose process lives
        for run_id, lease in (("doomed", 0.3), ("alive", 600.0)):
            body = {"id": run_id, "name": run_id, "flow_name": "leased", "created": now,
                    "pid": 1, "hostname": "h", "lease_seconds": lease}  # fmt: skip
            assert http.post("/flow_runs", json=body).status_code == 201
            for i, type_ in enumerate(("PENDING", "RUNNING"), 1):
                proposal = {"transition_id": f"{run_id}:{i}", "run_count": i - 1,
                            "state": {"type": type_, "timestamp": time.time()}}  # fmt: skip
                answer = http.post(f"/flow_runs/{run_id}/set_state", json=proposal).json()
                assert answer["decision"] == "ACCEPT", answer
        # two workers of a pool, one of them gone silent
        assert http.post("/work_pools", json={"name": "pool-a"}).status_code in (200, 201)
        for name, lease in (("w-live", 600.0), ("w-gone", 0.2)):
            beat = {"name": name, "lease_seconds": lease}
            assert http.post("/work_pools/pool-a/workers/heartbeat", json=beat).status_code == 200
        # a deployment's run that was due two minutes ago and that nothing started
        deployment = http.post("/deployments", json={
            "flow_name": "nightly", "name": "main", "entrypoint": "flows.py:nightly",
        }).json()  # fmt: skip
        late = http.post(f"/deployments/{deployment['id']}/create_flow_run",
                         json={"scheduled_time": now - 120})  # fmt: skip
        assert late.status_code in (200, 201), late.text
        # a concurrency slot held
        assert http.post("/concurrency_limits", json={"name": "db", "limit": 2}).status_code == 201
        held = http.post("/concurrency_limits/increment-with-lease", json={"names": ["db"]})
        assert held.json()["granted"] is True

    wait_for(
        lambda: (
            rows(server, "SELECT state_type FROM flow_runs WHERE id = 'doomed'") == [("CRASHED",)]
        ),
        "the reaper to mark the doomed run Crashed",
    )
    wait_for(
        lambda: value(scrape(server), "cadenza_reaper_actions_total", action="lease_expired") == 1,
        "the reaper's action to be counted",
    )
    time.sleep(0.3)  # w-gone's lease is over
    samples = scrape(server)
    crashed = count(
        server, "SELECT count(*) FROM run_states WHERE transition_id LIKE 'lease-expired:%'"
    )
    assert value(samples, "cadenza_reaper_actions_total", action="lease_expired") == crashed == 1
    assert value(samples, "cadenza_reaper_actions_total", action="cancellation_expired") == 0
    assert value(samples, "cadenza_flow_run_leases", status="held") == 1  # "alive"
    assert value(samples, "cadenza_flow_run_leases", status="expired") == 0  # reaped
    assert value(samples, "cadenza_workers", pool="pool-a", status="online") == 1
    assert value(samples, "cadenza_workers", pool="pool-a", status="offline") == 1
    assert value(samples, "cadenza_concurrency_leases", limit="db") == 1
    now = time.time()
    due = count(
        server,
        "SELECT count(*) FROM flow_runs WHERE state_type = 'SCHEDULED' "
        "AND expected_start_time <= :now",
        now=now,
    )
    assert value(samples, "cadenza_scheduled_runs_due") == due == 1
    assert 120 <= value(samples, "cadenza_scheduler_lag_seconds") < 120 + 60
    assert value(samples, "cadenza_flow_runs", flow="nightly", state="SCHEDULED") == 1
    assert value(samples, "cadenza_flow_runs", flow="leased", state="CRASHED") == 1
    assert value(samples, "cadenza_flow_runs", flow="leased", state="RUNNING") == 1


def test_replayed_journal_requests_are_counted(
    server: ServerProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, offline_ok: None
) -> None:
    sent: list[str] = []
    backend = _install(monkeypatch, _backend(server, tmp_path, sent))
    assert fan(2) == 2
    backend.flush()
    before = count(server, "SELECT count(*) FROM run_states")

    server.kill()  # the server is gone: this run goes to the client's journal
    assert fan(4) == 12
    backend.flush()
    (journal,) = (tmp_path / "spool").glob("*.jsonl")
    ops = Counter(line.entry["op"] for line in read_lines(journal) if line.entry is not None)
    assert ops["flow_run"] == 1 and ops["set_state"] == 3 and ops["batch"] >= 1

    server.start()  # same port, same database, counters from zero
    backend.flush()  # replays the journal
    assert journal.stat().st_size == 0
    samples = scrape(server)
    for op in ("flow_run", "set_state", "batch"):
        assert value(samples, "cadenza_journal_replayed_requests_total", op=op) == ops[op]
    added = count(server, "SELECT count(*) FROM run_states") - before
    assert added == 3 + 4 * 3
    assert total(samples, "cadenza_ingested_transitions_total", outcome="accepted") == added


def test_two_server_processes_on_one_database(
    server: ServerProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What the record holds is the same from each process; what each process ingested is its
    own, and the two sum to the record."""
    home = tmp_path / "second-home"
    home.mkdir()
    second = ServerProcess(server.database_url, home, env=QUICK).start()
    try:
        for index, (process, n) in enumerate(((server, 3), (second, 6))):
            from cadenza.backends import reset_backend

            reset_backend()
            backend = _install(monkeypatch, _backend(process, tmp_path / f"c{index}", []))
            assert fan(n) == 2 * sum(range(n))
            backend.flush()
        first_scrape, second_scrape = scrape(server), scrape(second)
    finally:
        second.stop()

    def record(samples: Samples) -> Samples:
        return {k: v for k, v in samples.items() if k[0] == "cadenza_flow_runs"}

    assert record(first_scrape) == record(second_scrape)
    assert value(first_scrape, "cadenza_flow_runs", flow="fan", state="COMPLETED") == 2
    mine = [
        total(s, "cadenza_ingested_transitions_total", outcome="accepted")
        for s in (first_scrape, second_scrape)
    ]
    assert mine == [3 + 3 * 3, 3 + 6 * 3]  # each process counted what it was sent
    assert sum(mine) == count(server, "SELECT count(*) FROM run_states")
