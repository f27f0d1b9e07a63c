"""Turning what a caller passes into what SQLAlchemy executes: SQL text wrapped in
`sqlalchemy.text` (so values are always bound parameters, never formatted into the SQL), and
parameter mappings checked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Parameters = Mapping[str, Any]
"""Values bound to the ``:name`` placeholders of a statement."""


def statement(operation: Any) -> Any:
    """``operation`` as an executable statement: SQL text is wrapped in `sqlalchemy.text`."""
    if isinstance(operation, str):
        from sqlalchemy import text

        return text(operation)
    if hasattr(operation, "_execute_on_connection"):  # a SQLAlchemy Executable
        return operation
    raise TypeError(
        f"operation must be SQL text or a SQLAlchemy statement, got {type(operation).__name__}"
    )


def bind(parameters: Parameters | None) -> dict[str, Any] | None:
    """``parameters`` as a dict (None stays None); anything but a mapping is a `TypeError`."""
    if parameters is None:
        return None
    if not isinstance(parameters, Mapping):
        raise TypeError(
            "parameters must be a mapping of placeholder names to values (':name' in the SQL), "
            f"got {type(parameters).__name__}"
        )
    return dict(parameters)


def require_rows(result: Any, operation: Any) -> None:
    """Close ``result`` and raise a `ValueError` if the statement returned no rows."""
    if not result.returns_rows:
        result.close()
        raise ValueError(
            f"The operation returns no rows, so there is nothing to fetch: {short(operation)}; "
            "run it with execute()"
        )


def short(operation: Any, limit: int = 200) -> str:
    """The SQL on one line, cut to ``limit`` characters: for log lines and messages."""
    text = " ".join(str(operation).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
