"""The live side of a connector: its engine and the result cursors kept open between fetches.

A block is configuration: it is compared, copied, pickled to worker processes and saved. Its
engine and open cursors are not configuration, so they live in one `EngineState` object that
compares equal to any other, is never copied or pickled (a copy or an unpickled block starts
with a fresh, empty state) and is guarded by a lock, so tasks on several threads can share a
connector.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class EngineState:
    """A connector's engine and its open cursors, keyed by (operation, parameters)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.engine: Engine | None = None
        self.cursors: dict[Any, tuple[Any, Any]] = {}  # key -> (connection, result)

    def pop_cursor(self, key: Any) -> tuple[Any, Any] | None:
        with self.lock:
            return self.cursors.pop(key, None)

    def close_cursors(self) -> None:
        """Close every open cursor and the connection it holds."""
        with self.lock:
            cursors, self.cursors = list(self.cursors.values()), {}
        for connection, result in cursors:
            close_quietly(result, connection)

    def dispose(self) -> None:
        """Close the cursors, then the engine's pooled connections."""
        self.close_cursors()
        with self.lock:
            engine, self.engine = self.engine, None
        if engine is not None:
            engine.dispose()

    # Runtime state is not part of a block's value.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, EngineState)

    __hash__ = None  # type: ignore[assignment]  # as the block holding it: unhashable

    def __copy__(self) -> EngineState:
        return EngineState()

    def __deepcopy__(self, memo: dict[int, Any]) -> EngineState:
        return EngineState()

    def __reduce__(self) -> tuple[Any, ...]:
        return (EngineState, ())

    def __repr__(self) -> str:
        return f"EngineState(engine={'open' if self.engine is not None else 'none'})"


def close_quietly(result: Any, connection: Any) -> None:
    """Close a result and its connection, ignoring errors of an already broken connection."""
    for thing in (result, connection):
        try:
            thing.close()
        except Exception:
            pass


def cursor_key(operation: Any, parameters: Any, options: dict[str, Any]) -> Any:
    """A hashable key for "the same query with the same inputs" (repr: values may be
    unhashable, such as lists bound to an IN clause)."""
    return (str(operation), repr(_sorted(parameters)), repr(sorted(options.items())))


def _sorted(parameters: Any) -> Any:
    if isinstance(parameters, dict):
        return sorted(parameters.items(), key=lambda item: str(item[0]))
    return parameters
