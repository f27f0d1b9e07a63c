"""Secret field types for blocks: pydantic's `SecretStr` (re-exported) and `SecretDict`."""

from __future__ import annotations

from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, SecretStr
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from cadenza.masking import MASK


def _obfuscate(value: Any) -> Any:
    """Keys kept, every leaf value replaced by the mask."""
    if isinstance(value, dict):
        return {k: _obfuscate(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_obfuscate(v) for v in value]
    return MASK


class SecretDict:
    """A dict whose values are secret: ``get_secret_value()`` returns the dict; ``repr``,
    ``str`` and JSON dumps show its keys with every value masked (``********``).

    Use it as a block field for things like extra headers or connection options that carry
    credentials: ``headers: SecretDict``. It validates from a plain dict with string keys (and
    JSON-serialisable values); ``model_dump()`` returns the `SecretDict` itself, and
    ``model_dump(mode="json")`` / ``model_dump_json()`` the masked dict, as pydantic does for
    `SecretStr`.
    """

    __slots__ = ("_secret_value",)

    def __init__(self, value: dict[str, Any]) -> None:
        if isinstance(value, SecretDict):
            value = value.get_secret_value()
        if not isinstance(value, dict):
            raise TypeError(f"SecretDict needs a dict, got {type(value).__name__}")
        if not all(isinstance(k, str) for k in value):
            raise TypeError("SecretDict keys must be strings")
        self._secret_value = dict(value)

    def get_secret_value(self) -> dict[str, Any]:
        """The clear-text dict (a copy)."""
        return dict(self._secret_value)

    def masked(self) -> dict[str, Any]:
        """The dict with its keys and every value masked."""
        return _obfuscate(self._secret_value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretDict) and other._secret_value == self._secret_value

    __hash__ = None  # type: ignore[assignment]  # a dict is not hashable either

    def __len__(self) -> int:
        return len(self._secret_value)

    def __repr__(self) -> str:
        return f"SecretDict({self.masked()!r})"

    def __str__(self) -> str:
        return str(self.masked())

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        from_dict = core_schema.no_info_after_validator_function(
            cls, core_schema.dict_schema(core_schema.str_schema(), core_schema.any_schema())
        )
        return core_schema.json_or_python_schema(
            json_schema=from_dict,
            python_schema=core_schema.union_schema(
                [core_schema.is_instance_schema(cls), from_dict]
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda v: v.masked(), when_used="json"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "object", "format": "password", "writeOnly": True}


def is_secret(value: Any) -> bool:
    """True for the secret values a block field can hold (SecretStr, SecretBytes, SecretDict,
    pydantic's generic ``Secret[T]``)."""
    from pydantic import Secret, SecretBytes

    return isinstance(value, (SecretStr, SecretBytes, SecretDict, Secret))


__all__ = ["SecretDict", "SecretStr", "is_secret"]
