"""The fault scenarios' flow, run in a process of its own: ``python workload.py CONFIG.json``.

A parent flow maps `work` over ``tasks`` numbers, then runs ``subflows`` child flows of
``sub_tasks`` tasks each (each child first waits ``pause`` seconds); every task logs ``logs``
lines (text unique to the task and its try) and every 7th fails on its first try and is
retried. ``special`` makes the parent's middle task log one line the record must refuse, among
the others of its batch: ``"poison"`` (a line the fault proxy refuses) or ``"custom-level"``
(level 2**31, beyond what the server stores); the tally names its run (``special_key``). ``fail``
makes the parent fail at the end.

The process records on ``url`` (the fault proxy) through an `HttpBackend` with the client's
``timeout`` (default 5 s; ``null``: `CADENZA_API_REQUEST_TIMEOUT`'s) and ``retry_time`` (no
setting selects that, so the backend is installed here), and
a plugin observes what the engine accepted: every transition of every run and every log line.
That tally is written to ``tally`` as JSON when the flow is over; the backend sends (or
journals) the rest of the record at exit, as any process does. With ``mode: "replay"`` the
process only opens the backend, which replays the journals dead processes left, and exits.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections import Counter
from typing import Any

from cadenza import flow, get_run_logger, hookimpl, task, unmapped
from cadenza.runtime import task_run

POISON = "POISON: the fault proxy refuses this line"
CUSTOM_LEVEL = 2**31  # beyond the server's 32-bit levels: a line it refuses


class Tally:
    """What the engine accepted, seen through the observer hooks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runs: dict[str, dict[str, Any]] = {}
        self.logs: Counter[str] = Counter()
        self.special_key: str | None = None

    def _state(self, run: Any, kind: str, new_state: Any) -> None:
        with self.lock:
            entry = self.runs.setdefault(
                run.id, {"kind": kind, "flow_run_id": run.flow_run_id, "transitions": 0}
            )
            entry["transitions"] += 1
            entry["state"] = new_state.type.value

    @hookimpl
    def on_flow_run_state(self, flow_run: Any, new_state: Any) -> None:
        self._state(flow_run, "flow", new_state)

    @hookimpl
    def on_task_run_state(self, task_run: Any, new_state: Any) -> None:
        self._state(task_run, "task", new_state)

    @hookimpl
    def on_log(self, flow_run_id: str | None, task_run_id: str | None, level: int,
               message: str) -> None:  # fmt: skip
        key = f"{flow_run_id}/{task_run_id}"
        with self.lock:
            self.logs[key] += 1
            if message == POISON or level == CUSTOM_LEVEL:
                self.special_key = key


@task(retries=1, retry_delay_seconds=0)
def work(i: int, logs: int, special: str | None = None) -> int:
    logger = get_run_logger()
    for j in range(logs):
        logger.info("work %d try %d line %d", i, task_run.run_count, j)
    if special == "poison":
        logger.info(POISON)
    elif special == "custom-level":
        logger.log(CUSTOM_LEVEL, "a line at a custom level")
    if i % 7 == 1 and task_run.run_count == 1:
        raise ValueError(f"work {i} fails on its first try")
    return i


@flow
def child(k: int, tasks: int, logs: int, pause: float) -> int:
    get_run_logger().info("child %d starts", k)
    time.sleep(pause)
    start = (k + 1) * 100_000
    return sum(work.map(range(start, start + tasks), logs=unmapped(logs)).result())


@flow
def parent(tasks: int, subflows: int, sub_tasks: int, logs: int, pause: float,
           special: str | None, fail: bool) -> int:  # fmt: skip
    logger = get_run_logger()
    logger.info("parent starts")
    middle = tasks // 14 * 7  # a multiple of 7: never retried, so the line is logged once
    specials = [special if i == middle else None for i in range(tasks)]
    total = sum(work.map(range(tasks), logs=unmapped(logs), special=specials).result())
    for k in range(subflows):
        total += child(k, sub_tasks, logs, pause)
    if fail:
        raise RuntimeError("the parent fails at the end, as asked")
    return total


def install_backend(config: dict[str, Any]) -> Any:
    """Make an `HttpBackend` with this scenario's client the process's backend."""
    from cadenza import backends
    from cadenza.backends.http import HttpBackend
    from cadenza.client.http import ApiClient

    client = ApiClient(config["url"], timeout=config.get("timeout", 5.0),
                       retry_time=config.get("retry_time", 5.0), backoff=0.05,
                       max_backoff=0.5)  # fmt: skip
    backend = HttpBackend(client, flush_interval=config.get("flush_interval", 0.05))
    # get_backend() returns the backend opened for this CADENZA_HOME and CADENZA_API_URL
    backends._current = ((os.environ["CADENZA_HOME"], os.environ["CADENZA_API_URL"]), backend)
    return backend


def main(path: str) -> int:
    with open(path) as f:
        config = json.load(f)
    # the client's warnings (server unreachable, journal replayed, records refused) on stderr
    logging.getLogger("cadenza.client").addHandler(logging.StreamHandler())
    backend = install_backend(config)
    if config.get("mode") == "replay":
        backend.close()
        return 0
    from cadenza.plugins.manager import get_plugin_manager

    tally = Tally()
    get_plugin_manager().add_plugin(tally, "fault-tally")
    state = parent(config.get("tasks", 200), config.get("subflows", 2),
                   config.get("sub_tasks", 50), config.get("logs", 3), config.get("pause", 0.0),
                   config.get("special"), config.get("fail", False),
                   return_state=True)  # fmt: skip
    flow_run_id = str(state.state_details.flow_run_id)
    with tally.lock:
        out = {"flow_run_id": flow_run_id, "state": state.type.value, "runs": tally.runs,
               "logs": dict(tally.logs), "special_key": tally.special_key}  # fmt: skip
    with open(config["tally"], "w") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
