"""Server processes behind PgBouncer in transaction mode (Debian's PgBouncer 1.18, which does not
follow prepared statements): with ``CADENZA_SERVER_DB_PREPARED_STATEMENTS=false`` two servers
migrate, run their services by lease and ingest concurrent flows completely, while PostgreSQL
sees no more connections than PgBouncer's pool."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from scaleout_helpers import SERVICES, live_holders, services, start_servers, wait_for

from backends.server_process import ROOT
from cadenza.testing.pgbouncer import PgBouncer, start_pgbouncer
from cadenza.testing.postgres import PostgresCluster

pytestmark = [pytest.mark.integration, pytest.mark.slow]

POOL = 4  # PgBouncer's default_pool_size: the most connections PostgreSQL should see
FLOWS, TASKS = 8, 40

FLOW = """
from cadenza import flow, get_run_logger, task
from cadenza.task_runners import ThreadPoolTaskRunner

@task
def step(i: int) -> int:
    get_run_logger().info("step %d", i)
    return i * 2

@flow(task_runner=ThreadPoolTaskRunner(max_workers=8))
def bounced(n: int) -> int:
    return sum(f.result() for f in step.map(range(n)))

assert bounced({tasks}) == {total}
"""


@pytest.fixture
def bouncer(postgres_cluster: PostgresCluster) -> Iterator[PgBouncer]:
    started = start_pgbouncer(postgres_cluster, pool_mode="transaction", pool_size=POOL)
    yield started
    started.stop()


def _conninfo(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://")


class _Backends:
    """Polls pg_stat_activity (directly, not through PgBouncer) for the most connections to
    the database at once."""

    def __init__(self, database_url: str) -> None:
        self.conninfo = _conninfo(database_url)
        self.database = database_url.rsplit("/", 1)[1]
        self.most = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> _Backends:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _poll(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            while not self._stop.wait(0.02):
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                    "pg_backend_pid()",
                    (self.database,),
                ).fetchone()
                self.most = max(self.most, row[0] if row else 0)


def test_two_servers_behind_pgbouncer_in_transaction_mode_lose_nothing(
    pg_url: str, bouncer: PgBouncer, tmp_path: Path
) -> None:
    through = bouncer.url_for(pg_url)
    assert through != pg_url
    with _Backends(pg_url) as backends:
        servers = start_servers(
            through, tmp_path, 2, env={"CADENZA_SERVER_DB_PREPARED_STATEMENTS": "false"}
        )
        try:
            wait_for(lambda: sorted(live_holders(services(servers[0].url))) == sorted(SERVICES),
                     timeout=30, every=0.2)  # fmt: skip
            script = tmp_path / "flow.py"
            script.write_text(textwrap.dedent(FLOW.format(
                tasks=TASKS, total=sum(i * 2 for i in range(TASKS))
            )))  # fmt: skip
            clients = []
            for i in range(FLOWS):
                home = tmp_path / f"client-{i}"
                home.mkdir()
                env = {**os.environ, "CADENZA_HOME": str(home),
                       "CADENZA_API_URL": servers[i % 2].url}  # fmt: skip
                env.pop("CADENZA_API_KEY", None)
                clients.append(subprocess.Popen(
                    [sys.executable, str(script)], env=env, cwd=ROOT,
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                ))  # fmt: skip
            for proc in clients:
                out, _ = proc.communicate(timeout=240)
                assert proc.returncode == 0, out.decode(errors="replace")
            views = [services(s.url) for s in servers]
            holders = live_holders(views[0])
            assert sorted(holders) == sorted(SERVICES)
            assert live_holders(views[1]) == holders  # both read one record
        finally:
            for server in servers:
                server.stop()
        time.sleep(0.1)
    logs = "\n".join(s.log() for s in servers)
    assert "prepared statement" not in logs, logs[-3000:]
    assert 0 < backends.most <= POOL, backends.most  # PgBouncer's pool, not the servers' 2 x 15

    with psycopg.connect(_conninfo(pg_url), autocommit=True) as conn:

        def one(sql: str) -> int:
            row = conn.execute(sql).fetchone()
            return int(row[0]) if row else -1

        assert one("SELECT count(*) FROM flow_runs WHERE state_type = 'COMPLETED'") == FLOWS
        assert one("SELECT count(*) FROM task_runs WHERE state_type = 'COMPLETED'") == FLOWS * TASKS
        assert (
            one("SELECT count(*) FROM run_states s JOIN task_runs t ON t.id = s.run_id")
            == FLOWS * TASKS * 3
        )
        assert one("SELECT count(*) FROM logs WHERE task_run_id IS NOT NULL") == FLOWS * TASKS
