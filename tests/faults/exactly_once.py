"""Is the server's record exactly what the engine accepted? Counted in SQL.

`census(database_url, tally)` compares a workload's tally (`faults.workload`: every run's
accepted transitions and final state, log lines per run) with the server's tables, and
`Census.problems()` says what differs in figures a failing assertion can show:
``transitions lost: 0, duplicated: 0``. The same check serves every fault suite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa


@dataclass
class Census:
    flow_runs_lost: int = 0
    task_runs_lost: int = 0
    task_runs_extra: int = 0
    transitions_expected: int = 0
    transitions_lost: int = 0
    transitions_duplicated: int = 0
    logs_expected: int = 0
    logs_lost: int = 0
    logs_duplicated: int = 0
    wrong_states: list[str] = field(default_factory=list)
    wrong_counts: list[str] = field(default_factory=list)  # a few runs whose counts differ

    def figures(self) -> str:
        return (
            f"flow runs lost: {self.flow_runs_lost}; task runs lost: {self.task_runs_lost}, "
            f"extra: {self.task_runs_extra}; transitions (of {self.transitions_expected}) lost: "
            f"{self.transitions_lost}, duplicated: {self.transitions_duplicated}; log lines "
            f"(of {self.logs_expected}) lost: {self.logs_lost}, duplicated: "
            f"{self.logs_duplicated}; runs in a wrong final state: {len(self.wrong_states)} "
            f"{self.wrong_states[:5]}; e.g. {self.wrong_counts[:5]}"
        )

    def exact(self) -> bool:
        return not (self.flow_runs_lost or self.task_runs_lost or self.task_runs_extra
                    or self.transitions_lost or self.transitions_duplicated or self.logs_lost
                    or self.logs_duplicated or self.wrong_states)  # fmt: skip


def census(database_url: str, tally: dict[str, Any], refused: dict[str, int] | None = None
           ) -> Census:  # fmt: skip
    """The server's record of the tally's flow runs against the tally. `refused` holds, per
    ``"<flow run id>/<task run id or None>"``, how many log lines the server must NOT have
    (lines the scenario made invalid: they are dead letters instead)."""
    runs: dict[str, dict[str, Any]] = tally["runs"]
    flow_ids = sorted(run_id for run_id, run in runs.items() if run["kind"] == "flow")
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            def query(sql: str) -> list[Any]:
                statement = sa.text(sql).bindparams(sa.bindparam("ids", expanding=True))
                return list(conn.execute(statement, {"ids": flow_ids}))

            flows = dict(query("SELECT id, state_type FROM flow_runs WHERE id IN :ids"))
            tasks = dict(query("SELECT id, state_type FROM task_runs WHERE flow_run_id IN :ids"))
            states = {r[0]: (r[1], r[2]) for r in query(
                "SELECT run_id, count(*), count(DISTINCT transition_id) FROM run_states "
                "WHERE flow_run_id IN :ids GROUP BY run_id")}  # fmt: skip
            logs = {f"{f}/{t}": n for f, t, n in query(
                "SELECT flow_run_id, task_run_id, count(*) FROM logs "
                "WHERE flow_run_id IN :ids GROUP BY flow_run_id, task_run_id")}  # fmt: skip
    finally:
        engine.dispose()
    return _compare(runs, flows, tasks, states, tally["logs"], logs, refused or {})


def _compare(
    runs: dict[str, dict[str, Any]],
    flows: dict[str, str],
    tasks: dict[str, str],
    states: dict[str, tuple[int, int]],
    logged: dict[str, int],
    logs: dict[str, int],
    refused: dict[str, int],
) -> Census:
    c = Census()
    expected_tasks = {run_id for run_id, run in runs.items() if run["kind"] == "task"}
    c.flow_runs_lost = sum(1 for run_id, run in runs.items()
                           if run["kind"] == "flow" and run_id not in flows)  # fmt: skip
    c.task_runs_lost = len(expected_tasks - set(tasks))
    c.task_runs_extra = len(set(tasks) - expected_tasks)
    for run_id, run in runs.items():
        want = run["transitions"]
        total, distinct = states.get(run_id, (0, 0))
        c.transitions_expected += want
        c.transitions_lost += max(0, want - distinct)
        c.transitions_duplicated += (total - distinct) + max(0, distinct - want)
        if (total, distinct) != (want, want):
            c.wrong_counts.append(f"{run_id}: {total} transitions ({distinct} distinct), "
                                  f"not {want}")  # fmt: skip
        stored = (flows if run["kind"] == "flow" else tasks).get(run_id)
        if stored is not None and stored != run["state"]:
            c.wrong_states.append(f"{run['kind']} {run_id}: {stored}, not {run['state']}")
    for run_id in set(states) - set(runs):
        c.transitions_duplicated += states[run_id][0]
    for key in set(logged) | set(logs):
        want = logged.get(key, 0) - refused.get(key, 0)
        got = logs.get(key, 0)
        c.logs_expected += want
        c.logs_lost += max(0, want - got)
        c.logs_duplicated += max(0, got - want)
        if got != want:
            c.wrong_counts.append(f"{key}: {got} log lines, not {want}")
    return c
