"""Artifacts: markdown, tables and links a run publishes, recorded with the run.

    from cadenza.artifacts import create_markdown_artifact, create_table_artifact

    create_markdown_artifact("# Report\\n12 rows loaded", key="load-report")
    create_table_artifact([{"id": 1, "ok": True}], key="rows", description="what was loaded")

As in Prefect 3, each ``create_*`` function returns the new artifact's id (a `uuid.UUID`) and
links it to the flow and task run in progress, if any. Artifacts go through the run's backend
with its state transitions — into the embedded record, or in the server's batches (and its
journal during an outage) — so a run records them embedded or remote alike. A ``key`` (lowercase
letters, digits and ``-``) names a series: each creation with that key is a new version,
`Artifact.get(key)` is the newest and `Artifact.list(key=key)` the history, newest first.

Called from async code (an ``async def`` flow, task or coroutine), the ``create_*`` functions
and `Artifact.get` return awaitables, as Prefect's do; ``acreate_*`` are the async forms.
"""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import builtins

from cadenza._dispatch import async_form, dual
from cadenza._times import epoch_times
from cadenza.backends import current_backend, get_backend
from cadenza.client.remote import remote_or_none
from cadenza.context import _flow_run_ctx, _task_run_ctx
from cadenza.store.local import LocalRecord, local

KEY = re.compile(r"^[a-z0-9-]{1,200}$")
TYPES = ("markdown", "table", "link", "progress", "image")


@dataclass(frozen=True)
class Artifact:
    """One recorded artifact."""

    id: str
    key: str | None
    type: str
    description: str | None
    data: Any
    flow_run_id: str | None
    task_run_id: str | None
    created: float

    @classmethod
    @dual
    def get(cls, key: str) -> Artifact | None:
        """The newest artifact recorded under ``key``, or None."""
        found = list_artifacts(key=_key(key), limit=1)
        return found[0] if found else None

    aget = async_form(get)

    @classmethod
    def list(
        cls, key: str | None = None, flow_run_id: str | None = None, limit: int = 100
    ) -> builtins.list[Artifact]:  # `list` in this class is this method
        """Artifacts, newest first, filtered by ``key`` and/or ``flow_run_id``."""
        return list_artifacts(key=key, flow_run_id=flow_run_id, limit=limit)


def _key(key: Any) -> str | None:
    if key is None:
        return None
    if not isinstance(key, str) or not KEY.match(key):
        raise ValueError(
            f"Invalid artifact key {repr(key)[:80]}: use lowercase letters, digits and '-'"
        )
    return key


def _jsonable(value: Any) -> Any:
    """``value`` made JSON-safe: NaN and infinities become None, unknown objects their str."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _table(table: Any) -> Any:
    if isinstance(table, dict):
        if not all(isinstance(v, (list, tuple)) for v in table.values()):
            raise TypeError("A table given as a dict must map column names to lists of values")
        return _jsonable(table)
    if isinstance(table, (list, tuple)) and all(isinstance(r, (dict, list, tuple)) for r in table):
        return _jsonable(list(table))
    raise TypeError(
        "create_table_artifact takes a dict of columns, a list of row dicts or a list of row "
        f"lists; got {type(table).__name__}"
    )


def _backend_for_run() -> tuple[Any, bool]:
    """The backend of the run in progress, and whether the caller must flush (no run)."""

    flow_ctx = _flow_run_ctx.get()
    if flow_ctx is not None and flow_ctx.backend is not None:
        return flow_ctx.backend, False

    return get_backend(), _task_run_ctx.get() is None  # outside any run: nothing else flushes


def _create(type_: str, data: Any, key: str | None, description: str | None) -> uuid.UUID:

    artifact_id = uuid.uuid4()
    flow_ctx = _flow_run_ctx.get()
    task_ctx = _task_run_ctx.get()
    row = {
        "id": str(artifact_id),
        "key": _key(key),
        "type": type_,
        "description": description,
        "data": data,
        "flow_run_id": flow_ctx.flow_run.id if flow_ctx is not None else None,
        "task_run_id": task_ctx.task_run.id if task_ctx is not None else None,
        "created": time.time(),
    }
    if task_ctx is not None and row["flow_run_id"] is None:
        row["flow_run_id"] = task_ctx.task_run.flow_run_id
    backend, flush = _backend_for_run()
    backend.record_artifact(row)
    if flush:
        backend.flush()
    return artifact_id


@dual(thread=False)  # recording queues the row: nothing blocks
def create_markdown_artifact(
    markdown: str, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    """Record a markdown artifact; returns its id."""
    if not isinstance(markdown, str):
        raise TypeError(f"markdown must be a str, got {type(markdown).__name__}")
    return _create("markdown", markdown, key, description)


@dual(thread=False)  # recording queues the row: nothing blocks
def create_table_artifact(
    table: dict[str, list[Any]] | list[dict[str, Any]] | list[list[Any]],
    key: str | None = None,
    description: str | None = None,
) -> uuid.UUID:
    """Record a table artifact (columns as a dict of lists, or rows as dicts or lists)."""
    return _create("table", _table(table), key, description)


@dual(thread=False)  # recording queues the row: nothing blocks
def create_link_artifact(
    link: str, link_text: str | None = None, key: str | None = None,
    description: str | None = None,
) -> uuid.UUID:  # fmt: skip
    """Record a link artifact; returns its id."""
    if not isinstance(link, str) or not link:
        raise TypeError("link must be a non-empty str")
    return _create("link", {"link": link, "link_text": link_text}, key, description)


def _progress(progress: Any) -> float:
    if isinstance(progress, bool) or not isinstance(progress, (int, float)):
        raise TypeError(f"progress must be a number from 0 to 100, got {type(progress).__name__}")
    if not 0 <= progress <= 100:
        raise ValueError(f"progress must be from 0 to 100, got {progress}")
    return float(progress)


@dual(thread=False)  # recording queues the row: nothing blocks
def create_progress_artifact(
    progress: float, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    """Record a progress artifact (a percentage, 0 to 100); update it with
    `update_progress_artifact`. Returns its id."""
    return _create("progress", _progress(progress), key, description)


@dual(thread=False)  # recording queues the row: nothing blocks
def update_progress_artifact(
    artifact_id: uuid.UUID | str, progress: float, description: str | None = None
) -> uuid.UUID:
    """Set a progress artifact's percentage (and description, if given). The update travels
    after the artifact's creation, in order; an id that names no progress artifact changes
    nothing."""
    value = _progress(progress)
    backend, flush = _backend_for_run()
    backend.update_artifact(str(artifact_id), value, description)
    if flush:
        backend.flush()
    return uuid.UUID(str(artifact_id))


@dual(thread=False)  # recording queues the row: nothing blocks
def create_image_artifact(
    image_url: str, key: str | None = None, description: str | None = None
) -> uuid.UUID:
    """Record an image artifact: the URL of an image. Returns its id."""
    if not isinstance(image_url, str) or not image_url:
        raise TypeError("image_url must be a non-empty str")
    return _create("image", image_url, key, description)


acreate_markdown_artifact = async_form(create_markdown_artifact)
acreate_table_artifact = async_form(create_table_artifact)
acreate_link_artifact = async_form(create_link_artifact)
acreate_progress_artifact = async_form(create_progress_artifact)
aupdate_progress_artifact = async_form(update_progress_artifact)
acreate_image_artifact = async_form(create_image_artifact)


class ArtifactStore(LocalRecord):
    """Artifact reads on the embedded record (writes go through the run's backend)."""

    def list(self, limit: int = 100, offset: int = 0, **filters: Any) -> list[Artifact]:
        where = [f"{column} = ?" for column, value in filters.items() if value is not None]
        params = tuple(value for value in filters.values() if value is not None)
        sql = (
            "SELECT id, key, type, description, data, flow_run_id, task_run_id, created "
            "FROM artifacts" + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY created DESC, id DESC LIMIT ? OFFSET ?"
        )  # fmt: skip
        rows = self.query(sql, (*params, limit, offset))
        return [Artifact(r[0], r[1], r[2], r[3], json.loads(r[4]), *r[5:]) for r in rows]


def list_artifacts(
    key: str | None = None,
    flow_run_id: str | None = None,
    task_run_id: str | None = None,
    type: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Artifact]:
    """Recorded artifacts, newest first (the server's when ``CADENZA_API_URL`` is set)."""

    backend = current_backend()
    if backend is not None:
        backend.flush()  # this process's own artifacts are readable at once
    filters = {"key": key, "flow_run_id": flow_run_id, "task_run_id": task_run_id, "type": type}
    remote = remote_or_none()
    if remote is not None:
        rows = remote.list_artifacts(limit=limit, offset=offset, **filters)
        return [Artifact(**epoch_times(row)) for row in rows]  # the server answers ISO 8601
    return local(ArtifactStore).list(limit, offset, **filters)


__all__ = [
    "Artifact",
    "acreate_image_artifact",
    "acreate_link_artifact",
    "acreate_markdown_artifact",
    "acreate_progress_artifact",
    "acreate_table_artifact",
    "aupdate_progress_artifact",
    "create_image_artifact",
    "create_link_artifact",
    "create_markdown_artifact",
    "create_progress_artifact",
    "create_table_artifact",
    "list_artifacts",
    "update_progress_artifact",
]
