"""``from cadenza import flow, task`` stays light (DESIGN.md §6).

Each check runs in a fresh interpreter, so modules imported by other tests do not hide a
regression. A finder on ``sys.meta_path`` records which cadenza module first pulled in each
forbidden module, so a failure says where to look.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

FORBIDDEN = (
    "pydantic",
    "pydantic_settings",
    "sqlalchemy",
    "alembic",
    "httpx",
    "rich",
    "click",
    "cloudpickle",
    "asyncio",
    "prometheus_client",  # the server's /metrics only
)

_PROBE = textwrap.dedent(
    """
    import json, sys, traceback

    FORBIDDEN = set({forbidden!r})
    culprits = {{}}

    class Spy:
        def find_spec(self, name, path=None, target=None):
            top = name.partition(".")[0]
            if top in FORBIDDEN and top not in culprits:
                frames = [f for f in traceback.extract_stack() if "cadenza" in f.filename]
                culprits[top] = (
                    f"{{frames[-1].filename}}:{{frames[-1].lineno}}" if frames else "?"
                )
            return None

    sys.meta_path.insert(0, Spy())
    {statement}
    loaded = sorted({{m.partition(".")[0] for m in sys.modules}} & FORBIDDEN)
    print(json.dumps({{"loaded": loaded, "culprits": culprits}}))
    """
)


def _heavy_modules_after(
    statement: str, env: dict[str, str] | None = None
) -> tuple[list[str], dict[str, str]]:
    """Run ``statement`` in a fresh interpreter; return forbidden modules loaded and culprits."""
    code = _PROBE.format(forbidden=FORBIDDEN, statement=statement)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 0, f"`{statement}` failed in a fresh interpreter:\n{proc.stderr}"
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    return report["loaded"], report["culprits"]


@pytest.mark.parametrize(
    "statement",
    [
        "from cadenza import flow, task",
        "import cadenza.settings.spec",
        "import cadenza.settings; cadenza.settings.get('CADENZA_LOGGING_LEVEL')",
    ],
)
def test_import_does_not_load_heavy_modules(statement: str) -> None:
    loaded, culprits = _heavy_modules_after(statement)
    offenders = [f"{name} (first imported from {culprits.get(name, '?')})" for name in loaded]
    print("offenders:", offenders)
    assert loaded == [], f"`{statement}` imported: {', '.join(offenders)}"


def test_the_probe_detects_a_heavy_import() -> None:
    """Guard against a probe that can never fail."""
    loaded, _ = _heavy_modules_after("import asyncio, json")
    assert loaded == ["asyncio"]


_ONE_TASK_FLOW = """
from cadenza import flow, task

@task
def inc(x):
    return x + 1

@flow
def one():
    return inc(1)

assert one() == 2
"""


def test_an_embedded_flow_in_a_fresh_home_does_not_import_sqlalchemy(tmp_path: Path) -> None:
    """The first run creates the record from the generated schema and writes it with the
    generated statements (`cadenza.store.statements`): neither needs SQLAlchemy or Alembic."""
    home = tmp_path / "fresh-home"
    env = {**os.environ, "CADENZA_HOME": str(home), "CADENZA_LOGGING_CONSOLE": "false"}
    loaded, culprits = _heavy_modules_after(_ONE_TASK_FLOW, env)
    assert (home / "cadenza.db").is_file()  # the record was created by this run
    heavy = sorted({"sqlalchemy", "alembic"} & set(loaded))
    assert heavy == [], f"an embedded flow run imported {heavy}: {culprits}"


def test_importing_cadenza_and_its_cli_does_not_import_the_server() -> None:
    code = (
        "import sys, cadenza; from cadenza import flow, task; "
        "import cadenza.cli.main; "
        "bad = [m for m in ('fastapi', 'uvicorn', 'starlette', 'prometheus_client', "
        "'cadenza.server', "
        "'cadenza.store.tables') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
