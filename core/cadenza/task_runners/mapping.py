"""`Task.map` semantics: one call per element, `unmapped` arguments broadcast to every call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cadenza.annotations import BaseAnnotation, quote, unmapped
from cadenza.exceptions import MappingLengthMismatch, MappingMissingIterable
from cadenza.futures import CadenzaFuture
from cadenza.states import State, sync_result

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cadenza.tasks import Task


def expand(task: Task[..., Any], parameters: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The parameters of each mapped call.

    Every parameter that is not `unmapped`/`quote` and is iterable is mapped over; a future or
    state is resolved first (its result is mapped over). All mapped iterables must have the
    same length. Non-iterable values (numbers, None ...) are passed whole to every call, and so
    are strings and bytes.
    """
    mapped: dict[str, list[Any]] = {}
    static: dict[str, Any] = {}
    for name, value in parameters.items():
        if isinstance(value, (unmapped, quote)):
            static[name] = value.value if isinstance(value, unmapped) else value
            continue
        annotation = value if isinstance(value, BaseAnnotation) else None
        inner = annotation.value if annotation is not None else value
        if isinstance(inner, CadenzaFuture):
            inner = inner.result()
        elif isinstance(inner, State):
            inner = sync_result(inner)
        if isinstance(inner, (str, bytes)) or not _iterable(inner):
            static[name] = value
            continue
        items = list(inner)
        mapped[name] = [type(annotation)(v) for v in items] if annotation is not None else items
    if not mapped:
        raise MappingMissingIterable(
            f"Task {task.name!r}.map() needs at least one iterable argument to map over; "
            "wrap arguments passed whole to every call in unmapped()"
        )
    lengths = {name: len(items) for name, items in mapped.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise MappingLengthMismatch(
            f"Task {task.name!r}.map() got iterables of different lengths ({shown}); "
            "use unmapped() for an argument that is the same in every call"
        )
    for i in range(next(iter(lengths.values()))):
        call = dict(static)
        for name, items in mapped.items():
            call[name] = items[i]
        yield {name: call[name] for name in parameters}


def _iterable(value: Any) -> bool:
    try:
        iter(value)
    except TypeError:
        return False
    return True


__all__ = ["expand"]
