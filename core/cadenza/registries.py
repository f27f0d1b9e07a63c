"""What plugins contributed, as the lower layers ask for it: ``contributed("serializers")``.

The plugin manager (`cadenza.plugins`) sits above everything it registers — task runners,
blocks, storage backends, serializers — while the modules that look a name up sit below it. They
ask this module instead, and the composition root (`cadenza/__init__.py`) installs the plugin
registry as its source, so no lower module imports the plugin system and the plugin manager
loads only when a name is first looked up. Without a source, nothing is contributed.

Kinds: ``"block_types"``, ``"storage_backends"``, ``"serializers"``, ``"task_runners"``,
``"tasks"``, ``"worker_types"`` (see `cadenza.plugins.registry`).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_source: Callable[[str], dict[str, Any]] | None = None


def install(source: Callable[[str], dict[str, Any]] | None) -> None:
    """Answer `contributed` from ``source(kind)`` (None: nothing is contributed)."""
    global _source
    _source = source


def contributed(kind: str) -> dict[str, Any]:
    """Everything of `kind` that plugins contributed, by name (a copy)."""
    source = _source
    return {} if source is None else source(kind)


__all__ = ["contributed", "install"]
