"""``cadenza runs cancel``: ask flow runs to stop, on a server or in the embedded record.

The command moves each run (and its active subflow runs) to Cancelling — Cancelled at once when
nothing runs it yet — and, with ``--wait``, waits until each has ended. On the embedded record it
also ends, as Cancelled, the runs left Cancelling longer than ``CADENZA_CANCELLATION_GRACE``
whose process never acknowledged (the server's reaper does that on a server).
"""

from __future__ import annotations

import json
import time
from typing import Any

import click

from cadenza.cli._common import api_url, open_api, open_record
from cadenza.settings import spec
from cadenza.store import run_control, urls
from cadenza.store.queries import resolve_flow_run_id
from cadenza.store.sql import SqlDatabase

_FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


def cancel_runs(refs: tuple[str, ...], reason: str | None, wait: bool, timeout: float | None,
                as_json: bool) -> None:  # fmt: skip
    if api_url():
        with open_api() as client:
            ids = [client.get_flow_run(ref)["id"] for ref in refs]
            answers = [client.cancel_flow_run(rid, reason) for rid in ids]
            ended = _wait(lambda: _server_states(client, ids), ids, wait, timeout)
    else:
        with open_record() as conn:
            ids = [resolve_flow_run_id(conn, ref) for ref in refs]
        db = SqlDatabase(urls.default_database_url())
        try:
            grace = spec.get("CADENZA_CANCELLATION_GRACE")
            run_control.expire_cancellations(db, grace)
            answers = [run_control.cancel_flow_run(db, rid, reason) for rid in ids]

            def states() -> dict[str, Any]:
                run_control.expire_cancellations(db, grace)
                return run_control.flow_run_states(db, ids)

            ended = _wait(states, ids, wait, timeout)
        finally:
            db.close()
    _report(answers, ended, as_json)
    if any(a["final"] for a in answers) or (wait and ended is not None and len(ended) < len(ids)):
        raise click.exceptions.Exit(1)


def _server_states(client: Any, ids: list[str]) -> dict[str, Any]:
    states = client.read_flow_run_states(ids)["states"]
    return {rid: (s["type"], s["name"]) for rid, s in states.items()}


def _wait(read: Any, ids: list[str], wait: bool, timeout: float | None) -> dict[str, Any] | None:
    """With `wait`: poll until every run is final (or `timeout`); the final ones' states."""
    if not wait:
        return None
    limit = timeout if timeout is not None else spec.get("CADENZA_CANCELLATION_GRACE") + 10
    deadline = time.monotonic() + limit
    while True:
        states = read()
        ended = {rid: st for rid, st in states.items() if st[0] in _FINAL}
        if len(ended) == len(ids) or time.monotonic() >= deadline:
            return ended
        time.sleep(0.1)


def _report(answers: list[dict[str, Any]], ended: dict[str, Any] | None, as_json: bool) -> None:
    if as_json:
        for answer in answers:
            if ended is not None and answer["id"] in ended:
                answer["ended"] = {"type": ended[answer["id"]][0], "name": ended[answer["id"]][1]}
        click.echo(json.dumps(answers if len(answers) > 1 else answers[0], indent=2))
        return
    for answer in answers:
        rid, before = answer["id"], answer["state"]
        if answer["final"]:
            click.echo(f"Flow run {rid} had already ended ({before['name']}); nothing to cancel.",
                       err=True)  # fmt: skip
            continue
        if rid in answer["cancelled"]:
            click.echo(f"Flow run {rid}: Cancelled (nothing was running it yet).")
        else:
            click.echo(f"Flow run {rid}: Cancelling; the process running it stops it.")
        others = [i for i in answer["cancelling"] + answer["cancelled"] if i != rid]
        if others:
            click.echo(f"  and {len(others)} subflow run(s) with it")
        if ended is not None:
            if rid in ended:
                click.echo(f"  ended {ended[rid][1]}")
            else:
                click.echo("  not ended yet (--timeout passed)", err=True)


__all__ = ["cancel_runs"]
