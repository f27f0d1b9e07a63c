"""Shell commands for cadenza: the `shell_run_command` task and the `ShellOperation` block
(prefect-shell's names).

    from cadenza import flow
    from cadenza_shell import ShellOperation, shell_run_command

    @flow
    def build() -> str:
        shell_run_command("make -C docs html")
        return ShellOperation(commands=["git rev-parse HEAD"]).run()[-1]

Importing this package imports nothing heavy: cadenza imports `cadenza_shell.plugin` (and so this
package) every time it loads its plugins, so the names below are imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cadenza_shell.errors import ShellCommandError, ShellTimeoutError
    from cadenza_shell.operation import ShellOperation, ShellProcess
    from cadenza_shell.tasks import shell_run_command

# public name -> the module that defines it
_LAZY = {
    "ShellCommandError": "cadenza_shell.errors",
    "ShellOperation": "cadenza_shell.operation",
    "ShellProcess": "cadenza_shell.operation",
    "ShellTimeoutError": "cadenza_shell.errors",
    "shell_run_command": "cadenza_shell.tasks",
}

__all__ = [
    "ShellCommandError",
    "ShellOperation",
    "ShellProcess",
    "ShellTimeoutError",
    "__version__",
    "shell_run_command",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":  # the one version literal is pyproject.toml's
        # lazily: importlib.metadata costs milliseconds on every plugin load
        from importlib.metadata import version

        return version("cadenza-shell")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # the next access is a plain attribute read
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY, "__version__"])
