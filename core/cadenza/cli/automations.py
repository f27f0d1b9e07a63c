"""``cadenza automations``: create, list, inspect, pause, resume and delete the automations of a
server (``CADENZA_API_URL``); its automation service evaluates them.

``create`` reads an automation from a YAML or JSON file (the shape of
`cadenza.automations.schemas.AutomationCore`), or builds the common ones from flags: a trigger
(``--on EVENT`` with ``--deployment``/``--flow``/``--match``, ``--threshold``, ``--within``;
``--proactive``; ``--running-longer-than``) and actions (``--notify BLOCK``, ``--webhook BLOCK``,
``--cancel``, ``--pause-deployment``, ``--run-deployment``). Errors are one line on stderr: a bad
file or flag exits 2, no server or an unknown automation 1.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import click

from cadenza.cli._common import USAGE_ERROR, die, server_only, wide_option
from cadenza.cli.ids import resolve_ref
from cadenza.cli.jsonout import emit_json

DEFAULT_BODY = "{{ event.event }}: {{ event.resource['cadenza.resource.name'] }} ({{ reason }})"


def server() -> contextlib.AbstractContextManager[Any]:
    return server_only("Automations")


def _echo_json(value: Any) -> None:
    emit_json(value)


def _seconds(value: str | None, option: str) -> float | None:
    if value is None:
        return None
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.store.retention import parse_duration

    try:
        return parse_duration(value, option)
    except ValueError as exc:
        die(str(exc), USAGE_ERROR)


def _find(client: Any, ref: str) -> dict[str, Any]:
    """The automation whose id, (unique) name, or unique id prefix or suffix is `ref`."""
    # lazily: the client's errors, with the client
    from cadenza.client.errors import NotFound

    try:
        return dict(client.read_automation(ref))
    except NotFound:
        pass
    named = list(client.list_automations(name=ref, limit=2))
    if len(named) > 1:
        die(f"Several automations are named {ref!r}; give its id", USAGE_ERROR)
    if named:
        return dict(named[0])
    every = {a["id"]: a for a in client.list_automations(limit=10_000)}
    try:
        return dict(every[resolve_ref(ref, list(every), "automation")])
    except LookupError as exc:
        if str(exc).startswith("No "):
            die(f"No automation with id or name {ref!r}")
        die(str(exc))


@click.group("automations")
def automations() -> None:
    """Create, list, inspect, pause, resume and delete automations (on the server)."""


@automations.command("ls")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of automations.")
@wide_option
def ls(as_json: bool, wide: bool) -> None:
    """List automations: name, enabled, trigger, actions."""
    with server() as client:
        found = list(client.list_automations(limit=10_000))
    if as_json:
        _echo_json(found)
        return
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from rich.text import Text

    from cadenza.cli.formatting import Column, print_table
    from cadenza.cli.ids import short_ids

    ids = short_ids(a["id"] for a in found)
    columns = (
        Column("ID", min_width=36),
        Column("NAME", min_width=16),
        Column("ENABLED", priority=3, min_width=7),
        Column("TRIGGER", priority=1, min_width=20),
        Column("ACTIONS", priority=2, min_width=12),
    )
    rows = [
        (ids[a["id"]], Text(a["name"]), "yes" if a["enabled"] else "no",
         Text(_describe(a["trigger"])), Text(", ".join(x["type"] for x in a["actions"]) or "-"))
        for a in found
    ]  # fmt: skip
    print_table(columns, rows, wide=wide)


@automations.command("inspect")
@click.argument("ref", metavar="ID|NAME")
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON.")
def inspect(ref: str, as_json: bool) -> None:
    """Show one automation."""
    with server() as client:
        found = _find(client, ref)
    if as_json:
        _echo_json(found)
        return
    click.echo(f"{found['name']}  ({found['id']})")
    click.echo(f"  enabled: {'yes' if found['enabled'] else 'no'}")
    if found.get("description"):
        click.echo(f"  description: {found['description']}")
    click.echo(f"  trigger: {_describe(found['trigger'])}")
    for action in found["actions"]:
        click.echo(f"  action: {json.dumps(action, sort_keys=True)}")


def _describe(trigger: dict[str, Any]) -> str:
    """One line for a trigger (an event or a compound trigger)."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.automations.schemas import CompoundTrigger, EventTrigger

    kind = CompoundTrigger if trigger.get("type") == "compound" else EventTrigger
    return kind.model_validate(trigger).describe()


def _set_enabled(ref: str, enabled: bool) -> None:
    with server() as client:
        found = _find(client, ref)
        client.set_automation_enabled(found["id"], enabled)
    click.echo(f"{'Resumed' if enabled else 'Paused'} automation {found['name']!r}")


@automations.command("pause")
@click.argument("ref", metavar="ID|NAME")
def pause(ref: str) -> None:
    """Disable an automation (it stops watching events)."""
    _set_enabled(ref, False)


@automations.command("resume")
@click.argument("ref", metavar="ID|NAME")
def resume(ref: str) -> None:
    """Enable an automation (it watches the events from now on)."""
    _set_enabled(ref, True)


@automations.command("delete")
@click.argument("ref", metavar="ID|NAME")
def delete(ref: str) -> None:
    """Delete an automation."""
    with server() as client:
        found = _find(client, ref)
        client.delete_automation(found["id"])
    click.echo(f"Deleted automation {found['name']!r}")


@automations.command("create")
@click.option(
    "--from-file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A YAML or JSON file holding the automation (or a list of them).",
)
@click.option("--name", default=None, help="The automation's name.")
@click.option("--description", default="", help="What it is for.")
@click.option(
    "--on",
    "expect",
    multiple=True,
    metavar="EVENT",
    help="The event(s) it reacts to (repeatable; a trailing * for a prefix).",
)
@click.option(
    "--deployment",
    default=None,
    metavar="ID|FLOW/NAME",
    help="Only events of this deployment's runs (or of the deployment).",
)
@click.option("--flow", default=None, help="Only events of this flow's runs.")
@click.option(
    "--match",
    "matches",
    multiple=True,
    metavar="LABEL=VALUE",
    help="A label the event's resource must have (repeatable).",
)
@click.option("--threshold", type=click.IntRange(1, 10_000), default=1, show_default=True)
@click.option("--within", default=None, metavar="DURATION", help="The window, e.g. 10m or 2h.")
@click.option(
    "--proactive",
    is_flag=True,
    help="Fire when fewer than --threshold events came within --within.",
)
@click.option(
    "--running-longer-than",
    "running",
    default=None,
    metavar="DURATION",
    help="Fire for each flow run that stays Running this long.",
)
@click.option(
    "--notify",
    default=None,
    metavar="BLOCK",
    help="Send a notification through this block (slug/name or id).",
)
@click.option("--subject", default="Cadenza automation: {{ automation.name }}")
@click.option(
    "--body",
    default=DEFAULT_BODY,
    show_default=True,
    help="The notification's text (placeholders allowed).",
)
@click.option("--webhook", default=None, metavar="BLOCK", help="Call this Webhook block.")
@click.option("--payload", default="", help="The webhook's payload (placeholders allowed).")
@click.option("--cancel", is_flag=True, help="Cancel the flow run the event is about.")
@click.option("--pause-deployment", is_flag=True, help="Pause the event's deployment.")
@click.option("--run-deployment", default=None, metavar="ID|FLOW/NAME", help="Run this deployment.")
@click.option("--json", "as_json", is_flag=True, help="Print what was created as JSON.")
def create(path: Path | None, as_json: bool, **flags: Any) -> None:
    """Create an automation from --from-file, or from flags (--on ... with an action)."""
    with server() as client:
        specs = _from_file(path) if path is not None else [_from_flags(client, flags)]
        created = [client.create_automation(spec) for spec in specs]
    if as_json:
        _echo_json(created if len(created) > 1 else created[0])
        return
    for item in created:
        click.echo(f"Created automation {item['name']!r} ({item['id']})")


def _from_file(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        die(f"Cannot read {path}: {exc}", USAGE_ERROR)
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            # lazily: PyYAML loads only when a YAML file is read
            import yaml

            data = yaml.safe_load(text)
    except ValueError as exc:  # json.JSONDecodeError and yaml.YAMLError's problems
        die(f"{path} is not valid JSON: {exc}", USAGE_ERROR)
    except Exception as exc:
        die(f"{path} is not valid YAML: {exc}".splitlines()[0], USAGE_ERROR)
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(i, dict) for i in items):
        die(f"{path} must hold an automation (a mapping) or a list of them", USAGE_ERROR)
    return items


def _from_flags(client: Any, flags: dict[str, Any]) -> dict[str, Any]:
    if not flags["name"]:
        die("Give the automation a --name (or use --from-file)", USAGE_ERROR)
    trigger: dict[str, Any] = {"expect": list(flags["expect"]), "threshold": flags["threshold"]}
    within = _seconds(flags["within"], "--within")
    if flags["running"] is not None:
        trigger.update(posture="Proactive", after=["cadenza.flow-run.Running"],
                       expect=["cadenza.flow-run.*"], for_each=["cadenza.resource.id"],
                       within=_seconds(flags["running"], "--running-longer-than"))  # fmt: skip
    elif not flags["expect"]:
        die("Say which events it reacts to: --on EVENT (or --running-longer-than)", USAGE_ERROR)
    elif flags["proactive"]:
        trigger["posture"] = "Proactive"
    if within is not None and flags["running"] is None:
        trigger["within"] = within
    related = []
    deployment = None
    if flags["deployment"]:
        deployment = _deployment(client, flags["deployment"])
        related.append({"cadenza.resource.id": f"cadenza.deployment.{deployment['id']}"})
    if flags["flow"]:
        related.append({"cadenza.resource.id": f"cadenza.flow.{flags['flow']}"})
    if related:
        trigger["match_related"] = related
    match = {}
    for item in flags["matches"]:
        label, sep, value = item.partition("=")
        if not sep or not label:
            die(f"--match takes LABEL=VALUE, not {item[:40]!r}", USAGE_ERROR)
        match[label] = value
    if match:
        trigger["match"] = match
    return {"name": flags["name"], "description": flags["description"], "trigger": trigger,
            "actions": _actions(client, flags)}  # fmt: skip


def _actions(client: Any, flags: dict[str, Any]) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = []
    if flags["cancel"]:
        actions.append({"type": "cancel-flow-run"})
    if flags["pause_deployment"]:
        actions.append({"type": "pause-deployment", "source": "inferred"})
    if flags["run_deployment"]:
        target = _deployment(client, flags["run_deployment"])
        actions.append({"type": "run-deployment", "deployment_id": target["id"]})
    if flags["notify"]:
        actions.append({"type": "send-notification", "subject": flags["subject"],
                        "body": flags["body"],
                        "block_document_id": _block_id(client, flags["notify"])})  # fmt: skip
    if flags["webhook"]:
        actions.append({"type": "call-webhook", "payload": flags["payload"],
                        "block_document_id": _block_id(client, flags["webhook"])})  # fmt: skip
    if not actions:
        die("Give it an action: --notify, --webhook, --cancel, --pause-deployment or "
            "--run-deployment", USAGE_ERROR)  # fmt: skip
    return actions


def _deployment(client: Any, ref: str) -> dict[str, Any]:
    if "/" in ref:
        return dict(client.read_deployment_by_name(ref))
    return dict(client.read_deployment(ref))


def _block_id(client: Any, ref: str) -> str:
    """The id of the block saved as ``slug/name`` (or `ref` itself, an id)."""
    slug, sep, name = ref.partition("/")
    if not sep:
        return ref
    return str(client.get_block(slug, name)["id"])


__all__ = ["automations"]
