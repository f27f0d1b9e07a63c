"""Writes run-record rows with raw sqlite3, as the engine does, for store and CLI tests."""

from __future__ import annotations

import itertools
import json
import sqlite3
import uuid
from typing import Any

_STATE_NAMES = {"COMPLETED": "Completed", "FAILED": "Failed", "RUNNING": "Running"}


class Seeder:
    """Inserts flow runs, task runs, their state transitions and logs into an open record."""

    def __init__(self, conn: sqlite3.Connection, t0: float = 1_700_000_000.0) -> None:
        self.conn = conn
        self.clock = itertools.count()
        self.t0 = t0

    def tick(self) -> float:
        return self.t0 + next(self.clock)

    def _states(self, run_id: str, flow_run_id: str | None, types: list[str]) -> list[float]:
        stamps = []
        for type_ in types:
            ts = self.tick()
            stamps.append(ts)
            self.conn.execute(
                "INSERT INTO run_states (transition_id, run_id, flow_run_id, type, name, message,"
                " timestamp, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (str(uuid.uuid4()), run_id, flow_run_id, type_, type_.title(),
                 f"{type_.lower()} message" if type_ != "PENDING" else None, ts, None),
            )  # fmt: skip
        return stamps

    def flow_run(
        self,
        *,
        run_id: str | None = None,
        name: str = "brave-otter",
        flow_name: str = "etl",
        final: str = "COMPLETED",
        parameters: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        parent: str | None = None,
        result_ref: str | None = None,
    ) -> str:
        run_id = run_id or str(uuid.uuid4())
        created = self.tick()
        types = ["PENDING", "RUNNING"] + ([final] if final not in ("PENDING", "RUNNING") else [])
        stamps = self._states(run_id, run_id, types)
        end = stamps[-1] if len(types) == 3 else None
        self.conn.execute(
            "INSERT INTO flow_runs (id, name, flow_name, flow_version, parent_flow_run_id,"
            " parameters, tags, state_type, state_name, state_message, created, start_time,"
            " end_time, run_count, result_ref) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (run_id, name, flow_name, "1.0", parent, json.dumps(parameters or {}),
             json.dumps(tags or []), final, final.title(), f"{final.lower()} message", created,
             stamps[1], end, 1, result_ref),
        )  # fmt: skip
        return run_id

    def task_run(self, flow_run_id: str | None, *, name: str = "extract-0",
                 final: str = "COMPLETED", with_states: bool = True) -> str:  # fmt: skip
        run_id = str(uuid.uuid4())
        created = self.tick()
        stamps = (
            self._states(run_id, flow_run_id, ["PENDING", "RUNNING", final])
            if with_states
            else [created, created, created + 1]
        )
        self.conn.execute(
            "INSERT INTO task_runs (id, flow_run_id, name, task_name, task_key, tags, state_type,"
            " state_name, state_message, created, start_time, end_time, run_count, result_ref,"
            " cache_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (run_id, flow_run_id, name, name.rsplit("-", 1)[0], f"key-{name}", '["t"]', final,
             final.title(), None, created, stamps[1], stamps[2], 1, f"ref-{name}", None),
        )  # fmt: skip
        return run_id

    def log(self, flow_run_id: str, message: str, *, task_run_id: str | None = None,
            level: int = 20, logger: str = "cadenza.flow_runs") -> None:  # fmt: skip
        self.conn.execute(
            "INSERT INTO logs (flow_run_id, task_run_id, level, logger, message, timestamp)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (flow_run_id, task_run_id, level, logger, message, self.tick()),
        )

    def sample(self) -> dict[str, str]:
        """One full flow run (tasks, a subflow, logs) plus an older failed run of another flow."""
        old = self.flow_run(name="sleepy-cat", flow_name="report", final="FAILED")
        run = self.flow_run(
            parameters={"n": 3, "who": "bob"}, tags=["nightly"], result_ref="ref-flow"
        )
        first = self.task_run(run, name="extract-0")
        self.task_run(run, name="load-0", final="FAILED")
        sub = self.flow_run(name="tiny-sub", flow_name="child", parent=run)
        self.log(run, "starting [bold]up[/bold]")
        self.log(run, "extracted 3 rows", task_run_id=first, level=30, logger="cadenza.task_runs")
        self.log(sub, "subflow line")
        return {"run": run, "first_task": first, "sub": sub, "old": old}
