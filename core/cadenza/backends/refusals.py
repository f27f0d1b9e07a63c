"""What the HTTP backend does with what the server refuses: nothing is dropped in silence.

A refused record is set aside in the dead-letter file (`cadenza.deadletter`) with the server's
reason and reported on the ``cadenza.client`` logger; `cadenza db doctor` lists them. A batch
refused as a whole (413 too large, 422 invalid) is cut into what can be sent again: without the
records the server located as bad (its 422 ``errors`` name ``["body", <list>, <index>, ...]``),
or in halves when it did not say, down to single records.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from cadenza.backends import wire
from cadenza.deadletter import quarantine

if TYPE_CHECKING:
    from cadenza.client.http import ApiError

logger = logging.getLogger("cadenza.client")

#: What one record of each batch list is called in a dead letter.
KINDS = {"task_runs": "task_run", "transitions": "transition", "logs": "log",
         "artifacts": "artifact", "artifact_updates": "artifact_update",
         "cache_entries": "cache_entry"}  # fmt: skip

_reported = 0


def set_aside(source: str, kind: str, record: Any, reason: str) -> None:
    """Keep `record` as a dead letter and say so (the first few times, then every 1000th)."""
    global _reported
    path = quarantine(source, kind, record, reason)
    _reported += 1
    if _reported <= 5 or _reported % 1000 == 0:
        logger.warning(
            "A %s was refused (%s); it is kept in %s (%d so far; see `cadenza db doctor`)",
            kind,
            reason,
            path,
            _reported,
        )


def rejected_transitions(request: wire.Request, answer: Any) -> None:
    """Set aside the transitions a batch's answer lists as rejected (``rejected``)."""
    rejected = answer.get("rejected") if isinstance(answer, dict) else None
    if not rejected:
        return
    sent = {t.get("transition_id"): t for t in request.body.get("transitions") or ()}
    for item in rejected:
        record = sent.get(item.get("transition_id"), item)
        set_aside("server", "transition", record, str(item.get("reason")))


def resendable(request: wire.Request, refusal: ApiError) -> list[wire.Request]:
    """The parts of a refused batch to send again, in order; the records refused are set
    aside (see the module docstring)."""
    records = request.batch_records()
    if refusal.status == 422:
        bad = located(request, refusal.errors)
        if bad:
            for i in sorted(bad):
                name, row, _ = records[i]
                set_aside("server", KINDS[name], row, f"HTTP 422: {bad[i]}")
            rest = [record for i, record in enumerate(records) if i not in bad]
            return [wire.batch_of(rest)] if rest else []
    if len(records) <= 1:
        for name, row, _ in records:
            set_aside("server", KINDS[name], row, f"HTTP {refusal.status}: {refusal.detail}")
        return []
    return wire.split(request)


def located(request: wire.Request, errors: list[dict[str, Any]]) -> dict[int, str]:
    """{position in the request's records: the problem} for each error that names a record."""
    offsets, total = {}, 0
    for name in wire.BATCH_LISTS:
        offsets[name] = total
        total += len(request.body.get(name) or ())
    bad: dict[int, str] = {}
    for error in errors:
        loc = error.get("loc") or []
        if len(loc) < 3 or loc[0] != "body" or loc[1] not in offsets:
            continue
        index = loc[2]
        if not isinstance(index, int) or not 0 <= index < len(request.body.get(loc[1]) or ()):
            continue
        where = ".".join(str(part) for part in loc[3:]) or "the record"
        bad.setdefault(offsets[loc[1]] + index, f"{where}: {error.get('msg', 'invalid')}")
    return bad
