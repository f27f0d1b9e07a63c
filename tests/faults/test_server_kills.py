"""SIGKILL the server at random moments while flows report to it, and bring it back: every
transition and log line ends on the server exactly once, and each flow run in its true final
state (the kill matrix's server side, issue 12). Between the kill and the restart the clients
retry, and journal what they cannot send; a request whose answer died with the server is sent
again and applied once."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
import time

import pytest
import sqlalchemy as sa

from backends.server_process import ServerProcess

pytestmark = pytest.mark.slow

TASKS = 1200
SCRIPT = textwrap.dedent(
    """
    import sys
    from cadenza import flow, get_run_logger, task

    @task
    def step(i: int) -> int:
        get_run_logger().info("step %d", i)
        return i

    @flow
    def steady(n: int) -> int:
        return sum(step(i) for i in range(n))

    state = steady(int(sys.argv[1]), return_state=True)
    print("RUN", state.state_details.flow_run_id, state.type.value, flush=True)
    """
)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_server_killed_and_restarted_loses_and_repeats_nothing(seed, tmp_path) -> None:
    rng = random.Random(seed)
    home = tmp_path / "server"
    home.mkdir()
    server = ServerProcess(f"sqlite:///{home / 'server.db'}", home).start()
    clients = tmp_path / "clients"
    clients.mkdir()
    script = tmp_path / "steady.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "CADENZA_HOME": str(clients), "CADENZA_API_URL": server.url,
           "CADENZA_LOGGING_CONSOLE": "false"}  # fmt: skip
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(TASKS)],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    try:
        kills = 0
        while any(p.poll() is None for p in procs) and kills < 3:
            time.sleep(rng.uniform(0.3, 1.2))
            server.kill()
            kills += 1
            time.sleep(rng.uniform(0.1, 1.5))
            server.start()
        outputs = [p.communicate(timeout=300) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    try:
        for p, (_out, err) in zip(procs, outputs, strict=True):
            assert p.returncode == 0, err[-3000:]
        run_ids = [out.split("RUN ", 1)[1].split()[0] for out, _ in outputs]
        assert all("COMPLETED" in out for out, _ in outputs)
        engine = sa.create_engine(server.database_url)
        with engine.connect() as conn:
            for run_id in run_ids:
                counts = conn.execute(
                    sa.text(
                        "SELECT (SELECT state_type FROM flow_runs WHERE id = :r), "
                        "(SELECT count(*) FROM task_runs WHERE flow_run_id = :r "
                        " AND state_type = 'COMPLETED'), "
                        "(SELECT count(*) FROM run_states WHERE flow_run_id = :r AND run_id != :r),"
                        "(SELECT count(*) FROM logs WHERE flow_run_id = :r AND task_run_id "
                        " IS NOT NULL), "
                        "(SELECT count(DISTINCT message) FROM logs WHERE flow_run_id = :r "
                        " AND task_run_id IS NOT NULL)"
                    ),
                    {"r": run_id},
                ).one()
                assert tuple(counts) == ("COMPLETED", TASKS, 3 * TASKS, TASKS, TASKS), (
                    f"after {kills} server kills: flow state, completed tasks, task transitions, "
                    f"task log lines, distinct lines = {tuple(counts)}"
                )
        engine.dispose()
        assert not (clients / "dead-letter.jsonl").exists()
    finally:
        server.stop()
