"""Every ```python block in docs/ runs, so the examples cannot rot.

Each page's blocks run in order, in one fresh interpreter per page (later blocks see what earlier
ones defined, as a reader would), with a fresh ``CADENZA_HOME`` and working directory. A failure
names the page and the line of the block, and the traceback points at lines of the page itself.

A block that cannot run standalone (it needs a running server, a cloud service, a package that is
not installed) is marked with a comment on the line right before its fence, giving the reason:

    <!-- skip: needs a running server -->
    ```python
    ...

Skips are counted and reported; keep them rare.

A page that shows working against a server says ``<!-- page: with-server -->`` on a line of its
own: its blocks then run with ``CADENZA_API_URL`` pointing at a real server (``cadenza server
start`` on a free port on 127.0.0.1, with its own home), started for the page and stopped by PID.

Two more markers let a page walk through files and commands, as a reader would:
``<!-- file: hello.py -->`` before a ```python block writes it to ``hello.py`` in the working
directory instead of running it (it is still compiled), and ``<!-- run -->`` before a ```console
block runs each of its ``$ command`` lines with bash, after the page's Python blocks, in the same
directory and ``CADENZA_HOME``; each must exit 0.

``<!-- install -->`` before a ```console block runs its ``$ command`` lines the same way, but in
a throwaway virtual environment (``uv venv --seed``) that is first on ``PATH``, from a directory
laid out like a checkout after `make dist`: ``dist/`` holds this checkout's wheels, built once
per session, and ``collections/`` and ``plugins/`` are the checkout's. So ``pip install
dist/cadenza_aws-*.whl`` and ``pip install ./collections/cadenza-aws`` run as a reader would run
them, never touching the development venv; ``pip`` there is uv's pip interface (same requirement
syntax, and uv's cache instead of a download of every package), held to requirements-dev.lock's
versions.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.docs

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)\s*(?P<info>[^\n]*)$")
MARKER = re.compile(r"^\s*<!--\s*(?P<kind>skip|file|run|install)\s*(?::\s*(?P<arg>.+?))?\s*-->\s*$")
PAGE_TIMEOUT = 120  # seconds for all the blocks of one page
WITH_SERVER = re.compile(r"^<!--\s*page:\s*with-server\s*-->\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Block:
    page: str  # path relative to the repository root
    line: int  # 1-based line of the first line of code (after the fence)
    code: str
    skip: str | None = None  # the reason, when marked to be skipped
    file: str | None = None  # a python block written to this file instead of run
    console: bool = False  # a console block whose `$ ` lines are run
    install: bool = False  # ... in a throwaway venv, beside wheels of this checkout


def extract_blocks(path: Path) -> list[Block]:
    """The fenced ```python blocks of a Markdown page under the repository root."""
    return blocks_in(path.read_text(), path.relative_to(ROOT).as_posix())


def blocks_in(text: str, page: str) -> list[Block]:
    """The fenced ```python blocks of Markdown `text` (indented ones in lists too)."""
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence, info = match["indent"], match["fence"], match["info"].strip()
        end = i + 1
        while end < len(lines) and not (
            lines[end].strip().startswith(fence) and lines[end].strip().strip(fence[0]) == ""
        ):
            end += 1
        language = info.split()[0].lower() if info else ""
        previous = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marker = MARKER.match(previous)
        kind, arg = (marker["kind"], marker["arg"]) if marker else (None, None)
        body = [ln[len(indent) :] if ln.startswith(indent) else ln for ln in lines[i + 1 : end]]
        code = "\n".join(body) + "\n"
        if language in ("python", "py"):
            skip = arg if kind == "skip" else None
            file = arg if kind == "file" else None
            blocks.append(Block(page, i + 2, code, skip=skip, file=file))
        elif language == "console" and kind in ("run", "install"):
            blocks.append(Block(page, i + 2, code, console=True, install=kind == "install"))
        i = end + 1
    return blocks


def pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


# Run in the child: execute each block in __main__'s namespace, compiled so that tracebacks name
# the Markdown page and its real line numbers (the code is padded with blank lines); write file
# blocks where a reader would save them.
RUNNER = r"""
import json, sys, traceback
blocks = json.load(open(sys.argv[1]))
namespace = sys.modules["__main__"].__dict__
for block in blocks:
    source = "\n" * (block["line"] - 1) + block["code"]
    try:
        code = compile(source, block["path"], "exec")
        if block["file"]:
            with open(block["file"], "w") as f:
                f.write(block["code"])
        else:
            exec(code, namespace)
    except BaseException:
        print(f"\n=== the block at {block['page']}:{block['line']} failed ===", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
"""


def page_ids() -> list[str]:
    return [p.relative_to(DOCS).as_posix() for p in pages() if extract_blocks(p)]


def commands(block: Block) -> list[str]:
    """The ``$ command`` lines of a console block (a trailing backslash continues a line)."""
    result: list[str] = []
    pending = ""
    for line in block.code.splitlines():
        if pending:
            pending += "\n" + line
        elif line.startswith("$ "):
            pending = line[2:]
        else:
            continue
        if not pending.endswith("\\"):
            result.append(pending)
            pending = ""
    return result


@pytest.mark.parametrize("page", page_ids())
def test_docs_page_snippets_run(page: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    blocks = extract_blocks(DOCS / page)
    python = [b for b in blocks if not b.console and b.skip is None]
    console = [b for b in blocks if b.console]
    skipped = [b for b in blocks if b.skip is not None]
    for block in skipped:
        print(f"skipped {block.page}:{block.line}: {block.skip}")
    if not python and not console:
        pytest.skip(f"all {len(skipped)} block(s) of docs/{page} are marked skip")
    work = tmp_path / "work"
    work.mkdir()
    bin_dir = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENZA_")}
    env.update(
        CADENZA_HOME=str(tmp_path / "home"),
        CADENZA_LOGGING_CONSOLE="false",
        PATH=bin_dir + os.pathsep + env.get("PATH", ""),
    )
    if WITH_SERVER.search((DOCS / page).read_text()):
        server = _start_server(tmp_path / "server-home", env)
        request.addfinalizer(server.stop)
        env["CADENZA_API_URL"] = f"http://127.0.0.1:{server.port}/api"
    spec = tmp_path / "blocks.json"
    spec.write_text(
        json.dumps(
            [
                {
                    "page": b.page,
                    "line": b.line,
                    "code": b.code,
                    "path": str(ROOT / b.page),
                    "file": b.file,
                }
                for b in python
            ]
        )
    )
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, str(spec)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=PAGE_TIMEOUT,
    )
    assert proc.returncode == 0, (
        f"a ```python block of docs/{page} failed (exit {proc.returncode}):\n"
        f"{proc.stderr[-6000:]}\n--- stdout ---\n{proc.stdout[-2000:]}"
    )
    sandbox: tuple[Path, dict[str, str]] | None = None
    for block in console:
        if block.install and sandbox is None:
            wheels = request.getfixturevalue("dist_dir")
            sandbox = install_sandbox(tmp_path / "install", env, wheels)
        cwd, block_env = sandbox if block.install else (work, env)
        for command in commands(block):
            run = subprocess.run(
                ["bash", "-c", command],
                cwd=cwd,
                env=block_env,
                capture_output=True,
                text=True,
                timeout=PAGE_TIMEOUT,
            )
            assert run.returncode == 0, (
                f"docs/{page}:{block.line}: `{command}` exited {run.returncode}:\n"
                f"{run.stderr[-4000:]}\n--- stdout ---\n{run.stdout[-2000:]}"
            )


def install_sandbox(
    base: Path, env: dict[str, str], wheels: Path
) -> tuple[Path, dict[str, str]]:
    """A directory laid out like a checkout after `make dist`, and the environment of a fresh
    venv whose ``pip`` installs into that venv (see the module docstring)."""
    from built_dists import UV, lock_constraints

    base.mkdir()
    for name in ("collections", "plugins"):
        (base / name).symlink_to(ROOT / name, target_is_directory=True)
    (base / "dist").symlink_to(wheels, target_is_directory=True)
    venv = base / ".venv"
    subprocess.run([UV, "venv", "-q", "--seed", str(venv)], check=True, timeout=120)
    shim = base / ".pip-shim"
    shim.mkdir()
    (shim / "pip").write_text(f'#!/bin/sh\nexec "{UV}" pip "$@" --python "{venv}/bin/python"\n')
    (shim / "pip").chmod(0o755)
    dev_bin = str(Path(sys.executable).parent)
    rest = [d for d in env["PATH"].split(os.pathsep) if d != dev_bin]
    path = os.pathsep.join([str(shim), str(venv / "bin"), *rest])
    drop = ("VIRTUAL_ENV", "PYTHONPATH", "UV_PROJECT")
    clean = {k: v for k, v in env.items() if not k.startswith(drop)}
    constraints = lock_constraints(base / "constraints.txt")  # the versions the suite is locked to
    return base, {**clean, "PATH": path, "UV_CONSTRAINT": str(constraints)}


def _start_server(home: Path, env: dict[str, str]) -> Any:
    from cadenza.testing.services import ServiceProcess

    home.mkdir(parents=True)
    command = [sys.executable, "-m", "cadenza.cli.main", "server", "start", "--port", "{port}"]
    server = ServiceProcess(
        command, ready="{url}/api/health", env={**env, "CADENZA_HOME": str(home)}
    )
    return server.start()


def test_docs_snippet_skips_are_few_and_explained() -> None:
    blocks = [b for p in pages() for b in extract_blocks(p) if not b.console]
    skipped = [b for b in blocks if b.skip is not None]
    print(f"{len(blocks)} python blocks in docs/, {len(skipped)} marked skip:")
    for block in skipped:
        print(f"  {block.page}:{block.line}: {block.skip}")
    assert blocks, "no ```python blocks found in docs/"
    assert all(len(b.skip or "x") >= 10 for b in skipped), "a skip needs a reason"
    assert len(skipped) <= max(3, len(blocks) // 5), "too many skipped blocks: make them run"


def test_snippet_extraction_reads_fences_skips_and_indentation() -> None:
    text = (
        "# Probe\n\n```python\nx = 1\n```\n\n<!-- skip: needs a running server -->\n"
        "```python\nserver()\n```\n\n- item\n\n    ```python\n    y = x + 1\n    ```\n\n"
        "```bash\necho no\n```\n\n<!-- file: a.py -->\n```python\nz = 3\n```\n\n"
        "<!-- run -->\n```console\n$ cadenza runs ls \\\n  --json\nout\n$ true\n```\n"
        "<!-- install -->\n```console\n$ pip install dist/cadenza-*.whl\n```\n"
    )
    blocks = blocks_in(text, "docs/probe.md")
    assert [(b.line, b.code, b.skip, b.file) for b in blocks[:4]] == [
        (4, "x = 1\n", None, None),
        (9, "server()\n", "needs a running server", None),
        (15, "y = x + 1\n", None, None),
        (24, "z = 3\n", None, "a.py"),
    ]
    assert blocks[4].console and not blocks[4].install
    assert blocks[5].console and blocks[5].install
    assert commands(blocks[4]) == ["cadenza runs ls \\\n  --json", "true"]
