"""Crash detection for the embedded record: runs left active by a process that no longer exists.

Called when a backend opens the record (and by the CLI before it reads). A flow run recorded by
this host whose process is gone is moved to Crashed, with its unfinished task runs.
"""

from __future__ import annotations

import sqlite3
import time
import uuid

from cadenza.backends.writer import rollback
from cadenza.store.owners import PROCESS, is_alive
from cadenza.store.statements import CRASH_FLOW_RUN, CRASH_TASK_RUN, INSERT_CRASH_STATE

_ACTIVE = ("SCHEDULED", "PENDING", "RUNNING", "CANCELLING", "PAUSED")
# A run with no state yet counts as active: its row can reach the record (the writer's batch)
# before its first transition does.
_IS_ACTIVE = f"(state_type IS NULL OR state_type IN ({','.join('?' * len(_ACTIVE))}))"
# A suspended run's process exited on purpose (cadenza.flow_runs.suspend_flow_run).
_NOT_SUSPENDED = (
    "NOT (COALESCE(state_type, '') = 'PAUSED' AND COALESCE(state_name, '') = 'Suspended')"
)


def reap_dead_runs(conn: sqlite3.Connection) -> list[str]:
    """Mark flow runs whose owning process died as Crashed; return their ids."""
    rows = conn.execute(
        f"SELECT id, pid, process_start FROM flow_runs WHERE {_IS_ACTIVE} "
        f"AND hostname = ? AND pid IS NOT NULL AND {_NOT_SUSPENDED}",
        (*_ACTIVE, PROCESS.hostname),
    ).fetchall()
    dead = [
        (run_id, pid)
        for run_id, pid, start in rows
        if pid != PROCESS.pid and not is_alive(pid, start)
    ]
    if not dead:
        return []
    now = time.time()
    conn.execute("BEGIN IMMEDIATE")
    try:
        for run_id, pid in dead:
            message = f"Process {pid} that ran this flow run exited without finishing it"
            (state,) = conn.execute(
                "SELECT state_type FROM flow_runs WHERE id = ?", (run_id,)
            ).fetchone()
            if state is not None and state not in _ACTIVE:  # another process reaped it first
                continue
            _crash(conn, CRASH_FLOW_RUN, run_id, run_id, message, now)
            task_message = f"Its flow run crashed: {message.lower()}"
            for (task_id,) in conn.execute(
                f"SELECT id FROM task_runs WHERE flow_run_id = ? AND {_IS_ACTIVE}",
                (run_id, *_ACTIVE),
            ).fetchall():
                _crash(conn, CRASH_TASK_RUN, task_id, run_id, task_message, now)
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    return [run_id for run_id, _ in dead]


def _crash(
    conn: sqlite3.Connection,
    update: str,
    run_id: str,
    flow_run_id: str,
    message: str,
    now: float,
) -> None:
    # Generated statements (cadenza.store.statements): parameters in their `_PARAMS` order.
    conn.execute(update, (message, now, run_id))
    conn.execute(
        INSERT_CRASH_STATE,
        (str(uuid.uuid4()), run_id, flow_run_id, "CRASHED", "Crashed", message, now),
    )


__all__ = ["reap_dead_runs"]
