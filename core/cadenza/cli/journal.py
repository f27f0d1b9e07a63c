"""``cadenza journal ls | flush``: what runs recorded while the server was unreachable.

While ``CADENZA_API_URL``'s server cannot be reached, a process records its runs to a journal in
``$CADENZA_HOME/spool`` (`cadenza.client.spool`) and replays it when the server answers again —
or the next process for that server does. ``ls`` shows what waits; ``flush`` sends it now.
"""

from __future__ import annotations

import json
from typing import Any

import click

from cadenza.cli._common import api_url, die, plain_table, wide_option


def _kinds_text(kinds: dict[str, int]) -> str:
    return ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in kinds.items()) or "-"


@click.group("journal")
def journal() -> None:
    """Show and send the runs recorded while the server was unreachable."""


@journal.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@wide_option
def ls(as_json: bool, wide: bool) -> None:
    """What waits in the journal: records per kind, the oldest, each file and its server."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.client.spool import server_tag
    from cadenza.client.waiting import iso, records_phrase, waiting

    url = api_url()
    tag = server_tag(url) if url else None
    found = waiting()
    if as_json:
        data: dict[str, Any] = {
            "path": str(found.directory),
            "records": found.records,
            "entries": found.entries,
            "oldest": iso(found.oldest),
            "kinds": found.kinds,
            "server": url,
            "files": [
                {
                    "path": str(f.path),
                    "server_tag": f.tag,
                    "for_server": f.tag == tag,
                    "pid": f.pid,
                    "writing": f.writing,
                    "records": f.records,
                    "entries": f.entries,
                    "kinds": {k: f.kinds[k] for k in found.kinds if f.kinds.get(k)},
                    "oldest": iso(f.oldest),
                    "unreadable": f.unreadable,
                }
                for f in found.files
            ],
        }
        click.echo(json.dumps(data, indent=2))
        return
    if not found.files:
        click.echo(f"Nothing waits in the journal ({found.directory}).")
        return
    click.echo(
        f"{records_phrase(found.records)} wait in the journal {found.directory} "
        f"(oldest {iso(found.oldest)}): {_kinds_text(found.kinds)}"
    )
    rows: list[tuple[str, ...]] = []
    for f in found.files:
        server = "CADENZA_API_URL" if f.tag == tag else f"other ({f.tag})"
        state = f"written by pid {f.pid}" if f.writing else "waiting"
        rows.append((f.path.name, server, str(f.records), iso(f.oldest) or "-", state))
    plain_table(rows, ("FILE", "SERVER", "RECORDS", "OLDEST", "STATE"), wide=wide)
    if any(f.unreadable for f in found.files):
        click.echo("Some lines cannot be read; a flush keeps them aside (`cadenza db doctor`).")
    if url is None:
        click.echo(
            "Set CADENZA_API_URL to the server they are for and run `cadenza journal flush`."
        )


@journal.command("flush")
def flush() -> None:
    """Send what waits in the journal to the server (CADENZA_API_URL) now.

    Reports the records sent, those the server refused (kept aside with its reason in the
    dead-letter file, shown by `cadenza db doctor`: never dropped) and those still waiting.
    Exits 1 when the server is unreachable or refused records, 0 otherwise.
    """
    # lazily: httpx and the backend load only for this command
    from cadenza import deadletter
    from cadenza.backends.http import HttpBackend
    from cadenza.client.errors import ServerUnavailable
    from cadenza.client.http import client_from_settings
    from cadenza.client.spool import Spool, server_tag
    from cadenza.client.waiting import records_phrase, waiting
    from cadenza.exceptions import ServerIncompatible

    url = api_url()
    if url is None:
        die("CADENZA_API_URL is not set: set it to the server the journal is for")
    tag = server_tag(url)
    before = waiting(tag=tag)
    others = waiting().records - before.records
    elsewhere = f" ({records_phrase(others)} wait for other servers)" if others else ""
    if not before.files:
        click.echo(f"Nothing waits in the journal for {url}{elsewhere}.")
        return
    home = before.directory.parent
    letters_before = len(deadletter.read_dead_letters(home))
    client = client_from_settings(retry_time=2.0)
    try:
        client.check_version(retry=False)
    except (ServerUnavailable, ServerIncompatible) as exc:
        client.close()
        die(
            f"The cadenza server at {url} is unreachable ({exc}): {records_phrase(before.records)} "
            f"wait in the journal {before.directory}"
        )
    backend = HttpBackend(client, spool=Spool(before.directory))  # replays the journals
    backend.close()
    after = waiting(tag=tag)
    set_aside = len(deadletter.read_dead_letters(home)) - letters_before
    sent = max(0, before.records - after.records - set_aside)
    writing = [f for f in after.files if f.writing]
    left = after.records - sum(f.records for f in writing)
    click.echo(f"Sent {records_phrase(sent)} to {url}; failed: {set_aside}.")
    if set_aside:
        path = deadletter.dead_letter_path(home)
        click.echo(f"{records_phrase(set_aside)} refused by the server, kept aside in {path} "
                   "(`cadenza db doctor` shows them with the reason).")  # fmt: skip
    for f in writing:
        click.echo(f"{records_phrase(f.records)} wait in {f.path}, which process {f.pid} is "
                   "still writing: it sends them itself, or a flush after it exits.")  # fmt: skip
    if left:
        click.echo(f"{records_phrase(left)} still wait in the journal {after.directory}.")
    if elsewhere:
        click.echo(f"Not sent{elsewhere}.")
    if set_aside or left:
        raise click.exceptions.Exit(1)


__all__ = ["journal"]
