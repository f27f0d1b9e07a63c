"""`ShellOperation`: a block holding shell commands, run with `run()` or started with
`trigger()` (prefect-shell's block); `ShellProcess`: a started operation.

Each method has a sync and an async form (``run``/``arun``, ``trigger``/``atrigger``,
``wait_for_completion``/``await_for_completion``, ``fetch_result``/``afetch_result``,
``close``/``aclose``). The sync name called from async code (an ``async def`` flow or task, or
a running event loop) returns the async form's coroutine, as Prefect's dispatch does, so
``await op.run()`` works in an async flow and ``op.run()`` in a sync one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from cadenza.blocks import Block
from cadenza.context import in_async_context
from cadenza.exceptions import MissingContextError
from cadenza.logging import get_logger, get_run_logger
from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator

from cadenza_shell._process import RunningShell, for_log, raise_for_status
from cadenza_shell._script import (
    build_env,
    default_shell,
    is_secret,
    remove_script,
    scrub,
    write_script,
)

DEFAULT_LOG_PREFIX = "PID {pid} {label}:\n"
_LABELS = {"stdout": "stream output", "stderr": "stderr"}  # prefect-shell's labels

if TYPE_CHECKING:
    import logging
    from typing import TypeAlias

    Logger: TypeAlias = logging.Logger | logging.LoggerAdapter[Any]


def _dispatch(sync: bool | None) -> bool:
    """Whether a dual method runs its async form: forced by ``_sync``, else by the caller."""
    return not sync if sync is not None else in_async_context()


class ShellProcess:
    """A shell operation started by `ShellOperation.trigger`: wait for it, read its output."""

    def __init__(
        self, operation: ShellOperation, running: RunningShell, script: str, logger: Logger
    ) -> None:
        self._operation = operation
        self._running = running
        self._script: str | None = script
        self.logger = logger

    @property
    def pid(self) -> int:
        """The shell's process id (on POSIX, also its process group's id)."""
        return self._running.pid

    @property
    def return_code(self) -> int | None:
        """The exit status, or None while it runs (negative: killed by that signal)."""
        return self._running.returncode

    def wait_for_completion(
        self, timeout: float | None = None, *, _sync: bool | None = None
    ) -> Any:
        """Wait until the process exits and its output is read (at most ``timeout`` seconds,
        else the operation's `timeout`). Raises `ShellCommandError` (a `RuntimeError`) for a
        non-zero status and `ShellTimeoutError` on time out, which stops the process tree."""
        if _dispatch(_sync):
            return self.await_for_completion(timeout)
        limit = timeout if timeout is not None else self._operation.timeout
        try:
            code = self._running.wait(limit)
        finally:
            self._cleanup()
        self._report(code)
        return None

    async def await_for_completion(self, timeout: float | None = None) -> None:
        """The async form of `wait_for_completion`; cancelling it stops the process tree."""
        limit = timeout if timeout is not None else self._operation.timeout
        try:
            code = await asyncio.to_thread(self._running.wait, limit)
        except asyncio.CancelledError:
            await asyncio.to_thread(self._running.stop)
            raise
        finally:
            self._cleanup()
        self._report(code)

    def _report(self, code: int) -> None:
        raise_for_status(self._running, code)
        self.logger.info(f"PID {self.pid} completed with return code {code}.")

    def fetch_result(self, *, _sync: bool | None = None) -> Any:
        """The lines the process printed to stdout (so far, while it still runs)."""
        if _dispatch(_sync):
            return self.afetch_result()
        if self.return_code is None:
            self.logger.info("Process is still running, result may be incomplete.")
        return list(self._running.stdout_lines)

    async def afetch_result(self) -> list[str]:
        """The async form of `fetch_result`."""
        return cast(list[str], self.fetch_result(_sync=True))

    def stop(self) -> None:
        """Stop the process and everything it started (idempotent)."""
        self._running.stop()
        self._cleanup()

    def _cleanup(self) -> None:
        remove_script(self._script)
        self._script = None


class ShellOperation(Block):
    """Shell commands run one after the other by one shell, as a saved block.

    `run()` runs them and returns the lines of stdout; `trigger()` starts them and returns a
    `ShellProcess`. Used as a context manager, processes still running at the end are stopped.
    """

    _block_type_slug = "shell-operation"
    _block_type_name = "Shell Operation"

    commands: list[str] = Field(description="The commands to run, one after the other.")
    stream_output: bool = Field(
        default=True, description="Log each line of output to the run's logs as it arrives."
    )
    log_prefix: str | None = Field(
        default=DEFAULT_LOG_PREFIX,
        description="Put before each logged line; `{pid}` and `{label}` (`stream output` or "
        "`stderr`) are filled in. None logs the line alone.",
    )
    env: dict[str, str] = Field(
        default_factory=dict,
        description="Environment variables added for the commands. A value given as a "
        "SecretStr is moved to `secret_env`.",
    )
    secret_env: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Environment variables whose values are secret: stored encrypted, masked "
        "in run logs and error messages.",
    )
    working_dir: Path | None = Field(
        default=None, description="The directory the commands run in (it must exist)."
    )
    shell: str | None = Field(
        default=None, description="The shell to run them with (bash; powershell on Windows)."
    )
    extension: str | None = Field(
        default=None, description="The suffix of the temporary script file (.sh by default)."
    )
    timeout: float | None = Field(
        default=None,
        gt=0,
        description="Seconds after which the commands are stopped, with every process they "
        "started.",
    )

    _processes: list[ShellProcess] = PrivateAttr(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _secret_values_of_env(cls, data: Any) -> Any:
        """``env={"TOKEN": SecretStr(...)}``: the secret values go to ``secret_env``, so that
        they stay secret once saved and loaded."""
        if isinstance(data, dict) and isinstance(data.get("env"), dict):
            env = data["env"]
            secret = {k: v for k, v in env.items() if is_secret(v)}
            if secret:
                data = {
                    **data,
                    "env": {k: v for k, v in env.items() if k not in secret},
                    "secret_env": {**(data.get("secret_env") or {}), **secret},
                }
        return data

    @field_validator("log_prefix")
    @classmethod
    def _known_placeholders(cls, prefix: str | None) -> str | None:
        """A prefix with a placeholder other than ``{pid}`` and ``{label}`` is refused here,
        not found out on the first line logged."""
        if prefix is not None:
            try:
                prefix.format(pid=0, label="stderr")
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(
                    f"log_prefix may use only the placeholders {{pid}} and {{label}} "
                    f"(and {{{{ }}}} for braces): {exc!r} in {prefix!r}"
                ) from None
        return prefix

    @property
    def logger(self) -> Logger:
        """The current run's logger, else the ``cadenza.shell`` logger."""
        try:
            return get_run_logger()
        except MissingContextError:
            return get_logger("shell")

    # -- starting --------------------------------------------------------------------------------

    def trigger(self, *, _sync: bool | None = None, **popen_kwargs: Any) -> Any:
        """Start the commands; returns a `ShellProcess` (extra keyword arguments go to
        `subprocess.Popen`). Raises `FileNotFoundError` naming a missing `working_dir`."""
        if _dispatch(_sync):
            return self.atrigger(**popen_kwargs)
        return self._start(popen_kwargs)

    async def atrigger(self, **popen_kwargs: Any) -> ShellProcess:
        """The async form of `trigger` (starting a process does not block)."""
        return self._start(popen_kwargs)

    def _start(self, popen_kwargs: dict[str, Any]) -> ShellProcess:
        logger = self.logger
        env, _ = build_env(self.env, self.secret_env)
        args, script = write_script(self.commands, self.shell or default_shell(), self.extension)
        try:
            running = RunningShell(
                args,
                env=env,
                cwd=self.working_dir,
                on_line=self._line_logger(logger),
                popen_kwargs=popen_kwargs,
            )
        except BaseException:
            remove_script(script)
            raise
        process = ShellProcess(self, running, script, logger)
        self._processes.append(process)
        where = str(self.working_dir) if self.working_dir is not None else "."
        logger.info(
            f"PID {running.pid} triggered with {len(self.commands)} commands running inside "
            f"the {where!r} directory."
        )
        return process

    def _line_logger(self, logger: Logger) -> Callable[[int, str, str], None]:
        if not self.stream_output:
            return lambda pid, stream, line: None
        prefix_template = self.log_prefix

        def log_line(pid: int, stream: str, line: str) -> None:
            text = for_log(scrub(line))
            if prefix_template is not None:
                text = prefix_template.format(pid=pid, label=_LABELS[stream]) + text
            logger.info(text)

        return log_line

    # -- running ---------------------------------------------------------------------------------

    def run(self, *, _sync: bool | None = None, **popen_kwargs: Any) -> Any:
        """Run the commands to their end and return the lines of stdout. Raises
        `ShellCommandError` (a `RuntimeError`) naming the return code, with the last lines of
        output, when they fail; the process tree is stopped however the call ends."""
        if _dispatch(_sync):
            return self.arun(**popen_kwargs)
        process = self._start(popen_kwargs)
        try:
            process.wait_for_completion(_sync=True)
            return process.fetch_result(_sync=True)
        finally:
            process.stop()
            self._processes.remove(process)

    async def arun(self, **popen_kwargs: Any) -> list[str]:
        """The async form of `run`; cancelling it stops the process tree."""
        process = self._start(popen_kwargs)
        try:
            await process.await_for_completion()
            return cast(list[str], process.fetch_result(_sync=True))
        finally:
            await asyncio.to_thread(process.stop)
            self._processes.remove(process)

    # -- closing ---------------------------------------------------------------------------------

    def close(self, *, _sync: bool | None = None) -> Any:
        """Stop every process `trigger` started that is still running."""
        if _dispatch(_sync):
            return self.aclose()
        while self._processes:
            self._processes.pop().stop()
        return None

    async def aclose(self) -> None:
        """The async form of `close`."""
        await asyncio.to_thread(self.close, _sync=True)

    def __enter__(self) -> ShellOperation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close(_sync=True)

    async def __aenter__(self) -> ShellOperation:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


__all__ = ["DEFAULT_LOG_PREFIX", "ShellOperation", "ShellProcess"]
