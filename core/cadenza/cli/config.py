"""``cadenza config``: view, set, unset and validate settings of the active profile.

``view`` and ``validate`` run the full pydantic-settings model (`cadenza.settings.model`);
``set`` and ``unset`` edit the active profile's table in ``$CADENZA_HOME/profiles.toml`` after
checking every name and value, writing nothing when any is bad. ``validate`` also reports files
holding secrets that other users can read; ``new-key`` starts over after a key file was lost.
Heavy modules (rich, pydantic) are imported inside the commands that need them.

Exit status: 0 on success, 1 when settings or the profile file are invalid, 2 for bad
arguments (unknown setting, malformed ``NAME=VALUE``, a value that does not convert).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import click

from cadenza.settings import profiles, spec

if TYPE_CHECKING:
    from cadenza.settings.profiles import ProfilesDoc

MASK = "********"


@click.group("config")
def config() -> None:
    """Show and change settings and profiles ($CADENZA_HOME/profiles.toml)."""


def _load() -> tuple[ProfilesDoc, str]:
    """The profiles document and the active profile's name; ClickException if unreadable."""
    try:
        doc = spec.read_profiles()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    return doc, spec.active_profile(doc).value


def _display(value: Any, secret: bool, show_secrets: bool) -> str:
    if value is None:
        return "(unset)"
    if secret:
        clear = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
        return clear if show_secrets else MASK
    return str(value)


def _sources(doc: ProfilesDoc) -> dict[str, tuple[Any, str]]:
    """Each setting's raw value and source, tolerating a missing active profile."""
    try:
        spec.profile_values(doc)
        loader = lambda: doc  # noqa: E731
    except ValueError:
        empty = profiles.ProfilesDoc(doc.path, doc.active, {})
        loader = lambda: empty  # noqa: E731
    result: dict[str, tuple[Any, str]] = {}
    for s in spec.SETTINGS:
        raw, src, _ = spec.lookup(s.name, load_profiles=loader)
        result[s.name] = (raw, src)
    return result


@config.command("view")
@click.option("--show-sources", is_flag=True, help="Add a column: env, profile or default.")
@click.option("--show-secrets", is_flag=True, help="Show secret values in clear text.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object: the profile, each setting's value and source.")  # fmt: skip
@click.option("--wide", is_flag=True, help="Show every column in full, however wide.")
def view(show_sources: bool, show_secrets: bool, as_json: bool, wide: bool) -> None:
    """Show every setting's effective value (secrets masked unless --show-secrets)."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.settings.model import SettingsValidationError, validate

    doc, active = _load()
    sources = _sources(doc)
    try:
        settings: Any = validate()
        problems: dict[str, str] = {}
    except SettingsValidationError as exc:
        settings, problems = None, exc.problems
    items = []
    for s in spec.SETTINGS:
        raw, src = sources[s.name]
        if s.name in problems:
            typed = raw
        elif settings is not None:
            typed = getattr(settings, s.field)
        else:  # another setting is invalid: convert this one on its own
            try:
                typed = spec.convert(s, s.default if src == spec.DEFAULT else raw, src)
            except ValueError:
                typed = raw
        items.append((s, typed, src))
    if as_json:
        _print_json(active, str(doc.path), items, problems, show_secrets)
    else:
        _print_view(active, str(doc.path), items, problems, show_sources, show_secrets, wide)
    if problems:
        for name, message in problems.items():
            click.echo(f"Error: {name}: {message}", err=True)
        raise click.exceptions.Exit(1)


def _json_value(value: Any, secret: bool, show_secrets: bool) -> Any:
    if value is None:
        return None
    if secret:
        return _display(value, secret, show_secrets)
    if isinstance(value, (str, bool, int, float)):
        return value
    return str(value)


def _print_json(active: str, path: str, items: list[Any], problems: dict[str, str],
                show_secrets: bool) -> None:  # fmt: skip
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.cli.jsonout import emit_json

    emit_json({
        "profile": active,
        "profiles_file": path,
        "settings": [
            {"name": s.name, "value": _json_value(typed, s.secret, show_secrets),
             "source": src, "secret": s.secret, "error": problems.get(s.name)}
            for s, typed, src in items
        ],
    })  # fmt: skip


def _print_view(active: str, path: str, items: list[Any], problems: dict[str, str],
                show_sources: bool, show_secrets: bool, wide: bool) -> None:  # fmt: skip
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from rich.text import Text

    from cadenza.cli.formatting import Column, console, output_width, print_table

    width = None if wide else output_width()
    console(width).print(Text(f"Profile: {active}  ({path})"))
    columns = [
        Column("SETTING", min_width=24),
        Column("VALUE", min_width=20, no_wrap=False, overflow="fold"),
    ]
    if show_sources:
        columns.append(Column("SOURCE", priority=1, min_width=7))
    rows = []
    for s, typed, src in items:
        if s.name in problems:
            value = Text(f"{_display(typed, s.secret, show_secrets)} (invalid)", style="red")
        else:
            value = Text(_display(typed, s.secret, show_secrets))
        rows.append((s.name, value, *([src] if show_sources else [])))
    print_table(columns, rows, wide=wide)


def _parse_assignments(assignments: tuple[str, ...]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs as TOML-ready values; UsageError listing every bad one."""
    errors: list[str] = []
    parsed: dict[str, Any] = {}
    for item in assignments:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name:
            errors.append(f"{item!r}: expected NAME=VALUE")
            continue
        try:
            s = spec.setting(name)
        except KeyError as exc:
            errors.append(exc.args[0])
            continue
        if not s.in_profile:
            errors.append(f"{name} cannot be set in a profile; set the environment variable")
            continue
        if raw == "":
            errors.append(f"{name}: empty value; use `cadenza config unset {name}` instead")
            continue
        try:
            value = spec.convert(s, raw, "command line")
        except ValueError as exc:
            errors.append(str(exc))
            continue
        if isinstance(value, spec.Secret):
            value = value.get_secret_value()
        parsed[name] = str(value) if not isinstance(value, (str, bool, int, float)) else value
    if errors:
        raise click.UsageError("\n".join(errors))
    return parsed


def _warn_env_override(name: str) -> None:
    if spec.env_value(name) is not None:
        click.echo(
            f"Note: {name} is also set in the environment, which takes precedence.", err=True
        )


@config.command("set")
@click.argument("assignments", nargs=-1, required=True, metavar="NAME=VALUE...")
def set_(assignments: tuple[str, ...]) -> None:
    """Set settings in the active profile, e.g. `cadenza config set CADENZA_LOGGING_LEVEL=DEBUG`.

    Every value is validated first; nothing is written if any is invalid.
    """
    parsed = _parse_assignments(assignments)
    doc, active = _load()
    if doc.active is None:
        doc.active = "default"
    doc.profiles.setdefault(active, {}).update(parsed)
    profiles.write(doc)
    spec.reset_cache()
    for name, value in parsed.items():
        shown = MASK if spec.BY_NAME[name].secret else value
        click.echo(f"Set {name}={shown} in profile {active!r}.")
        _warn_env_override(name)


@config.command("unset")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
def unset(names: tuple[str, ...]) -> None:
    """Remove settings from the active profile, so they fall back to their defaults."""
    errors = []
    for name in names:
        try:
            spec.setting(name)
        except KeyError as exc:
            errors.append(exc.args[0])
    if errors:
        raise click.UsageError("\n".join(errors))
    doc, active = _load()
    table = doc.profiles.get(active, {})
    removed = [name for name in names if table.pop(name, None) is not None]
    if removed:
        profiles.write(doc)
        spec.reset_cache()
    for name in names:
        if name in removed:
            click.echo(f"Unset {name} in profile {active!r}.")
        else:
            click.echo(f"{name} was not set in profile {active!r}; nothing to do.")


@config.command("validate")
def validate_cmd() -> None:
    """Validate every setting and the profile file, and check that the files in
    $CADENZA_HOME holding secrets are private (0600); exit 1 listing every problem."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.settings.model import SettingsValidationError, validate

    _, active = _load()
    problems: dict[str, str] = {}
    try:
        validate()
    except SettingsValidationError as exc:
        problems.update(exc.problems)
    problems.update(_exposed_files())
    for name, message in problems.items():
        click.echo(f"Error: {name}: {message}", err=True)
    home = spec.home()
    mode = home.stat().st_mode & 0o777 if home.is_dir() and os.name == "posix" else 0
    if mode & 0o077:
        click.echo(
            f"Warning: {home} is open to other users (mode {mode:04o}); its files are private, "
            f"but `chmod 700 {home}` hides their names too.",
            err=True,
        )
    if problems:
        raise click.exceptions.Exit(1)
    click.echo(f"All {len(spec.SETTINGS)} settings are valid (profile {active!r}).")


def _exposed_files() -> dict[str, str]:
    """The files of $CADENZA_HOME holding secrets that others can read, with what to do.

    Cadenza makes these 0600 itself when it opens them (`cadenza._private`); what is left is
    not this user's to change, or was not opened since it was made readable."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza._private import exposed
    from cadenza.blocks import crypto
    from cadenza.results import signing
    from cadenza.store.database import record_files

    home = spec.home()
    paths = (
        *record_files(home / "cadenza.db"),
        home / crypto.KEY_FILE,
        home / signing.KEY_FILE,
        profiles.profiles_path(home),
    )
    return {
        str(path): f"other users can access it (mode {mode:04o}); run `chmod 600 {path}`"
        for path, mode in exposed(*paths)
    }


_KEYS = {
    "blocks": ("block encryption key", "CADENZA_ENCRYPTION_KEY"),
    "results": ("result signing key", "CADENZA_RESULTS_SIGNING_KEY"),
}


@config.command("new-key")
@click.argument("kind", type=click.Choice(sorted(_KEYS)))
def new_key(kind: str) -> None:
    """Start over with a new key after its key file was lost: `blocks` (the key sealing the
    secrets of saved blocks) or `results` (the key signing stored results).

    Cadenza never replaces a lost key by itself; this is the deliberate act. It refuses while
    the key file exists. What was sealed or signed with the lost key stays unreadable: save
    those blocks again, run those flows again.
    """
    if kind == "blocks":
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.blocks import crypto as keys
    else:
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.results import signing as keys
    label, variable = _KEYS[kind]
    path = keys.key_file()
    if path is None:
        raise click.ClickException(f"{variable} is set: the {label} comes from it, not a file")
    if not keys.create_key(path):
        raise click.ClickException(
            f"{path} exists and is the {label} in use; nothing was changed. Move it away first "
            "only if you mean to give up everything sealed or signed with it."
        )
    keys.reset_cache()
    click.echo(f"Created a new {label} at {path} (mode 0600).")
    if kind == "blocks":
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.blocks.store import BlockStore
        from cadenza.store.local import local

        lost = local(BlockStore).sealed_blocks()
        if lost:
            click.echo("These blocks hold secrets sealed with the lost key; save them again:")
            for name in lost:
                click.echo(f"  {name}")


__all__ = ["MASK", "config", "new_key", "set_", "unset", "validate_cmd", "view"]
