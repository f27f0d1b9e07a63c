"""``POST /flow_runs/bulk``: cancel, delete or retry every flow run a runs-list filter matches
(the dashboard's "all 3,214 matching"), or the runs named by id, with one outcome per run
(docs/reference/http-api.md).

The runs are chosen by `cadenza.store.bulk_queries` (at most `MAX_RUNS`, newest first; the answer
says how many matched and whether the cap cut them), then the action goes run by run through the
code of the single-run routes — `run_control.cancel_flow_run` (``POST /flow_runs/{id}/cancel``),
`run_deletion.delete_flow_runs` (``DELETE /flow_runs/{id}``), `run_retry.retry_flow_run`
(``POST /flow_runs/{id}/retry``) — so a bulk action decides nothing they would not. A run that
changed meanwhile (ended, deleted, claimed) is reported as skipped or failed with the reason;
it never fails the others. ``dry_run`` only counts the matches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from cadenza.server.errors import Refused
from cadenza.server.models import Id, Text
from cadenza.server.store import Store
from cadenza.server.ui_routes import run_filter
from cadenza.store import bulk_queries, run_control, run_deletion, run_retry

MAX_RUNS = 10_000
"""Runs one request acts on at most."""

Outcome = Literal["done", "skipped", "failed"]


class BulkFilter(BaseModel):
    """The runs list's filters (``GET /flow_runs/page``), with the same names and meaning."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    state: list[str] = Field(default_factory=list, max_length=20, description="state types")
    flow_name: str | None = Field(None, max_length=1_000)
    deployment: str | None = Field(None, max_length=1_000, description="id or flow/name")
    tag: list[str] = Field(default_factory=list, max_length=100, description="all of these")
    since: str | float | None = Field(None, description="created at or after (epoch or ISO)")
    until: str | float | None = Field(None, description="created before (epoch or ISO)")
    q: str | None = Field(None, max_length=1_000, description="in the run or flow name")


class BulkIn(BaseModel):
    """An action and the runs it applies to: a `filter` or `ids`, exactly one of them."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["cancel", "delete", "retry"]
    filter: BulkFilter | None = None
    ids: list[Id] | None = Field(None, max_length=MAX_RUNS)
    dry_run: bool = Field(False, description="count the runs it would act on; change nothing")
    reason: Text | None = Field(None, max_length=10_000, description="a cancellation's reason")


class RunOutcome(BaseModel):
    id: str
    name: str | None
    outcome: Outcome
    reason: str


class BulkOut(BaseModel):
    action: str
    dry_run: bool
    matched: int = Field(description=f"runs chosen, at most {MAX_RUNS}")
    capped: bool = Field(description="more runs matched than one request acts on")
    counts: dict[str, int] = Field(description="outcomes: done, skipped, failed")
    results: list[RunOutcome] = Field(description="one per run (none for a dry run)")


def router(store: Store) -> APIRouter:
    api = APIRouter(tags=["run control"])

    @api.post("/flow_runs/bulk")
    def bulk_action(body: BulkIn) -> BulkOut:
        """Cancel, delete or retry the flow runs `filter` matches (at most 10,000, newest
        first), or those of `ids`; answers each run's outcome: done, skipped (the action does
        not apply, e.g. already Completed) or failed, with the reason."""
        runs, matched, capped = _chosen(store, body)
        results: list[RunOutcome] = []
        if not body.dry_run:
            results = _ACTIONS[body.action](store, runs, body)
        counts = dict.fromkeys(("done", "skipped", "failed"), 0)
        for one in results:
            counts[one.outcome] += 1
        return BulkOut(action=body.action, dry_run=body.dry_run, matched=matched,
                       capped=capped, counts=counts, results=results)  # fmt: skip

    return api


def _chosen(store: Store, body: BulkIn) -> tuple[list[tuple[str, str | None]], int, bool]:
    if (body.filter is None) == (body.ids is None):
        raise Refused([(("body", "filter"), "give either a filter or ids (exactly one)")])
    if body.ids is not None:
        with store.read() as conn:
            names = bulk_queries.named_runs(conn, body.ids)
        wanted = list(dict.fromkeys(body.ids))
        return [(i, names.get(i)) for i in wanted], len(wanted), False
    assert body.filter is not None
    f = body.filter
    try:
        where = run_filter(f.state, f.flow_name, f.deployment, f.tag, _text(f.since),
                           _text(f.until), f.q)  # fmt: skip
    except Refused as exc:  # the list route names query parameters; here they are body fields
        raise Refused([(("body", "filter", *loc[1:]), msg) for loc, msg in exc.problems]) from None
    with store.read() as conn:
        try:
            chosen = bulk_queries.matching_runs(conn, where, MAX_RUNS)
        except LookupError as exc:
            raise Refused([(("body", "filter", "deployment"), str(exc))]) from None
    return list(chosen.runs), chosen.matched, chosen.capped


def _text(value: str | float | None) -> str | None:
    return None if value is None else str(value)


Runs = list[tuple[str, str | None]]


def _cancel(store: Store, runs: Runs, body: BulkIn) -> list[RunOutcome]:
    out = []
    for run_id, name in runs:
        try:
            got = run_control.cancel_flow_run(store, run_id, body.reason)
        except run_control.NoSuchRun:
            out.append(RunOutcome(id=run_id, name=name, outcome="skipped", reason="not recorded"))
            continue
        except Exception as exc:  # one run's failure is its outcome, not the others'
            out.append(_failed(run_id, name, exc))
            continue
        state = got["state"].get("name") or got["state"].get("type") or "not started"
        if got["final"]:
            outcome, why = "skipped", f"already {state}: cannot cancel"
        elif run_id in got["cancelled"]:
            outcome, why = "done", "Cancelled (nothing was running it)"
        elif run_id in got["cancelling"]:
            outcome, why = "done", "Cancelling: its process stops it"
        else:
            outcome, why = "skipped", f"already {state}: asked to cancel before"
        out.append(RunOutcome(id=run_id, name=name, outcome=outcome, reason=why))
    return out


def _delete(store: Store, runs: Runs, _body: BulkIn) -> list[RunOutcome]:
    try:
        report = run_deletion.delete_flow_runs(store, [run_id for run_id, _ in runs])
    except Exception as exc:  # reported per run, as the other actions do
        return [_failed(run_id, name, exc) for run_id, name in runs]
    skipped = {s["id"]: s["reason"] for s in report.skipped}
    missing = set(report.missing)
    out = []
    for run_id, name in runs:
        if run_id in missing:
            out.append(RunOutcome(id=run_id, name=name, outcome="skipped", reason="not recorded"))
        elif run_id in skipped:
            out.append(RunOutcome(id=run_id, name=name, outcome="skipped", reason=skipped[run_id]))
        else:
            out.append(RunOutcome(id=run_id, name=name, outcome="done", reason="deleted"))
    return out


def _retry(store: Store, runs: Runs, _body: BulkIn) -> list[RunOutcome]:
    out = []
    for run_id, name in runs:
        try:
            got = run_retry.retry_flow_run(store, run_id)
        except run_control.NoSuchRun:
            out.append(RunOutcome(id=run_id, name=name, outcome="skipped", reason="not recorded"))
        except run_retry.NotRetryable as exc:
            why = str(exc).removeprefix(f"Flow run {run_id} ")
            if exc.field == "deployment_id":
                why = "not a deployment run: nothing would run it again"
            out.append(RunOutcome(id=run_id, name=name, outcome="skipped", reason=why))
        except Exception as exc:  # one run's failure is its outcome, not the others'
            out.append(_failed(run_id, name, exc))
        else:
            why = f"{got['state']['name']}: a worker of its deployment runs it again"
            out.append(RunOutcome(id=run_id, name=name, outcome="done", reason=why))
    return out


def _failed(run_id: str, name: str | None, exc: Exception) -> RunOutcome:
    return RunOutcome(id=run_id, name=name, outcome="failed", reason=str(exc) or type(exc).__name__)


_ACTIONS: dict[str, Callable[[Store, Runs, BulkIn], list[RunOutcome]]] = {
    "cancel": _cancel,
    "delete": _delete,
    "retry": _retry,
}

__all__ = ["MAX_RUNS", "BulkIn", "BulkOut", "router"]
