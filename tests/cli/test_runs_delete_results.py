"""``cadenza runs delete --results`` deletes only what a reference proves is a result of this
home: hostile references in the record (escaping paths, foreign files, other keys) delete
nothing (`cadenza.results.discard`)."""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from cadenza import flow, task
from cadenza.results.discard import delete_result
from cadenza.results.envelope import seal
from cadenza.results.refs import ResultRef


def _ref(basepath: Path | str, key: str, storage_type: str = "local") -> str:
    return ResultRef({"type": storage_type, "basepath": str(basepath)}, key, "json").dumps()


def _recorded_run(refs: list[str]) -> str:
    """A Completed flow run whose task runs carry `refs`, written as the engine writes them."""
    from cadenza.store.database import default_db_path

    run_id = str(uuid.uuid4())
    conn = sqlite3.connect(default_db_path())
    now = time.time() - 10
    conn.execute("INSERT INTO flow_runs (id, name, flow_name, created, end_time, state_type,"
                 " state_name) VALUES (?, 'r', 'hostile', ?, ?, 'COMPLETED', 'Completed')",
                 (run_id, now, now))  # fmt: skip
    for ref in refs:
        conn.execute("INSERT INTO task_runs (id, flow_run_id, name, task_name, task_key, created,"
                     " state_type, result_ref) VALUES (?, ?, 't', 't', 'k', ?, 'COMPLETED', ?)",
                     (str(uuid.uuid4()), run_id, now, ref))  # fmt: skip
    conn.commit()
    conn.close()
    return run_id


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """An ordinary file a hostile reference points at; it must survive."""
    path = tmp_path / "outside" / "passwd"
    path.parent.mkdir()
    path.write_text("root:x:0:0\n")
    return path


def test_hostile_references_delete_nothing(
    invoke: Any, cadenza_home: Path, victim: Path, tmp_path: Path
) -> None:
    from cadenza.results.signing import signing_key

    base = cadenza_home / "storage"
    base.mkdir()
    (base / "genuine").write_bytes(seal(b"1", "json", "genuine", signing_key()))
    (base / "link").symlink_to(victim.parent, target_is_directory=True)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "other").write_bytes(seal(b"1", "json", "other", b"k" * 32))  # another home's key
    hostile = [
        _ref(base, "../../outside/passwd"),  # escapes the base path
        _ref(base, "../" * 12 + "etc/passwd"),
        _ref(victim.parent, "passwd"),  # a base path at the victim: not a result file
        _ref("/", str(victim).lstrip("/")),
        _ref(base, "link/passwd"),  # a symbolic link out of the base path
        _ref(foreign, "other"),
        _ref(base, "/etc/passwd"),
        _ref(base, "x", storage_type="no-such-storage"),
        "not json at all",
        json.dumps({"v": 1, "storage": {"type": "local", "basepath": "relative"}, "key": "k"}),
    ]
    run = _recorded_run([*hostile, _ref(base, "genuine"), _ref(base, "already-gone")])

    outcome = json.loads(invoke("runs", "delete", run, "--results", "--json").stdout)

    files = outcome["result_files"]
    assert files["deleted"] == 1 and files["missing"] == 1
    assert len(files["refused"]) == len(hostile)
    reasons = " | ".join(r["reason"] for r in files["refused"])
    for expected in ("'..' segment", "not a cadenza result file", "outside the storage base",
                     "signature does not match", "absolute path", "Unknown result storage type",
                     "Not a cadenza result reference", "absolute basepath"):  # fmt: skip
        assert expected in reasons
    assert victim.read_text() == "root:x:0:0\n"
    assert (foreign / "other").exists()
    assert not (base / "genuine").exists()


def test_a_reference_is_checked_before_anything_is_deleted(tmp_path: Path, victim: Path) -> None:
    assert delete_result(_ref(victim.parent, "passwd")) is not None
    assert delete_result("\ud800") is not None
    assert delete_result("x" * 1_000_000) is not None
    assert delete_result(json.dumps({"storage": [], "key": "k"})) is not None
    assert victim.exists()
    assert delete_result(_ref(tmp_path, "nothing-here")) == "missing"


def test_results_shared_with_a_remaining_run_are_kept(invoke: Any, cadenza_home: Path) -> None:
    from cadenza.cache_policies import INPUTS

    @task(persist_result=True, cache_policy=INPUTS)
    def cached(x: int) -> int:
        return x

    @flow
    def uses(x: int) -> int:
        return cached(x)

    first = uses(5, return_state=True).state_details.flow_run_id
    uses(5, return_state=True)  # a cache hit: the same result file
    from cadenza.backends import get_backend

    get_backend().flush()
    files = {p.name for p in (cadenza_home / "storage").iterdir()}

    outcome = json.loads(invoke("runs", "delete", first, "--results", "--json").stdout)

    assert outcome["deleted"]["flow_runs"] == 1
    assert outcome["result_files"] == {"deleted": 0, "missing": 0, "refused": []}
    assert {p.name for p in (cadenza_home / "storage").iterdir()} == files
    assert os.listdir(cadenza_home / "storage")
