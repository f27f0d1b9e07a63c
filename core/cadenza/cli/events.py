"""``cadenza events ls``: the event stream — state transitions of flow and task runs, and what
happened to deployments, work pools, workers and automations — from the server
(``CADENZA_API_URL``) or the embedded record.

Errors are one line on stderr: a bad filter or cursor exits 2, an unknown deployment or an
unreachable server 1.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import click

from cadenza.cli._common import USAGE_ERROR, api_url, die, wide_option
from cadenza.cli.jsonout import emit_json, with_iso_times

Reader = Callable[..., dict[str, Any]]


@click.group("events")
def events() -> None:
    """Read the event stream: runs' state changes, deployments, work pools, workers."""


@events.command("ls")
@click.option(
    "--event",
    "prefixes",
    multiple=True,
    metavar="PREFIX",
    help="Only events whose name starts so (repeatable), e.g. cadenza.flow-run.Failed.",
)
@click.option(
    "--resource",
    "resources",
    multiple=True,
    metavar="ID",
    help="Only events about this resource (repeatable): cadenza.flow-run.<id>, a run "
    "id, cadenza.deployment.<id>, ...",
)
@click.option(
    "--related",
    multiple=True,
    metavar="ID",
    help="Only events related to this resource (repeatable), e.g. cadenza.tag.nightly.",
)
@click.option("--flow", default=None, help="Only events of this flow's runs.")
@click.option(
    "--deployment",
    default=None,
    metavar="ID|FLOW/NAME",
    help="Only events of this deployment and its runs.",
)
@click.option(
    "--since",
    default=None,
    metavar="WHEN",
    help="Only events from then on: a duration ago (1h, 30m, 2d) or an ISO 8601 time.",
)
@click.option("--until", default=None, metavar="WHEN", help="Only events before then.")
@click.option(
    "--limit",
    type=click.IntRange(1, 1000),
    default=50,
    show_default=True,
    help="How many of the newest events to show first.",
)
@click.option("--follow", "-f", is_flag=True, help="Keep printing new events as they happen.")
@click.option(
    "--interval",
    type=click.FloatRange(0.05, 60),
    default=1.0,
    show_default=True,
    help="Seconds between looks for new events (with --follow).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="JSON: an array of events; with --follow, one event per line.",
)
@wide_option
def ls(prefixes: tuple[str, ...], resources: tuple[str, ...], related: tuple[str, ...],
       flow: str | None, deployment: str | None, since: str | None, until: str | None,
       limit: int, follow: bool, interval: float, as_json: bool, wide: bool) -> None:  # fmt: skip
    """List the newest events, oldest of them first; --follow prints new ones as they come."""
    filters = {"event": list(prefixes), "resource": list(resources), "related": list(related),
               "flow": flow, "deployment": deployment, "since": _when(since, "--since"),
               "until": _when(until, "--until")}  # fmt: skip
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.cli.formatting import output_width

    width = None if wide else output_width()
    with _reader() as read:
        page = read(**filters, limit=limit)
        shown = list(reversed(page["events"]))
        if as_json and not follow:
            emit_json(shown)
            return
        for event in shown:
            _print(event, as_json, width)
        try:
            cursor = page["cursor"]
            while follow:
                time.sleep(interval)
                while True:  # every page there is now, then wait again
                    page = read(**filters, limit=1000, cursor=cursor)
                    for event in page["events"]:
                        _print(event, as_json, width)
                    if page["cursor"] == cursor:
                        break
                    cursor = page["cursor"]
        except KeyboardInterrupt:
            pass


def _when(value: str | None, option: str) -> float | None:
    """Epoch seconds of a ``--since``/``--until`` value: a duration ago, or an ISO 8601 time
    (naive means UTC, as the API reads it)."""
    if value is None:
        return None
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from datetime import datetime, timezone

    from cadenza.store.retention import parse_duration

    try:
        seconds = parse_duration(value, option)
    except ValueError:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            die(f"{option}: give a duration ago (1h, 30m, 2d) or an ISO 8601 time, not "
                f"{value[:40]!r}", USAGE_ERROR)  # fmt: skip
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    return None if seconds is None else time.time() - seconds


def _print(event: dict[str, Any], as_json: bool, width: int | None) -> None:
    """One event: a line of JSON, or ``time  event  name  resource id`` cut to `width` with
    an ellipsis (None: in full)."""
    if as_json:
        click.echo(json.dumps(with_iso_times(event), default=str))
        return
    # lazily: datetime only for a listing that shows times
    from cadenza.cli._common import when

    resource = event["resource"]
    name = resource.get("cadenza.resource.name") or ""
    line = (f"{when(event['occurred'])}  {event['event']:<36}  {name}  "
            f"{resource.get('cadenza.resource.id', '')}").rstrip()  # fmt: skip
    if width is not None and len(line) > width:
        line = line[: max(width - 1, 0)] + "…"
    click.echo(line)


class _Embedded:
    """Pages of the embedded record's stream, in the shape the API answers."""

    def __init__(self) -> None:
        # lazily: SQLAlchemy loads only for this command
        from cadenza.store import urls
        from cadenza.store.sql import SqlDatabase

        url = urls.default_database_url()
        urls.prepare(url)
        self.db = SqlDatabase(url)

    def __call__(self, **filters: Any) -> dict[str, Any]:
        # lazily: SQLAlchemy loads only for this command
        from cadenza.store import deployments, event_stream

        related = list(filters["related"])
        cursor = filters.get("cursor")
        with self.db.read() as conn:
            if filters["flow"] is not None:
                related.append(f"cadenza.flow.{filters['flow']}")
            if filters["deployment"] is not None:
                found = deployments.read_deployment(conn, filters["deployment"])
                related.append(f"cadenza.deployment.{found['id']}")
            where = event_stream.EventFilter(
                prefixes=filters["event"], resources=filters["resource"], related=related,
                since=filters["since"], until=filters["until"],
            )  # fmt: skip
            after = None if cursor is None else event_stream.Cursor.parse(cursor)
            page, next_cursor = event_stream.read(conn, where, filters["limit"], after=after)
        return {"events": [e.event for e in page], "cursor": str(next_cursor)}


@contextlib.contextmanager
def _reader() -> Iterator[Reader]:
    """The function that reads one page: the server's (`CADENZA_API_URL`), or the record's."""
    if api_url():
        # lazily: httpx loads only when a server is configured
        from cadenza.cli._common import open_api

        with open_api() as client:
            yield lambda **f: client.read_events(**{k: v for k, v in f.items() if v})
        return
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.exceptions import StoreError

    try:
        reader = _Embedded()
    except StoreError as exc:
        die(str(exc))
    try:
        yield reader
    except LookupError as exc:
        die(str(exc.args[0] if exc.args else exc))
    finally:
        reader.db.close()


__all__ = ["events"]
