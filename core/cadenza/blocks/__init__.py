"""Blocks: typed configuration and credentials, saved and loaded by name.

``from cadenza.blocks.core import Block`` (as in Prefect). This package's ``__init__`` imports
nothing, so that the light modules it holds (`masking`, used by the log handlers) stay light;
pydantic is imported by `cadenza.blocks.core`, cryptography only when a secret is encrypted or
decrypted. See docs/concepts/blocks.md.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from cadenza.blocks.core import Block
    from cadenza.blocks.fields import SecretDict
    from cadenza.blocks.system import Secret

_LAZY = {
    "Block": "cadenza.blocks.core",
    "SecretDict": "cadenza.blocks.fields",
    "Secret": "cadenza.blocks.system",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cadenza.blocks' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = ["Block", "Secret", "SecretDict"]
