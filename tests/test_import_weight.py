"""``from cadenza import flow, task`` stays light (DESIGN.md §6).

Each check runs in a fresh interpreter, so modules imported by other tests do not hide a
regression. A finder on ``sys.meta_path`` records which cadenza module first pulled in each
forbidden module, so a failure says where to look.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

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


def _heavy_modules_after(statement: str) -> tuple[list[str], dict[str, str]]:
    """Run ``statement`` in a fresh interpreter; return forbidden modules loaded and culprits."""
    code = _PROBE.format(forbidden=FORBIDDEN, statement=statement)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
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
