"""The collection catalogue (``collections/catalogue.md``), generated when the site is built:
every installed collection — each distribution with a ``cadenza`` entry point, found in the
packages' metadata — has its section, with each task, block, storage backend and task runner
its plugin registered (as ``cadenza plugins ls --json`` reports them: every kind, worker
types and serializers too), linked to the
collection's own page; and a collection installed later appears without editing anything."""

from __future__ import annotations

import html
import importlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import distributions
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.docs

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs" / "hooks"))

import collections_catalogue as hook  # noqa: E402

from cadenza.cli.catalogue import KIND_TITLES  # noqa: E402

FIRST_PARTY = {
    "cadenza-aws",
    "cadenza-gcp",
    "cadenza-sql",
    "cadenza-notify",
    "cadenza-dask",
    "cadenza-ray",
}
# Plugins that observe runs and register nothing a catalogue lists (their page says what they do)
OBSERVERS_ONLY = {"cadenza-otel"}


def installed() -> set[str]:
    """Each installed distribution with a ``cadenza`` entry point, from its metadata."""
    return {
        d.metadata["Name"]
        for d in distributions()
        if any(ep.group == "cadenza" for ep in d.entry_points)
    }


def registered() -> dict[str, dict[str, list[str]]]:
    """What each distribution's plugins registered, by kind, as ``cadenza plugins ls`` says."""
    out = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", "plugins", "ls", "--json"],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    found: dict[str, dict[str, list[str]]] = {}
    for plugin in json.loads(out)["plugins"]:
        if plugin["entry_point"]:
            kinds = found.setdefault(plugin["distribution"], {})
            for kind, names in plugin["registered"].items():
                kinds.setdefault(kind, []).extend(names)
    return found


def sections(page: str) -> dict[str, str]:
    """The HTML of each collection's section of the built page, by section id."""
    starts = [(m.start(), m["id"]) for m in re.finditer(r'<h2 id="(?P<id>[^"]+)"', page)]
    ends = [start for start, _ in starts[1:]] + [page.index("</article>")]
    return {ident: page[start:end] for (start, ident), end in zip(starts, ends, strict=True)}


def test_every_installed_collection_is_on_the_page_with_what_it_registers(site: Path) -> None:
    page = (site / "collections" / "catalogue" / "index.html").read_text()
    found = sections(page)
    dists = installed()
    assert dists >= FIRST_PARTY
    contributions = registered()
    for dist in dists:
        section = found.get(dist)
        assert section is not None, f"{dist} has no section on the catalogue page"
        kinds = contributions.get(dist, {})
        if dist in OBSERVERS_ONLY:
            assert not any(kinds.values()), f"{dist} registers something now"
            assert "It registers nothing." in section
            continue
        assert any(kinds.values()), f"{dist} registers nothing"
        assert set(kinds) <= set(KIND_TITLES), f"{dist}: a kind the catalogue does not show"
        for kind in KIND_TITLES:
            for name in kinds.get(kind, ()):
                anchor = hook.anchor(kind, name)
                assert f'id="{anchor}"' in section, f"{dist}: {kind} {name} is not listed"
                entry = section[section.index(f'id="{anchor}"') :]
                text = html.unescape(re.sub(r"<[^>]+>", "", entry[: entry.find("Import:")]))
                assert "(" in text and ")" in text, f"{dist}: {name} shows no signature"
        short = dist.removeprefix("cadenza-")
        if (ROOT / "docs" / "collections" / f"{short}.md").is_file():
            assert f'href="../{short}/"' in section, f"{dist}: no link to its page"


def test_each_task_shows_its_summary_signature_and_import(site: Path) -> None:
    from cadenza.cli.catalogue import installed_catalogue

    page = (site / "collections" / "catalogue" / "index.html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    for collection in installed_catalogue():
        for entry in collection.of_kind("tasks"):
            module, _, attr = entry.import_path.partition(":")
            assert f"from {module} import {attr}" in text
            assert entry.summary in text
            assert f"{getattr(entry.value.fn, '__name__', entry.name)}(" in text
    assert "s3_upload(\n    data: bytes," in text  # a long signature, one parameter a line


def test_the_page_is_in_the_nav_and_the_collections_index_points_to_it(site: Path) -> None:
    index = (site / "collections" / "index.html").read_text()
    assert 'href="catalogue/"' in index
    assert not (site / "hooks").exists(), "the hook's source is published"


LATE_PLUGIN = '''
from cadenza import hookimpl, task
from cadenza.blocks import Block

CADENZA_API = ">=0.1"


class LateCredentials(Block):
    """Credentials for the late service."""

    token: str


@task
def late_hello(name: str = "world") -> str:
    """Greet name with <b>late</b> | pipes."""
    return f"hello {name}"


@hookimpl
def register_tasks():
    return [late_hello]


@hookimpl
def register_block_types():
    return [LateCredentials]
'''


@pytest.fixture
def late_collection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A collection installed after the docs were written: a real ``.dist-info`` on
    ``sys.path``, with a fresh plugin manager to discover it."""
    from cadenza.plugins import registry

    site = tmp_path / "site-packages"
    site.mkdir()
    (site / "cadenza_late_plugin.py").write_text(LATE_PLUGIN)
    info = site / "cadenza_late-0.3.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cadenza-late\nVersion: 0.3.0\n")
    (info / "entry_points.txt").write_text("[cadenza]\nlate = cadenza_late_plugin\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("CADENZA_HOME", str(tmp_path / "home"))
    importlib.invalidate_caches()
    registry.reset()
    yield
    registry.reset()
    sys.modules.pop("cadenza_late_plugin", None)


def test_a_collection_installed_later_gets_its_section(late_collection: None) -> None:
    from mkdocs.config import load_config
    from mkdocs.structure.files import get_files

    config: Any = load_config(str(ROOT / "mkdocs.yml"))
    files = config.plugins.on_files(get_files(config), config=config)  # as `mkdocs build`
    page = files.get_file_from_path(hook.PAGE)
    assert page is not None
    markdown = page.content_string
    assert "## cadenza-late {#cadenza-late}" in markdown
    assert "This site has no page of its own for it." in markdown  # no collections/late.md
    assert "#### `late_hello` {#task-late_hello}" in markdown
    # shown as written, not as HTML or a table cell
    assert "Greet name with &lt;b&gt;late&lt;/b&gt; \\| pipes. From `cadenza-late`." in markdown
    assert "late_hello(name: str = 'world') -> str" in markdown
    assert "#### `late-credentials` {#block-late-credentials}" in markdown
    assert "LateCredentials(*, token: str)" in markdown
    assert "## cadenza-aws {#cadenza-aws}" in markdown and "Its page: [cadenza-aws](aws.md)." in (
        markdown
    )
