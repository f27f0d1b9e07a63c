"""Artifacts published under one key are versions of it: every creation adds a version, the key
reads as its newest, and the history stays listable — in the embedded record and on a server.

Written as Prefect's documentation publishes artifacts (``create_link_artifact(key=...)`` in a
flow, run again and again). Each behaviour was checked against Prefect 3.9.1."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from cadenza import flow, task
from cadenza.artifacts import (
    Artifact,
    create_link_artifact,
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    list_artifacts,
    update_progress_artifact,
)

BACKENDS = ["embedded", pytest.param("server-sqlite", marks=pytest.mark.integration)]


@task
def export(day: int) -> str:
    url = f"https://storage.example.com/exports/day-{day}.csv"
    create_link_artifact(url, link_text=f"day {day}", key="latest-export",
                         description=f"the export of day {day}")  # fmt: skip
    return url


@flow
def nightly(day: int) -> str:
    create_markdown_artifact(f"# Report of day {day}", key="nightly-report")
    create_table_artifact([{"day": day, "rows": day * 10}], key="nightly-rows")
    return export(day)


# Prefect 3.9.1: each `create_*_artifact(key=K)` adds a version of K (`read_artifacts` with a
# key filter lists two for two creations); `Artifact.get(K)` and `read_latest_artifacts` give
# the newest version's data. Cadenza lists the history newest first.
@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_each_run_adds_a_version_and_the_key_reads_the_newest(backend) -> None:
    runs = [nightly(day, return_state=True) for day in (1, 2, 3)]
    assert all(state.is_completed() for state in runs)

    latest = Artifact.get("latest-export")
    assert latest is not None and latest.type == "link"
    assert latest.data == {"link": "https://storage.example.com/exports/day-3.csv",
                           "link_text": "day 3"}  # fmt: skip
    assert latest.description == "the export of day 3"
    assert latest.flow_run_id == runs[2].state_details.flow_run_id
    assert Artifact.get("nightly-report").data == "# Report of day 3"
    assert Artifact.get("nightly-rows").data == [{"day": 3, "rows": 30}]

    history = Artifact.list(key="latest-export")
    assert [a.data["link_text"] for a in history] == ["day 3", "day 2", "day 1"]  # newest first
    assert [a.flow_run_id for a in history] == [s.state_details.flow_run_id for s in reversed(runs)]
    assert len({a.id for a in history}) == 3 and all(a.key == "latest-export" for a in history)
    assert [a.data for a in list_artifacts(key="nightly-report", limit=2)] == [
        "# Report of day 3", "# Report of day 2"
    ]  # fmt: skip
    assert Artifact.get("never-published") is None


# Prefect 3.9.1: versions made in one run, one after the other, read back in order too; an
# artifact without a key is not a version of anything.
@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_versions_within_one_run_and_unkeyed_artifacts(backend) -> None:
    @flow
    def loop() -> None:
        for step in range(5):
            create_markdown_artifact(f"step {step}", key="loop-status")
        create_markdown_artifact("no key")

    loop()
    assert Artifact.get("loop-status").data == "step 4"
    versions = [a.data for a in Artifact.list(key="loop-status")]
    assert versions == [f"step {s}" for s in range(4, -1, -1)]


# Prefect 3.9.1: `update_progress_artifact` changes that artifact in place (no new version);
# a new `create_progress_artifact` with the key is a new version.
@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_progress_updates_in_place_and_creations_add_versions(backend) -> None:
    @flow
    def ingest() -> None:
        first = create_progress_artifact(0.0, key="ingest-progress")
        for done in (25.0, 50.0, 100.0):
            update_progress_artifact(first, done)
        create_progress_artifact(5.0, key="ingest-progress")

    ingest()
    assert [a.data for a in Artifact.list(key="ingest-progress")] == [5.0, 100.0]
    assert Artifact.get("ingest-progress").data == 5.0


# Prefect 3.9.1: `await Artifact.get(key)` in async code (a dual function) and `Artifact.aget`.
def test_reading_the_newest_version_from_async_code() -> None:
    nightly(1)
    nightly(2)

    async def main() -> tuple[str, str]:
        newest = await Artifact.get("nightly-report")
        also = await Artifact.aget("nightly-report")
        return newest.data, also.data

    assert asyncio.run(main()) == ("# Report of day 2", "# Report of day 2")


# Prefect 3.9.1: the API lists every version of a key (`POST /artifacts/filter` with a key
# filter) and its newest (`/artifacts/latest/filter`); here ``GET /api/artifacts?key=K`` lists
# them newest first, so ``limit=1`` is the newest, and a bad query parameter is a 422.
@pytest.mark.integration
@pytest.mark.parametrize("backend", ["server-sqlite"], indirect=True)
def test_the_api_lists_a_keys_versions_newest_first(backend) -> None:
    import uuid

    from cadenza.backends import get_backend

    key = f"api-export-{uuid.uuid4().hex[:8]}"  # the session's server keeps other tests' keys

    @flow
    def publish(day: int) -> None:
        create_link_artifact(f"https://example.com/{day}", link_text=f"day {day}", key=key)

    for day in (1, 2):
        publish(day)
    get_backend().flush()  # the batches are on the server
    url = backend.server.url  # the API root, .../api
    answer = httpx.get(f"{url}/artifacts", params={"key": key}, timeout=30)
    assert answer.status_code == 200
    assert [a["data"]["link_text"] for a in answer.json()] == ["day 2", "day 1"]
    newest = httpx.get(f"{url}/artifacts", params={"key": key, "limit": 1}, timeout=30)
    assert [a["data"]["link_text"] for a in newest.json()] == ["day 2"]
    bad = httpx.get(f"{url}/artifacts", params={"limit": "many"}, timeout=30)
    assert bad.status_code == 422 and "limit" in bad.text
