"""Blocks: typed configuration and credentials, saved and loaded by name.

``from cadenza.blocks.core import Block`` (as in Prefect), or ``from cadenza.blocks import
Block``. The names below are imported on first access: this package's ``__init__`` imports
nothing, so ``import cadenza.blocks`` stays light; pydantic is imported by
`cadenza.blocks.core`, cryptography only when a secret is encrypted or decrypted. See
docs/concepts/blocks.md.

`secret_values` gives the clear-text values of a block's secret fields — what a collection
passes to `cadenza.masking.register`, or scrubs from an SDK's error message.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from cadenza.blocks.core import Block, secret_values
    from cadenza.blocks.fields import SecretDict
    from cadenza.blocks.system import Secret

_LAZY = {
    "Block": "cadenza.blocks.core",
    "SecretDict": "cadenza.blocks.fields",
    "Secret": "cadenza.blocks.system",
    "secret_values": "cadenza.blocks.core",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cadenza.blocks' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = ["Block", "Secret", "SecretDict", "secret_values"]
