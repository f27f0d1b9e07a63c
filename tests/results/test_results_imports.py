"""Result persistence stays off the ``import cadenza`` path; cloudpickle loads only when used."""

from __future__ import annotations

import json
import subprocess
import sys

MINE = ("cadenza.results", "cadenza.serializers", "cadenza.filesystems", "cadenza.storage")


def _modules_after(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_import_cadenza_does_not_import_results() -> None:
    loaded = _modules_after("import cadenza\nfrom cadenza import flow, task")
    assert [m for m in loaded if m.startswith(MINE)] == []


def test_results_import_cloudpickle_lazily() -> None:
    loaded = _modules_after(
        "import cadenza.results, cadenza.serializers, cadenza.filesystems\n"
        "from cadenza.serializers import get_serializer\n"
        "get_serializer('json').dumps([1])"
    )
    assert "cloudpickle" not in loaded
    assert "cadenza.results" in loaded
