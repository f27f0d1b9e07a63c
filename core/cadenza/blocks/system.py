"""The core's own `Secret` block: one secret value, saved encrypted and loaded by name.

from cadenza.blocks.system import Secret

Secret(value="sk-live-...").save("openai-key")
Secret.load("openai-key").get()   # the plain value
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr

from cadenza.blocks.core import Block


class Secret(Block):
    """A secret value (an API key, a password, a token), stored encrypted.

    ``Secret(value=...)`` accepts a string; ``.get()`` returns it in clear text. The value is
    masked everywhere else: ``repr``, JSON dumps, the CLI, and run logs of this process once
    the block has been saved or loaded.
    """

    _block_type_slug = "secret"
    _block_type_name = "Secret"
    _documentation_url = "docs/concepts/blocks.md"

    value: SecretStr = Field(description="The secret value, stored encrypted.")

    def get(self) -> str:
        """The secret's clear-text value."""
        return self.value.get_secret_value()

    def __init__(self, value: Any = None, /, **data: Any) -> None:
        if value is not None:
            data["value"] = value
        super().__init__(**data)


__all__ = ["Secret"]
