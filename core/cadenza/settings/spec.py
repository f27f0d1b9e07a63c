"""Every cadenza setting, declared once, and the fast stdlib resolver behind `get`.

This module is on the import path of ``from cadenza import flow, task`` and must stay cheap: it
imports only ``os`` and ``pathlib`` (``tomllib`` and ``difflib`` lazily, not even ``typing``). The
pydantic-settings model in `cadenza.settings.model` is generated from `SETTINGS`, so adding a
setting here adds it everywhere (``cadenza config view``, ``validate()``).

Resolution order for each setting: the ``CADENZA_*`` environment variable (an empty value counts
as unset) → the active profile in ``$CADENZA_HOME/profiles.toml`` → the declared default.
``CADENZA_HOME`` comes from the environment or its default only (it locates the profile file);
``CADENZA_PROFILE`` from the environment, else the file's ``active`` key, else ``"default"``.
"""

from __future__ import annotations

import os
from pathlib import Path

from cadenza.settings import profiles

# Part of spec's API: the ``X as X`` form re-exports them for type checkers (PEP 484).
from cadenza.settings.catalog import LOG_LEVELS as LOG_LEVELS
from cadenza.settings.catalog import SETTINGS as SETTINGS
from cadenza.settings.declaration import _FALSE, _TRUE, _TYPE_NAMES
from cadenza.settings.declaration import DEFAULT as DEFAULT
from cadenza.settings.declaration import ENV as ENV
from cadenza.settings.declaration import PREFIX as PREFIX
from cadenza.settings.declaration import PROFILE as PROFILE
from cadenza.settings.declaration import Secret as Secret
from cadenza.settings.declaration import Setting as Setting

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~5 ms)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from cadenza.settings.profiles import ProfilesDoc


BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def setting(name: str) -> Setting:
    """The declaration of ``name``; `KeyError` listing close matches when there is none."""
    try:
        return BY_NAME[name]
    except KeyError:
        pass
    import difflib

    close = difflib.get_close_matches(name.upper(), BY_NAME, n=3, cutoff=0.75)
    hint = f"; did you mean {' or '.join(close)}?" if close else f"; known: {', '.join(BY_NAME)}"
    raise KeyError(f"unknown setting {name!r}{hint}") from None


# -- conversion -------------------------------------------------------------------------------


def parse(s: Setting, raw: Any) -> Any:
    """Convert ``raw`` (a string, or a TOML scalar) to ``s.type``; ValueError on failure.

    The one conversion rule for every source, shared with the pydantic model: booleans accept
    true/false, yes/no, on/off, t/f, y/n, 1/0 (any case); integers accept integral numbers and
    decimal strings but not booleans; numbers accept ints, floats and float strings; strings and
    paths accept strings only. ``None`` is returned unchanged for optional settings.
    """
    if raw is None and s.optional:
        return None
    t = s.type
    if t is bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw)
        if isinstance(raw, str):
            low = raw.strip().lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
        raise ValueError("expected a boolean (true/false, yes/no, on/off, 1/0)")
    if t is int:
        if isinstance(raw, bool):
            raise ValueError("expected an integer")
        if isinstance(raw, int):
            return raw
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        if isinstance(raw, str):
            try:
                return int(raw.strip())
            except ValueError:
                pass
        raise ValueError("expected an integer")
    if t is float:
        if isinstance(raw, bool):
            raise ValueError("expected a number")
        if isinstance(raw, (int, float)):
            return float(raw)
        if isinstance(raw, str):
            try:
                return float(raw.strip())
            except ValueError:
                pass
        raise ValueError("expected a number")
    if not isinstance(raw, (str, Path)):  # (a bool is neither)
        raise ValueError(f"expected a {_TYPE_NAMES.get(t, t.__name__)}")
    if t is Path:
        return Path(raw)
    return str(raw)


def constrain(s: Setting, value: Any) -> Any:
    """Apply ``s``'s constraints to an already typed value and return the normalised value.

    Paths are ``~``-expanded, choices are upper-cased and checked, numbers are checked against
    ``minimum``. Raises ValueError with a message that does not repeat the value. Shared with the
    pydantic model so both enforce the same rules.
    """
    if isinstance(value, Path):
        return value.expanduser()
    if s.choices is not None and isinstance(value, str):
        upper = value.strip().upper()
        if upper not in s.choices:
            raise ValueError(f"must be one of {', '.join(s.choices)}")
        return upper
    if s.minimum is not None and isinstance(value, (int, float)) and not value >= s.minimum:
        raise ValueError(f"must be >= {s.minimum:g}")
    return value


def convert(s: Setting, raw: Any, origin: str = "value") -> Any:
    """Typed, constrained value of ``s`` from ``raw``; ``None`` stays None for optional settings.

    Raises ValueError naming the setting, the offending value (masked for secrets) and its
    ``origin`` (e.g. ``"environment"``), e.g. ``CADENZA_FLUSH_INTERVAL='abc' (from environment)
    is invalid: expected a number``.
    """
    if raw is None:
        if s.optional:
            return None
        raise ValueError(f"{s.name} is required (from {origin})")
    try:
        value = constrain(s, parse(s, raw))
    except ValueError as exc:
        shown = "'********'" if s.secret else repr(raw)
        raise ValueError(f"{s.name}={shown} (from {origin}) is invalid: {exc}") from None
    return Secret(value) if s.secret else value


# -- resolution ---------------------------------------------------------------------------------


class Resolved:
    """A resolved setting: typed ``value``, ``source`` (env/profile/default) and ``raw`` input."""

    __slots__ = ("raw", "source", "value")

    def __init__(self, value: Any, source: str, raw: Any) -> None:
        self.value = value
        self.source = source
        self.raw = raw

    def __repr__(self) -> str:
        return f"Resolved(value={self.value!r}, source={self.source!r})"


def env_value(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The raw environment value of ``name``; None when unset or empty."""
    value = (os.environ if environ is None else environ).get(name)
    return value if value else None


def home_from(environ: Mapping[str, str] | None = None) -> Path:
    """``CADENZA_HOME`` resolved (uncached) from ``environ`` (default ``os.environ``)."""
    s = BY_NAME["CADENZA_HOME"]
    raw = env_value(s.name, environ)
    path: Path = (
        convert(s, raw, "environment") if raw is not None else convert(s, s.default, "default")
    )
    return path


def read_profiles(environ: Mapping[str, str] | None = None) -> ProfilesDoc:
    """The parsed ``profiles.toml`` under the home named by ``environ`` (uncached)."""

    return profiles.read(profiles.profiles_path(home_from(environ)))


def active_profile(doc: ProfilesDoc, environ: Mapping[str, str] | None = None) -> Resolved:
    """The active profile's name with its source: env ``CADENZA_PROFILE``, ``active``, default."""
    raw = env_value("CADENZA_PROFILE", environ)
    if raw is not None:
        return Resolved(raw, ENV, raw)
    if doc.active:
        return Resolved(doc.active, PROFILE, doc.active)
    return Resolved("default", DEFAULT, None)


def profile_values(doc: ProfilesDoc, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The raw key/values of the active profile.

    Raises ValueError when the active profile is not ``default`` and the file has no such table.
    """
    name = active_profile(doc, environ).value
    if name in doc.profiles:
        return doc.profiles[name]
    if name == "default":
        return {}
    known = ", ".join(sorted(doc.profiles)) or "none"
    raise ValueError(f"CADENZA_PROFILE={name!r} names no profile in {doc.path} (profiles: {known})")


def lookup(
    name: str,
    environ: Mapping[str, str] | None = None,
    load_profiles: Callable[[], ProfilesDoc] | None = None,
) -> tuple[Any, str, str]:
    """The unconverted value of ``name``: ``(raw, source, origin)``; ``raw`` is None for a default.

    ``source`` is ``"env"``, ``"profile"`` or ``"default"``; ``origin`` describes it for error
    messages. ``load_profiles`` supplies the profiles document when one is needed (default: read
    the file now). Raises KeyError for an unknown name and ValueError for an unreadable profiles
    file or an active profile that does not exist.
    """
    s = setting(name)
    raw = env_value(s.name, environ)
    if raw is not None:
        return raw, ENV, "environment"
    if s.name == "CADENZA_HOME":
        return None, DEFAULT, "default"
    doc = load_profiles() if load_profiles is not None else read_profiles(environ)
    if s.name == "CADENZA_PROFILE":
        active = active_profile(doc, environ)
        return active.raw, active.source, f"'active' in {doc.path}"
    if s.in_profile:
        values = profile_values(doc, environ)
        if s.name in values:
            origin = f"profile {active_profile(doc, environ).value!r} in {doc.path}"
            return values[s.name], PROFILE, origin
    return None, DEFAULT, "default"


def resolve(
    name: str,
    environ: Mapping[str, str] | None = None,
    load_profiles: Callable[[], ProfilesDoc] | None = None,
) -> Resolved:
    """Resolve ``name`` afresh (no cache) from ``environ`` (default ``os.environ``).

    Raises KeyError for an unknown name and ValueError for a value that does not convert, an
    unreadable profiles file, or an active profile that does not exist (see `lookup`).
    """
    s = BY_NAME.get(name) or setting(name)
    raw, src, origin = lookup(name, environ, load_profiles)
    if src == DEFAULT:
        return Resolved(convert(s, s.default, origin), DEFAULT, None)
    return Resolved(convert(s, raw, origin), src, raw)


_cache: dict[str, Resolved] = {}
_profiles_cache: list[ProfilesDoc] = []


def _cached_profiles() -> ProfilesDoc:
    if not _profiles_cache:
        _profiles_cache.append(read_profiles())
    return _profiles_cache[0]


def get(name: str) -> Any:
    """The typed value of setting ``name`` (e.g. ``"CADENZA_FLUSH_INTERVAL"``), cached per process.

    Secrets are returned as `Secret`. Raises KeyError (with close matches) for an unknown name and
    ValueError naming the setting and the bad value when it does not convert. Call `reset_cache`
    after changing the environment or the profile file.
    """
    try:
        return _cache[name].value
    except KeyError:
        pass
    resolved = resolve(name, load_profiles=_cached_profiles)
    _cache[name] = resolved
    return resolved.value


def source(name: str) -> str:
    """Where ``name``'s value comes from: ``"env"``, ``"profile"`` or ``"default"`` (cached)."""
    get(name)
    return _cache[name].source


def home() -> Path:
    """The cadenza home directory (``CADENZA_HOME``, default ``~/.cadenza``), expanded."""
    path: Path = get("CADENZA_HOME")
    return path


def reset_cache() -> None:
    """Forget every cached value, so the next `get` re-reads the environment and profile file."""
    _cache.clear()
    _profiles_cache.clear()


__all__ = [
    "BY_NAME",
    "Resolved",
    "active_profile",
    "constrain",
    "convert",
    "env_value",
    "get",
    "home",
    "home_from",
    "lookup",
    "parse",
    "profile_values",
    "read_profiles",
    "reset_cache",
    "resolve",
    "setting",
    "source",
]
