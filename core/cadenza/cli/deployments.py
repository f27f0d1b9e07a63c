"""``cadenza deployments``: list, show, run, pause, resume and delete deployments.

Every command goes through `cadenza.deployments.api.deployments_api`: the server when
``CADENZA_API_URL`` is set, else the embedded record. A deployment is named ``flow/name`` (or by
its id). An unknown deployment is a one-line error naming it (exit 1); parameters the flow does
not take are refused (exit 2).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import click

from cadenza.cli._common import USAGE_ERROR, die, json_object, name_value, wide_option
from cadenza.cli.deployment_view import (
    local,
    next_run_time,
    print_deployment,
    schedule_summary,
)
from cadenza.cli.jsonout import iso_utc

FINAL_STATES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})
"""State types at which ``deployments run --watch`` stops watching."""
UPCOMING_SHOWN = 5
"""Scheduled runs (soonest first) and past runs (newest first) that ``show`` lists."""
_RECENT_SCAN = 200  # newest runs read to find the last ones that are no longer Scheduled


def _emit_raw_json(data: Any) -> None:
    """`deployments run --json`: the run as the API gives it (times in epoch seconds)."""
    click.echo(json.dumps(data, indent=2, default=str))


def _emit_json(data: Any) -> None:
    """The ``ls``/``show`` forms: timestamps in ISO 8601 UTC."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.cli.jsonout import emit_json

    emit_json(data)


@contextlib.contextmanager
def open_deployments() -> Iterator[Any]:
    """The deployments API of this process's record; errors become one-line messages: an unknown
    deployment (or server 404) exits 1, bad input (ValueError, server 422) exits 2, a store or
    server that fails exits 1."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.client.errors import ApiError
    from cadenza.deployments.api import deployments_api
    from cadenza.exceptions import CadenzaError

    api = None
    try:
        api = deployments_api()
        yield api
    except ApiError as exc:
        die(exc.detail, USAGE_ERROR if exc.status == 422 else 1)
    except LookupError as exc:
        die(str(exc.args[0]) if exc.args else str(exc))
    except ValueError as exc:
        die(str(exc), USAGE_ERROR)
    except (CadenzaError, OSError) as exc:
        die(str(exc))
    finally:
        if api is not None:
            api.close()


def _full_ref(api: Any, name: str) -> str:
    """`name` as the API takes it: a ``flow/name`` as given; a deployment's id, or a unique
    prefix or suffix of one, as the full id (LookupError listing the ids it could be)."""
    if "/" in name:
        return name
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.cli.ids import resolve_ref

    return resolve_ref(name, [d["id"] for d in api.list()], "deployment")


def _listed(deployment: dict[str, Any]) -> dict[str, Any]:
    upcoming = next_run_time(deployment)
    return {**deployment, "next_run_time": upcoming.isoformat() if upcoming else None}


@click.group()
def deployments() -> None:
    """List, inspect, run, pause, resume and delete deployments.

    NAME is a deployment's `flow/name` (or its id). Deployments are created with `cadenza
    deploy` (a cadenza.yaml file) or from Python (`flow.serve`, `flow.deploy`).
    """


@deployments.command("ls")
@click.option("--flow", "flow_name", metavar="NAME", help="Only deployments of this flow.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@wide_option
def ls(flow_name: str | None, as_json: bool, wide: bool) -> None:
    """List deployments: name, schedules, paused, work pool, next run time."""
    with open_deployments() as api:
        items = [_listed(d) for d in api.list(flow_name)]
    if as_json:
        _emit_json(items)
        return
    if not items:
        click.echo("No deployments." if flow_name is None else f"No deployments of {flow_name!r}.")
        return
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from rich.text import Text

    from cadenza.cli.formatting import Column, print_table

    rows = [
        (
            Text(d["full_name"]),
            Text(", ".join(schedule_summary(s) for s in d["schedules"]) or "-"),
            "yes" if d["paused"] else "no",
            Text(d.get("work_pool_name") or "-"),
            local(d["next_run_time"]) if d["next_run_time"] else "-",
        )
        for d in items
    ]
    columns = (
        Column("NAME", min_width=20),
        Column("SCHEDULES", priority=2, min_width=16),
        Column("PAUSED", priority=3, min_width=6),
        Column("WORK POOL", priority=4, min_width=10),
        Column("NEXT RUN", priority=1, min_width=19),
    )
    print_table(columns, rows, wide=wide)


def _recent_runs(deployment_id: str, limit: int) -> list[dict[str, Any]]:
    """The deployment's newest runs that are no longer Scheduled (as `runs ls --json`)."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.cli._common import api_url, open_api, open_record

    if api_url():
        with open_api() as client:
            runs = client.list_flow_runs(deployment=deployment_id, limit=_RECENT_SCAN)
    else:
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.store.queries import list_flow_runs

        with open_record() as conn:
            runs = list_flow_runs(conn, deployment=deployment_id, limit=_RECENT_SCAN)
    return [r for r in runs if r["state"]["type"] != "SCHEDULED"][:limit]


def _upcoming_item(run: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": run["id"],
        "name": run["name"],
        "state": {"type": run.get("state_type"), "name": run.get("state_name"),
                  "message": run.get("state_message")},
        "expected_start_time": iso_utc(run.get("expected_start_time")),
        "parameters": run.get("parameters") or {},
        "tags": run.get("tags") or [],
        "auto_scheduled": run.get("auto_scheduled"),
    }  # fmt: skip


@deployments.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the deployment as JSON.")
def show(name: str, as_json: bool) -> None:
    """Show one deployment: its settings, schedules, next scheduled runs and last runs."""
    with open_deployments() as api:
        deployment = _listed(api.read(_full_ref(api, name)))
        upcoming = [_upcoming_item(r) for r in api.upcoming_runs(deployment["id"], UPCOMING_SHOWN)]
    deployment["upcoming_runs"] = upcoming
    deployment["recent_runs"] = _recent_runs(deployment["id"], UPCOMING_SHOWN)
    if as_json:
        _emit_json(deployment)
        return
    print_deployment(deployment)


def parse_param(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` of ``--param`` → (name, value) (`cadenza.cli._common.name_value`)."""
    return name_value(text, "--param")


def _scheduled_time(start_in: float | None, start_at: str | None) -> float | None:
    if start_in is not None and start_at is not None:
        raise click.UsageError("give --start-in or --start-at, not both")
    if start_in is not None:
        return time.time() + start_in
    if start_at is not None:
        try:
            moment = datetime.fromisoformat(start_at)
        except ValueError:
            raise click.BadParameter(
                f"{start_at!r} is not an ISO 8601 time (e.g. 2026-05-01T09:00 or "
                "2026-05-01T09:00:00+00:00)", param_hint="--start-at",
            ) from None  # fmt: skip
        if moment.tzinfo is None:
            moment = moment.astimezone()  # a naive time is local time
        return moment.timestamp()
    return None


@deployments.command("run")
@click.argument("name")
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter (JSON value when it parses, else a string); repeatable.",
)
@click.option(
    "--params",
    "params_json",
    metavar="JSON",
    help="Parameters as a JSON object (--param values override its keys).",
)
@click.option(
    "--tag",
    "-t",
    "tags",
    multiple=True,
    metavar="TAG",
    help="A tag for the run (added to the deployment's); repeatable.",
)
@click.option(
    "--start-in",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Schedule the run this many seconds from now.",
)
@click.option(
    "--start-at",
    metavar="ISO",
    help="Schedule the run at this time (ISO 8601; without an offset: local time).",
)
@click.option("--name", "run_name", metavar="NAME", help="The run's name (default: generated).")
@click.option(
    "--watch",
    is_flag=True,
    help="Wait for the run to end, printing its states; exit 0 if it completed.",
)
@click.option("--poll-interval", type=click.FloatRange(min=0.01), default=2.0, hidden=True)
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
def run(
    name: str, params: tuple[str, ...], params_json: str | None, tags: tuple[str, ...],
    start_in: float | None, start_at: str | None, run_name: str | None, watch: bool,
    poll_interval: float, as_json: bool,
) -> None:  # fmt: skip
    """Create a run of a deployment (Scheduled, now or at --start-in/--start-at).

    A worker or `serve` process for the deployment picks it up and runs it. With --watch the
    command waits until the run ends: exit 0 if it completed, 1 otherwise.
    """
    parameters: dict[str, Any] = {}
    if params_json is not None:
        parameters = json_object(params_json, "--params")
    parameters.update(parse_param(p) for p in params)
    scheduled_time = _scheduled_time(start_in, start_at)
    with open_deployments() as api:
        deployment = api.read(_full_ref(api, name))
        flow_run = api.create_flow_run(
            deployment["id"], parameters=parameters, tags=list(tags),
            scheduled_time=scheduled_time, name=run_name,
        )  # fmt: skip
        if not watch:
            _report_created(deployment, flow_run, as_json)
            return
        if not as_json:
            _report_created(deployment, flow_run, False)
        final = watch_run(api, flow_run["id"], poll_interval, echo=not as_json)
    if as_json:
        _emit_raw_json(final)
    raise SystemExit(0 if final.get("state_type") == "COMPLETED" else 1)


def _report_created(deployment: dict[str, Any], flow_run: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _emit_raw_json(flow_run)
        return
    due = flow_run.get("expected_start_time")
    click.echo(
        f"Created flow run {flow_run['name']!r} ({flow_run['id']}) of {deployment['full_name']}, "
        f"{flow_run.get('state_name') or 'Scheduled'} for {local(due) if due else 'now'}."
    )
    click.echo(f"  Parameters: {json.dumps(flow_run.get('parameters') or {}, default=str)}")
    if not deployment.get("work_pool_name"):
        where = "a `serve` process for it"
    else:
        where = f"a worker of the pool {deployment['work_pool_name']!r}"
    click.echo(f"  It runs when {where} picks it up; see it with: "
               f"cadenza runs show {flow_run['id']}")  # fmt: skip


def watch_run(api: Any, run_id: str, interval: float, echo: bool = True) -> dict[str, Any]:
    """Poll the run's state until it is final, printing each state it reaches (with its
    message); the last reading of the run."""
    seen: tuple[Any, Any] | None = None
    while True:
        flow_run = api.read_flow_run(run_id)
        state = (flow_run.get("state_type"), flow_run.get("state_name"))
        if state != seen:
            seen = state
            if echo:
                message = flow_run.get("state_message")
                stamp = datetime.now().strftime("%H:%M:%S")
                click.echo(f"{stamp}  {state[1] or state[0]}" + (f": {message}" if message else ""))
        if state[0] in FINAL_STATES:
            return flow_run
        time.sleep(interval)


@deployments.command("pause")
@click.argument("name")
def pause(name: str) -> None:
    """Pause a deployment: its schedules stop making runs, and the runs they made that have not
    started are removed."""
    with open_deployments() as api:
        deployment = api.pause(_full_ref(api, name))
    click.echo(f"Paused deployment {deployment['full_name']}.")


@deployments.command("resume")
@click.argument("name")
def resume(name: str) -> None:
    """Resume a paused deployment: its schedules make runs again."""
    with open_deployments() as api:
        deployment = api.resume(_full_ref(api, name))
    click.echo(f"Resumed deployment {deployment['full_name']}.")


@deployments.command("delete")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def delete(name: str, yes: bool) -> None:
    """Delete a deployment, its schedules and its runs that have not started (runs that started
    keep their record)."""
    with open_deployments() as api:
        deployment = api.read(_full_ref(api, name))
        if not yes and not click.confirm(
            f"Delete deployment {deployment['full_name']} and its scheduled runs?"
        ):
            die("Not deleted.")
        api.delete(deployment["id"])
    click.echo(f"Deleted deployment {deployment['full_name']}.")


__all__ = [
    "FINAL_STATES",
    "UPCOMING_SHOWN",
    "delete",
    "deployments",
    "ls",
    "next_run_time",
    "open_deployments",
    "parse_param",
    "pause",
    "resume",
    "run",
    "schedule_summary",
    "show",
    "watch_run",
]
