"""What the plugin system raises and warns."""

from __future__ import annotations

from cadenza.exceptions import CadenzaError


class CadenzaPluginWarning(UserWarning):
    """A plugin was skipped; the message names its distribution, entry point and the reason."""


class PluginConflictError(CadenzaError):
    """Two plugins registered the same name for one kind of thing (e.g. two storage types)."""

    def __init__(self, kind: str, name: str, first: str, second: str) -> None:
        super().__init__(
            f"Two plugins register the {kind} {name!r}: {first} and {second}. "
            "Uninstall one, or disable it with CADENZA_PLUGINS_DENY=<entry point name>."
        )
        self.kind = kind
        self.name = name
        self.plugins = (first, second)


__all__ = ["CadenzaPluginWarning", "PluginConflictError"]
