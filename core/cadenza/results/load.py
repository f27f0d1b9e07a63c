"""Reading persisted results back: from a reference, or from a run recorded in the database."""

from __future__ import annotations

from typing import Any

from cadenza.exceptions import MissingResult
from cadenza.results.envelope import open_envelope
from cadenza.results.refs import ResultRef
from cadenza.results.signing import signing_key
from cadenza.serializers import serializer_by_name
from cadenza.storage import from_description
from cadenza.store.database import default_db_path


def load_result(ref: str) -> Any:
    """The value stored at result reference ``ref`` (see `cadenza.results.refs`).

    Raises `MissingResult` when the stored file is gone and `ResultIntegrityError` when it is not
    an intact result signed with this home's key (the payload is then never deserialized).
    """

    decoded = ResultRef.loads(ref)
    storage = from_description(decoded.storage)
    try:
        blob = storage.read_path(decoded.key)
    except FileNotFoundError:
        raise MissingResult(
            f"The persisted result at key {decoded.key!r} in {storage!r} no longer exists"
        ) from None
    needed_by = f"the result stored at key {decoded.key!r}"
    name, payload = open_envelope(blob, decoded.key, lambda: signing_key(needed_by))
    return serializer_by_name(name).loads(payload)


def load_run_result(run_id: str) -> Any:
    """The persisted result of flow run or task run ``run_id``, read from the embedded record.

    Raises `LookupError` for an unknown run and `MissingResult` for a run whose result was not
    persisted.
    """
    ref, label = run_result_ref(run_id)
    if ref is None:
        raise MissingResult(f"{label} {run_id!r} has no persisted result")
    return load_result(ref)


def run_result_ref(run_id: str) -> tuple[str | None, str]:
    """``(result_ref, "Flow run" | "Task run")`` of ``run_id`` from the embedded record."""
    import sqlite3

    _flush_open_backend()
    path = default_db_path()
    if not path.exists():
        raise LookupError(f"No run {run_id!r}: there is no run record at {path}")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
    try:
        for table, label in (("flow_runs", "Flow run"), ("task_runs", "Task run")):
            row = conn.execute(f"SELECT result_ref FROM {table} WHERE id = ?", (run_id,)).fetchone()
            if row is not None:
                return row[0], label
    finally:
        conn.close()
    raise LookupError(f"No flow run or task run with id {run_id!r} in {path}")


def _flush_open_backend() -> None:
    """Make runs recorded by this process visible to the query (no backend is opened)."""
    import sys

    backends = sys.modules.get("cadenza.backends")  # not imported: nothing of ours to flush
    current = backends.current_backend() if backends is not None else None
    if current is not None:
        current.flush()


__all__ = ["load_result", "load_run_result", "run_result_ref"]
