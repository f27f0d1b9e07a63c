"""`ShellOperation`, prefect-shell's block, used as Prefect's documentation shows it: `.run()`,
`.trigger()` with `.wait_for_completion()` / `.fetch_result()`, as a context manager, in sync and
async flows, saved by name; on real `bash` processes."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest
from cadenza import flow, task
from pydantic import SecretStr

from cadenza_shell import ShellCommandError, ShellOperation, ShellProcess, ShellTimeoutError
from shell_procs import SPAWN_TREE, alive, tree_pids, wait_gone

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="process groups are POSIX")
# starts processes and signals them (the core's `integration` mark: `make test-fast` skips them)
signalled = pytest.mark.integration


def logged(cadenza_record: Any) -> list[str]:
    return [m for (m,) in cadenza_record("SELECT message FROM logs ORDER BY id")]


# Prefect 3.9.1 (prefect-shell 0.3.7): ShellOperation(commands=[...]).run() runs the commands
# in one shell, one after the other, and returns the lines of stdout; each line is logged as
# "PID <pid> stream output:\n<line>" (stderr: "PID <pid> stderr:\n<line>").
def test_run_returns_the_lines_of_stdout_and_logs_them(cadenza_record: Any, tmp_path: Path) -> None:
    @flow
    def build() -> list[str]:
        operation = ShellOperation(
            commands=["cd sub", "pwd", 'echo "$GREETING"', "echo oops >&2"],
            env={"GREETING": "hello"},
            working_dir=tmp_path,
        )
        return operation.run()

    (tmp_path / "sub").mkdir()
    assert build() == [str(tmp_path / "sub"), "hello"]
    messages = logged(cadenza_record)
    (triggered,) = [m for m in messages if "triggered with 4 commands" in m]
    pid = triggered.split()[1]
    assert f"PID {pid} stream output:\nhello" in messages
    assert f"PID {pid} stderr:\noops" in messages
    assert f"PID {pid} completed with return code 0." in messages


def test_stream_output_off_and_no_prefix(cadenza_record: Any) -> None:
    @flow
    def quiet() -> tuple[list[str], list[str]]:
        silent = ShellOperation(commands=["echo hidden-line"], stream_output=False).run()
        plain = ShellOperation(commands=["echo plain-line"], log_prefix=None).run()
        return silent, plain

    assert quiet() == (["hidden-line"], ["plain-line"])
    messages = logged(cadenza_record)
    assert not [m for m in messages if "hidden-line" in m]
    assert "plain-line" in messages


# Prefect 3.9.1: trigger() returns a ShellProcess; wait_for_completion() then fetch_result();
# the block is a context manager that closes what is still running.
def test_trigger_wait_and_fetch_in_a_context_manager() -> None:
    with ShellOperation(commands=["echo one", "sleep 0.2", "echo two"]) as operation:
        process = operation.trigger()
        assert isinstance(process, ShellProcess)
        process.wait_for_completion()
        assert process.return_code == 0
        assert process.fetch_result() == ["one", "two"]


@posix_only
@signalled
def test_leaving_the_context_stops_what_still_runs(tmp_path: Path) -> None:
    with ShellOperation(commands=[SPAWN_TREE], working_dir=tmp_path) as operation:
        process = operation.trigger()
        pids = tree_pids(tmp_path)
        assert all(alive(pid) for pid in pids.values())
    assert process.return_code is not None
    assert wait_gone(pids) == []


def test_a_failing_command_names_the_return_code_and_last_lines() -> None:
    operation = ShellOperation(commands=["echo preparing", "echo 'no such table' >&2", "exit 2"])
    with pytest.raises(RuntimeError) as caught:
        operation.run()
    error = caught.value
    assert isinstance(error, ShellCommandError)
    assert str(error).startswith(f"PID {error.pid} failed with return code 2")
    assert error.exit_code == 2
    assert (error.last_stdout, error.last_stderr) == (("preparing",), ("no such table",))
    assert error.last_lines == ("preparing", "no such table")


def test_a_command_killed_by_a_signal_says_which() -> None:
    with pytest.raises(ShellCommandError, match="killed by signal SIGKILL") as caught:
        ShellOperation(commands=["echo bye", "kill -KILL $$"]).run()
    assert caught.value.exit_code == -9


def test_secret_env_is_masked_and_stays_secret_once_saved(
    cadenza_record: Any, cadenza_isolated_home: Path
) -> None:
    token = "tok-51b7a0c3e9d2"
    ShellOperation(
        commands=['echo "token=$API_TOKEN user=$USER_NAME"', "exit 1"],
        env={"API_TOKEN": SecretStr(token), "USER_NAME": "ada"},
    ).save("deploy")
    loaded = ShellOperation.load("deploy")
    assert loaded.env == {"USER_NAME": "ada"}
    assert loaded.secret_env["API_TOKEN"].get_secret_value() == token
    assert token not in repr(loaded)

    @flow
    def deploy() -> list[str]:
        return ShellOperation.load("deploy").run()

    with pytest.raises(ShellCommandError) as caught:
        deploy()
    assert token not in str(caught.value)
    assert "token=******** user=ada" in str(caught.value)
    messages = logged(cadenza_record)
    assert [m for m in messages if m.endswith("token=******** user=ada")]
    assert not [m for m in messages if token in m]
    stored = b"".join(p.read_bytes() for p in cadenza_isolated_home.glob("cadenza.db*"))
    assert token.encode() not in stored


def test_a_missing_working_directory_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "gone"
    operation = ShellOperation(commands=["pwd"], working_dir=missing)
    with pytest.raises(FileNotFoundError, match=f"working directory '{missing}' does not exist"):
        operation.run()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        operation.trigger()


def test_non_utf8_output_and_a_one_megabyte_line() -> None:
    operation = ShellOperation(
        commands=["printf 'na\\357ve\\n'", "head -c 1048576 /dev/zero | tr '\\0' y", "echo"]
    )
    short, long = operation.run()
    assert short == "na\ufffdve"
    assert long == "y" * 1048576


@posix_only
@signalled
def test_timeout_stops_the_whole_process_group(tmp_path: Path) -> None:
    operation = ShellOperation(commands=[SPAWN_TREE], working_dir=tmp_path, timeout=1)
    with operation:
        process = operation.trigger()
        pids = tree_pids(tmp_path)  # all three started (the clock runs from the wait)
        with pytest.raises(ShellTimeoutError, match="timed out after 1 s") as caught:
            process.wait_for_completion()
        assert caught.value.pid == process.pid == pids["shell.pid"]
        assert wait_gone(pids) == []  # already, before the context closes anything


@posix_only
@signalled
def test_a_sync_task_timeout_stops_the_whole_process_group(tmp_path: Path) -> None:
    """A sync task's timeout interrupts `run()` in its thread: the tree goes with it."""

    @task(timeout_seconds=5)
    def provision() -> list[str]:
        return ShellOperation(commands=[SPAWN_TREE], working_dir=tmp_path).run()

    @flow
    def stuck() -> str:
        return provision(return_state=True).name

    assert stuck() == "TimedOut"
    assert wait_gone(tree_pids(tmp_path)) == []


# Prefect 3.9.1: in an async flow the same names are awaited: `await operation.run()`, and
# `async with ShellOperation(...) as op: process = await op.trigger(); await
# process.wait_for_completion(); await process.fetch_result()`.
def test_in_an_async_flow(cadenza_record: Any) -> None:
    @flow
    async def pipeline() -> tuple[list[str], list[str]]:
        ran = await ShellOperation(commands=["echo ran"]).run()
        async with ShellOperation(commands=["sleep 0.2", "echo triggered"]) as operation:
            process = await operation.trigger()
            await process.wait_for_completion()
            fetched = await process.fetch_result()
        return ran, fetched

    assert asyncio.run(pipeline()) == (["ran"], ["triggered"])
    assert [m for m in logged(cadenza_record) if m.endswith("stream output:\ntriggered")]


@posix_only
@signalled
def test_cancelling_an_async_run_stops_the_whole_process_group(tmp_path: Path) -> None:
    async def main() -> None:
        operation = ShellOperation(commands=[SPAWN_TREE], working_dir=tmp_path)
        running = asyncio.ensure_future(operation.arun())
        await asyncio.to_thread(tree_pids, tmp_path)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running

    asyncio.run(main())
    assert wait_gone(tree_pids(tmp_path)) == []


@posix_only
@signalled
def test_a_background_child_holding_the_output_does_not_hang_the_run(tmp_path: Path) -> None:
    """`sleep 300 &` keeps stdout open after the shell exits: the run ends anyway, and the
    sleep is stopped with the rest of the group (as prefect-shell's `run()` ends the tree)."""
    operation = ShellOperation(
        commands=["sleep 300 &", "echo $! > sleep.pid", "echo started"], working_dir=tmp_path
    )
    assert operation.run() == ["started"]
    pid = int((tmp_path / "sleep.pid").read_text())
    assert wait_gone({"sleep": pid}) == []


def test_a_log_prefix_with_an_unknown_placeholder_is_refused() -> None:
    with pytest.raises(ValueError, match="log_prefix may use only the placeholders"):
        ShellOperation(commands=["true"], log_prefix="[{host}] ")
    assert ShellOperation(commands=["true"], log_prefix="[{label} of {pid}] ").log_prefix
