"""What every fault scenario does: run `faults.workload` in a process of its own through a
fault proxy, then check the server's record against what the engine accepted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from backends.server_process import ServerProcess, kill_process
from cadenza.client.spool import journal_files
from cadenza.deadletter import read_dead_letters
from faults.exactly_once import census
from faults.proxy import FaultProxy, Request, Rule, respond
from faults.workload import POISON

WORKLOAD = Path(__file__).with_name("workload.py")
BATCH = "/api/batch"
SET_STATE = "/api/flow_runs/[^/]+/set_state"
CREATE = "/api/flow_runs"


def run_workload(proxy: FaultProxy, home: Path, work: Path, deadline: float = 120,
                 env: dict[str, str] | None = None, **config: Any) -> dict[str, Any]:  # fmt: skip
    """Run `faults.workload` with `config` through `proxy`, `env` added to its environment; its
    tally (empty in replay mode). The process is stopped by its PID if it outlives `deadline`
    seconds."""
    work.mkdir(parents=True, exist_ok=True)
    tally = work / "tally.json"
    (work / "config.json").write_text(json.dumps({"url": proxy.url, "tally": str(tally),
                                                  **config}))  # fmt: skip
    # offline OK: a workload rides out outages, so its run may end with its record journaled
    env = {**os.environ, "CADENZA_HOME": str(home), "CADENZA_API_URL": proxy.url,
           "CADENZA_LOGGING_CONSOLE": "false", "CADENZA_CLIENT_OFFLINE_OK": "true",
           **(env or {})}  # fmt: skip
    with open(work / "output.txt", "wb") as out:
        proc = subprocess.Popen([sys.executable, str(WORKLOAD), str(work / "config.json")],
                                env=env, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            proc.wait(deadline)
        except subprocess.TimeoutExpired:
            kill_process(proc)
            raise
    output = (work / "output.txt").read_text(errors="replace")
    assert proc.returncode == 0, f"the flow process exited {proc.returncode}:\n{output[-4000:]}"
    return json.loads(tally.read_text()) if config.get("mode") != "replay" else {}


def assert_exactly_once(server: ServerProcess, home: Path, tally: dict[str, Any],
                        refused: dict[str, int] | None = None) -> None:  # fmt: skip
    """The record on `server` is the tally, exactly once; no journal is left."""
    found = census(server.database_url, tally, refused)
    assert found.exact(), found.figures()
    assert found.transitions_expected > 0 and found.logs_expected > 0
    left = journal_files(home / "spool")
    assert not left, f"journals never replayed: {left}"


def assert_no_dead_letters(home: Path) -> None:
    letters = read_dead_letters(home)
    assert not letters, f"{len(letters)} dead letter(s), e.g. {letters[:2]}"


def refuse_poison(proxy: FaultProxy) -> Rule:
    """Make `proxy` answer 422 to each batch holding the poisoned line, locating it."""
    return proxy.inject(respond(422, refuse_the_poison), method="POST", path=BATCH,
                        match=lambda r: POISON.encode() in r.body)  # fmt: skip


def refuse_the_poison(request: Request) -> dict[str, Any]:
    """A 422 answer locating the poisoned log line, as the server locates a bad record."""
    logs = request.json().get("logs") or []
    index = next(i for i, log in enumerate(logs) if log["message"] == POISON)
    return {"detail": "Invalid request", "errors": [
        {"loc": ["body", "logs", index, "message"], "msg": "poisoned by the fault proxy"}]}
