"""The prebuilt task, run inside a flow, with results kept in ShellStorage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cadenza import flow, task

from cadenza_shell import (
    ShellCredentials,
    ShellStorage,
    shell_greet,
)

# the collection's names, each on a line of its own (they can be long)
SLUG = "shell"
TASK = "shell_greet"
Credentials = ShellCredentials
Storage = ShellStorage
greet = shell_greet


def test_greet_runs_as_a_recorded_task_run(cadenza_record: Any) -> None:
    @flow
    def hello(name: str) -> str:
        return greet(name)

    assert hello("cadenza") == "Hello, cadenza!"
    rows = cadenza_record("SELECT task_name, state_type FROM task_runs")
    assert rows == [(TASK, "COMPLETED")]


def test_a_flow_keeps_its_result_in_the_storage(tmp_path: Path) -> None:
    storage = Storage(basepath=tmp_path / "results")

    @flow(persist_result=True, result_storage=storage)
    def hello(name: str) -> str:
        return greet(name, punctuation="?")

    state = hello("storage", return_state=True)
    assert state.is_completed(), state.message
    assert state.result() == "Hello, storage?"
    assert storage.list_keys(), "nothing was persisted"


def test_a_saved_storage_block_is_usable_by_name(tmp_path: Path) -> None:
    Storage(basepath=tmp_path / "by-name").save("results")

    @task(persist_result=True, result_storage=f"{SLUG}-storage/results")
    def answer() -> int:
        return 42

    @flow
    def main() -> int:
        return answer()

    assert main() == 42
    assert Storage.load("results").list_keys()


def test_credentials_are_sent_but_never_shown() -> None:
    creds = Credentials(api_token="a-long-test-token")
    assert creds.auth_headers() == {"Authorization": "Bearer a-long-test-token"}
    assert "a-long-test-token" not in repr(creds)


def test_storage_references_hold_no_secrets_and_rebuild_the_store(tmp_path: Path) -> None:
    storage = Storage(basepath=tmp_path)
    ref = storage.to_ref()
    assert ref == {"type": f"{SLUG}-storage", "basepath": str(tmp_path), "namespace": "default"}
    storage.write_path("a/b", b"blob")
    assert Storage.from_ref(ref).read_path("a/b") == b"blob"
