"""Many processes report to one server at once; every task run arrives with all its
transitions, counted in SQL (issue 12, defect 2 and the concurrency part of the fault suite).

`make test` runs 16 processes x `CONCURRENCY_TASKS` tasks (default 1,500) on a server on SQLite
and on PostgreSQL; `make soak` runs the issue's full 16 x 20,000.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.slow

PROCESSES = 16
TASKS = int(os.environ.get("CONCURRENCY_TASKS", "1500"))
SOAK_TASKS = 20_000

SCRIPT = textwrap.dedent(
    """
    import sys
    from cadenza import flow, get_run_logger, task

    @task
    def step(i: int) -> int:
        if i % 100 == 0:
            get_run_logger().info("step %d", i)
        return i

    @flow
    def busy(n: int) -> int:
        return sum(step(i) for i in range(n))

    state = busy(int(sys.argv[1]), return_state=True)
    print("RUN", state.state_details.flow_run_id, state.type.value, flush=True)
    """
)


@pytest.mark.parametrize("server_fixture", ["sqlite_server", "postgresql_server"])
def test_sixteen_processes_lose_no_transition(request, server_fixture, tmp_path) -> None:
    sixteen_processes(request.getfixturevalue(server_fixture), server_fixture, tmp_path, TASKS)


@pytest.mark.soak
@pytest.mark.parametrize("server_fixture", ["sqlite_server", "postgresql_server"])
def test_sixteen_processes_of_twenty_thousand_tasks(request, server_fixture, tmp_path) -> None:
    """The issue's full load: 16 x 20,000 tasks (`make soak`)."""
    server = request.getfixturevalue(server_fixture)
    sixteen_processes(server, server_fixture, tmp_path, SOAK_TASKS)


def sixteen_processes(server, server_fixture: str, tmp_path, tasks: int) -> None:
    home = tmp_path / "clients"
    home.mkdir()
    script = tmp_path / "busy.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "CADENZA_HOME": str(home), "CADENZA_API_URL": server.url,
           "CADENZA_LOGGING_CONSOLE": "false"}  # fmt: skip
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(tasks)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    outputs = [p.communicate(timeout=1800) for p in procs]
    elapsed = time.monotonic() - started
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err[-3000:]
        assert "COMPLETED" in out, out + err[-3000:]
    run_ids = [out.split("RUN ", 1)[1].split()[0] for out, _ in outputs]

    engine = sa.create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT f.id, f.state_type, "
                    " (SELECT count(*) FROM task_runs t WHERE t.flow_run_id = f.id), "
                    " (SELECT count(*) FROM task_runs t WHERE t.flow_run_id = f.id "
                    "   AND t.state_type = 'COMPLETED'), "
                    " (SELECT count(*) FROM run_states s WHERE s.flow_run_id = f.id "
                    "   AND s.run_id != f.id), "
                    " (SELECT count(*) FROM logs l WHERE l.flow_run_id = f.id) "
                    "FROM flow_runs f WHERE f.id IN :ids"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": run_ids},
            ).all()
    finally:
        engine.dispose()
    expected_logs = len(range(0, tasks, 100)) + 2  # the steps', and the flow's begin and end
    found = {r[0]: tuple(r[1:]) for r in rows}
    want = ("COMPLETED", tasks, tasks, 3 * tasks, expected_logs)
    wrong = {run: got for run, got in found.items() if got != want}
    lost = PROCESSES * 3 * tasks - sum(got[3] for got in found.values())
    transitions = PROCESSES * 3 * tasks
    print(f"{PROCESSES} x {tasks} tasks on {server_fixture}: {transitions} task-run transitions "
          f"in {elapsed:.1f} s ({transitions / elapsed:,.0f}/s); lost: {lost}")  # fmt: skip
    assert len(found) == PROCESSES
    assert wrong == {}, f"{len(wrong)} flow runs incomplete (want {want}); lost: {lost}"
    assert not (home / "dead-letter.jsonl").exists()
