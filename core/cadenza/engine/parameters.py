"""Flow parameters: bind a call to the flow's signature and coerce values by type hints.

Values that already have their annotated (plain class) type pass without pydantic; anything else
is validated with a pydantic `TypeAdapter` in lax mode (``"5"`` → 5 for ``int``), imported only
then. Every bad parameter is reported at once, each by name.
"""

from __future__ import annotations

import inspect
import typing
from typing import TYPE_CHECKING, Any

from cadenza._text import storable_value
from cadenza.exceptions import ParameterBindError, ParameterTypeError
from cadenza.masking import MASK, mask_value

if TYPE_CHECKING:
    from cadenza.flows import Flow

_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


def bind_parameters(flow: Flow, args: tuple, kwargs: dict) -> inspect.BoundArguments:
    try:
        bound = flow.signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise ParameterBindError(
            f"Flow {flow.name!r} parameters do not match its signature: {exc}"
        ) from None
    bound.apply_defaults()
    return bound


def validate_parameters(flow: Flow, bound: inspect.BoundArguments) -> None:
    """Coerce `bound`'s values in place by the flow's type hints; raise on any invalid one."""
    hints = flow.type_hints
    params = flow.signature.parameters
    errors = []
    for name, value in bound.arguments.items():
        annotation = hints.get(name)
        if annotation is None or annotation is Any or params[name].kind in _VARIADIC:
            continue
        if _already_valid(value, annotation):
            continue
        try:
            bound.arguments[name] = flow.type_adapter(name, annotation).validate_python(value)
        except Exception as exc:
            errors.append(f"parameter {name!r}: {_describe(exc)} (got {value!r})")
    if errors:
        raise ParameterTypeError(
            f"Flow {flow.name!r} received invalid parameters: " + "; ".join(errors)
        )


def _already_valid(value: Any, annotation: Any) -> bool:
    if type(annotation) is not type:
        return False
    if annotation is int and isinstance(value, bool):
        return False
    return isinstance(value, annotation)


def _describe(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            return "; ".join(e["msg"] for e in errors())
        except Exception:
            pass
    return str(exc)


def resolve_type_hints(fn: Any) -> dict[str, Any]:
    """The function's type hints; unresolvable string annotations are skipped, not fatal."""
    try:
        return typing.get_type_hints(fn)
    except Exception:
        raw = getattr(fn, "__annotations__", {}) or {}
        return {k: v for k, v in raw.items() if not isinstance(v, str)}


def jsonable_parameters(arguments: dict[str, Any]) -> dict[str, Any]:
    """Parameters as recorded: JSON values kept, anything else as its repr; a secret-typed
    value (pydantic's ``SecretStr``/``SecretBytes``) as its mask, every registered secret
    value masked wherever it appears (`cadenza.masking`), and text made storable
    (`cadenza._text.storable`: a lone surrogate from a file name kept as the byte it stands
    for)."""
    import json

    result = {}
    for name, value in arguments.items():
        if hasattr(value, "get_secret_value"):
            result[name] = MASK
            continue
        try:
            json.dumps(value)
            result[name] = value
        except (TypeError, ValueError):
            result[name] = repr(value)
    return storable_value(mask_value(result))  # type: ignore[return-value]  # both keep a dict a dict


__all__ = ["bind_parameters", "jsonable_parameters", "resolve_type_hints", "validate_parameters"]
