"""The documentation site builds with ``mkdocs build --strict``: no broken link, no missing
page, no nav entry without a file, no page outside the nav, no mkdocstrings warning. The built
hooks reference shows every hook with its arguments and return value."""

from __future__ import annotations

import html
import inspect
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.docs

ROOT = Path(__file__).resolve().parents[2]


def test_docs_site_builds_strict(site: Path) -> None:
    assert (site / "index.html").is_file()
    assert (site / "howto" / "write-a-task-runner" / "index.html").is_file()


def test_the_hooks_reference_shows_each_hook_with_its_arguments_and_return_value(
    site: Path,
) -> None:
    from cadenza.plugins import hookspecs

    page = (site / "reference" / "hooks" / "index.html").read_text()
    specs = {n: fn for n, fn in vars(hookspecs).items() if hasattr(fn, "cadenza_spec")}
    for name, fn in specs.items():
        anchor = f'id="cadenza.plugins.hookspecs.{name}"'
        assert anchor in page, f"the hooks reference does not render {name}"
        start = page.index(anchor)
        following = [page.find(f'id="cadenza.plugins.hookspecs.{n}"', start + 1) for n in specs]
        end = min([i for i in following if i > start], default=len(page))
        text = html.unescape(re.sub(r"<[^>]+>", " ", page[start:end]))
        for parameter in inspect.signature(fn).parameters:
            assert re.search(rf"\b{parameter}\b", text), f"{name}: {parameter} not shown"
        if inspect.signature(fn).parameters:
            assert "Parameters:" in text, f"{name}: no parameter table"
        assert "Returns:" in text, f"{name}: its return value is not documented"


def test_docs_build_fetches_nothing() -> None:
    """The site builds offline: no plugin that downloads at build time, no web fonts."""
    config = (ROOT / "mkdocs.yml").read_text()
    for plugin in ("social", "privacy", "optimize"):
        assert f"- {plugin}" not in config, f"the {plugin} plugin fetches or needs the network"
    assert "font: false" in config
