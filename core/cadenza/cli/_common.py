"""Shared CLI helpers: one-line errors and opening the run record."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from typing import Any, NoReturn

import click

USAGE_ERROR = 2


def when(ts: float | str | None) -> str:
    """Epoch seconds (or an ISO 8601 time) as local time, to the second; '-' when None."""
    from datetime import datetime

    if ts is None:
        return "-"
    moment = datetime.fromisoformat(ts) if isinstance(ts, str) else datetime.fromtimestamp(ts)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def plain_table(rows: list[tuple[str, ...]], header: tuple[str, ...], wide: bool = False) -> None:
    """A table of plain strings under `header`, fitted to the terminal like every listing
    (`cadenza.cli.formatting.print_table`, each column of equal importance)."""
    # lazily: rich loads when a command prints a table, not for `cadenza --help`
    from rich.text import Text

    from cadenza.cli.formatting import Column, print_table

    columns = [Column(h, min_width=min(len(h), 8) or 1) for h in header]
    print_table(columns, [[Text(c) for c in row] for row in rows], wide=wide)


WIDE_HELP = "Show every column in full, however wide."


def wide_option(f: Any) -> Any:
    """The ``--wide`` flag of a listing."""
    return click.option("--wide", is_flag=True, help=WIDE_HELP)(f)


def flow_run_id(ref: str) -> str:
    """The full id of flow run `ref` (an id, a unique prefix or suffix of one, or ``latest``),
    on the server when ``CADENZA_API_URL`` is set, else in the record; one-line errors."""
    if api_url():
        with open_api() as client:
            return str(client.get_flow_run(ref)["id"])
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.store.queries import resolve_flow_run_id

    with open_record() as conn:
        return resolve_flow_run_id(conn, ref)


def resolve_or_die(ref: str, ids: list[str], what: str) -> str:
    """`cadenza.cli.ids.resolve_ref`, its LookupError as a one-line error (exit 1)."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.cli.ids import resolve_ref

    try:
        return resolve_ref(ref, ids, what)
    except LookupError as exc:
        die(str(exc))


@contextlib.contextmanager
def clear_errors() -> Iterator[None]:
    """Turn the errors of stores and servers into one-line messages: bad input (ValueError) or a
    name taken (ObjectAlreadyExists) exits 2, anything else a store or server reports exits 1."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.exceptions import CadenzaError, ObjectAlreadyExists

    try:
        yield
    except (ValueError, ObjectAlreadyExists) as exc:
        die(str(exc), USAGE_ERROR)
    except LookupError as exc:  # a KeyError's str() would quote its message
        die(str(exc.args[0]) if exc.args else str(exc))
    except (CadenzaError, OSError) as exc:
        die(str(exc))


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
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
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


def name_value(text: str, option: str) -> tuple[str, Any]:
    """``NAME=VALUE`` (the value of `option`) → (name, value): the value as JSON when it parses
    (``5``, ``true``, ``[1, 2]``, ``"x"``), else the string itself, as Prefect's ``--param``."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise click.BadParameter(f"expected NAME=VALUE, got {text!r:.80}", param_hint=option)
    try:
        return name, json.loads(raw)
    except ValueError:
        return name, raw


def json_object(text: str, option: str) -> dict[str, Any]:
    """`text` (the value of `option`) read as a JSON object, or a usage error naming it."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint=option) from None
    if not isinstance(value, dict):
        raise click.BadParameter("expected a JSON object", param_hint=option)
    return value


@contextlib.contextmanager
def server_only(what: str) -> Iterator[Any]:
    """The server's client (`open_api`) for a command about `what` (say, "Work pools"), which
    live on a server only; a 409 is answered as a usage error."""
    if not api_url():
        die(
            f"{what} live on a cadenza server: start one (`cadenza server start`) and set "
            "CADENZA_API_URL to its URL (http://127.0.0.1:4200/api by default)."
        )
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.client.http import ApiError

    with open_api() as client:
        try:
            yield client
        except ApiError as exc:
            if exc.status == 409:
                die(exc.detail, USAGE_ERROR)
            raise


def api_url() -> str | None:
    """`CADENZA_API_URL` when set: the CLI then reads runs from that server."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.settings import spec

    return spec.get("CADENZA_API_URL") or None


@contextlib.contextmanager
def open_api() -> Iterator:
    """An `ApiClient` for `CADENZA_API_URL`, its API version checked; server errors become
    one-line errors like `open_record`'s (404 → exit 1, 422 → exit 2, unreachable → exit 1)."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.client.http import ApiError, NotFound, ServerUnavailable, client_from_settings
    from cadenza.exceptions import ServerIncompatible

    try:
        client = client_from_settings(retry_time=3.0)
    except ValueError as exc:
        die(str(exc))
    try:
        client.check_version()
        yield client
    except NotFound as exc:
        die(exc.detail)
    except ValueError as exc:  # a request that cannot be sent as given
        die(str(exc), USAGE_ERROR)
    except ApiError as exc:
        die(exc.detail, USAGE_ERROR if exc.status == 422 else 1)
    except (ServerUnavailable, ServerIncompatible) as exc:
        die(str(exc))
    finally:
        client.close()
