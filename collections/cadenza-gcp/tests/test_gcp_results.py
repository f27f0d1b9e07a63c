"""Results persisted to GCS, read back by another process through the saved blocks."""

from __future__ import annotations

import json
import subprocess
import sys

from cadenza import flow, task

from cadenza_gcp import GcpCredentials, GcsBucket

READ_BACK = """
import sys
from cadenza.results import load_run_result
print(repr(load_run_result(sys.argv[1])))
"""


def _read_in_a_fresh_process(run_id: str) -> str:
    """``load_run_result(run_id)`` in a new interpreter (same CADENZA_HOME, from the env)."""
    out = subprocess.run(
        [sys.executable, "-c", READ_BACK, run_id], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _persist(storage) -> tuple[str, str]:
    """Run a flow whose task persists ``{"answer": 42}`` to ``storage``; (task run id, ref)."""

    @task(persist_result=True, result_storage=storage)
    def produce() -> dict:
        return {"answer": 42}

    @flow
    def pipeline() -> dict:
        return produce()

    assert pipeline() == {"answer": 42}
    from cadenza.backends import current_backend

    current_backend().flush()
    import sqlite3

    from cadenza.settings import spec

    with sqlite3.connect(spec.home() / "cadenza.db") as conn:
        return conn.execute(
            "SELECT id, result_ref FROM task_runs WHERE task_name = 'produce'"
        ).fetchone()


def test_result_read_back_from_a_fresh_process_through_saved_credentials(
    gcs_emulator, bucket_name, service_account_info
):
    credentials = gcs_emulator.credentials()
    credentials.save("emulator")
    bucket = GcsBucket(bucket=bucket_name, bucket_folder="results", gcp_credentials=credentials)
    run_id, ref = _persist(bucket)
    storage = json.loads(ref)["storage"]
    assert storage == {
        "type": "gcs-bucket",
        "bucket": bucket_name,
        "bucket_folder": "results/",
        "credentials": {"block": "gcp-credentials/emulator"},
    }
    assert bucket.list_keys() == [json.loads(ref)["key"]]
    assert _read_in_a_fresh_process(run_id) == "{'answer': 42}"


def test_result_storage_by_saved_block_name(gcs_emulator, bucket_name):
    gcs_emulator.bucket(bucket_name, "by-name").save("results")
    run_id, ref = _persist("gcs-bucket/results")
    assert json.loads(ref)["storage"]["block"] == "gcs-bucket/results"
    assert _read_in_a_fresh_process(run_id) == "{'answer': 42}"
    assert GcsBucket.load("results").list_keys() == [json.loads(ref)["key"]]


def test_an_unsaved_key_never_reaches_the_reference(
    gcs_emulator, bucket_name, service_account_info, private_key_pem, leaked
):
    """Written with a key that was never saved, the reference drops the key: readers fall back
    to the default credential chain (documented)."""
    credentials = GcpCredentials(service_account_info=service_account_info)
    ref = GcsBucket(bucket=bucket_name, gcp_credentials=credentials).to_ref()
    text = json.dumps(ref)
    assert not leaked(text)
    assert service_account_info["client_email"] not in text
    rebuilt = GcsBucket.from_ref(ref)
    assert rebuilt.gcp_credentials.uses_default_credentials
