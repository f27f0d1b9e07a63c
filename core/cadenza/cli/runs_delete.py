"""``cadenza runs delete``: delete flow runs — by id or by filter — with their subflow runs,
task runs, states, logs, artifacts and inputs, on the run record or the configured server, and
with ``--results`` their result files (`cadenza.results.discard`)."""

from __future__ import annotations

import json
from typing import Any

import click

from cadenza.cli._common import USAGE_ERROR, api_url, die

TABLES = ("flow_runs", "task_runs", "run_states", "logs", "artifacts", "flow_run_inputs")
_LABELS = {"flow_runs": "flow run(s)", "task_runs": "task run(s)", "run_states": "state(s)",
           "logs": "log line(s)", "artifacts": "artifact(s)",
           "flow_run_inputs": "flow run input(s)"}  # fmt: skip


@click.command("delete")
@click.argument("run_ids", nargs=-1, metavar="[RUN_ID]...")
@click.option(
    "--older-than",
    metavar="DURATION",
    help="Runs that ended this long ago or more (unfinished ones: were created), e.g. 30d.",
)
@click.option("--state", "states", multiple=True, metavar="TYPE",
              help="Runs in this state type (repeatable), e.g. COMPLETED, failed.")  # fmt: skip
@click.option("--flow", "flow_name", metavar="NAME", help="Runs of this flow.")
@click.option("--force", is_flag=True, help="Delete runs that are not in a final state too.")
@click.option("--results", is_flag=True,
              help="Delete their result files too (those no remaining run uses).")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Show what would be deleted; delete nothing.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def delete(
    run_ids: tuple[str, ...], older_than: str | None, states: tuple[str, ...],
    flow_name: str | None, force: bool, results: bool, dry_run: bool, yes: bool, as_json: bool,
) -> None:  # fmt: skip
    """Delete flow runs with their subflow runs and everything recorded under them.

    Name runs by RUN_ID, or choose top-level runs by filters (every filter given must match);
    with both, only the named runs that match go. A run that is not in a final state
    (Completed, Failed, Crashed, Cancelled), or has such a subflow run, is left unless
    --force. Deleting more than one named run, or by filter, asks for confirmation unless
    --yes. Exit status 1 when a named run was left.
    """
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.store.retention import parse_duration

    if not run_ids and older_than is None and not states and flow_name is None:
        die("Name the runs to delete: give RUN_IDs or a filter (--older-than, --state, --flow)",
            USAGE_ERROR)  # fmt: skip
    try:
        seconds = parse_duration(older_than, "--older-than")
    except ValueError as exc:
        die(str(exc), USAGE_ERROR)
    if older_than is not None and seconds is None:
        die("--older-than: give a duration such as 30d", USAGE_ERROR)
    for ref in run_ids:
        if not ref.strip() or not ref.isprintable() or not _encodable(ref):
            die(f"No flow run with id {ref!r}: an id is printable text", USAGE_ERROR)
    if flow_name is not None and not _encodable(flow_name):
        die("--flow: a flow name is text without lone surrogates", USAGE_ERROR)
    target = _Server() if api_url() else _Record()
    with target:
        ids = target.resolve(run_ids)
        filters = {"older_than": seconds, "states": list(states), "flow_name": flow_name,
                   "force": force}  # fmt: skip
        plan = target.delete(ids, filters, dry_run=True, results=False)
        bulk = len(ids) > 1 or not ids
        if dry_run or not plan["deleted"]["flow_runs"]:
            _report({**plan, "dry_run": dry_run}, None, as_json)
            raise SystemExit(_status(plan, ids))
        if bulk and not yes and not click.confirm(f"Delete {_summary(plan)}?", err=True):
            die("Not deleted.")
        outcome = target.delete(ids, filters, dry_run=False, results=results)
    removed = None
    if results:
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.results.discard import delete_results

        removed = delete_results(outcome["result_refs"])
    _report(outcome, removed, as_json)
    raise SystemExit(_status(outcome, ids))


class _Record:
    """The run record at $CADENZA_HOME/cadenza.db."""

    def __enter__(self) -> _Record:
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.cli._common import open_record
        from cadenza.store import urls
        from cadenza.store.sql import SqlDatabase

        self._opened = open_record()  # migrates, and marks runs whose process died Crashed
        self.conn = self._opened.__enter__()
        self.db = SqlDatabase(urls.default_database_url(), busy_timeout=60.0)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.db.close()
        self._opened.__exit__(*exc)

    def resolve(self, refs: tuple[str, ...]) -> list[str]:
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.store.queries import resolve_flow_run_id

        return list(dict.fromkeys(resolve_flow_run_id(self.conn, ref) for ref in refs))

    def delete(
        self, ids: list[str], filters: dict[str, Any], dry_run: bool, results: bool
    ) -> dict[str, Any]:
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.store.run_deletion import delete_flow_runs

        try:
            report = delete_flow_runs(self.db, ids, **filters, dry_run=dry_run, results=results)
        except ValueError as exc:
            die(str(exc), USAGE_ERROR)
        return report.as_dict()


class _Server:
    """The server at CADENZA_API_URL: a bulk delete goes in requests of at most 1000 runs."""

    def __enter__(self) -> _Server:
        # lazily: a command's dependencies load when it runs, not for `cadenza --help`
        from cadenza.cli._common import open_api

        self._opened = open_api()
        self.client = self._opened.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._opened.__exit__(*exc)

    def resolve(self, refs: tuple[str, ...]) -> list[str]:
        return list(dict.fromkeys(self.client.get_flow_run(ref)["id"] for ref in refs))

    def delete(
        self, ids: list[str], filters: dict[str, Any], dry_run: bool, results: bool
    ) -> dict[str, Any]:
        total: dict[str, Any] = {"dry_run": dry_run, "deleted": dict.fromkeys(TABLES, 0),
                                 "skipped": [], "missing": [], "result_refs": []}  # fmt: skip
        after = None
        while True:
            answer = self.client.delete_flow_runs(
                ids, **filters, dry_run=dry_run, results=results, after=after
            )
            for table, count in answer["deleted"].items():
                total["deleted"][table] = total["deleted"].get(table, 0) + count
            for name in ("skipped", "missing", "result_refs"):
                total[name].extend(answer[name])
            after = answer["cursor"]
            if after is None:
                return total


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _summary(outcome: dict[str, Any]) -> str:
    counts = outcome["deleted"]
    main = f"{counts['flow_runs']} flow run(s)"
    rest = [f"{counts[t]} {_LABELS[t]}" for t in TABLES[1:] if counts.get(t)]
    return main + (f" with {', '.join(rest)}" if rest else "")


def _report(outcome: dict[str, Any], removed: dict[str, Any] | None, as_json: bool) -> None:
    if as_json:
        shown = {k: v for k, v in outcome.items() if k not in ("cursor", "result_refs")}
        if removed is not None:
            shown["result_files"] = removed
        click.echo(json.dumps(shown, indent=2))
        return
    verb = "Would delete" if outcome["dry_run"] else "Deleted"
    click.echo(f"{verb} {_summary(outcome)}.")
    for skipped in outcome["skipped"]:
        click.echo(f"Left flow run {skipped['id']}: {skipped['reason']}.")
    if removed is not None:
        click.echo(f"Deleted {removed['deleted']} result file(s); {removed['missing']} were gone.")
        for refused in removed["refused"]:
            click.echo(f"Left result {refused['ref']}: {refused['reason']}")


def _status(outcome: dict[str, Any], ids: list[str]) -> int:
    named = set(ids)
    return 1 if any(s["id"] in named for s in outcome["skipped"]) else 0


__all__ = ["delete"]
