"""Argument annotations for `Task.map` and dependencies, as in Prefect."""

from __future__ import annotations

from cadenza._typing import Generic, T

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:
    from typing import Any


class BaseAnnotation(Generic[T]):
    """A value wrapped to tell the engine how to pass it (generic in the value's type)."""

    __slots__ = ("value",)

    def __class_getitem__(cls, item: Any) -> type:
        return cls

    def __init__(self, value: T) -> None:
        self.value = value

    def unwrap(self) -> T:
        return self.value

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.value == other.value

    def __hash__(self) -> int:
        return hash((type(self), id(self.value)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"


class unmapped(BaseAnnotation[T]):
    """Pass this argument whole to every mapped call instead of iterating over it."""

    def __getitem__(self, _: Any) -> T:
        return self.value


class allow_failure(BaseAnnotation[T]):
    """Let a downstream task run even if this upstream future or state failed."""


class quote(BaseAnnotation[T]):
    """Pass this argument as is, without resolving futures or states inside it."""


class opaque(BaseAnnotation[T]):
    """Resolve this argument if it is itself a future or state, but never look inside it (a big
    dict or DataFrame is not walked for nested futures), as Prefect's ``opaque``."""


class NotSet:
    """Marks an argument that was not given, where None is a value (Prefect's ``NotSet``)."""


__all__ = ["BaseAnnotation", "NotSet", "allow_failure", "opaque", "quote", "unmapped"]
