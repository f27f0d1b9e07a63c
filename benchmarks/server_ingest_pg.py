"""server_ingest_pg: server_ingest's measurement with the server storing runs in PostgreSQL.

The benchmark starts a throwaway PostgreSQL cluster itself (``cadenza.testing.postgres``:
``initdb`` + ``pg_ctl`` as the ``postgres`` user, 127.0.0.1 on a free port, ``fsync=off``) and
a fresh database in it. ``cadenza server start --database-url postgresql+psycopg://...`` then
runs against that database, and the flow, polling, end-to-end timing and record checks are
server_ingest's (``server_ingest.measure``). The parent counts rows over its own psycopg
connection (autocommit, so every poll sees what the server committed). Cadenza only; the cluster
is stopped and its files removed even when the measurement fails.
"""

from __future__ import annotations

import time
from typing import Any

from harness import BenchResult, Config, Row, dig
from server_ingest import TASK_STATES, measure, report, tasks

NAME = "server_ingest_pg"
# A figure beside SQLite's, not the 5,000/s (which is for SQLite); this catches a
# PostgreSQL path that regressed by more than about half.
MIN_RATE = 2_000.0  # task-run transitions per second


class PostgresStore:
    """A psycopg connection to the server's database, for counting (see server_ingest.Store)."""

    def __init__(self, url: str) -> None:
        import psycopg  # cadenza's dependency; deferred so run.py imports without it

        # the server takes a SQLAlchemy URL; psycopg takes the same URL without the driver
        self.con = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1))
        self.con.autocommit = True

    def task_states(self) -> int:
        row = self.con.execute(TASK_STATES).fetchone()
        return int(row[0]) if row else 0

    def record(self, flow_run_id: str | None) -> dict[str, Any]:
        """record_completeness.count's figures, in PostgreSQL's SQL."""
        con = self.con
        if flow_run_id is None:  # never expected: the warm-up flow is on the server too
            ids = [r[0] for r in con.execute("SELECT DISTINCT flow_run_id FROM task_runs")]
            if len(ids) != 1:
                raise RuntimeError(f"expected one flow run in task_runs, found {len(ids)}")
            flow_run_id = str(ids[0])
        sub = "SELECT id FROM task_runs WHERE flow_run_id = %s"
        args = (flow_run_id,)
        task_runs = con.execute(
            "SELECT COUNT(*) FROM task_runs WHERE flow_run_id = %s", args
        ).fetchone()
        by_type: dict[str, int] = {
            str(t): int(c)
            for t, c in con.execute(
                f"SELECT UPPER(type), COUNT(*) FROM run_states WHERE run_id IN ({sub}) "
                "GROUP BY UPPER(type)",
                args,
            )
        }
        complete = con.execute(
            f"SELECT COUNT(*) FROM (SELECT run_id FROM run_states WHERE run_id IN ({sub}) "
            "GROUP BY run_id HAVING bool_or(UPPER(type) = 'PENDING') "
            "AND bool_or(UPPER(type) = 'RUNNING') AND bool_or(UPPER(type) = 'COMPLETED')) AS c",
            args,
        ).fetchone()
        return {
            "flow_run_id": flow_run_id,
            "task_runs": int(task_runs[0]) if task_runs else 0,
            "state_rows": sum(by_type.values()),
            "states_by_type": by_type,
            "runs_with_pending_running_completed": int(complete[0]) if complete else 0,
        }

    def close(self) -> None:
        self.con.close()


def _measure(python: str, n: int, res: BenchResult) -> dict[str, Any] | None:
    """Cluster up, measure, cluster down; failures go to `res.errors`."""
    # deferred: run.py imports every benchmark module, and the harness must work without cadenza
    from cadenza.testing.postgres import start_cluster

    t0 = time.perf_counter()
    cluster = start_cluster()  # stops and removes what it made if it fails to start
    try:
        started_s = time.perf_counter() - t0
        url = cluster.create_database()
        cad = measure(python, n, url, lambda: PostgresStore(url))
        cad["cluster_start_s"] = started_s
        cad["postgresql"] = cluster.bin.parent.name  # /usr/lib/postgresql/<version>/bin
        return cad
    finally:
        try:
            cluster.stop()
        except Exception as exc:
            res.errors.append(f"cadenza: stopping the PostgreSQL cluster: {exc}")


def bench(cfg: Config) -> BenchResult:
    res = BenchResult(NAME)
    n = tasks(cfg)
    cad: dict[str, Any] | None = None
    try:
        cad = _measure(cfg.cadenza_python, n, res)
    except Exception as exc:
        res.errors.append(f"cadenza: {exc}")
    report(res, cfg, n, cad, "PostgreSQL", MIN_RATE)
    res.rows.append(
        Row("PostgreSQL cluster start, untimed (s)", dig(cad, "cluster_start_s"), None, None,
            "{:.2f}")
    )  # fmt: skip
    return res
