"""What a shell command runs as: a temporary script file, the shell that runs it, and the
environment, whose secret values are registered for masking.

As prefect-shell does, the commands are written to a temporary file and the shell is started
with its path (``bash /tmp/cadenza-xxxx.sh``): a multi-line command, a heredoc or a function
definition runs as it would from a script. The file is removed when the run ends.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable, Mapping
from typing import Any

from cadenza import masking


def default_shell() -> str:
    """``bash`` on POSIX systems, ``powershell`` on Windows (prefect-shell's defaults)."""
    return "powershell" if sys.platform == "win32" else "bash"


def write_script(
    commands: Iterable[str], shell: str, extension: str | None = None
) -> tuple[list[str], str]:
    """The command line that runs ``commands`` (one per line) with ``shell``, and the path of
    the temporary script it reads (delete it with `remove_script`)."""
    is_powershell = shell.lower() in ("powershell", "pwsh")
    suffix = ".ps1" if is_powershell else (extension or ".sh")
    text = os.linesep.join(commands)
    if is_powershell:  # the script's exit status is its last command's
        text += f"{os.linesep}Exit $LastExitCode"
    fd, path = tempfile.mkstemp(prefix="cadenza-shell-", suffix=suffix)
    with os.fdopen(fd, "wb") as script:
        script.write(text.encode("utf-8"))
    return [shell, path], path


def remove_script(path: str | None) -> None:
    if path is not None:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


def is_secret(value: Any) -> bool:
    """A pydantic ``SecretStr`` (or anything with ``get_secret_value()``)."""
    return callable(getattr(value, "get_secret_value", None))


def build_env(*layers: Mapping[str, Any] | None) -> tuple[dict[str, str], list[str]]:
    """This process's environment updated with each of ``layers`` in turn, and the values of
    the layers that were secret (registered with `cadenza.masking`, so run logs and error
    messages show ``********`` in their place)."""
    env = dict(os.environ)
    secrets: list[str] = []
    for layer in layers:
        for name, value in (layer or {}).items():
            if is_secret(value):
                plain = str(value.get_secret_value())
                secrets.append(plain)
            else:
                plain = str(value)
            env[str(name)] = plain
    masking.register(*secrets)
    return env, secrets


def scrub(text: str) -> str:
    """``text`` with every registered secret value masked (`cadenza.masking`)."""
    return masking.mask(text)


__all__ = ["build_env", "default_shell", "is_secret", "remove_script", "scrub", "write_script"]
