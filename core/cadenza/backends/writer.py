"""Writing queued rows into the embedded SQLite record, so that no row blocks the others.

`write` runs one ``BEGIN IMMEDIATE`` transaction over batches of ``(statement, rows)``. Each
statement's rows go in with one ``executemany`` inside a savepoint. When the database refuses
rows for their content (a lone surrogate SQLite cannot encode, an integer wider than 64 bits, a
value of a type it cannot bind, a constraint), the rows are cleaned (`cadenza._text.storable`)
and written again; any row that still fails on its own — found by halving — is set aside in the
dead-letter file (`cadenza.deadletter`) once the transaction has committed. Errors that are not
about the rows (the database locked, the disk full) abort the transaction and reach the caller,
which keeps every row for the next attempt; `Trouble` reports such a cause once.
"""

from __future__ import annotations

import re
import sqlite3
import sys
import time
from typing import TYPE_CHECKING, Any

from cadenza._text import storable
from cadenza.deadletter import quarantine
from cadenza.store import statements

if TYPE_CHECKING:
    from pathlib import Path

#: Refusals caused by a row's content. `sqlite3.OperationalError` (locked, full, I/O) is not one.
ROW_ERRORS = (
    UnicodeError,
    OverflowError,
    ValueError,
    TypeError,
    sqlite3.InterfaceError,
    sqlite3.ProgrammingError,
    sqlite3.IntegrityError,
    sqlite3.DataError,
)

_TABLE = re.compile(r"(?:INTO|UPDATE)\s+(\w+)")
_INT64 = range(-(2**63), 2**63)


def write(
    conn: sqlite3.Connection, batches: list[tuple[str, list[tuple]]], *, count_logs: bool = False
) -> int:
    """Write every batch in one transaction (see the module docstring); return how many rows
    were set aside as dead letters.

    With `count_logs` (some batch holds log lines at WARNING or above), the flow runs' warning
    and error counts grow by the lines this transaction stored: those above the highest log id
    before it, so neither a refused line nor a duplicate is counted.
    """
    refused: list[tuple[str, tuple, str]] = []
    begin(conn)
    try:
        floor = conn.execute(statements.LOG_FLOOR).fetchone()[0] if count_logs else None
        for sql, rows in batches:
            if not rows:
                continue
            conn.execute("SAVEPOINT batch")
            try:
                conn.executemany(sql, rows)
            except ROW_ERRORS:
                conn.execute("ROLLBACK TO batch")
                _isolate(conn, sql, [clean_row(row) for row in rows], refused)
            conn.execute("RELEASE batch")
        if floor is not None:
            conn.execute(statements.COUNT_LOGS, (floor,) * len(statements.COUNT_LOGS_PARAMS))
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    for sql, row, reason in refused:
        path = quarantine("embedded", _kind(sql), list(row), reason)
    if refused:
        print(
            f"cadenza: {len(refused)} record(s) could not be stored in the run record and were "
            f"set aside in {path} (see `cadenza db doctor`): {refused[0][2]}",
            file=sys.stderr,
        )
    return len(refused)


def _isolate(conn: sqlite3.Connection, sql: str, rows: list[tuple], refused: list) -> None:
    """Write `rows`; when that fails, write each half on its own, down to single rows."""
    conn.execute("SAVEPOINT part")
    try:
        conn.executemany(sql, rows)
    except ROW_ERRORS as exc:
        conn.execute("ROLLBACK TO part")
        conn.execute("RELEASE part")
        if len(rows) == 1:
            refused.append((sql, rows[0], f"{type(exc).__name__}: {exc}"))
            return
        half = len(rows) // 2
        _isolate(conn, sql, rows[:half], refused)
        _isolate(conn, sql, rows[half:], refused)
        return
    conn.execute("RELEASE part")


def clean_row(row: tuple) -> tuple:
    """`row` with every value made bindable: text `storable`, integers beyond 64 bits and
    values of other types as text."""
    return tuple(_clean(v) for v in row)


def _clean(value: Any) -> Any:
    kind = type(value)
    if value is None or kind is float or kind is bool or kind is bytes:
        return value
    if kind is str:
        return storable(value)
    if kind is int:
        return value if value in _INT64 else str(value)
    return storable(str(value))


def _kind(sql: str) -> str:
    match = _TABLE.search(sql)
    return match.group(1) if match else "row"


def begin(conn: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, waiting while another process holds the write lock."""
    for attempt in range(50):
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            time.sleep(min(0.5, 0.01 * (attempt + 1)))
    conn.execute("BEGIN IMMEDIATE")


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back the open transaction, if SQLite has not already done so itself (it does on
    a full disk), without letting a failed rollback hide the error that caused it."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass


class Trouble:
    """Reports a failing write once per cause, and its end, on stderr."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.cause: str | None = None

    def report(self, exc: BaseException, waiting: int) -> None:
        cause = f"{type(exc).__name__}: {exc}"
        if cause == self.cause:
            return
        self.cause = cause
        print(
            f"cadenza: cannot write the run record {self.path}: {cause}. {waiting} record(s) "
            "are kept in memory and written as soon as it can be",
            file=sys.stderr,
        )

    def clear(self) -> None:
        if self.cause is not None:
            self.cause = None
            print(
                f"cadenza: the run record {self.path} is written again; nothing was lost",
                file=sys.stderr,
            )


__all__ = ["ROW_ERRORS", "Trouble", "begin", "clean_row", "rollback", "write"]
