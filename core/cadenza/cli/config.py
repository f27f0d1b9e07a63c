"""``cadenza config``: view, set, unset and validate settings of the active profile.

``view`` and ``validate`` run the full pydantic-settings model (`cadenza.settings.model`);
``set`` and ``unset`` edit the active profile's table in ``$CADENZA_HOME/profiles.toml`` after
checking every name and value, writing nothing when any is bad. Heavy modules (rich, pydantic)
are imported inside the commands that need them.

Exit status: 0 on success, 1 when settings or the profile file are invalid, 2 for bad
arguments (unknown setting, malformed ``NAME=VALUE``, a value that does not convert).
"""

from __future__ import annotations

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
def view(show_sources: bool, show_secrets: bool) -> None:
    """Show every setting's effective value (secrets masked unless --show-secrets)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from cadenza.settings.model import SettingsValidationError, validate

    doc, active = _load()
    sources = _sources(doc)
    try:
        settings: Any = validate()
        problems: dict[str, str] = {}
    except SettingsValidationError as exc:
        settings, problems = None, exc.problems

    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    console.print(f"Profile: [bold]{active}[/bold]  ({doc.path})", highlight=False)
    table = Table("setting", "value", *(["source"] if show_sources else []))
    table.columns[0].no_wrap = True
    table.columns[1].overflow = "fold"
    for s in spec.SETTINGS:
        raw, src = sources[s.name]
        if s.name in problems:
            value = f"[red]{escape(_display(raw, s.secret, show_secrets))} (invalid)[/red]"
        else:
            if settings is not None:
                typed = getattr(settings, s.field)
            else:  # another setting is invalid: convert this one on its own
                try:
                    typed = spec.convert(s, s.default if src == spec.DEFAULT else raw, src)
                except ValueError:
                    typed = raw
            value = escape(_display(typed, s.secret, show_secrets))
        table.add_row(s.name, value, *([src] if show_sources else []))
    console.print(table)
    if problems:
        for name, message in problems.items():
            click.echo(f"Error: {name}: {message}", err=True)
        raise click.exceptions.Exit(1)


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
    """Validate every setting and the profile file; exit 1 listing every problem."""
    from cadenza.settings.model import SettingsValidationError, validate

    _, active = _load()
    try:
        validate()
    except SettingsValidationError as exc:
        for name, message in exc.problems.items():
            click.echo(f"Error: {name}: {message}", err=True)
        raise click.exceptions.Exit(1) from None
    click.echo(f"All {len(spec.SETTINGS)} settings are valid (profile {active!r}).")
