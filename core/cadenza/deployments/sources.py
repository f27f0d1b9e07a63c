"""Making a flow's source available on this machine: a local directory, or a git repository.

`materialize(source, workdir)` returns the directory that holds the code:

- a local directory (a path, ``~`` expanded) is used where it is;
- a git repository is cloned into `workdir` with the ``git`` command
  (``git clone --depth 1 [--branch REF]``, never through a shell, with git's prompts off). A
  source is a git repository when it starts with ``https://``, ``http://``, ``ssh://``,
  ``git://``, ``file://`` or ``git@``, or ends with ``.git``. A branch or tag to check out follows
  a ``#``: ``https://github.com/org/repo.git#release-2``; without one, the remote's default
  branch.

Failures are `cadenza.exceptions.SourceError`; a failed clone's message includes git's own
output. A password or token in the URL (``https://user:token@host/...``) never appears in a
message: it is masked as ``***``.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from cadenza.exceptions import SourceError

GIT_PREFIXES = ("https://", "http://", "ssh://", "git://", "file://", "git@")
"""What a git source starts with (or it ends with ``.git``)."""

_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def is_git_source(source: str) -> bool:
    """Whether `source` names a git repository (see the module docstring)."""
    url = source.partition("#")[0]
    return source.startswith(GIT_PREFIXES) or url.rstrip("/").endswith(".git")


def mask_credentials(text: str) -> str:
    """`text` with the user information of each URL in it (``user:password@``) masked."""
    return _USERINFO.sub("***@", text)


def materialize(source: str, workdir: Path) -> Path:
    """The directory holding `source`'s code: a local directory itself, or a fresh clone of a
    git repository made in `workdir` (see the module docstring). `SourceError` on failure."""
    source = str(source)
    if is_git_source(source):
        url, _, ref = source.partition("#")
        return _clone(url, ref or None, Path(workdir))
    path = Path(source).expanduser()
    if path.is_dir():
        return path.resolve()
    problem = "is not a directory" if path.exists() else "does not exist"
    raise SourceError(
        f"Source {mask_credentials(source)!r} {problem}; a source is a local directory or a git "
        f"repository URL (starting with {', '.join(GIT_PREFIXES)} or ending with .git)"
    )


def _clone(url: str, ref: str | None, workdir: Path) -> Path:
    shown = mask_credentials(url)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1])
    name = name.removesuffix(".git") or "source"
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / name
    for n in range(2, 1000):
        if not target.exists():
            break
        target = workdir / f"{name}-{n}"
    command = ["git", "clone", "--depth", "1"]
    if ref:
        command += ["--branch", ref]
    command += ["--", url, str(target)]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}  # fail, never wait for a password
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    except FileNotFoundError:
        raise SourceError(
            f"Cannot clone {shown}: the git command is not installed (or not on PATH)"
        ) from None
    if done.returncode != 0:
        output = mask_credentials((done.stderr or done.stdout).strip())
        at = f" at {ref!r}" if ref else ""
        raise SourceError(
            f"Cannot clone {shown}{at}: git clone exited with status {done.returncode}:\n{output}"
        )
    return target


__all__ = ["GIT_PREFIXES", "is_git_source", "mask_credentials", "materialize"]
