"""What the HTTP backend does with what the server refuses: nothing is dropped in silence.

A refused record is set aside in the dead-letter file (`cadenza.deadletter`) with the server's
reason and reported on the ``cadenza.client`` logger; `cadenza db doctor` lists them. A batch
refused as a whole (413 too large, 422 invalid) is cut into what can be sent again: without the
records the server located as bad (its 422 ``errors`` name ``["body", <list>, <index>, ...]``),
or in halves when it did not say, down to single records. The records refused on the way are
collected as letters, which the caller sets aside (`set_aside_all`) only once every part was
sent: a batch that meets an outage halfway is sent again whole later, and would otherwise leave
its refused records in the file once per attempt.
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
         "cache_entries": "cache_entry", "events": "event"}  # fmt: skip

Letter = tuple  # (source, kind, record, reason): the arguments of `set_aside`

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


def set_aside_all(letters: list[Letter]) -> None:
    """`set_aside` each of `letters`, in order."""
    for letter in letters:
        set_aside(*letter)


def rejected_transitions(request: wire.Request, answer: Any) -> list[Letter]:
    """The letters for the transitions a batch's answer lists as rejected (``rejected``)."""
    rejected = answer.get("rejected") if isinstance(answer, dict) else None
    if not rejected:
        return []
    sent = {t.get("transition_id"): t for t in request.body.get("transitions") or ()}
    return [("server", "transition", sent.get(item.get("transition_id"), item),
             str(item.get("reason"))) for item in rejected]  # fmt: skip


def resendable(request: wire.Request, refusal: ApiError, letters: list[Letter]
               ) -> list[wire.Request]:  # fmt: skip
    """The parts of a refused batch to send again, in order; the letters for the records
    refused are added to `letters`, for the caller to set aside once the parts are sent."""
    records = request.batch_records()
    if refusal.status == 422:
        bad = located(request, refusal.errors)
        if bad:
            for i in sorted(bad):
                name, row, _ = records[i]
                letters.append(("server", KINDS[name], row, f"HTTP 422: {bad[i]}"))
            rest = [record for i, record in enumerate(records) if i not in bad]
            return [wire.batch_of(rest)] if rest else []
    if len(records) <= 1:
        for name, row, _ in records:
            letters.append(("server", KINDS[name], row,
                            f"HTTP {refusal.status}: {refusal.detail}"))  # fmt: skip
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


__all__ = [
    "KINDS",
    "Letter",
    "located",
    "rejected_transitions",
    "resendable",
    "set_aside",
    "set_aside_all",
]
