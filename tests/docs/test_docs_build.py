"""The documentation site builds with ``mkdocs build --strict``: no broken link, no missing
page, no nav entry without a file, no page outside the nav, no mkdocstrings warning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_docs_site_builds_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stderr[-6000:]}"
    assert (site / "index.html").is_file()
    assert (site / "reference" / "hooks" / "index.html").is_file()
    hooks = (site / "reference" / "hooks" / "index.html").read_text()
    assert "register_storage_backends" in hooks and "on_flow_run_state" in hooks


def test_docs_build_fetches_nothing() -> None:
    """The site builds offline: no plugin that downloads at build time, no web fonts."""
    config = (ROOT / "mkdocs.yml").read_text()
    for plugin in ("social", "privacy", "optimize"):
        assert f"- {plugin}" not in config, f"the {plugin} plugin fetches or needs the network"
    assert "font: false" in config
