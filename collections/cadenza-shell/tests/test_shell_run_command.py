"""`shell_run_command`, prefect-shell's task, run as Prefect's documentation shows it: inside a
flow, on real `bash` processes."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from cadenza import flow
from pydantic import SecretStr

from cadenza_shell import ShellCommandError, ShellTimeoutError, shell_run_command
from shell_procs import SPAWN_TREE, tree_pids, wait_gone

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="process groups are POSIX")
# starts processes and signals them (the core's `integration` mark: `make test-fast` skips them)
signalled = pytest.mark.integration


def logged(cadenza_record: Any) -> list[str]:
    return [m for (m,) in cadenza_record("SELECT message FROM logs ORDER BY id")]


# Prefect 3.9.1 (prefect-shell 0.3.7): shell_run_command(command=...) returns the last line of
# stdout, or every line with return_all=True; each stdout chunk is logged at stream_level. It is
# an async task: called from a sync flow, Prefect 3.9.1 hands back an un-awaited coroutine;
# cadenza runs it and returns the value, as prefect-shell's documented example expects.
def test_returns_the_last_line_or_all_lines(cadenza_record: Any) -> None:
    @flow
    def lines() -> tuple[Any, Any]:
        last = shell_run_command(command="echo one; echo two")
        every = shell_run_command(command="echo one; echo two", return_all=True)
        return last, every

    assert lines() == ("two", ["one", "two"])
    assert cadenza_record("SELECT task_name, state_type FROM task_runs") == [
        ("shell_run_command", "COMPLETED"),
        ("shell_run_command", "COMPLETED"),
    ]


def test_lines_are_logged_in_order_with_both_streams(cadenza_record: Any) -> None:
    command = "for i in $(seq 1 200); do echo out-$i; echo err-$i >&2; done"

    @flow
    def chatty() -> Any:
        return shell_run_command(command=command, return_all=True)

    assert chatty() == [f"out-{i}" for i in range(1, 201)]
    messages = logged(cadenza_record)
    assert [m for m in messages if m.startswith("out-")] == [f"out-{i}" for i in range(1, 201)]
    assert [m for m in messages if m.startswith("err-")] == [f"err-{i}" for i in range(1, 201)]


def test_a_line_reaches_the_run_logs_while_the_command_still_runs(
    cadenza_record: Any, cadenza_isolated_home: Path, tmp_path: Path
) -> None:
    """The command prints a line, then waits for a file the test creates only once it has
    read that line from the run record: were lines logged at the end, it would never come."""
    db = cadenza_isolated_home / "cadenza.db"
    seen: list[str] = []

    def watch() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = sqlite3.connect(db)
                try:
                    rows = conn.execute(
                        "SELECT l.message, t.state_type FROM logs l JOIN task_runs t"
                        " ON l.task_run_id = t.id WHERE l.message = 'first'"
                    ).fetchall()
                finally:
                    conn.close()
            except sqlite3.OperationalError:  # the record is not created yet
                rows = []
            if rows:
                seen.append(rows[0][1])  # the task run's state when the line was there
                (tmp_path / "go").touch()
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    command = (
        "echo first\n"
        "for i in $(seq 1 1200); do [ -f go ] && break; sleep 0.05; done\n"
        "[ -f go ] || exit 7\n"
        "echo second"
    )

    @flow
    def slow() -> Any:
        return shell_run_command(command=command, cwd=tmp_path, return_all=True)

    assert slow() == ["first", "second"]
    watcher.join(5)
    assert seen == ["RUNNING"]
    assert logged(cadenza_record).index("first") < logged(cadenza_record).index("second")


# Prefect 3.9.1: a non-zero exit raises RuntimeError("Command failed with exit code 3:\nbad\n"),
# stderr (or the last stdout line) after the colon; the task run is Failed.
def test_a_non_zero_exit_fails_with_the_status_and_last_lines(cadenza_record: Any) -> None:
    command = "for i in $(seq 1 30); do echo line-$i; done; echo 'disk full' >&2; exit 3"

    @flow
    def failing() -> Any:
        return shell_run_command(command=command)

    with pytest.raises(RuntimeError) as caught:
        failing()
    error = caught.value
    assert isinstance(error, ShellCommandError)
    assert error.exit_code == 3
    assert str(error).startswith(f"Command failed with exit code 3 (PID {error.pid}).")
    assert error.last_stderr == ("disk full",)
    assert error.last_stdout == tuple(f"line-{i}" for i in range(21, 31))  # the last 10
    assert str(error).endswith("Last 1 line(s) of stderr:\ndisk full")
    assert "Last 10 line(s) of stdout:\nline-21\n" in str(error)
    assert "line-20" not in str(error)
    ((state, message),) = cadenza_record("SELECT state_type, state_message FROM task_runs")
    assert state == "FAILED"
    assert "Command failed with exit code 3" in message


def test_secret_env_values_are_masked_in_logs_and_errors(
    cadenza_record: Any, cadenza_isolated_home: Path
) -> None:
    token = "tok-8f2c91d7e4a6"
    command = 'echo "using $API_TOKEN"; echo "$API_TOKEN" >&2; echo "mode=$MODE"; exit 5'

    @flow
    def leaky() -> Any:
        env = {"API_TOKEN": SecretStr(token), "MODE": "prod"}
        return shell_run_command(command=command, env=env)

    with pytest.raises(ShellCommandError) as caught:
        leaky()
    assert token not in str(caught.value)
    assert "using ********" in str(caught.value)
    assert all(token not in line for line in caught.value.last_lines)
    messages = logged(cadenza_record)
    assert "using ********" in messages and "mode=prod" in messages
    assert not [m for m in messages if token in m]
    stored = b"".join(p.read_bytes() for p in cadenza_isolated_home.glob("cadenza.db*"))
    assert token.encode() not in stored


def test_a_one_megabyte_line(cadenza_record: Any) -> None:
    command = "head -c 1000000 /dev/zero | tr '\\0' x; echo; echo after"

    @flow
    def big() -> Any:
        return shell_run_command(command=command, return_all=True)

    line, after = big()
    assert line == "x" * 1_000_000 and after == "after"
    (logged_line,) = [m for m in logged(cadenza_record) if m.startswith("xxx")]
    assert logged_line.startswith("x" * 65536)  # cut in the log, whole in the result
    assert logged_line.endswith("... [934464 more characters]")
    assert "after" in logged(cadenza_record)


def test_bytes_that_are_not_utf8_are_replaced(cadenza_record: Any) -> None:
    @flow
    def latin1() -> Any:
        return shell_run_command(
            command="printf 'caf\\351 au lait\\n\\377\\376end\\n'", return_all=True
        )

    assert latin1() == ["caf\ufffd au lait", "\ufffd\ufffdend"]
    assert "caf\ufffd au lait" in logged(cadenza_record)


def test_a_missing_working_directory_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir"

    @flow
    def nowhere() -> Any:
        return shell_run_command(command="pwd", cwd=missing)

    with pytest.raises(FileNotFoundError, match="working directory") as caught:
        nowhere()
    assert str(missing) in str(caught.value)


def test_helper_command_and_cwd(tmp_path: Path) -> None:
    @flow
    def helped() -> Any:
        return shell_run_command(
            command="greet world; pwd",
            helper_command="greet() { echo hi $1; }",
            cwd=tmp_path,
            return_all=True,
        )

    assert helped() == ["hi world", str(tmp_path)]


# Prefect 3.9.1: shell_run_command is an async task: `await shell_run_command(...)` in an
# async flow, and two of them run concurrently under asyncio.gather.
def test_in_an_async_flow(cadenza_record: Any) -> None:
    @flow
    async def together() -> Any:
        return await asyncio.gather(
            shell_run_command(command="sleep 0.5; echo a"),
            shell_run_command(command="sleep 0.5; echo b"),
        )

    assert asyncio.run(together()) == ["a", "b"]
    states = cadenza_record("SELECT state_type FROM task_runs")
    assert states == [("COMPLETED",), ("COMPLETED",)]


@posix_only
@signalled
def test_a_task_timeout_stops_the_whole_process_group(tmp_path: Path) -> None:
    """The shell's child starts a grandchild `sleep 300`: a timeout ends all three."""

    @flow
    def stuck() -> Any:
        limited = shell_run_command.with_options(timeout_seconds=5)
        state = limited(command=SPAWN_TREE, cwd=tmp_path, return_state=True)
        return state.name

    assert stuck() == "TimedOut"
    pids = tree_pids(tmp_path)
    assert wait_gone(pids) == []


@posix_only
@signalled
def test_the_timeout_argument_stops_the_whole_process_group(tmp_path: Path) -> None:
    @flow
    def stuck() -> Any:
        return shell_run_command(command=SPAWN_TREE, cwd=tmp_path, timeout=5)

    with pytest.raises(ShellTimeoutError, match="timed out after 5 s"):
        stuck()
    assert wait_gone(tree_pids(tmp_path)) == []


def test_a_timeout_must_be_above_zero() -> None:
    @flow
    def instant() -> Any:
        return shell_run_command(command="true", timeout=0)

    with pytest.raises(ValueError, match="timeout must be a number of seconds above 0"):
        instant()
