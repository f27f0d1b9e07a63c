"""The errors of cadenza-shell: a command that failed, and one that ran out of time.

Both are `RuntimeError`s, as prefect-shell raises, so ``except RuntimeError`` written for
Prefect still catches them. Their messages never hold a secret environment value (masked as
``********``, as in run logs).
"""

from __future__ import annotations


class ShellCommandError(RuntimeError):
    """A shell command ended with a non-zero exit status (or was killed by a signal).

    ``exit_code`` is the status (negative: killed by that signal, as `subprocess` reports it),
    ``last_stdout`` and ``last_stderr`` the last lines it printed on each (masked), ``pid`` the
    shell's process id. The message shows the same.
    """

    def __init__(
        self,
        message: str,
        *,
        exit_code: int | None = None,
        last_stdout: tuple[str, ...] = (),
        last_stderr: tuple[str, ...] = (),
        pid: int | None = None,
    ) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.last_stdout = last_stdout
        self.last_stderr = last_stderr
        self.pid = pid

    @property
    def last_lines(self) -> tuple[str, ...]:
        """The last lines of stdout, then those of stderr (as the message shows them)."""
        return self.last_stdout + self.last_stderr


class ShellTimeoutError(ShellCommandError):
    """A shell command ran longer than its timeout: it was stopped with every process it started
    (its process group, on POSIX systems)."""


__all__ = ["ShellCommandError", "ShellTimeoutError"]
