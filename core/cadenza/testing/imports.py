"""The plugin module conformance check: imports fast, and without its heavy SDK.

The time measured is the plugin module's own: cadenza and ``hookimpl`` (pluggy) are imported
first, since every plugin shares them. It is CPU time (``time.process_time``), best of three
fresh interpreters, so that a busy machine does not fail a plugin that is light.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

IMPORT_BUDGET_SECONDS = 0.1
ALWAYS_HEAVY = ("pydantic", "sqlalchemy", "httpx", "boto3", "botocore", "google.cloud", "dask")


class PluginModuleConformance:
    """Subclass and set ``plugin_module`` (the entry point's module path, e.g.
    ``"cadenza_aws.plugin"``) and optionally ``heavy_modules`` (top-level modules the plugin
    module must not import, e.g. its SDK)."""

    plugin_module: str = ""
    heavy_modules: tuple[str, ...] = ()

    def _measure(self) -> dict[str, Any]:
        if not self.plugin_module:
            pytest.fail("set `plugin_module` to the plugin's entry-point module")
        code = (
            "import sys, time, json\n"
            "import cadenza\n"
            "from cadenza import hookimpl\n"
            "before = set(sys.modules)\n"
            "t = time.process_time()\n"
            f"import {self.plugin_module}\n"
            "elapsed = time.process_time() - t\n"
            "added = sorted(set(sys.modules) - before)\n"
            "print(json.dumps({'seconds': elapsed, 'modules': added}))\n"
        )
        runs = []
        for _ in range(3):  # best of three: the machine may be busy
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=False
            )
            if out.returncode != 0:
                pytest.fail(f"importing {self.plugin_module} failed:\n{out.stderr}")
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        return min(runs, key=lambda r: r["seconds"])

    def test_imports_within_budget(self) -> None:
        result = self._measure()
        assert result["seconds"] < IMPORT_BUDGET_SECONDS, (
            f"importing {self.plugin_module} took {result['seconds'] * 1000:.0f} ms "
            f"of CPU time (budget {IMPORT_BUDGET_SECONDS * 1000:.0f} ms)"
        )

    def test_does_not_import_heavy_modules(self) -> None:
        loaded = set(self._measure()["modules"])
        heavy = {*ALWAYS_HEAVY, *self.heavy_modules}
        offenders = sorted(m for m in loaded if m in heavy or m.split(".")[0] in heavy)
        assert not offenders, f"{self.plugin_module} imports {offenders} at import time"


__all__ = ["ALWAYS_HEAVY", "IMPORT_BUDGET_SECONDS", "PluginModuleConformance"]
