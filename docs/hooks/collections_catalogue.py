"""An mkdocs hook: ``collections/catalogue.md``, generated at build time from what the installed
collections register.

The page is not a file in the repository: each build asks cadenza's plugin discovery (the
``cadenza`` entry-point group, through `cadenza.cli.catalogue`, the same load report as
``cadenza plugins ls``, ``cadenza block types`` and ``cadenza tasks ls``) and writes one section
per installed collection — its tasks, blocks, storage backends, task runners, worker types and
serializers, each with its one-line summary, signature and import path — linked to the
collection's own page, ``collections/<name>.md``, when the site has one. A collection installed
later appears on the next build, without editing anything.
"""

from __future__ import annotations

import html
import re
import warnings
from typing import Any

PAGE = "collections/catalogue.md"
SIGNATURE_WIDTH = 88  # a longer signature is shown one parameter a line
ANCHOR_PREFIX = {
    "tasks": "task",
    "block_types": "block",
    "storage_backends": "storage",
    "task_runners": "task-runner",
    "worker_types": "worker-type",
    "serializers": "serializer",
}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|])")
_NOT_IN_ID = re.compile(r"[^A-Za-z0-9_-]+")

INTRO = """\
# Catalogue

Every task, block, storage backend, task runner, worker type and serializer that the installed
collections register, read from cadenza's plugin discovery (the `cadenza` entry-point group)
when this site was built: the same registry `cadenza plugins ls`, `cadenza block types` and
`cadenza tasks ls` read, so the list follows the code. Each entry gives its one-line summary,
the signature to call or construct it with, where to import it from and its collection's page.
`cadenza tasks show NAME` prints a task's signature and whole docstring in a terminal.
"""


def on_files(files: Any, config: Any) -> Any:
    """Add the generated catalogue page to the site's files."""
    # lazily: mkdocs loads this hook module before it needs the page
    from mkdocs.structure.files import File

    from cadenza.cli.catalogue import installed_catalogue
    from cadenza.plugins.errors import CadenzaPluginWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CadenzaPluginWarning)  # the page says what failed
        catalogue = installed_catalogue()
    pages = {f.src_uri for f in files.documentation_pages()}
    files.append(File.generated(config, PAGE, content=render(catalogue, pages)))
    return files


def docs_page(distribution: str, pages: set[str]) -> str | None:
    """The collection's own page (``collections/aws.md`` for ``cadenza-aws``), relative to the
    catalogue, when the site has it."""
    short = re.sub(r"^cadenza[-_]", "", distribution.lower()).replace("_", "-")
    return f"{short}.md" if f"collections/{short}.md" in pages else None


def anchor(kind: str, name: str) -> str:
    """The id of an entry's heading: ``task-s3_upload``, ``block-s3-bucket``."""
    return f"{ANCHOR_PREFIX.get(kind, kind)}-{_NOT_IN_ID.sub('-', name).strip('-')}"


def _text(value: str) -> str:
    """Plain text as Markdown that shows it as is (no emphasis, no raw HTML)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(value, quote=False))


def render(catalogue: list[Any], pages: set[str]) -> str:
    """The catalogue page's Markdown for `catalogue` (`installed_catalogue`'s answer); `pages`
    are the site's documentation pages, to link each collection to its own."""
    # lazily: mkdocs loads this hook module before it needs the page
    from cadenza.cli.catalogue import KIND_TITLES

    out = [INTRO]
    if not catalogue:
        out.append("No collection was installed where this site was built.\n")
        return "\n".join(out)
    kinds = [k for k in KIND_TITLES if any(c.of_kind(k) for c in catalogue)]
    titles = " | ".join(KIND_TITLES[k].lower() for k in kinds)
    out.append(f"| collection | version | {titles} |")
    out.append("|---|---|" + "---|" * len(kinds))
    for item in catalogue:
        counts = " | ".join(str(len(item.of_kind(k))) for k in kinds)
        row = f"[{item.distribution}](#{_dist_id(item)}) | {item.version or '-'} | {counts}"
        out.append(f"| {row} |")
    out.append("")
    used: set[str] = set()
    for item in catalogue:
        out += _collection(item, docs_page(item.distribution, pages), used)
    return "\n".join(out)


def _dist_id(item: Any) -> str:
    return _NOT_IN_ID.sub("-", item.distribution.lower())


def _collection(item: Any, page: str | None, used: set[str]) -> list[str]:
    from cadenza.cli.catalogue import KIND_TITLES

    link = f"[{item.distribution}]({page})" if page else f"`{item.distribution}`"
    entry_points = ", ".join(f"`{name}`" for name in item.plugins)
    out = [f"## {item.distribution} {{#{_dist_id(item)}}}", ""]
    about = f"Version {item.version or 'unknown'}, entry point {entry_points}. "
    about += f"Its page: {link}." if page else "This site has no page of its own for it."
    out += [about, ""]
    if item.status != "loaded":
        out += [f"It did not load ({item.status}): {_text(item.error or 'no reason given')}.", ""]
        return out
    if not item.entries:
        out += ["It registers nothing.", ""]
    for kind, title in KIND_TITLES.items():
        entries = item.of_kind(kind)
        if entries:
            out += [f"### {title} of {item.distribution}", ""]
        for entry in entries:
            out += _entry(entry, link, used)
    return out


def _entry(entry: Any, link: str, used: set[str]) -> list[str]:
    from cadenza.cli.catalogue import signature

    ident = anchor(entry.kind, entry.name)
    base, n = ident, 1
    while ident in used:  # the same name registered twice: each keeps a heading of its own
        n += 1
        ident = f"{base}-{n}"
    used.add(ident)
    module, _, attr = entry.import_path.partition(":")
    return [
        f"#### `{entry.name}` {{#{ident}}}",
        "",
        f"{_text(entry.summary) or 'No description.'} From {link}.",
        "",
        "```python",
        signature(entry.value, width=SIGNATURE_WIDTH),
        "```",
        "",
        f"Import: `from {module} import {attr}`",
        "",
    ]
