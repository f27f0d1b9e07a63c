"""Results persisted to Blob Storage by a real flow, read back by another process through the
saved blocks."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from typing import Any

from cadenza import flow, task
from cadenza.backends import current_backend
from cadenza.settings import spec

from cadenza_azure import AzureBlobStorageContainer, AzureBlobStorageCredentials

READ_BACK = """
import sys
from cadenza.results import load_run_result
print(repr(load_run_result(sys.argv[1])))
"""


def _read_in_a_fresh_process(run_id: str, env: dict[str, str] | None = None) -> str:
    """``load_run_result(run_id)`` in a new interpreter (same CADENZA_HOME, from the env)."""
    out = subprocess.run(
        [sys.executable, "-c", READ_BACK, run_id],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _persist(storage: Any) -> tuple[str, str]:
    """Run a flow whose task persists ``{"answer": 42}`` to ``storage``; (task run id, ref)."""

    @task(persist_result=True, result_storage=storage)
    def produce() -> dict:
        return {"answer": 42}

    @flow
    def pipeline() -> dict:
        return produce()

    assert pipeline() == {"answer": 42}
    current_backend().flush()
    with sqlite3.connect(spec.home() / "cadenza.db") as conn:
        return conn.execute(
            "SELECT id, result_ref FROM task_runs WHERE task_name = 'produce'"
        ).fetchone()


def test_a_flow_persists_its_result_and_a_new_process_reads_it_back(
    azurite: Any, container_name: str
):
    credentials = azurite.credentials("account_key")
    credentials.save("azurite")
    container = AzureBlobStorageContainer(
        container_name=container_name, base_folder="results", credentials=credentials
    )
    run_id, ref = _persist(container)
    storage = json.loads(ref)["storage"]
    assert storage == {
        "type": "azure-blob-storage-container",
        "container_name": container_name,
        "base_folder": "results/",
        "credentials": {"block": "azure-blob-storage-credentials/azurite"},
    }
    assert container.list_keys() == [json.loads(ref)["key"]]
    assert _read_in_a_fresh_process(run_id) == "{'answer': 42}"


def test_result_storage_by_saved_block_name(azurite: Any, container_name: str):
    azurite.container(container_name, "by-name", create=False).save("results")
    run_id, ref = _persist("azure-blob-storage-container/results")
    assert json.loads(ref)["storage"]["block"] == "azure-blob-storage-container/results"
    assert _read_in_a_fresh_process(run_id) == "{'answer': 42}"
    assert AzureBlobStorageContainer.load("results").list_keys() == [json.loads(ref)["key"]]


def test_a_flow_level_result_storage(azurite: Any, container_name: str):
    container = azurite.container(container_name, "flows", create=False)

    @flow(persist_result=True, result_storage=container)
    def nightly() -> list[int]:
        return [1, 2, 3]

    state = nightly(return_state=True)
    assert state.is_completed(), state.message
    assert state.result() == [1, 2, 3]
    assert container.list_keys(), "nothing was persisted"


def test_an_unsaved_secret_never_reaches_the_reference(azurite: Any, container_name: str):
    """Written with credentials that were never saved, the reference keeps only the account
    URL: a reader authenticates its own way (documented)."""
    credentials = azurite.credentials("sas_token")
    ref = AzureBlobStorageContainer(container_name=container_name, credentials=credentials).to_ref()
    text = json.dumps(ref)
    assert credentials.sas_token is not None
    assert credentials.sas_token.get_secret_value() not in text
    assert "sig=" not in text
    assert ref["credentials"]["account_url"] == azurite.account_url
    rebuilt = AzureBlobStorageContainer.from_ref(ref)
    assert rebuilt.credentials.source == "default_credential"
    assert isinstance(rebuilt.credentials, AzureBlobStorageCredentials)
