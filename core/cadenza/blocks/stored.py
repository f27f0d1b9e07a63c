"""A block's fields as the block store keeps them: JSON-ready data in which each secret is in
the open form of `cadenza.blocks.sealing` (the store encrypts it), and back; and the clear-text
values of a block's secrets, for masking."""

from __future__ import annotations

import base64
import json
from typing import Any

from pydantic import BaseModel, Secret, SecretBytes, SecretStr
from pydantic_core import to_jsonable_python

from cadenza.blocks.exceptions import BlockError
from cadenza.blocks.fields import SecretDict
from cadenza.blocks.sealing import SECRET_MARKER


def _secret(kind: str, plain: str) -> dict[str, str]:
    return {SECRET_MARKER: kind, "value": plain}  # the open form (cadenza.blocks.sealing)


def to_stored(value: Any) -> Any:
    """JSON-ready data of a block (or any field value), each secret in the open form of
    `cadenza.blocks.sealing` (the store encrypts it)."""
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        return {(f.alias or n): to_stored(getattr(value, n)) for n, f in fields.items()}
    if isinstance(value, SecretStr):
        return _secret("str", value.get_secret_value())
    if isinstance(value, SecretBytes):
        return _secret("bytes", base64.b64encode(value.get_secret_value()).decode("ascii"))
    if isinstance(value, SecretDict):
        return _secret("dict", json.dumps(to_jsonable_python(value.get_secret_value())))
    if isinstance(value, Secret):
        return _secret("json", json.dumps(to_jsonable_python(value.get_secret_value())))
    if isinstance(value, dict):
        return {str(k): to_stored(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_stored(v) for v in value]
    return to_jsonable_python(value)


def from_stored(data: Any, what: str) -> Any:
    """Open-form data with each secret rebuilt as its plain value."""
    if isinstance(data, dict):
        if SECRET_MARKER in data:
            if "value" not in data:
                raise BlockError(f"The secrets of {what} were not given (masked or sealed)")
            kind, plain = data[SECRET_MARKER], data["value"]
            if kind == "bytes":
                return base64.b64decode(plain)
            if kind in ("dict", "json"):
                return json.loads(plain)
            return plain
        return {k: from_stored(v, what) for k, v in data.items()}
    if isinstance(data, list):
        return [from_stored(v, what) for v in data]
    return data


def secret_values(value: Any) -> list[str]:
    """The clear-text value of every secret in a block (or any field value), as strings.

    Secrets are the `SecretStr`, `SecretBytes`, `SecretDict` and ``Secret[T]`` values at any
    depth of nested models, lists and dicts; a secret holding a structure gives each of its
    leaves (bytes decoded as UTF-8 when they can be). For masking —
    ``cadenza.masking.register(*secret_values(credentials))`` — and for scrubbing an SDK's
    error message before it is raised. Never log what it returns.
    """
    out: list[str] = []
    _collect(value, out, secret=False)
    return out


def _collect(value: Any, out: list[str], secret: bool) -> None:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _collect(getattr(value, name), out, secret)
    elif isinstance(value, (SecretStr, SecretBytes, SecretDict, Secret)):
        _collect(value.get_secret_value(), out, secret=True)
    elif isinstance(value, dict):
        for v in value.values():
            _collect(v, out, secret)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            _collect(v, out, secret)
    elif secret and isinstance(value, bytes):
        try:
            out.append(value.decode("utf-8"))
        except UnicodeDecodeError:
            pass
    elif secret and value is not None and not isinstance(value, bool):
        out.append(str(value))


__all__ = ["from_stored", "secret_values", "to_stored"]
