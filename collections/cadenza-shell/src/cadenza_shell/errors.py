"""The errors of cadenza-shell: a command that failed, and one that ran out of time.

Both are `RuntimeError`s, as prefect-shell raises, so ``except RuntimeError`` written for
Prefect still catches them. Their messages never hold a secret environment value (masked as
``********``, as in run logs).
"""

from __future__ import annotations


class ShellCommandError(RuntimeError):
    """A shell command ended with a non-zero exit status (or was killed by a signal).

    ``exit_code`` is the status (negative: killed by that signal, as `subprocess` reports it),
    ``last_lines`` the last lines it printed (stdout and stderr, in the order they came, masked),
    ``pid`` the shell's process id.
    """

    def __init__(
        self,
        message: str,
        *,
        exit_code: int | None = None,
        last_lines: tuple[str, ...] = (),
        pid: int | None = None,
    ) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.last_lines = last_lines
        self.pid = pid


class ShellTimeoutError(ShellCommandError):
    """A shell command ran longer than its timeout: it was stopped with every process it started
    (its process group, on POSIX systems)."""


__all__ = ["ShellCommandError", "ShellTimeoutError"]
