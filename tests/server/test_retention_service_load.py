"""A server's retention service deletes a million log lines while a flow reporting to that server
keeps writing: on SQLite and on PostgreSQL the flow completes with every line recorded, and its
worst flush (a batch sent and committed) while the service deleted stays short.

The million lines belong to a run that is Running when the server starts (the service keeps the
lines of a run still going) and is marked Completed once the writer runs: the next round of the
service deletes them. Prints the figures (run with ``-s``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from backends.server_process import ServerProcess
from cadenza.store import urls

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ROWS = 1_000_000
WRITER = Path(__file__).resolve().parents[1] / "store" / "retention_writer.py"
OLD = time.time() - 40 * 86400
SERIES = {
    "sqlite": "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < :rows) "
    "INSERT INTO logs (id, flow_run_id, level, logger, message, timestamp, uid) "
    "SELECT x, 'old-run', 20, 'cadenza.flow_runs', 'old line ' || x, :old + x / 1000.0, "
    "'old-' || x FROM n",
    "postgresql": "INSERT INTO logs (id, flow_run_id, level, logger, message, timestamp, uid) "
    "SELECT x, 'old-run', 20, 'cadenza.flow_runs', 'old line ' || x, :old + x / 1000.0, "
    "'old-' || x FROM generate_series(1, :rows) AS x",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.db'}"
    else:
        yield request.getfixturevalue("pg_url")


def _seed(url: str) -> None:
    urls.prepare(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO flow_runs (id, name, flow_name, created, state_type, "
                             "state_name) VALUES ('old-run', 'old', 'etl', :old, 'RUNNING', "
                             "'Running')"), {"old": OLD})  # fmt: skip
        conn.execute(sa.text(SERIES[engine.dialect.name]), {"rows": ROWS, "old": OLD})
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('logs', 'id'), :rows)"),
                         {"rows": ROWS})  # fmt: skip
    engine.dispose()


def _stalls(flushes: list[list[float]], start: float, end: float) -> dict[str, float]:
    inside = sorted(d for t, d in flushes if start <= t <= end)
    if not inside:
        return {"flushes": 0, "worst": 0.0, "p99": 0.0}
    return {"flushes": len(inside), "worst": inside[-1],
            "p99": inside[min(len(inside) - 1, int(len(inside) * 0.99))]}  # fmt: skip


def test_the_service_deletes_a_million_lines_while_a_flow_writes(
    database_url: str, tmp_path: Path
) -> None:
    _seed(database_url)
    home = tmp_path / "server-home"
    home.mkdir()
    settings = {"CADENZA_RETENTION_INTERVAL": "0.5", "CADENZA_RETENTION_LOGS": "30d"}
    server = ServerProcess(database_url, home, env=settings).start()
    engine = sa.create_engine(database_url)
    out, stop = tmp_path / "writer.json", tmp_path / "writer.stop"
    env = {**os.environ, "CADENZA_API_URL": server.url, "CADENZA_HOME": str(tmp_path / "flow")}
    proc = subprocess.Popen([sys.executable, str(WRITER), str(out), str(stop)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not Path(str(out) + ".started").exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the writer did not start"
            time.sleep(0.05)
        time.sleep(1.0)  # a baseline of the writer alone

        with engine.begin() as conn:  # the run ends: its lines are past their TTL now
            conn.execute(sa.text("UPDATE flow_runs SET state_type = 'COMPLETED', "
                                 "state_name = 'Completed', end_time = :old WHERE id = 'old-run'"),
                         {"old": OLD})  # fmt: skip
        began = ended = None
        deadline = time.monotonic() + 600
        while ended is None and time.monotonic() < deadline:
            with engine.connect() as conn:
                first = conn.execute(sa.text("SELECT min(id) FROM logs")).scalar_one()
            now = time.time()
            if began is None and first > 1:
                began = now
            if first > ROWS:
                ended = now
            time.sleep(0.05)
        assert began is not None and ended is not None, "the service did not delete the lines"
        time.sleep(0.5)
        stop.touch()
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, (stdout + stderr).decode()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
        server.stop()
    written: dict[str, Any] = json.loads(out.read_text())
    with engine.connect() as conn:
        mine = sa.text("SELECT count(*) FROM logs WHERE flow_run_id = :r AND message LIKE 'line %'")
        landed = conn.execute(mine, {"r": written["run"]}).scalar_one()
        old_left = conn.execute(sa.text("SELECT count(*) FROM logs WHERE id <= :rows"),
                                {"rows": ROWS}).scalar_one()  # fmt: skip
    engine.dispose()
    during = _stalls(written["flushes"], began, ended)
    figures = {"dialect": database_url.split(":")[0], "rows": ROWS,
               "seconds": round(ended - began, 2), "rows_per_second": round(ROWS / (ended - began)),
               "writer_lines": written["lines"], "writer_during": during,
               "writer_before": _stalls(written["flushes"], 0, began)}  # fmt: skip
    print("\nserver retention:", json.dumps(figures))

    assert written["state"] == "COMPLETED" and old_left == 0
    assert landed == written["lines"]  # every line the flow logged is recorded
    assert during["flushes"] > 10
    assert during["worst"] < 2.0, figures
