"""Hostile and unlucky input is recorded (losslessly where it can be) or refused clearly, and
never blocks the records behind it — on every backend (embedded, a server on SQLite, on
PostgreSQL). Each flow is followed by a plain one that must be recorded as well."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cadenza import flow, get_run_logger, task

if TYPE_CHECKING:
    from conftest import Backend

pytestmark = pytest.mark.slow

NAME = os.fsdecode(b"caf\xe9.csv")  # a file name that is not UTF-8: "caf\udce9.csv"
STORED = "caf\\xe9.csv"  # how the record keeps it: the undecodable byte, escaped


@task(task_run_name="load-{path}")
def load(path: str) -> str:
    get_run_logger().info("loading %s", path)
    return path


@flow(log_prints=True)
def surrogates(path: str) -> None:
    print("reading", path)
    load(path)
    raise ValueError(f"cannot parse {path}")


@flow
def plain() -> int:
    return 1


def messages(run: dict) -> list[str]:
    return [log["message"] for log in run["logs"]]


def all_text(run: dict) -> str:
    return json.dumps(run, ensure_ascii=False)


def test_lone_surrogates_are_recorded_and_later_runs_too(backend: Backend) -> None:
    state = surrogates(NAME, return_state=True)
    assert state.is_failed()
    assert plain() == 1
    run = backend.show(str(state.state_details.flow_run_id))
    assert run["state"]["type"] == "FAILED"
    assert run["parameters"] == {"path": STORED}
    assert f"reading {STORED}" in messages(run)
    assert any(f"loading {STORED}" in m for m in messages(run))
    assert STORED in run["state"]["message"]
    assert [t["name"] for t in run["task_runs"]] == [f"load-{STORED}"]
    assert run["task_runs"][0]["state"]["type"] == "COMPLETED"
    assert "\udce9" not in all_text(run)


@flow
def odd_text() -> None:
    logger = get_run_logger()
    logger.info("nul\x00inside")
    logger.info("x" * 1_500_000)
    logger.warning("lone \ud800 high surrogate")


def test_nul_and_over_long_messages_are_kept_with_a_marker(backend: Backend) -> None:
    state = odd_text(return_state=True)
    assert plain() == 1
    run = backend.show(str(state.state_details.flow_run_id))
    assert run["state"]["type"] == "COMPLETED"
    got = messages(run)
    assert "nul\\x00inside" in got
    assert "lone \\ud800 high surrogate" in got
    (long,) = [m for m in got if m.startswith("xxxx")]
    assert 900_000 < len(long) <= 1_000_000
    assert long.endswith("[truncated by cadenza: 1,500,000 characters in all]")


@task
def step(i: int) -> int:
    return i


@flow
def custom_level(n: int) -> int:
    get_run_logger().log(1001, "a custom level")
    return sum(step(i) for i in range(n))


def test_a_custom_log_level_loses_nothing(backend: Backend) -> None:
    state = custom_level(300, return_state=True)
    assert state.result() == sum(range(300))
    run = backend.show(str(state.state_details.flow_run_id))
    assert len(run["task_runs"]) == 300
    assert all(t["state"]["type"] == "COMPLETED" for t in run["task_runs"])
    assert [log["level"] for log in run["logs"] if log["message"] == "a custom level"] == [1001]


@task(persist_result=True)
def unpicklable() -> threading.Lock:
    return threading.Lock()


@flow
def persists_a_lock() -> None:
    unpicklable()


def test_an_unpicklable_result_fails_its_run_clearly(backend: Backend) -> None:
    state = persists_a_lock(return_state=True)
    assert state.is_failed()
    assert plain() == 1
    run = backend.show(str(state.state_details.flow_run_id))
    (task_run,) = run["task_runs"]
    assert task_run["state"]["type"] == "FAILED"
    assert "Could not persist the result" in task_run["state"]["message"]
    assert "pickle" in task_run["state"]["message"]


@flow
def escaped_lines(n: int) -> int:
    logger = get_run_logger()
    for i in range(n):
        logger.info("%d %s", i, "\x01" * 200_000)  # 6 bytes each as JSON: 1.2 MB a line
    return sum(step(i) for i in range(50))


def test_lines_that_grow_when_encoded_are_batched_by_their_real_size(backend: Backend) -> None:
    """Forty 200,000-character lines that JSON escapes to 1.2 MB each (48 MB in all) reach the
    server in batches under its 8 MiB limit: none is refused, none is set aside."""
    state = escaped_lines(40, return_state=True)
    assert state.is_completed()
    run = backend.show(str(state.state_details.flow_run_id))
    lines = [m for m in messages(run) if m.endswith("\x01")]
    assert sorted(int(m.split()[0]) for m in lines) == list(range(40))
    assert all(len(m) == len(str(int(m.split()[0]))) + 1 + 200_000 for m in lines)
    assert len(run["task_runs"]) == 50
    assert not (Path(os.environ["CADENZA_HOME"]) / "dead-letter.jsonl").exists()
