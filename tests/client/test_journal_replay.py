"""Corrupt journals replayed by the next process against a real server (`cadenza server start`
on SQLite, stopped by PID): every good line reaches the server exactly once (counted in its
database), every bad line is a dead letter with its reason, and the journal goes only then."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from backends.server_process import ServerProcess, kill_process
from cadenza.backends.http import HttpBackend
from cadenza.client.http import ApiClient
from cadenza.client.spool import Spool, server_tag
from cadenza.deadletter import read_dead_letters

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("journal-server")
    server = ServerProcess(f"sqlite:///{home / 'server.db'}", home).start()
    server.db = home / "server.db"
    yield server
    server.stop()


def rows(server: ServerProcess, sql: str, *params: object) -> list[tuple]:
    conn = sqlite3.connect(server.db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def flow_entries(run_id: str, t0: float = 1_700_000_000.0) -> list[dict]:
    """Create a flow run and take it to Running: three entries."""

    def state(n: int, type_: str, run_count: int) -> dict:
        return {"transition_id": f"{run_id}:{n}", "run_count": run_count,
                "state": {"type": type_, "name": type_.title(), "timestamp": t0 + n}}  # fmt: skip

    body = {"id": run_id, "name": run_id, "flow_name": "journaled", "created": t0}
    return [
        {"op": "flow_run", "body": body},
        {"op": "set_state", "run_id": run_id, "body": state(1, "PENDING", 0)},
        {"op": "set_state", "run_id": run_id, "body": state(2, "RUNNING", 1)},
    ]


def task_entry(run_id: str, i: int, t0: float = 1_700_000_100.0) -> dict:
    """One batch: task run ``<run>-t<i>``, its three transitions and the log line ``line <i>``."""
    tid = f"{run_id}-t{i}"
    steps = [("PENDING", 0), ("RUNNING", 1), ("COMPLETED", 1)]
    return {"op": "batch", "body": {
        "task_runs": [{"id": tid, "flow_run_id": run_id, "name": f"work-{i}", "task_name": "work",
                       "task_key": "work", "created": t0 + i}],
        "transitions": [
            {"run_id": tid, "flow_run_id": run_id, "transition_id": f"{tid}:{k}",
             "run_count": count, "state": {"type": type_, "name": type_.title(),
                                           "timestamp": t0 + i + k / 10}}
            for k, (type_, count) in enumerate(steps)],
        "logs": [{"flow_run_id": run_id, "task_run_id": tid, "level": 20, "logger": "journaled",
                  "message": f"line {i}", "timestamp": t0 + i}],
    }}  # fmt: skip


def journal_for(server: ServerProcess, home: Path, entries: list[dict]) -> Path:
    """A journal for `server` written by the spool and left behind: its writer let go of it,
    as a process that exits during an outage does."""
    spool = Spool(home / "spool", tag=server_tag(ApiClient(server.url).url))
    spool.append(entries)
    path = spool.path
    spool.close()
    return path


def tasks_journal(server: ServerProcess, home: Path, run_id: str, n: int) -> Path:
    """A journal of flow run `run_id` with `n` task runs (lines ``3 + i`` are task ``i``)."""
    return journal_for(
        server, home, flow_entries(run_id) + [task_entry(run_id, i) for i in range(n)]
    )


def damage(path: Path, changes: dict[int, Callable[[bytes], bytes]]) -> list[bytes]:
    """Replace line `i` of `path` by ``changes[i](line)``; return the lines as they were."""
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(changes[i](raw) if i in changes else raw
                              for i, raw in enumerate(lines)))  # fmt: skip
    return lines


def next_process(server: ServerProcess, home: Path) -> None:
    """What a process does when it starts with CADENZA_API_URL set: replay orphan journals."""
    client = ApiClient(server.url, retry_time=1.0, backoff=0.02)
    HttpBackend(client, flush_interval=0.05, spool=Spool(home / "spool")).close()


def assert_tasks_exactly_once(server: ServerProcess, run_id: str, good: set[int]) -> None:
    tasks = rows(server, "SELECT id, state_type FROM task_runs WHERE flow_run_id = ?", run_id)
    assert sorted(tasks) == sorted((f"{run_id}-t{i}", "COMPLETED") for i in good)
    per_task = rows(server, "SELECT run_id, count(*), count(DISTINCT transition_id) FROM "
                    "run_states WHERE flow_run_id = ? AND run_id != ? GROUP BY run_id",
                    run_id, run_id)  # fmt: skip
    assert sorted(per_task) == sorted((f"{run_id}-t{i}", 3, 3) for i in good)
    logs = rows(server, "SELECT message, count(*) FROM logs WHERE flow_run_id = ? GROUP BY 1",
                run_id)  # fmt: skip
    assert sorted(logs) == sorted((f"line {i}", 1) for i in good)


def flip_a_bit(raw: bytes) -> bytes:
    """One bit of the log message flipped: ``line 4`` becomes ``lhne 4``, still valid JSON."""
    damaged = bytearray(raw)
    damaged[raw.index(b'"line ') + 2] ^= 0x01
    return bytes(damaged)


def unknown_op(raw: bytes) -> bytes:
    entry = json.loads(raw[raw.index(b"{") :])
    return json.dumps({**entry, "op": "botch"}).encode() + b"\n"


# variant -> (the bad line made from a good one, the reason it is kept aside with)
BAD = {
    "garbage": (lambda raw: b"\x00\x00\x17\xa0 garbage }{\n", "journal line is not UTF-8"),
    "bit-flip": (flip_a_bit, "journal line fails its checksum"),
    "invalid-utf8": (
        lambda raw: b'{"op":"batch","body":{"s":"caf\xe9"}}\n',
        "journal line is not UTF-8",
    ),
    "json-list": (lambda raw: b"[1, 2, 3]\n", "journal line is not a journal entry"),
    "unknown-op": (unknown_op, "journal line is not a journal entry"),
}


@pytest.mark.parametrize("variant", sorted(BAD))
def test_bad_middle_lines_are_kept_aside_and_good_ones_sent_once(
    server, cadenza_home, variant
) -> None:
    run_id = f"corrupt-{variant}"
    make_bad, reason = BAD[variant]
    bad = {4, 11, 17}
    path = tasks_journal(server, cadenza_home, run_id, 20)
    damage(path, {3 + i: make_bad for i in bad})
    damaged = path.read_bytes().splitlines(keepends=True)

    next_process(server, cadenza_home)

    assert_tasks_exactly_once(server, run_id, set(range(20)) - bad)
    letters = read_dead_letters(cadenza_home)
    assert [(d["source"], d["kind"], d["reason"]) for d in letters] == [
        ("journal", "journal-line", reason)
    ] * len(bad)
    expected = [damaged[3 + i].decode("utf-8", "backslashreplace") for i in sorted(bad)]
    assert [d["record"] for d in letters] == expected
    assert not path.exists() and list((cadenza_home / "spool").iterdir()) == []


def test_the_issue_s_300_records_with_10_corrupted(server, cadenza_home) -> None:
    run_id = "corrupt-300"
    bad = set(range(7, 300, 30))
    path = tasks_journal(server, cadenza_home, run_id, 300)
    damage(path, {3 + i: flip_a_bit for i in bad})
    next_process(server, cadenza_home)
    assert_tasks_exactly_once(server, run_id, set(range(300)) - bad)
    assert len(read_dead_letters(cadenza_home)) == 10
    assert not path.exists()


def test_a_dead_writer_s_torn_last_line_is_kept_aside(server, cadenza_home) -> None:
    run_id = "torn-tail"
    path = tasks_journal(server, cadenza_home, run_id, 6)
    data = path.read_bytes()
    last = data.rstrip(b"\n").rfind(b"\n") + 1
    torn = data[last : last + 40]  # the process died in the middle of this write
    path.write_bytes(data[:last] + torn)
    next_process(server, cadenza_home)
    assert_tasks_exactly_once(server, run_id, set(range(5)))
    (letter,) = read_dead_letters(cadenza_home)
    assert letter["reason"] == "torn last line of a journal whose writer died"
    assert letter["record"] == torn.decode()
    assert not path.exists()


@pytest.mark.parametrize("sidecar", ["missing", "garbage", "mid-line"])
def test_an_unusable_offset_sidecar_loses_nothing(server, cadenza_home, sidecar) -> None:
    """The first 6 lines were replayed before (the sidecar said so); then it was lost or
    damaged. Replay starts again from the start: nothing is lost, no transition applied twice."""
    run_id = f"sidecar-{sidecar}"
    entries = flow_entries(run_id) + [task_entry(run_id, i) for i in range(10)]
    path = journal_for(server, cadenza_home, entries)
    with ApiClient(server.url) as client:
        client.create_flow_run(entries[0]["body"])
        for entry in entries[1:3]:
            client.set_state(entry["run_id"], entry["body"])
        for entry in entries[3:6]:
            client.batch(entry["body"])
    done = sum(map(len, path.read_bytes().splitlines(keepends=True)[:6]))
    offset = path.with_name(path.name + ".offset")
    if sidecar == "garbage":
        offset.write_bytes(b"\x00\x00\x00")
    elif sidecar == "mid-line":
        offset.write_text(str(done + 17))  # inside line 7: a reader from here skips it

    next_process(server, cadenza_home)

    tasks = rows(server, "SELECT id FROM task_runs WHERE flow_run_id = ?", run_id)
    assert sorted(tasks) == sorted((f"{run_id}-t{i}",) for i in range(10))
    counts = rows(server, "SELECT count(*), count(DISTINCT run_id || transition_id) FROM "
                  "run_states WHERE flow_run_id = ?", run_id)  # fmt: skip
    assert counts == [(2 + 10 * 3, 2 + 10 * 3)]
    logged = dict(rows(server, "SELECT message, count(*) FROM logs WHERE flow_run_id = ? "
                       "GROUP BY 1", run_id))  # fmt: skip
    # log lines carry no id: those sent before the sidecar was lost arrive again
    assert logged == {f"line {i}": 2 if i < 3 else 1 for i in range(10)}
    assert read_dead_letters(cadenza_home) == [] and not path.exists()


def test_a_replay_killed_half_way_is_finished_by_the_next_process(
    server, cadenza_home, tmp_path
) -> None:
    run_id = "killed-replay"
    n = 600
    path = tasks_journal(server, cadenza_home, run_id, n)
    sidecar = path.with_name(path.name + ".offset")
    script = tmp_path / "replayer.py"
    script.write_text(textwrap.dedent(
        f"""
        from pathlib import Path
        from cadenza.backends.http import HttpBackend
        from cadenza.client.http import ApiClient
        from cadenza.client.spool import Spool
        HttpBackend(ApiClient({server.url!r}), spool=Spool(Path({str(path.parent)!r})))
        """
    ))  # fmt: skip
    child = subprocess.Popen([sys.executable, str(script)], env={**os.environ})
    try:
        deadline = time.monotonic() + 60
        quarter = path.stat().st_size // 4
        while time.monotonic() < deadline and child.poll() is None:
            with contextlib.suppress(OSError, ValueError):  # not written yet, or mid-rename
                if int(sidecar.read_text()) > quarter:
                    break
            time.sleep(0.002)
        assert child.poll() is None, "the replay finished before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        kill_process(child)
    assert path.exists()
    sent = rows(server, "SELECT count(*) FROM task_runs WHERE flow_run_id = ?", run_id)[0][0]
    assert 0 < sent < n

    next_process(server, cadenza_home)

    tasks = rows(server, "SELECT count(*), count(DISTINCT id) FROM task_runs WHERE flow_run_id = ?",
                 run_id)  # fmt: skip
    assert tasks == [(n, n)]
    per_transition = rows(server, "SELECT count(*) FROM run_states WHERE flow_run_id = ? "
                          "GROUP BY run_id, transition_id", run_id)  # fmt: skip
    assert len(per_transition) == 2 + 3 * n and {c for (c,) in per_transition} == {1}
    logged = dict(rows(server, "SELECT message, count(*) FROM logs WHERE flow_run_id = ? "
                       "GROUP BY 1", run_id))  # fmt: skip
    assert set(logged) == {f"line {i}" for i in range(n)}
    # at most the one batch in flight when the replayer died is logged twice (logs carry no id)
    assert sum(logged.values()) - n <= 1
    assert read_dead_letters(cadenza_home) == [] and not path.exists()
