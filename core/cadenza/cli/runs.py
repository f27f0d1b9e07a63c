"""``cadenza runs``: list and inspect recorded flow runs (``ls``, ``show``, ``logs``), run a
failed one again (``resume``), and steer them: ``cancel``, ``resume-paused``, ``delete``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from cadenza.cli._common import (
    api_url,
    die,
    json_object,
    name_value,
    open_api,
    open_record,
    wide_option,
)
from cadenza.cli.runs_delete import delete
from cadenza.cli.runs_watch import watch


def emit_json(data: Any) -> None:
    """Print `data` as the ``--json`` forms do (`cadenza.cli.formatting.emit_json`)."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.cli.jsonout import emit_json as emit

    emit(data)


@click.group()
def runs() -> None:
    """List, inspect, cancel, resume and delete flow runs.

    RUN_ID arguments accept a full id, a unique prefix of one, or `latest`.
    """


runs.add_command(delete)
runs.add_command(watch)


@runs.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list (stable format).")
@wide_option
@click.option("--limit", "-n", type=click.IntRange(min=1), default=20, show_default=True,
              help="Show at most this many runs, newest first.")  # fmt: skip
@click.option("--state", "state", metavar="TYPE",
              help="Only runs in this state type (e.g. COMPLETED, failed).")  # fmt: skip
@click.option("--flow", "flow_name", metavar="NAME",
              help="Only runs of this flow (case and - or _ do not count).")  # fmt: skip
@click.option("--deployment", metavar="FLOW/NAME",
              help="Only runs of this deployment (its flow/name or id).")  # fmt: skip
def ls(
    as_json: bool,
    wide: bool,
    limit: int,
    state: str | None,
    flow_name: str | None,
    deployment: str | None,
) -> None:
    """List flow runs, newest first."""
    filters = {"limit": limit, "state": state, "deployment": deployment}
    if api_url():
        with open_api() as client:
            items = _runs_of_flows(
                lambda **f: client.list_flow_runs(**filters, **f), flow_name,
                lambda: [f["name"] for f in client.list_flows()], limit,
            )  # fmt: skip
    else:
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.store.queries import list_flow_runs

        with open_record() as conn:
            items = _runs_of_flows(
                lambda **f: list_flow_runs(conn, **filters, **f),
                flow_name,
                lambda: [r[0] for r in conn.execute("SELECT DISTINCT flow_name FROM flow_runs")],
                limit,
            )
    if as_json:
        emit_json(items)
        return
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.cli.formatting import console, output_width
    from cadenza.cli.render import flow_runs_table

    if not items:
        filtered = state or flow_name or deployment
        click.echo("No matching runs." if filtered else "No flow runs recorded.")
        return
    width = None if wide else output_width()
    console(width).print(flow_runs_table(items, width=width))


def flow_key(name: str) -> str:
    """A flow name as `runs ls --flow` compares it: case and ``-`` versus ``_`` do not count."""
    return name.casefold().replace("_", "-")


def _runs_of_flows(
    read: Callable[..., list[dict[str, Any]]],
    flow_name: str | None,
    flow_names: Callable[[], list[str]],
    limit: int,
) -> list[dict[str, Any]]:
    """`read()` filtered on `flow_name`, or on the flows whose name is it but for case and
    ``-``/``_``; an error listing the recorded flows when no flow has such a name."""
    if flow_name is None:
        return read()
    items = read(flow_name=flow_name)
    if items:
        return items
    names = sorted(set(flow_names()))
    if flow_name in names:
        return items
    matching = [n for n in names if flow_key(n) == flow_key(flow_name)]
    if not matching:
        listed = ", ".join(names) if names else "none recorded"
        die(f"No flow named {flow_name!r}; flows: {listed}")
    found = [run for name in matching for run in read(flow_name=name)]
    found.sort(key=lambda run: run["created"], reverse=True)
    return found[:limit]


@runs.command("show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the full run as JSON (stable format).")
@wide_option
def show(run_id: str, as_json: bool, wide: bool) -> None:
    """Show one flow run: its task runs, state transitions, subflows and logs."""
    if api_url():
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.client.pages import read_flow_run

        with open_api() as client:
            run = read_flow_run(client, run_id)
    else:
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.store.queries import get_flow_run, resolve_flow_run_id

        with open_record() as conn:
            run = get_flow_run(conn, resolve_flow_run_id(conn, run_id))
    if as_json:
        emit_json(run)
        return
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.cli.formatting import console, output_width
    from cadenza.cli.render import print_flow_run

    width = None if wide else output_width()
    print_flow_run(console(width), run, width)


@runs.command("logs")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON list of the lines, as `runs show --json`'s logs[].")  # fmt: skip
def logs(run_id: str, as_json: bool) -> None:
    """Print a flow run's log lines: time | level | logger/run - message."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.cli.formatting import log_line

    out = _JsonList() if as_json else None

    def emit(line: dict[str, Any], full_id: str) -> None:
        if out is not None:
            out.add(line)
        else:
            click.echo(log_line(line, full_id))

    if api_url():
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.client.pages import log_pages

        with open_api() as client:
            full_id = client.get_flow_run(run_id)["id"]
            for lines in log_pages(client, full_id):  # page by page: bounded memory
                for line in lines:
                    emit(line, full_id)
    else:
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.store.queries import get_logs, resolve_flow_run_id

        with open_record() as conn:
            full_id = resolve_flow_run_id(conn, run_id)
            lines = get_logs(conn, full_id)
        for line in lines:
            emit(line, full_id)
    if out is not None:
        out.close()


class _JsonList:
    """A JSON array printed an element at a time (a run's logs need not fit in memory)."""

    def __init__(self) -> None:
        self.count = 0

    def add(self, item: Any) -> None:
        click.echo(("[\n  " if not self.count else ",\n  ") + json.dumps(item, default=str),
                   nl=False)  # fmt: skip
        self.count += 1

    def close(self) -> None:
        click.echo("\n]" if self.count else "[]")


@runs.command("resume")
@click.argument("run_id")
def resume(run_id: str) -> None:
    """Run a failed or crashed flow run again, reusing the results of task calls that completed.

    The new run gets the old run's parameters; task calls are matched to the old run's by task
    and call order, and those that completed with a persisted result are not run again. Exit
    status 0 when the new run completes, 1 otherwise.
    """
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.engine.resume import resume_flow_run

    try:
        state = resume_flow_run(run_id)
    except (LookupError, ValueError) as exc:
        die(str(exc.args[0]) if exc.args else str(exc))
    new_id = state.state_details.flow_run_id
    click.echo(f"Flow run {new_id} (resuming {run_id}) finished in state {state.name}")
    if state.message:
        click.echo(f"  {state.message}")
    raise SystemExit(0 if state.is_completed() else 1)


__all__ = ["logs", "ls", "resume", "runs", "show"]


@runs.command("cancel")
@click.argument("run_ids", nargs=-1, required=True, metavar="RUN_ID...")
@click.option("--reason", help="Why: kept in the Cancelling and Cancelled states' messages.")
@click.option("--wait", is_flag=True, help="Wait until each run has ended (exit 1 if not).")
@click.option("--timeout", type=click.FloatRange(min=0), default=None,
              help="With --wait: seconds to wait at most (default: grace + 10).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def cancel(
    run_ids: tuple[str, ...], reason: str | None, wait: bool, timeout: float | None, as_json: bool
) -> None:
    """Cancel flow runs and their active subflow runs.

    A run a process is running goes Cancelling: that process sees it within a second, stops
    its task runs, runs its on_cancellation hooks and reports Cancelled (if it does not within
    CADENZA_CANCELLATION_GRACE seconds, its worker kills it and it is marked Cancelled). A
    run nothing runs yet (Scheduled, unclaimed, suspended) is Cancelled at once and never
    starts. Exit status 1 if a run had already ended.
    """
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.cli.run_control import cancel_runs

    cancel_runs(run_ids, reason, wait, timeout, as_json)


@runs.command("resume-paused")
@click.argument("run_id")
@click.option("--input", "inputs", multiple=True, metavar="NAME=VALUE",
              help="A field of the input the run waits for; VALUE is read as JSON when it "
              "parses (5, true, [1, 2], \"x\"), else as a string. Repeatable.")  # fmt: skip
@click.option("--input-json", metavar="JSON",
              help="The input as a JSON object (--input fields override its keys).")  # fmt: skip
def resume_paused(run_id: str, inputs: tuple[str, ...], input_json: str | None) -> None:
    """Resume a paused or suspended flow run (`pause_flow_run`, `suspend_flow_run`).

    A paused run goes on in the process that waits for it; a suspended run is scheduled again
    and a worker runs it. Input that does not fit what the run waits for is refused, each
    field named, and the run stays paused (exit status 2). Not paused, or its pause timed
    out: exit status 1. (`cadenza runs resume` is another thing: it runs a failed run again.)
    """
    run_input: dict[str, Any] | None = None
    if input_json is not None:
        run_input = json_object(input_json, "--input-json")
    for text in inputs:
        name, value = name_value(text, "--input")
        run_input = {**(run_input or {}), name: value}
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.cli._common import clear_errors
    from cadenza.input.records import open_record

    with clear_errors(), open_record() as record:
        answer = record.resume(record.resolve(run_id), run_input)
    state = answer["state"]
    then = "it goes on" if state["type"] == "RUNNING" else "a worker runs it again"
    click.echo(f"Flow run {answer['id']} resumed: {state['name']} ({then})")
