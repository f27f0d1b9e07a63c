"""``cadenza work-pools`` and ``cadenza work-queues``: the pools workers serve, on the server
(``CADENZA_API_URL``).

Errors are one line on stderr: no server, an unknown pool or queue (exit 1), a pool that exists
without ``--overwrite`` or a bad value (exit 2).
"""

from __future__ import annotations

import contextlib
from typing import Any

import click

from cadenza.cli._common import server_only, wide_option
from cadenza.cli.jsonout import emit_json


def server() -> contextlib.AbstractContextManager[Any]:
    return server_only("Work pools")


def _echo_json(value: Any) -> None:
    emit_json(value)


def _when(ts: Any) -> str:
    # lazily: datetime only for a listing that shows times
    from cadenza.cli._common import when

    return when(ts)


def _limit(value: Any) -> str:
    return "-" if value is None else str(value)


@click.group("work-pools")
def work_pools() -> None:
    """Create, list, inspect, pause and delete work pools (workers serve them)."""


@work_pools.command("create")
@click.argument("name")
@click.option("--type", "type_", default="process", show_default=True, help="The worker type.")
@click.option("--concurrency-limit", type=click.IntRange(min=0), default=None,
              help="At most this many of the pool's runs at once.")  # fmt: skip
@click.option("--description", default=None, help="What the pool is for.")
@click.option("--overwrite", is_flag=True, help="Replace the settings of an existing pool.")
@click.option("--json", "as_json", is_flag=True, help="Print the pool as JSON.")
def create(
    name: str,
    type_: str,
    concurrency_limit: int | None,
    description: str | None,
    overwrite: bool,
    as_json: bool,
) -> None:
    """Create the work pool NAME (with its `default` queue)."""
    with server() as client:
        pool = client.create_work_pool(
            name, type=type_, concurrency_limit=concurrency_limit, description=description,
            overwrite=overwrite or None,
        )  # fmt: skip
    if as_json:
        _echo_json(pool)
    else:
        click.echo(f"Created work pool {name!r} of type {type_!r}")


@work_pools.command("ls")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of pools.")
@wide_option
def ls(as_json: bool, wide: bool) -> None:
    """List work pools: type, concurrency limit, paused, workers online."""
    with server() as client:
        pools = list(client.list_work_pools())
    if as_json:
        _echo_json(pools)
        return
    # lazily: rich loads when a command prints a table, not for `cadenza --help`
    from rich.text import Text

    from cadenza.cli.formatting import Column, print_table

    columns = (
        Column("NAME", min_width=16),
        Column("TYPE", priority=3, min_width=7),
        Column("CONCURRENCY LIMIT", priority=4, min_width=11),
        Column("PAUSED", priority=2, min_width=6),
        Column("WORKERS ONLINE", priority=1, min_width=7),
    )
    rows = []
    for pool in pools:
        workers = pool.get("workers") or []
        online = sum(1 for w in workers if w.get("status") == "ONLINE")
        rows.append((
            Text(pool["name"]), Text(pool.get("type") or "-"),
            _limit(pool.get("concurrency_limit")), "yes" if pool.get("paused") else "no",
            f"{online}/{len(workers)}",
        ))  # fmt: skip
    print_table(columns, rows, wide=wide)


@work_pools.command("inspect")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the pool as JSON.")
def inspect(name: str, as_json: bool) -> None:
    """Show the work pool NAME: its settings, queues and workers."""
    with server() as client:
        pool = dict(client.read_work_pool(name))
        if "workers" not in pool:
            pool["workers"] = list(client.list_workers(name))
    if as_json:
        _echo_json(pool)
        return
    # lazily: rich loads when a command prints a table, not for `cadenza --help`
    from rich.text import Text

    from cadenza.cli.formatting import Column, console, fit_table, output_width

    width = output_width()
    out = console(width)
    out.print(Text(f"{pool['name']}  type {pool.get('type')}"), highlight=False)
    out.print(f"  concurrency limit: {_limit(pool.get('concurrency_limit'))}", highlight=False)
    out.print(f"  paused: {'yes' if pool.get('paused') else 'no'}", highlight=False)
    if pool.get("description"):
        out.print(Text(f"  description: {pool['description']}"))
    queue_columns = (
        Column("NAME", min_width=16),
        Column("PRIORITY", priority=2, min_width=8),
        Column("CONCURRENCY LIMIT", priority=3, min_width=11),
        Column("PAUSED", priority=1, min_width=6),
    )
    queues = [
        (Text(q["name"]), str(q.get("priority")), _limit(q.get("concurrency_limit")),
         "yes" if q.get("paused") else "no")
        for q in pool.get("queues") or []
    ]  # fmt: skip
    out.print(fit_table(queue_columns, queues, width=width, title="Queues"))
    worker_columns = (
        Column("NAME", min_width=16),
        Column("STATUS", min_width=7),
        Column("HOST", priority=2, min_width=12),
        Column("PID", priority=3, min_width=5),
        Column("LAST HEARTBEAT", priority=1, min_width=19),
    )
    workers = [
        (Text(w["name"]), w.get("status") or "-", Text(w.get("hostname") or "-"),
         _limit(w.get("pid")), _when(w.get("last_heartbeat")))
        for w in pool.get("workers") or []
    ]  # fmt: skip
    out.print(fit_table(worker_columns, workers, width=width, title="Workers"))


@work_pools.command("pause")
@click.argument("name")
def pause(name: str) -> None:
    """Pause the work pool NAME: its workers claim nothing until it is resumed."""
    with server() as client:
        client.pause_work_pool(name)
    click.echo(f"Paused work pool {name!r}")


@work_pools.command("resume")
@click.argument("name")
def resume(name: str) -> None:
    """Resume the work pool NAME."""
    with server() as client:
        client.resume_work_pool(name)
    click.echo(f"Resumed work pool {name!r}")


@work_pools.command("delete")
@click.argument("name")
def delete(name: str) -> None:
    """Delete the work pool NAME with its queues and workers (deployments keep naming it)."""
    with server() as client:
        client.delete_work_pool(name)
    click.echo(f"Deleted work pool {name!r}")


@click.group("work-queues")
def work_queues() -> None:
    """Create, pause and resume the queues of a work pool."""


@work_queues.command("create")
@click.argument("name")
@click.option("--pool", required=True, help="The work pool the queue belongs to.")
@click.option("--priority", type=int, default=None,
              help="Lower numbers are served first (default 1).")  # fmt: skip
@click.option("--concurrency-limit", type=click.IntRange(min=0), default=None,
              help="At most this many of the queue's runs at once.")  # fmt: skip
@click.option("--description", default=None, help="What the queue is for.")
def create_queue(
    name: str, pool: str, priority: int | None, concurrency_limit: int | None,
    description: str | None,
) -> None:  # fmt: skip
    """Create the queue NAME in a work pool."""
    with server() as client:
        client.create_work_queue(
            pool, name, priority=priority, concurrency_limit=concurrency_limit,
            description=description,
        )  # fmt: skip
    click.echo(f"Created work queue {name!r} in pool {pool!r}")


@work_queues.command("pause")
@click.argument("name")
@click.option("--pool", required=True, help="The work pool the queue belongs to.")
def pause_queue(name: str, pool: str) -> None:
    """Pause the queue NAME: workers claim none of its runs until it is resumed."""
    with server() as client:
        client.pause_work_queue(pool, name)
    click.echo(f"Paused work queue {name!r} of pool {pool!r}")


@work_queues.command("resume")
@click.argument("name")
@click.option("--pool", required=True, help="The work pool the queue belongs to.")
def resume_queue(name: str, pool: str) -> None:
    """Resume the queue NAME."""
    with server() as client:
        client.resume_work_queue(pool, name)
    click.echo(f"Resumed work queue {name!r} of pool {pool!r}")


__all__ = [
    "create",
    "create_queue",
    "delete",
    "inspect",
    "ls",
    "pause",
    "pause_queue",
    "resume",
    "resume_queue",
    "server",
    "work_pools",
    "work_queues",
]
