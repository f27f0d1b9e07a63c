"""``cadenza runs watch RUN_ID``: follow a flow run until it ends.

Reads the run's summary (its state and the count of its task runs by state type) from the
embedded record, or from the server when ``CADENZA_API_URL`` is set, every ``--interval``
seconds, and prints a line whenever the state or the counts change — plain lines, so that it
reads the same in a pipe or a CI log. Exit status: 0 when the run ends Completed, 1 when it ends
in another final state (Failed, Crashed, Cancelled) or cannot be read, 124 when ``--timeout``
passes first.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import click

from cadenza.cli._common import api_url, open_api, open_record

FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
TIMED_OUT = 124


def counts_text(counts: dict[str, Any]) -> str:
    """``12 task runs: 9 completed, 2 running, 1 failed`` from a summary's ``counts``."""
    total = counts.get("task_runs", 0)
    by_state = counts.get("task_runs_by_state") or {}
    parts = [f"{n} {state.lower()}" for state, n in sorted(by_state.items(), key=lambda kv: -kv[1])]
    noun = "task run" if total == 1 else "task runs"
    return f"{total} {noun}" + (f": {', '.join(parts)}" if parts else "")


@contextlib.contextmanager
def _reader(ref: str) -> Iterator[Callable[[str], dict[str, Any]]]:
    """A function reading the summary of a run (by id, unique prefix or ``latest``)."""
    if api_url():
        with open_api() as client:
            yield client.get_flow_run
        return
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.store.queries import flow_run_summary, resolve_flow_run_id

    with open_record() as conn:
        yield lambda r: flow_run_summary(conn, resolve_flow_run_id(conn, r))


@click.command("watch")
@click.argument("run_id")
@click.option("--interval", type=click.FloatRange(min=0.05), default=1.0, show_default=True,
              help="Seconds between looks at the run.")  # fmt: skip
@click.option("--timeout", type=click.FloatRange(min=0), default=None,
              help="Give up after this many seconds (exit 124).")  # fmt: skip
def watch(run_id: str, interval: float, timeout: float | None) -> None:
    """Follow a flow run until it ends: print its state changes and task-run counts.

    RUN_ID is a full id, a unique prefix of one, or `latest`. Exits 0 if the run ends
    Completed, 1 if it ends in another final state, 124 if --timeout passes first.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    with _reader(run_id) as read:
        run = read(run_id)
        full_id = run["id"]
        click.echo(f"Watching flow run {full_id} ({run['flow_name']} / {run['name']})")
        last: tuple[Any, ...] | None = None
        while True:
            state = run.get("state") or {}
            counts = run.get("counts") or {}
            shown = (state.get("type"), state.get("name"), counts_text(counts))
            if shown != last:
                stamp = time.strftime("%H:%M:%S")
                click.echo(f"{stamp}  {state.get('name') or '-':<10}  {shown[2]}")
                last = shown
            if state.get("type") in FINAL:
                message = f": {state['message']}" if state.get("message") else ""
                click.echo(f"Flow run {full_id} ended {state.get('name')}{message}")
                raise click.exceptions.Exit(0 if state.get("type") == "COMPLETED" else 1)
            if deadline is not None and time.monotonic() >= deadline:
                click.echo(f"Still {state.get('name')} after {timeout:g} s; stopped watching.")
                raise click.exceptions.Exit(TIMED_OUT)
            time.sleep(interval)
            run = read(full_id)


__all__ = ["FINAL", "TIMED_OUT", "counts_text", "watch"]
