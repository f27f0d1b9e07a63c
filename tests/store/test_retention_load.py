"""Deleting a million log lines from the embedded record never locks out a flow that keeps
writing in another process: ``cadenza db clean`` runs while the flow logs, the flow completes
with every line recorded, and its worst flush while the clean ran stays short.

Prints the figures (run with ``-s``): delete throughput in rows/s, and the writer's worst and
99th-percentile flush, during the clean and before it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ROWS = 1_000_000
WRITER = Path(__file__).with_name("retention_writer.py")
OLD = time.time() - 40 * 86400


def _seed(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO flow_runs (id, name, flow_name, created, end_time, state_type,"
                 " state_name) VALUES ('old-run', 'old', 'etl', ?, ?, 'COMPLETED', 'Completed')",
                 (OLD, OLD))  # fmt: skip
    conn.execute(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?) "
        "INSERT INTO logs (flow_run_id, level, logger, message, timestamp, uid) "
        "SELECT 'old-run', 20, 'cadenza.flow_runs', 'old line ' || x, ? + x / 1000.0, "
        "'old-' || x FROM n",
        (ROWS, OLD),
    )
    conn.commit()
    conn.close()


def stalls(flushes: list[list[float]], start: float, end: float) -> dict[str, float]:
    """The worst and 99th-percentile flush (seconds) of those begun within [start, end]."""
    inside = sorted(d for t, d in flushes if start <= t <= end)
    if not inside:
        return {"flushes": 0, "worst": 0.0, "p99": 0.0}
    return {"flushes": len(inside), "worst": inside[-1],
            "p99": inside[min(len(inside) - 1, int(len(inside) * 0.99))]}  # fmt: skip


def start_writer(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Path, Path]:
    out, stop = tmp_path / "writer.json", tmp_path / "writer.stop"
    proc = subprocess.Popen([sys.executable, str(WRITER), str(out), str(stop)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 60
    while not Path(str(out) + ".started").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the writer did not start"
        time.sleep(0.05)
    return proc, out, stop


def stop_writer(proc: subprocess.Popen[bytes], out: Path, stop: Path) -> dict[str, Any]:
    stop.touch()
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, (stdout + stderr).decode()[-3000:]
    answer: dict[str, Any] = json.loads(out.read_text())
    assert answer["state"] == "COMPLETED"
    return answer


def test_deleting_a_million_lines_does_not_stop_a_writer(
    cadenza_home: Path, tmp_path: Path
) -> None:
    record = cadenza_home / "cadenza.db"
    started = time.monotonic()
    _seed(record)
    seeded = time.monotonic() - started
    env = {**os.environ, "CADENZA_HOME": str(cadenza_home), "CADENZA_RETENTION_LOGS": "30d",
           "CADENZA_RETENTION_EVENTS": "off"}  # fmt: skip
    env.pop("CADENZA_API_URL", None)
    proc, out, stop = start_writer(tmp_path, env)
    time.sleep(1.0)  # a baseline of the writer alone

    began = time.time()
    clean = subprocess.run([sys.executable, "-m", "cadenza.cli.main", "db", "clean", "--json"],
                           env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    ended = time.time()
    time.sleep(0.5)
    written = stop_writer(proc, out, stop)

    assert clean.returncode == 0, clean.stderr
    deleted = json.loads(clean.stdout)["deleted"]["logs"]
    conn = sqlite3.connect(record)
    old_left = conn.execute("SELECT count(*) FROM logs WHERE flow_run_id = 'old-run'").fetchone()
    landed = conn.execute("SELECT count(*) FROM logs WHERE flow_run_id = ? AND message LIKE "
                          "'line %'", (written["run"],)).fetchone()  # fmt: skip
    conn.close()
    during = stalls(written["flushes"], began, ended)
    before = stalls(written["flushes"], 0, began)
    figures = {"rows": deleted, "seconds": round(ended - began, 2),
               "rows_per_second": round(deleted / (ended - began)),
               "writer_lines": written["lines"], "writer_during": during,
               "writer_before": before, "seeding_seconds": round(seeded, 2)}  # fmt: skip
    print("\nembedded SQLite retention:", json.dumps(figures))

    assert deleted == ROWS and old_left == (0,)
    assert landed == (written["lines"],)  # every line the flow logged is recorded
    assert during["flushes"] > 10  # the flow kept writing while the clean ran
    assert during["worst"] < 2.0, figures  # never locked out for long
