"""``cadenza collection``: start a new collection from the template, list installed ones.

``cadenza collection new cadenza-demo`` renders the collection template (``templates/collection``
in the cadenza repository, shipped inside the wheel as ``cadenza/_templates/collection``) with
copier, which is imported only here: install it with ``pip install 'cadenza[templates]'``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

import click

NAME_SHAPE = re.compile(r"^cadenza[-_](?P<rest>[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*)$")
EXPECTED = (
    "expected cadenza-<name> or cadenza_<name>: lower-case letters and digits, words separated "
    "by single - or _, starting with a letter (e.g. cadenza-demo, cadenza_big_query)"
)
TEMPLATE_ENV = "CADENZA_COLLECTION_TEMPLATE"
#: The longest name the template takes: its code keeps every line within 100 columns up to it.
MAX_NAME = 80


class CollectionNames(NamedTuple):
    """Every name derived from the one the user gives (the template derives the same)."""

    dist: str  # cadenza-big-query: the distribution, `pip install` name
    package: str  # cadenza_big_query: the import package
    slug: str  # big-query: the entry point; block and storage slugs start with it
    ident: str  # big_query: task names start with it
    class_prefix: str  # BigQuery: BigQueryCredentials, BigQueryStorage


def collection_names(name: str) -> CollectionNames:
    """The names for collection `name` (``cadenza-foo`` or ``cadenza_foo``); ValueError naming
    the expected shape otherwise."""
    match = NAME_SHAPE.match(name) if isinstance(name, str) else None
    if match is None:
        raise ValueError(f"{name!r} is not a collection name: {EXPECTED}")
    if len(name) > MAX_NAME:
        raise ValueError(
            f"{name!r} is not a collection name: at most {MAX_NAME} characters, it has {len(name)}"
        )
    slug = match["rest"].replace("_", "-")
    return CollectionNames(
        dist=f"cadenza-{slug}",
        package=f"cadenza_{slug.replace('-', '_')}",
        slug=slug,
        ident=slug.replace("-", "_"),
        class_prefix="".join(part.capitalize() for part in slug.split("-")),
    )


def core_range(version: str) -> str:
    """The release series of cadenza `version`: ``0.1.3`` -> ``>=0.1,<0.2`` (before 1.0 a
    minor release may break plugins), ``1.4.0`` -> ``>=1.4,<2``."""
    from packaging.version import Version

    release = (*Version(version).release, 0, 0)
    major, minor = release[0], release[1]
    if major == 0:
        return f">=0.{minor},<0.{minor + 1}"
    return f">={major}.{minor},<{major + 1}"


def bundled_template() -> Path:
    """The template shipped with this cadenza: inside the package (wheel), else in the source
    checkout it runs from (editable install)."""
    package_dir = Path(__file__).resolve().parents[1]
    for candidate in (
        package_dir / "_templates" / "collection",
        package_dir.parents[1] / "templates" / "collection",
    ):
        if (candidate / "copier.yml").is_file():
            return candidate
    raise click.ClickException(
        "The collection template is missing from this cadenza installation; pass --template "
        f"(a directory or git URL) or set {TEMPLATE_ENV}"
    )


def _git_config(key: str) -> str:
    try:
        out = subprocess.run(
            ["git", "config", "--get", key], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def _split_author(author: str | None) -> tuple[str, str]:
    """``"Jane Doe <jane@example.com>"`` -> (name, email); None -> from ``git config``."""
    if author is None:
        return _git_config("user.name"), _git_config("user.email")
    match = re.fullmatch(r"\s*(.*?)\s*<([^<>]+)>\s*", author)
    if match:
        return match[1], match[2].strip()
    return author.strip(), ""


def _one_line(value: str, option: str) -> str:
    if "\n" in value or "\r" in value:
        raise click.BadParameter("must be one line", param_hint=option)
    return value.strip()


@click.group()
def collection() -> None:
    """Create a collection (tasks, blocks, storage for cadenza) and list installed ones."""


@collection.command("new")
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to create the collection in (default: ./NAME). Must be empty or absent.",
)
@click.option("--description", help="One line describing the collection.")
@click.option("--author", help="'Name <email>' (default: from git config user.name/user.email).")
@click.option(
    "--template",
    envvar=TEMPLATE_ENV,
    help="The template: a directory or git URL (default: the one shipped with cadenza). A git "
    "template with version tags lets the collection pull updates with `copier update`.",
)
def new(
    name: str,
    directory: Path | None,
    description: str | None,
    author: str | None,
    template: str | None,
) -> None:
    """Create collection NAME (cadenza-<name>) from the template, ready to install and test.

    It holds a credentials block, a storage backend, a task, tests running cadenza's
    conformance suites, a CI workflow, a README and a changelog.
    """
    try:
        names = collection_names(name)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from None
    target = directory if directory is not None else Path(names.dist)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise click.BadParameter(
            f"{target} already exists and is not empty; choose another --dir", param_hint="--dir"
        )
    data: dict[str, Any] = {"name": names.dist}
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza._version import __version__

    data["core_range"] = core_range(__version__)
    if description is not None:
        data["description"] = _one_line(description, "--description")
    data["author_name"], data["author_email"] = _split_author(author)
    source = template or str(bundled_template())
    _render(source, target, data)
    _print_next_steps(names, target)


def _render(source: str, target: Path, data: dict[str, Any]) -> None:
    try:
        import copier
    except ImportError:
        raise click.ClickException(
            "`cadenza collection new` needs copier, which is not installed: "
            "pip install 'cadenza[templates]'"
        ) from None
    try:
        copier.run_copy(source, target, data=data, defaults=True, quiet=True, overwrite=False)
    except Exception as exc:  # copier's errors (bad template, git failure) — not a traceback
        raise click.ClickException(
            f"Could not render the collection template {source}: {type(exc).__name__}: {exc}"
        ) from None


def _print_next_steps(names: CollectionNames, target: Path) -> None:
    shown = os.path.relpath(target) if not os.path.relpath(target).startswith("..") else target
    click.echo(
        f"Created {names.dist} in {shown}: package {names.package}, entry point {names.slug!r}, "
        f"block types {names.slug}-credentials and {names.slug}-storage, task {names.ident}_greet."
    )
    click.echo(
        "\nNext steps:\n"
        f"  cd {shown}\n"
        "  git init && git add -A && git commit -m 'New collection'   # optional\n"
        "  pip install -e '.[test]'\n"
        "  pytest                      # the generated tests, with cadenza's conformance suites\n"
        f"  cadenza plugins ls          # lists {names.slug!r} as loaded\n"
        "\nThe guide: 'Write a collection' in cadenza's docs (docs/howto/write-a-collection.md)."
    )


@collection.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object (stable format).")
@click.option("--wide", is_flag=True, help="Show every column in full, however wide.")
def ls(as_json: bool, wide: bool) -> None:
    """List installed collections: version, the cadenza range each requires, its CADENZA_API,
    and whether it loaded (the reason if not)."""
    import warnings

    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza._version import __version__
    from cadenza.plugins.collections import installed_collections
    from cadenza.plugins.errors import CadenzaPluginWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CadenzaPluginWarning)  # shown in the listing instead
        found = installed_collections()
    if as_json:
        doc = {"cadenza": __version__, "collections": [c.to_dict() for c in found]}
        click.echo(json.dumps(doc, indent=2))
        return
    if not found:
        click.echo(f"No collections installed (cadenza {__version__}).")
        return
    _print_table(found, wide)


def _print_table(found: list[Any], wide: bool) -> None:
    # lazily: rich loads when a command prints a table, not for `cadenza --help`
    from rich.text import Text

    from cadenza.cli.formatting import Column, print_table

    columns = (
        Column("NAME", min_width=12),
        Column("VERSION", priority=1, min_width=7),
        Column("REQUIRES CADENZA", priority=3, min_width=10),
        Column("CADENZA_API", priority=4, min_width=11),
        Column("STATUS", priority=2, min_width=8, no_wrap=False, overflow="fold"),
    )
    rows = []
    for item in found:
        requires = Text(item.core_range or "-")
        if item.core_compatible is False:
            requires.stylize("red")
        if item.status == "ok":
            status = Text("ok", style="green")
        elif item.status == "error":
            status = Text(f"error: {item.error}", style="red")
        else:
            status = Text(f"disabled: {item.note}", style="yellow")
        rows.append((Text(item.name), Text(item.version or "-"), requires,
                     Text(item.cadenza_api or "-"), status))  # fmt: skip
    print_table(columns, rows, wide=wide)


__all__ = [
    "EXPECTED",
    "MAX_NAME",
    "NAME_SHAPE",
    "TEMPLATE_ENV",
    "CollectionNames",
    "bundled_template",
    "collection",
    "collection_names",
    "core_range",
    "ls",
    "new",
]
