"""Shared CLI helpers: one-line errors and opening the run record."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from typing import NoReturn

import click

USAGE_ERROR = 2


def die(message: str, code: int = 1) -> NoReturn:
    """Print ``Error: <message>`` as one line on stderr and exit with `code`."""
    click.echo(f"Error: {message}", err=True)
    raise click.exceptions.Exit(code)


@contextlib.contextmanager
def open_record() -> Iterator[sqlite3.Connection]:
    """Open the run record at the default path (migrating it if needed) for reading.

    A `StoreError` becomes a one-line error and exit status 1; LookupError (unknown run id)
    exits 1; ValueError (bad filter) exits 2.
    """
    from cadenza.backends.recovery import reap_dead_runs
    from cadenza.exceptions import StoreError
    from cadenza.store.database import connect, default_db_path, ensure_schema

    path = default_db_path()
    try:
        ensure_schema(path)
        conn = connect(path)
        reap_dead_runs(conn)  # runs whose process died show as Crashed, not Running
    except StoreError as exc:
        die(str(exc))
    try:
        yield conn
    except LookupError as exc:
        die(str(exc.args[0]) if exc.args else str(exc))
    except ValueError as exc:
        die(str(exc), USAGE_ERROR)
    except sqlite3.Error as exc:
        die(f"Cannot read the run record {path}: {exc}")
    finally:
        conn.close()
