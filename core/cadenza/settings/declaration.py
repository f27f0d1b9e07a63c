"""How a setting is declared: `Setting` (name, type, default, doc, constraints) and `Secret`.

Standard library only, like the rest of the settings path of ``import cadenza``.
"""

from __future__ import annotations

from pathlib import Path

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~5 ms)
if TYPE_CHECKING:
    from typing import Any

PREFIX = "CADENZA_"

ENV, PROFILE, DEFAULT = "env", "profile", "default"
"""The three sources a value can come from, as reported by `resolve` and ``config view``."""

_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})
_TYPE_NAMES = {Path: "path", str: "string", bool: "boolean", int: "integer", float: "number"}


class Setting:
    """One setting: env ``name``, python ``type``, ``default`` and a one-line ``doc``.

    ``optional`` admits None (the default of an optional setting); ``secret`` values are wrapped
    in `Secret` and masked wherever shown; ``choices`` restricts a string to a set of values
    (case-insensitive, normalised to upper case); ``minimum`` bounds a number from below;
    ``in_profile`` is False for settings that a profile cannot hold.
    """

    __slots__ = (
        "choices",
        "default",
        "doc",
        "in_profile",
        "minimum",
        "name",
        "optional",
        "secret",
        "type",
    )

    def __init__(
        self,
        name: str,
        type: type,
        default: Any,
        doc: str,
        *,
        optional: bool = False,
        secret: bool = False,
        choices: tuple[str, ...] | None = None,
        minimum: float | None = None,
        in_profile: bool = True,
    ) -> None:
        self.name = name
        self.type = type
        self.default = default
        self.doc = doc
        self.optional = optional
        self.secret = secret
        self.choices = choices
        self.minimum = minimum
        self.in_profile = in_profile

    @property
    def field(self) -> str:
        """The python attribute name: the env name without the prefix, lower case."""
        return self.name[len(PREFIX) :].lower()

    def __repr__(self) -> str:
        return f"Setting({self.name!r}, {self.type.__name__}, default={self.default!r})"


class Secret:
    """A secret string that never shows its value in ``repr`` or ``str``.

    Same reading API as pydantic's ``SecretStr``: call `get_secret_value` to use it.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        """The clear-text value."""
        return self._value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('********')"

    def __str__(self) -> str:
        return "********"


__all__ = ["PREFIX", "Secret", "Setting"]
