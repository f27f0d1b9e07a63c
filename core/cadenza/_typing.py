"""Generic classes and overloads that cost nothing at run time.

Type checkers read the real `typing` names below. At run time ``Generic[P, R]`` is a plain empty
base class, the type variables are placeholders and `overload` hands the function back: ``import
cadenza`` does not import `typing` (a few milliseconds), and no call pays for generics.
Annotations stay strings (``from __future__ import annotations``), so only class bases and the
`overload` decorator meet these names at run time.

``Task[P, R]`` and the like still subscript at run time (to the class itself), as in Prefect.
"""

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:
    from typing import Generic as Generic
    from typing import ParamSpec, TypeVar
    from typing import overload as overload

    P = ParamSpec("P")  # the wrapped function's parameters
    R = TypeVar("R")  # what the wrapped function returns (a coroutine, for `async def`)
    T = TypeVar("T")  # a value: the result a future or state holds, an awaited return value
else:

    class Generic:
        """Run-time stand-in for `typing.Generic`: ``Generic[...]`` is this empty base."""

        __slots__ = ()

        def __class_getitem__(cls, params):
            return cls

    def overload(fn):
        """Run-time stand-in for `typing.overload`: the last definition wins, as it would."""
        return fn

    P = R = T = None

__all__ = ["Generic", "P", "R", "T", "overload"]
