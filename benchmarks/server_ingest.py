"""server_ingest: task-run transitions per second into a local cadenza server on SQLite.

A real ``cadenza server start`` process listens on a free 127.0.0.1 port, with a fresh temp home
and its own SQLite file. A separate client process (workloads/many_tasks.py, with
``CADENZA_API_URL`` set and a fresh home of its own) runs a flow of N sequential trivial tasks.
While it runs, the parent counts the task runs' ``run_states`` rows in the server's SQLite file,
read-only, every 10 ms. End to end = flow start (a perf_counter reading in the client:
CLOCK_MONOTONIC on Linux, comparable with the parent's) -> the first poll that sees all 3N
transitions. An untimed one-task flow runs first against the same server (its 3 rows are the
baseline). Afterwards the record is checked as in record_completeness. Cadenza only.

`measure` and `ingest_result` take the database as a URL plus a `Store` that counts in it, so
server_ingest_pg.py makes the same measurement on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from harness import (
    CADENZA_TIMEOUT,
    BenchError,
    BenchResult,
    Config,
    Proc,
    Row,
    Target,
    cadenza_env,
    dig,
    free_port,
    run,
    server,
    temp_home,
    workload,
)
from record_completeness import count

NAME = "server_ingest"
MIN_RATE = 5_000.0  # task-run transitions per second
POLL_S = 0.01
SETTLE_S = 30.0  # how long after the client exits the server may take to hold every row

TASK_STATES = "SELECT COUNT(*) FROM run_states WHERE run_id IN (SELECT id FROM task_runs)"


class Store(Protocol):
    """Read access to the server's database, for counting what reached it."""

    def task_states(self) -> int:
        """``run_states`` rows of task runs (any flow run), right now."""
        ...

    def record(self, flow_run_id: str | None) -> dict[str, Any]:
        """record_completeness's counts for that flow run."""
        ...

    def close(self) -> None: ...


class SqliteStore:
    """The server's SQLite file, opened read-only."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5.0)

    def task_states(self) -> int:
        rows: int = self.con.execute(TASK_STATES).fetchone()[0]
        return rows

    def record(self, flow_run_id: str | None) -> dict[str, Any]:
        return count(self.db, "cadenza", flow_run_id)

    def close(self) -> None:
        self.con.close()


def cadenza_server_cmd(python: str, port: int, database_url: str) -> list[str]:
    code = "import sys; from cadenza.cli.main import main; sys.exit(main())"
    return [
        python,
        "-c",
        code,
        "server",
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--database-url",
        database_url,
    ]


def client_env(home: Path, port: int) -> dict[str, str]:
    env = cadenza_env(home)
    env["CADENZA_API_URL"] = f"http://127.0.0.1:{port}/api"
    return env


def _run_and_poll(
    cmd: list[str], env: dict[str, str], store: Store, want: int
) -> tuple[Proc, int, float | None, float | None, int]:
    """Run the client in a thread; count rows every POLL_S until `want` are there.

    Returns (client process, rows seen last, perf_counter readings when the first row and when
    all rows were seen, each None if never, polls).
    """
    box: dict[str, Any] = {}

    def client() -> None:
        try:
            box["proc"] = run(cmd, env, CADENZA_TIMEOUT)
        except Exception as exc:
            box["error"] = exc

    th = threading.Thread(target=client, daemon=True)
    th.start()
    seen, polls, first_at, done_at, exited = 0, 0, None, None, None
    base = store.task_states()
    while True:  # the client's own timeout ends the thread, so this loop ends too
        seen = store.task_states()
        now = time.perf_counter()
        polls += 1
        if first_at is None and seen > base:
            first_at = now
        if seen >= want:
            done_at = now
            break
        if not th.is_alive():
            exited = exited or time.perf_counter()
            if "error" in box or time.perf_counter() - exited > SETTLE_S:
                break
        time.sleep(POLL_S)
    th.join()
    if "error" in box:
        raise box["error"]
    proc: Proc = box["proc"]
    return proc, seen, first_at, done_at, polls


def measure(
    python: str, n: int, database_url: str, open_store: Callable[[], Store]
) -> dict[str, Any]:
    """Start a server on `database_url`, run the N-task flow against it, time and count.

    `open_store` is called once the server is up and a warm-up flow has run, so the schema exists.
    """
    with temp_home("cadenza-server") as shome, temp_home("cadenza-client") as chome:
        port = free_port()
        cmd = cadenza_server_cmd(python, port, database_url)
        health = f"http://127.0.0.1:{port}/api/health"
        with server(cmd, cadenza_env(shome), health, shome / "server.log", CADENZA_TIMEOUT) as sp:
            env = client_env(chome, port)
            run(workload(python, "one_task_flow.py", "cadenza"), env, CADENZA_TIMEOUT)
            store = open_store()
            try:
                base = store.task_states()
                proc, seen, first_at, done_at, polls = _run_and_poll(
                    workload(python, "many_tasks.py", "cadenza", n), env, store, base + 3 * n
                )
                out = proc.result()
                if not out.get("ok"):
                    raise RuntimeError("cadenza: flow returned a wrong result")
                if done_at is None or first_at is None:
                    raise BenchError(
                        f"server held {seen - base} of {3 * n} task-run transitions "
                        f"{SETTLE_S:.0f} s after the client exited"
                    )
                if sp.poll() is not None:
                    raise BenchError(f"server exited {sp.returncode} during the run")
                record = store.record(out.get("flow_run_id"))
            finally:
                store.close()
    e2e = done_at - out["flow_start"]
    return {
        "n": n,
        "transitions": 3 * n,
        "end_to_end_s": e2e,
        "transitions_per_s": 3 * n / e2e,
        "flow_call_s": out["flow_s"],
        "flow_start_to_first_s": first_at - out["flow_start"],
        # the rate once rows flow: leaves out the flow run's start (its requests to the server);
        # None when one poll saw them all (small N: the whole flow fits in a few batches)
        "after_first_per_s": 3 * n / (done_at - first_at) if done_at > first_at else None,
        # > 0: the server got the last rows after the flow call returned (its final flush)
        "after_flow_return_s": done_at - (out["flow_start"] + out["flow_s"]),
        "client_process_s": proc.wall,
        "polls": polls,
        **record,
    }


def tasks(cfg: Config) -> int:
    return 1_000 if cfg.quick else 5_000


def report(
    res: BenchResult,
    cfg: Config,
    n: int,
    cad: dict[str, Any] | None,
    database: str,
    min_rate: float,
) -> None:
    """Add the rows and targets of one ingest measurement (`cad` is None when it failed)."""
    if cad is not None:
        res.data["cadenza"] = cad
    note = "cadenza only"
    res.rows += [
        Row("tasks run", dig(cad, "n"), note, None, "{:.0f}"),
        Row("task-run transitions expected", dig(cad, "transitions"), None, None, "{:.0f}"),
        Row("flow start -> server holds all (s)", dig(cad, "end_to_end_s"), None, None, "{:.3f}"),
        Row("transitions per second", dig(cad, "transitions_per_s"), None, None, "{:,.0f}"),
        Row(
            "flow start -> first transition on the server (s)",
            dig(cad, "flow_start_to_first_s"),
            None,
            None,
            "{:.3f}",
        ),
        Row(
            "transitions per second after the first",
            dig(cad, "after_first_per_s"),
            None,
            None,
            "{:,.0f}",
        ),
        Row("flow call, start->return (s)", dig(cad, "flow_call_s"), None, None, "{:.3f}"),
        Row(
            "flow return -> server holds all (s)",
            dig(cad, "after_flow_return_s"),
            None,
            None,
            "{:.3f}",
        ),
        Row("client process wall (s)", dig(cad, "client_process_s"), None, None, "{:.2f}"),
        Row("task run rows on the server", dig(cad, "task_runs"), None, None, "{:.0f}"),
        Row("state rows for those runs", dig(cad, "state_rows"), None, None, "{:.0f}"),
        Row(
            "runs with Pending+Running+Completed",
            dig(cad, "runs_with_pending_running_completed"),
            None,
            None,
            "{:.0f}",
        ),
    ]
    res.targets += [
        Target(
            f"task-run transitions into the server ({database})",
            dig(cad, "transitions_per_s"),
            min_rate,
            ">=",
            "/s",
            # about 0.65 s of each flow call against a server is fixed (flow-run requests), so
            # 1,000 tasks cannot show the rate end to end; only the full run asserts it
            skipped="quick: N too small for the rate end to end" if cfg.quick else None,
        ),
        Target(
            "run_states rows on the server (3 per task run)", dig(cad, "state_rows"), 3 * n, "=="
        ),
        Target(
            "task runs with P/R/C states on the server",
            dig(cad, "runs_with_pending_running_completed"),
            n,
            "==",
        ),
    ]


def bench(cfg: Config) -> BenchResult:
    res = BenchResult(NAME)
    n = tasks(cfg)
    cad: dict[str, Any] | None = None
    with temp_home("cadenza-server-db") as dbdir:
        db = dbdir / "server.db"
        try:
            cad = measure(cfg.cadenza_python, n, f"sqlite:///{db}", lambda: SqliteStore(db))
        except Exception as exc:
            res.errors.append(f"cadenza: {exc}")
    report(res, cfg, n, cad, "SQLite", MIN_RATE)
    return res
