"""What a flow-run input may be: a JSON value that every database stores as given, and, for a
paused run waiting for input, one that fits the JSON schema the run saved.

Used by `cadenza.store.pause` (the server and the embedded record alike); errors are
`InvalidRunInput`, whose problems name each field (its path) but never repeat the value given.
"""

from __future__ import annotations

import json
from typing import Any

from cadenza.exceptions import InvalidRunInput

MAX_INPUT_BYTES = 4 * 1024 * 1024
"""The largest input value, as stored (JSON, non-ASCII escaped)."""
MAX_KEY = 200


def encode_value(value: Any, path: tuple[str | int, ...] = ()) -> str:
    """`value` as stored: JSON with every non-ASCII character escaped. `InvalidRunInput` for a
    value that is not JSON, holds a lone surrogate, or is larger than `MAX_INPUT_BYTES`."""
    problems = _unstorable(value, path)
    if problems:
        raise InvalidRunInput(problems)
    try:
        text = json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidRunInput([(path, f"is not a JSON value ({exc})")]) from None
    if len(text) > MAX_INPUT_BYTES:
        size = f"{len(text) / 1024 / 1024:.1f} MiB"
        raise InvalidRunInput([(path, f"is {size} as JSON; at most {MAX_INPUT_BYTES >> 20} MiB")])
    return text


def check_key(key: Any) -> str:
    """A flow-run input key: 1-200 characters, no control characters or lone surrogates."""
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY:
        raise ValueError(f"an input key must be a string of 1 to {MAX_KEY} characters")
    if any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF for c in key):
        raise ValueError("an input key must not hold control characters or lone surrogates")
    return key


def validate(schema_text: str | None, value: Any) -> None:
    """Check `value` against the JSON schema `schema_text` (what a paused run saved);
    `InvalidRunInput` names each field that does not fit."""
    # lazily: jsonschema loads only when an input is validated (never in a flow's process)
    import jsonschema

    if schema_text is None:
        raise InvalidRunInput([((), "cannot be checked: the run's input schema is not recorded")])
    try:
        schema = json.loads(schema_text)
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
    except (ValueError, jsonschema.SchemaError):
        problem = "cannot be checked: the run's input schema is invalid"
        raise InvalidRunInput([((), problem)]) from None
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for error in validator_class(schema).iter_errors(value):
        problems.extend(_explain(error))
    if problems:
        raise InvalidRunInput(sorted(problems, key=lambda p: [str(x) for x in p[0]]))


def _explain(error: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """(path, message) for a jsonschema error, without repeating the value given."""
    path = tuple(_short(p, 60) if isinstance(p, str) else p for p in error.absolute_path)
    kind, expected, instance = error.validator, error.validator_value, error.instance
    if kind == "required" and isinstance(instance, dict):
        return [((*path, name), "is required") for name in expected if name not in instance]
    if kind == "additionalProperties" and isinstance(instance, dict):
        known = set(error.schema.get("properties") or ())
        return [((*path, _short(k)), "is not a field of this input") for k in instance
                if k not in known]  # fmt: skip
    messages = {
        "type": lambda: f"must be of type {_short(expected)}",
        "enum": lambda: f"must be one of {_short(expected)}",
        "const": lambda: f"must be {_short(expected)}",
        "minimum": lambda: f"must be >= {expected}",
        "maximum": lambda: f"must be <= {expected}",
        "exclusiveMinimum": lambda: f"must be > {expected}",
        "exclusiveMaximum": lambda: f"must be < {expected}",
        "minLength": lambda: f"must have at least {expected} characters",
        "maxLength": lambda: f"must have at most {expected} characters",
        "minItems": lambda: f"must have at least {expected} items",
        "maxItems": lambda: f"must have at most {expected} items",
        "pattern": lambda: f"must match the pattern {_short(expected)}",
        "format": lambda: f"must be a valid {_short(expected)}",
        "anyOf": lambda: "does not match any of the allowed forms",
        "oneOf": lambda: "does not match exactly one of the allowed forms",
    }
    explain = messages.get(kind)
    return [(path, explain() if explain else f"fails the input schema's {kind!r} check")]


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _unstorable(value: Any, path: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str]]:
    """Lone surrogates in `value`'s strings and keys (not valid Unicode: no model can read
    them back), each with where it is."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, path)]
    while stack and len(found) < 20:
        item, where = stack.pop()
        if isinstance(item, str):
            if _has_surrogate(item):
                found.append((where, "holds a lone surrogate (not valid Unicode text)"))
        elif isinstance(item, dict):
            for k, v in item.items():
                if isinstance(k, str) and _has_surrogate(k):
                    found.append((where, "has a field name holding a lone surrogate"))
                    continue
                stack.append((v, (*where, _short(k, 60) if isinstance(k, str) else k)))
        elif isinstance(item, (list, tuple)):
            stack.extend((v, (*where, i)) for i, v in enumerate(item))
    return found


def _has_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


__all__ = ["MAX_INPUT_BYTES", "MAX_KEY", "check_key", "encode_value", "validate"]
