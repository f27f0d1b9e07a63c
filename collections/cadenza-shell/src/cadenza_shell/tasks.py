"""`shell_run_command`: run a shell command from a flow (the task of prefect-shell)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from typing import Any

from cadenza import get_run_logger, task

from cadenza_shell._process import RunningShell, for_log, raise_for_status
from cadenza_shell._script import build_env, default_shell, remove_script, scrub, write_script


@task(name="shell_run_command")
async def shell_run_command(
    command: str,
    env: Mapping[str, Any] | None = None,
    helper_command: str | None = None,
    shell: str | None = None,
    extension: str | None = None,
    return_all: bool = False,
    stream_level: int = logging.INFO,
    cwd: str | bytes | os.PathLike[str] | None = None,
    timeout: float | None = None,
) -> list[str] | str:
    """Run ``command`` with ``shell`` (default ``bash``) and return its stdout.

    Each line of stdout and stderr is logged at ``stream_level`` to the task run's logs as it
    arrives. Returns the last line of stdout, or every line with ``return_all=True``.

    Args:
        command: The command (any shell text: several lines, pipes, heredocs).
        env: Variables added to this process's environment for the command. A value given as
            a pydantic ``SecretStr`` is secret: it is masked (``********``) wherever it would
            show in the run's logs or an error message.
        helper_command: Shell text run before ``command`` in the same shell.
        shell: The shell to run it with: ``bash`` by default (``powershell`` on Windows).
        extension: The suffix of the temporary script file (``.sh`` by default).
        return_all: Return every line of stdout as a list rather than the last one.
        stream_level: The logging level of the output lines (20, ``logging.INFO``).
        cwd: The working directory; a directory that does not exist raises
            `FileNotFoundError` naming it, before anything runs.
        timeout: Seconds after which the command is stopped with every process it started,
            raising `ShellTimeoutError` (cadenza's addition; a task's ``timeout_seconds``
            stops the process tree too).

    Raises:
        ShellCommandError: a non-zero exit status, with the status and the last lines of
            output in its message (a `RuntimeError`, as in prefect-shell).
    """
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a number of seconds above 0, not {timeout!r}")
    logger = get_run_logger()
    run_env, _ = build_env(env)
    chosen = shell or default_shell()
    commands = [helper_command, command] if helper_command else [command]
    args, script = write_script(commands, chosen, extension)
    cwd_text = os.fsdecode(cwd) if cwd is not None else None

    def log_line(pid: int, stream: str, line: str) -> None:
        logger.log(stream_level, for_log(scrub(line)))

    try:
        running = RunningShell(args, env=run_env, cwd=cwd_text, on_line=log_line)
        try:
            code = await asyncio.to_thread(running.wait, timeout)
        except asyncio.CancelledError:  # the task's timeout, or the flow's cancellation
            await asyncio.to_thread(running.stop)
            raise
        raise_for_status(running, code, task=True)
    finally:
        remove_script(script)
    lines = running.stdout_lines
    return list(lines) if return_all else (lines[-1] if lines else "")


__all__ = ["shell_run_command"]
