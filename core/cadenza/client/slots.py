"""Slots the composition root fills (docs/architecture.md): what the embedded client reads
through from layers above the client.

`embedded_module(name)` returns the module ``"variables"`` (`cadenza.variables`: its names'
rules and `VariableStore`) or ``"block_sealing"`` (`cadenza.blocks.sealing`: unsealing and
masking a saved block's secrets) — both sit above the client, which must not import them.
`import cadenza` imports this module, so it imports nothing.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType

embedded_module: Callable[[str], ModuleType] | None = None
"""``(name) -> module``; None until `cadenza/__init__.py` fills it."""

__all__ = ["embedded_module"]
