"""Prefect's ``prefect.utilities.collections`` helpers that user code imports.

`visit_collection` walks lists, tuples, sets, dicts (keys and values), dataclasses, pydantic
models and annotations such as `quote`, calling a function on every element, and can rebuild
the collection from what the function returns."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import itertools
from collections.abc import Callable, Generator, Hashable, Iterable
from typing import Any, TypeVar, cast

from cadenza.annotations import BaseAnnotation

T = TypeVar("T")
H = TypeVar("H", bound=Hashable)


class AutoEnum(str, enum.Enum):
    """An enum whose values are its names (``AutoEnum.auto()``), also a `str`."""

    @staticmethod
    def _generate_next_value_(name: str, start: int, count: int, last_values: list[Any]) -> str:
        return name

    @staticmethod
    def auto() -> Any:
        return enum.auto()

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.value}"


class StopVisiting(BaseException):
    """Raised by a `visit_collection` function: do not walk into this element."""


def visit_collection(
    expr: Any, visit_fn: Callable[..., Any], *, return_data: bool = False, max_depth: int = -1,
    context: dict[str, Any] | None = None, remove_annotations: bool = False,
    _seen: dict[int, Any] | None = None,
) -> Any:  # fmt: skip
    """Call ``visit_fn`` on ``expr`` and on every element inside it (``visit_fn(x, context)``
    when a ``context`` dict is given). With ``return_data``, return ``expr`` rebuilt from what
    ``visit_fn`` returned (else None). ``max_depth``: levels to walk (-1: all);
    ``remove_annotations``: replace an annotation by its (visited) value. A collection met
    twice (a cycle) is not walked again."""
    seen = {} if _seen is None else _seen

    def call(value: Any) -> tuple[Any, bool]:
        try:
            out = visit_fn(value) if context is None else visit_fn(value, context)
        except StopVisiting:
            return value, False
        return (out if return_data else value), True

    def walk(value: Any, depth: int) -> Any:
        value, go_on = call(value)
        if not go_on or depth == max_depth or id(value) in seen:
            return seen.get(id(value), value)
        seen[id(value)] = value
        out = _children(value, lambda item: walk(item, depth + 1), remove_annotations)
        seen[id(value)] = out
        return out

    result = walk(expr, 0)
    return result if return_data else None


def _children(value: Any, visit: Callable[[Any], Any], remove_annotations: bool) -> Any:
    if isinstance(value, BaseAnnotation):
        inner = visit(value.value)
        return inner if remove_annotations else type(value)(inner)
    if isinstance(value, dict):
        return type(value)((visit(k), visit(v)) for k, v in value.items())
    if isinstance(value, (list, set, frozenset)):
        return type(value)(visit(v) for v in value)
    if isinstance(value, tuple):
        items = [visit(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: visit(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **fields)
    model_fields = getattr(type(value), "model_fields", None)
    if isinstance(model_fields, dict) and hasattr(value, "model_copy"):
        return value.model_copy(update={n: visit(getattr(value, n)) for n in model_fields})
    return value


def batched_iterable(iterable: Iterable[T], size: int) -> Generator[tuple[T, ...], None, None]:
    """Tuples of ``size`` items in order (the last may be shorter)."""
    it = iter(iterable)
    while batch := tuple(itertools.islice(it, size)):
        yield batch


def listrepr(objs: Iterable[Any], sep: str = " ") -> str:
    """The ``str`` of each object, joined by ``sep``."""
    return sep.join(map(str, objs))


def isiterable(obj: Any) -> bool:
    """True for an iterable that is not a string, bytes, mapping... of a single value."""
    if isinstance(obj, (str, bytes, dict)) or inspect.isgenerator(obj):
        return False
    try:
        iter(obj)
    except TypeError:
        return False
    return True


def ensure_iterable(obj: T | Iterable[T]) -> Iterable[T]:
    """``obj`` if it is a list, tuple or set, else ``[obj]``."""
    if isinstance(obj, (list, tuple, set, frozenset)):
        return obj
    return cast(Iterable[T], [obj])


def distinct(iterable: Iterable[T], key: Callable[[T], Any] | None = None) -> Generator[T]:
    """The items of ``iterable`` in order, each (or each ``key``) once."""
    seen: set[Any] = set()
    for item in iterable:
        marker = key(item) if key is not None else item
        if marker not in seen:
            seen.add(marker)
            yield item


def extract_instances(
    objects: Iterable[Any], types: type | tuple[type, ...] = object
) -> list[Any] | dict[type, list[Any]]:
    """The objects of ``types``: a list for one type, a dict by type for a tuple of types."""
    if not isinstance(types, tuple):
        return [o for o in objects if isinstance(o, types)]
    found: dict[type, list[Any]] = {t: [] for t in types}
    for o in objects:
        for t in types:
            if isinstance(o, t):
                found[t].append(o)
    return found


def dict_to_flatdict(
    dct: dict[Any, Any], _parent: tuple[Any, ...] = ()
) -> dict[tuple[Any, ...], Any]:
    """``{"a": {"b": 1}}`` → ``{("a", "b"): 1}``."""
    flat: dict[tuple[Any, ...], Any] = {}
    for key, value in dct.items():
        path = (*_parent, key)
        if isinstance(value, dict) and value:
            flat.update(dict_to_flatdict(value, path))
        else:
            flat[path] = value
    return flat


def flatdict_to_dict(dct: dict[tuple[Any, ...], Any]) -> dict[Any, Any]:
    """The inverse of `dict_to_flatdict`."""
    nested: dict[Any, Any] = {}
    for path, value in dct.items():
        node = nested
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return nested


__all__ = [
    "AutoEnum",
    "StopVisiting",
    "batched_iterable",
    "dict_to_flatdict",
    "distinct",
    "ensure_iterable",
    "extract_instances",
    "flatdict_to_dict",
    "isiterable",
    "listrepr",
    "visit_collection",
]
