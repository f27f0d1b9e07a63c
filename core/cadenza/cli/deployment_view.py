"""How ``cadenza deployments`` describes a deployment: its schedules in a few words, when they
next fire, and the whole of ``deployments show`` as a terminal page."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from cadenza.cli.jsonout import iso_utc


def schedule_summary(item: dict[str, Any]) -> str:
    """One schedule of a deployment in a few words: ``cron 0 9 * * * (UTC)``, ``every 60s``,
    ``rrule FREQ=DAILY (UTC)``; ``(inactive)`` appended when it is not active."""
    spec = item.get("schedule", item)
    if "cron" in spec:
        text = f"cron {spec['cron']} ({spec.get('timezone') or 'UTC'})"
    elif "interval" in spec:
        seconds = float(spec["interval"])
        text = f"every {seconds:g}s"
        if seconds >= 3600 and seconds % 3600 == 0:
            text = f"every {seconds / 3600:g}h"
        elif seconds >= 60 and seconds % 60 == 0 and seconds != 60:
            text = f"every {seconds / 60:g}m"
        zone = spec.get("timezone")
        if zone and zone != "UTC":
            text += f" ({zone})"
    elif "rrule" in spec:
        text = f"rrule {spec['rrule']} ({spec.get('timezone') or 'UTC'})"
    else:
        text = json.dumps(spec, sort_keys=True)
    if not item.get("active", True):
        text += " (inactive)"
    return text


def next_run_time(deployment: dict[str, Any], now: datetime | None = None) -> datetime | None:
    """When the deployment's active schedules next fire (None when paused or unscheduled)."""
    # lazily: croniter/dateutil load only when a schedule is evaluated
    from cadenza.schedules import schedule_from_dict

    if deployment.get("paused"):
        return None
    now = now or datetime.now(timezone.utc)
    times = []
    for item in deployment.get("schedules") or ():
        if item.get("active", True):
            times += schedule_from_dict(item["schedule"]).next_times(now, n=1)
    return min(times) if times else None


def local(value: Any) -> str:
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.cli.formatting import local_time

    return local_time(iso_utc(value), millis=False)


def print_deployment(d: dict[str, Any]) -> None:
    """Print deployment `d` (as `deployments show --json` gives it): its settings, schedules,
    next scheduled runs and last runs, the tables fitted to the terminal."""
    # lazily: rich loads when a deployment is printed, not for `cadenza --help`
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    from cadenza.cli.formatting import Column, fit_table, output_width
    from cadenza.cli.formatting import console as fitted_console
    from cadenza.cli.ids import short_ids
    from cadenza.cli.render import flow_runs_table, state_text

    console = fitted_console(output_width())
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    source = d.get("source")
    rows: list[tuple[str, Any]] = [
        ("ID", d["id"]),
        ("Flow", d["flow_name"]),
        ("Entrypoint", d.get("entrypoint") or "-"),
        ("Source", json.dumps(source)) if source else ("Path", d.get("path") or "-"),
        ("Description", d.get("description") or "-"),
        ("Version", d.get("version") or "-"),
        ("Tags", ", ".join(d.get("tags") or []) or "-"),
        ("Paused", "yes" if d["paused"] else "no"),
        ("Work pool", d.get("work_pool_name") or "-"),
        ("Work queue", d.get("work_queue_name") or "-"),
        ("Concurrency", str(d["concurrency_limit"]) if d.get("concurrency_limit") else "-"),
        ("Catch-up", "yes" if d.get("catchup") else "no"),
        ("Late after", f"{d.get('late_after', 15.0):g}s"),
        ("Parameters", json.dumps(d.get("parameters") or {}, default=str)),
        ("Job variables", json.dumps(d.get("job_variables") or {}, default=str)),
        ("Next run", local(d["next_run_time"]) if d.get("next_run_time") else "-"),
    ]
    for label, value in rows:
        grid.add_row(label, Text(str(value)))
    console.print(Panel(grid, title=Text(f"Deployment {d['full_name']}"), expand=False))
    width = output_width()
    if d["schedules"]:
        columns = (
            Column("SCHEDULE", min_width=20),
            Column("ACTIVE", min_width=6),
            Column("PARAMETERS", priority=1, min_width=12),
        )
        rows = [
            (Text(schedule_summary({**s, "active": True})), "yes" if s["active"] else "no",
             Text(json.dumps(s.get("parameters") or {})))
            for s in d["schedules"]
        ]  # fmt: skip
        console.print(fit_table(columns, rows, width=width, title="Schedules"))
    else:
        console.print(Text("No schedules.", style="dim"))
    if d["upcoming_runs"]:
        ids = short_ids(run["id"] for run in d["upcoming_runs"])
        columns = (
            Column("ID", min_width=36),
            Column("NAME", min_width=10),
            Column("STATE", min_width=9),
            Column("DUE", priority=1, min_width=19),
        )
        rows = [
            (ids[run["id"]], Text(run["name"]), state_text(run["state"]),
             local(run["expected_start_time"]))
            for run in d["upcoming_runs"]
        ]  # fmt: skip
        console.print(fit_table(columns, rows, width=width, title="Next scheduled runs"))
    else:
        console.print(Text("No scheduled runs.", style="dim"))
    if d["recent_runs"]:
        console.print(flow_runs_table(d["recent_runs"], title="Last runs", width=width))
    else:
        console.print(Text("No runs yet.", style="dim"))


__all__ = ["local", "next_run_time", "print_deployment", "schedule_summary"]
