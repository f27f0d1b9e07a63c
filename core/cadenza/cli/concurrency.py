"""``cadenza concurrency-limit`` (and its Prefect spelling ``cadenza global-concurrency-limit``):
create, list, inspect, update, reset and delete concurrency limits.

Both groups have the same commands, on the server when ``CADENZA_API_URL`` is set, else on the
embedded record (`cadenza.concurrency._api.slots_api`). ``create NAME --limit N`` makes a global
limit; ``create TAG N`` (Prefect's ``concurrency-limit create TAG LIMIT``) makes the tag limit
``tag:TAG``. The other commands take a limit's name; a NAME that is no limit but whose
``tag:NAME`` is, means that tag limit (so ``inspect etl`` finds ``tag:etl``).

Errors are one line on stderr: an unknown limit or an unreachable record exit 1; a bad value or
a name already taken exit 2.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import click

from cadenza.cli._common import USAGE_ERROR, clear_errors, die, plain_table, wide_option
from cadenza.cli.jsonout import emit_json

TAG_PREFIX = "tag:"


@contextlib.contextmanager
def open_limits() -> Iterator[Any]:
    """The limits of this process's record; errors become one-line messages."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.concurrency._api import slots_api

    with clear_errors():
        yield slots_api()


def _resolved(call: Callable[[str], Any], name: str) -> Any:
    """`call(name)`, or `call("tag:" + name)` when NAME is no limit but that tag limit is."""
    try:
        return call(name)
    except LookupError:
        if name.startswith(TAG_PREFIX):
            raise
        try:
            return call(TAG_PREFIX + name)
        except LookupError:
            pass
        raise


def _echo_json(value: Any) -> None:
    emit_json(value)


def _summary(limit: dict[str, Any]) -> str:
    decay = limit.get("slot_decay_per_second") or 0
    parts = [f"{limit['active_slots']}/{limit['limit']} slots in use"]
    if decay:
        parts.append(f"slot decay {decay:g}/s (a rate limit)")
    if not limit.get("active", True):
        parts.append("inactive")
    return ", ".join(parts)


@click.group("concurrency-limit")
def concurrency_limit() -> None:
    """Create, list, inspect, update, reset and delete concurrency limits (global limits, tag
    limits ``tag:TAG``, rate limits)."""


@click.group("global-concurrency-limit")
def global_concurrency_limit() -> None:
    """The commands of ``cadenza concurrency-limit``, under Prefect's other name."""


@click.command("create", context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.argument("tag_limit", metavar="[LIMIT]", required=False, type=int)
@click.option("--limit", "limit", type=int, default=None,
              help="Slots that may be held at once (0 refuses every acquisition).")  # fmt: skip
@click.option("--slot-decay-per-second", type=float, default=0.0, show_default=True,
              help="Slots freed per second: a rate limit when above 0.")  # fmt: skip
@click.option("--disable", is_flag=True, help="Create the limit inactive (it holds nothing).")
@click.option("--json", "as_json", is_flag=True, help="Print the limit as JSON.")
def create(
    name: str, tag_limit: int | None, limit: int | None, slot_decay_per_second: float,
    disable: bool, as_json: bool,
) -> None:  # fmt: skip
    """Create the limit NAME with --limit N; or, as Prefect's tag form, `create TAG LIMIT`
    creates the tag limit ``tag:TAG`` (at most LIMIT task runs with tag TAG at once)."""
    if (tag_limit is None) == (limit is None):
        die("give the limit once: `create NAME --limit N`, or `create TAG LIMIT` for a tag "
            "limit", USAGE_ERROR)  # fmt: skip
    if tag_limit is not None:
        name, limit = TAG_PREFIX + name, tag_limit
    with open_limits() as api:
        out = api.create(name, limit, not disable, slot_decay_per_second)
    if as_json:
        _echo_json(out)
    else:
        click.echo(f"Created concurrency limit {name!r}: {_summary(out)}")


@click.command("ls")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of limits.")
@wide_option
def ls(as_json: bool, wide: bool) -> None:
    """List concurrency limits: slots in use, limit, slot decay, active."""
    with open_limits() as api:
        limits = api.list_limits()
    if as_json:
        _echo_json(limits)
        return
    rows: list[tuple[str, ...]] = [
        (repr(x["name"])[1:-1], str(x["active_slots"]), str(x["limit"]),
         f"{x['slot_decay_per_second']:g}", "yes" if x["active"] else "no")
        for x in limits
    ]  # fmt: skip
    plain_table(rows, ("NAME", "IN USE", "LIMIT", "DECAY/S", "ACTIVE"), wide=wide)


@click.command("inspect")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the limit and its leases as JSON.")
def inspect(name: str, as_json: bool) -> None:
    """Show the limit NAME: slots in use and who holds them (one lease per holder)."""
    with open_limits() as api:
        limit = _resolved(api.read, name)
    if as_json:
        _echo_json(limit)
        return
    click.echo(f"{limit['name']!r}: {_summary(limit)}")
    now = time.time()
    rows: list[tuple[str, ...]] = []
    for lease in limit.get("leases", []):
        holder = lease.get("holder") or {}
        who = " ".join(f"{k}={v}" for k, v in holder.items() if v is not None)
        kind = "decaying" if lease.get("decaying") else "held"
        rows.append((str(lease["id"]), str(lease["slots"]), kind,
                     f"{max(0.0, lease['expires'] - now):.1f}s", who or "-"))  # fmt: skip
    if rows:
        plain_table(rows, ("LEASE", "SLOTS", "KIND", "EXPIRES IN", "HOLDER"))
    else:
        click.echo("No slots held.")


@click.command("update")
@click.argument("name")
@click.option("--limit", type=int, default=None, help="Slots that may be held at once.")
@click.option("--slot-decay-per-second", type=float, default=None,
              help="Slots freed per second (0: not a rate limit).")  # fmt: skip
@click.option("--enable/--disable", "active", default=None, help="Switch the limit on or off.")
@click.option("--json", "as_json", is_flag=True, help="Print the limit as JSON.")
def update(
    name: str, limit: int | None, slot_decay_per_second: float | None, active: bool | None,
    as_json: bool,
) -> None:  # fmt: skip
    """Change the limit NAME. Slots already held stay held when it is lowered."""
    if limit is None and slot_decay_per_second is None and active is None:
        die("nothing to change: give --limit, --slot-decay-per-second, --enable or --disable",
            USAGE_ERROR)  # fmt: skip
    changes = {"limit": limit, "slot_decay_per_second": slot_decay_per_second, "active": active}
    with open_limits() as api:
        out = _resolved(lambda n: api.update(n, **changes), name)
    if as_json:
        _echo_json(out)
    else:
        click.echo(f"Updated concurrency limit {out['name']!r}: {_summary(out)}")


def _switch(active: bool) -> Callable[[str], None]:
    def switch(name: str) -> None:
        with open_limits() as api:
            out = _resolved(lambda n: api.update(n, active=active), name)
        state = "Enabled" if active else "Disabled"
        click.echo(f"{state} concurrency limit {out['name']!r}")

    return switch


enable = click.command("enable", help="Switch the limit NAME on.")(
    click.argument("name")(_switch(True))
)
disable = click.command("disable", help="Switch the limit NAME off: it holds nothing.")(
    click.argument("name")(_switch(False))
)


@click.command("reset")
@click.argument("name")
def reset(name: str) -> None:
    """Free every slot of the limit NAME (its holders lose their leases)."""
    with open_limits() as api:
        out = _resolved(api.reset, name)
    click.echo(f"Reset concurrency limit {out['name']!r}: every slot is free")


@click.command("delete")
@click.argument("name")
def delete(name: str) -> None:
    """Delete the limit NAME and its leases."""
    with open_limits() as api:
        out = _resolved(api.delete, name)
    click.echo(f"Deleted concurrency limit {out['name']!r}")


for _group in (concurrency_limit, global_concurrency_limit):
    for _command in (create, ls, inspect, update, enable, disable, reset, delete):
        _group.add_command(_command)
    _group.add_command(inspect, "show")


__all__ = [
    "concurrency_limit",
    "create",
    "delete",
    "disable",
    "enable",
    "global_concurrency_limit",
    "inspect",
    "ls",
    "open_limits",
    "reset",
    "update",
]
