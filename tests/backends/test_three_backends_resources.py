"""Caching, artifacts, variables and blocks behave alike on the three backends.

Each test writes in this process and reads back in a fresh one (the same environment), so what
is checked is what the record — or the server — holds. Servers are shared by the session:
names carry a per-test suffix.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from cadenza import flow, task

if TYPE_CHECKING:
    from pathlib import Path

    from backends.conftest import Backend

pytestmark = pytest.mark.slow


def _fresh(code: str) -> Any:
    """Run ``code`` in a fresh interpreter with this environment; return what it prints as JSON."""
    from cadenza.backends import get_backend

    get_backend().flush()
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, timeout=60, env=dict(os.environ),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


CACHED_FLOW = """
import json, sys
from cadenza import flow, task
from cadenza.cache_policies import INPUTS

@task(cache_policy=INPUTS, persist_result=True)
def slow_square(x: str) -> str:
    print("computed", file=sys.stderr)
    return x * 2

@flow
def squares(x: str) -> str:
    return slow_square(x)

state = squares(sys.argv[1], return_state=True)
print(json.dumps({"result": state.result(), "flow_run_id": state.state_details.flow_run_id}))
"""


def test_a_cached_result_is_served_to_another_process(backend: Backend, tmp_path: Path) -> None:
    script = tmp_path / "squares.py"
    script.write_text(CACHED_FLOW)
    key = uuid.uuid4().hex[:8]
    outputs = []
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, str(script), key],
            capture_output=True, text=True, timeout=60, env=dict(os.environ),
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        outputs.append((json.loads(proc.stdout), proc.stderr.count("computed")))
    (first, computed_first), (second, computed_second) = outputs
    assert first["result"] == second["result"] == key * 2
    assert (computed_first, computed_second) == (1, 0)
    [task_run] = backend.show(second["flow_run_id"])["task_runs"]
    assert task_run["state"]["name"] == "Cached"


@task
def publish_from_task(key: str) -> None:
    from cadenza.artifacts import create_table_artifact

    create_table_artifact([{"n": 1, "bad": float("nan")}], key=f"{key}-table")


@flow
def publishing(key: str) -> str:
    from cadenza.artifacts import (
        create_image_artifact,
        create_link_artifact,
        create_markdown_artifact,
        create_progress_artifact,
        update_progress_artifact,
    )

    progress = create_progress_artifact(10, key=f"{key}-progress")
    create_image_artifact("https://example.com/chart.png", key=f"{key}-image")
    update_progress_artifact(progress, 100, description="done")
    create_markdown_artifact("# first", key=f"{key}-report", description="v1")
    create_markdown_artifact("# second", key=f"{key}-report", description="v2")
    create_link_artifact("https://example.com/x", link_text="x", key=f"{key}-link")
    publish_from_task(key)
    return key


def test_artifacts_are_recorded_with_their_runs(backend: Backend) -> None:
    key = f"k{uuid.uuid4().hex[:8]}"
    state = publishing(key, return_state=True)
    flow_run_id = state.state_details.flow_run_id
    found = _fresh(f"""
        import json
        from cadenza.artifacts import Artifact, list_artifacts
        latest = Artifact.get("{key}-report")
        runs = list_artifacts(flow_run_id="{flow_run_id}")
        progress = Artifact.get("{key}-progress")
        print(json.dumps({{"latest": [latest.data, latest.description],
                          "progress": [progress.data, progress.description],
                          "all": [[a.type, a.key, a.data, a.task_run_id] for a in runs]}}))
    """)
    assert found["latest"] == ["# second", "v2"]
    assert found["progress"] == [100.0, "done"]
    by_key = {key_: (type_, data, task_run) for type_, key_, data, task_run in found["all"]}
    assert len(found["all"]) == 6
    assert by_key[f"{key}-image"][:2] == ("image", "https://example.com/chart.png")
    assert by_key[f"{key}-link"][:2] == (
        "link",
        {"link": "https://example.com/x", "link_text": "x"},
    )
    table_type, table, table_task_run = by_key[f"{key}-table"]
    assert (table_type, table) == ("table", [{"n": 1, "bad": None}])
    [task_run] = backend.show(flow_run_id)["task_runs"]
    assert table_task_run == task_run["id"]
    assert by_key[f"{key}-link"][2] is None  # created by the flow itself


def test_variables_set_get_overwrite_unset(backend: Backend) -> None:
    from cadenza.variables import Variable

    name = f"v_{uuid.uuid4().hex[:8]}"
    assert Variable.get(name, default="fallback") == "fallback"
    Variable.set(name, {"rows": [1, 2]}, tags=["etl"])
    with pytest.raises(ValueError, match=rf"Variable '{name}' already exists.*overwrite=True"):
        Variable.set(name, 3)
    assert _fresh(f"from cadenza.variables import Variable; import json; "
                  f"print(json.dumps(Variable.get('{name}')))") == {"rows": [1, 2]}  # fmt: skip
    Variable.set(name, 3, overwrite=True)
    assert Variable.get(name) == 3
    assert name not in [v.name for v in Variable.list(tag="etl")]  # tags replaced with the value
    Variable.set(name, 4, tags=["etl"], overwrite=True)
    assert name in [v.name for v in Variable.list(tag="etl")]
    assert Variable.unset(name) is True
    assert Variable.unset(name) is False
    with pytest.raises(ValueError, match="Invalid variable name"):
        Variable.set("Not Valid", 1)
    with pytest.raises(ValueError, match="must be JSON"):
        Variable.set(f"{name}-x", object())


def test_blocks_round_trip_with_secrets_sealed(backend: Backend) -> None:
    from cadenza.blocks.system import Secret

    name = f"b-{uuid.uuid4().hex[:8]}"
    Secret(value="hunter2-very-secret").save(name)
    loaded = _fresh(f"""
        import json
        from cadenza.blocks.system import Secret
        print(json.dumps(Secret.load("{name}").get()))
    """)
    assert loaded == "hunter2-very-secret"
    assert name in Secret.list()
    if backend.server is not None:
        from cadenza.client.remote import remote_or_none

        client = remote_or_none()
        masked = client.get_block("secret", name)
        assert "hunter2" not in json.dumps(masked)
        assert masked["data"]["value"] == {"$cadenza-secret": "str", "masked": True}
        stored = backend.server.stored_block_data("secret", name)
        assert "hunter2" not in stored and '"token"' in stored  # encrypted by the server
    Secret.delete(name)
    assert name not in Secret.list()
