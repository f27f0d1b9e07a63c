"""Persisted results in S3, read back by a fresh process through the saved blocks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from cadenza import flow, task

from cadenza_aws import AwsCredentials, S3Bucket
from cadenza_aws.testing import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY

READ_BACK = """
import json, sys
from cadenza.results import load_run_result
print(json.dumps(load_run_result(sys.argv[1])))
"""


def _read_in_fresh_process(run_id: str, **env: str) -> Any:
    """``load_run_result(run_id)`` in a new interpreter sharing this test's CADENZA_HOME."""
    out = subprocess.run(
        [sys.executable, "-c", READ_BACK, run_id],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _only_task_run(record: Any) -> tuple[str, str]:
    ((run_id, ref),) = record("SELECT id, result_ref FROM task_runs")
    return run_id, ref


def test_a_result_persisted_with_saved_credentials_is_read_by_another_process(
    moto_server: Any, bucket_name: str, record: Any, s3: Any
):
    credentials = moto_server.credentials(aws_secret_access_key="results-secret-key-1")
    credentials.save("moto")
    storage = S3Bucket(bucket_name=bucket_name, bucket_folder="runs", credentials=credentials)

    @task(persist_result=True, result_storage=storage, result_storage_key="extract/{run_id}")
    def extract() -> dict:
        return {"rows": [1, 2, 3]}

    @flow
    def pipeline() -> dict:
        return extract()

    assert pipeline() == {"rows": [1, 2, 3]}
    run_id, ref = _only_task_run(record)
    stored = s3.list_objects_v2(Bucket=bucket_name, Prefix="runs/extract/")["Contents"]
    assert [o["Key"] for o in stored] == [f"runs/extract/{run_id}"]

    storage_ref = json.loads(ref)["storage"]
    assert storage_ref == {
        "type": "s3-bucket",
        "bucket_name": bucket_name,
        "bucket_folder": "runs",
        "credentials": {"block": "aws-credentials/moto"},
    }
    assert "results-secret-key-1" not in ref
    assert _read_in_fresh_process(run_id) == {"rows": [1, 2, 3]}


def test_a_saved_bucket_named_as_result_storage(moto_server: Any, bucket_name: str, record: Any):
    S3Bucket(bucket_name=bucket_name, credentials=moto_server.credentials()).save("results")

    @task(persist_result=True, result_storage="s3-bucket/results")
    def compute() -> list[int]:
        return [4, 5]

    @flow
    def pipeline() -> list[int]:
        return compute()

    assert pipeline() == [4, 5]
    run_id, ref = _only_task_run(record)
    assert json.loads(ref)["storage"]["credentials"] == {"s3_bucket_block": "results"}
    assert TEST_SECRET_ACCESS_KEY not in ref
    assert _read_in_fresh_process(run_id) == [4, 5]


def test_unsaved_credentials_fall_back_to_the_default_chain(
    moto_server: Any, bucket_name: str, record: Any, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET_ACCESS_KEY)
    credentials = AwsCredentials(region_name="us-east-1", endpoint_url=moto_server.endpoint_url)
    storage = S3Bucket(bucket_name=bucket_name, credentials=credentials)

    @flow(persist_result=True, result_storage=storage)
    def whole_flow() -> str:
        return "flow result"

    assert whole_flow() == "flow result"
    ((run_id, ref),) = record("SELECT id, result_ref FROM flow_runs")
    assert json.loads(ref)["storage"]["credentials"] == {
        "region_name": "us-east-1",
        "endpoint_url": moto_server.endpoint_url,
    }
    assert _read_in_fresh_process(run_id) == "flow result"


def test_unsaved_credentials_holding_a_secret_warn_and_stay_out_of_the_reference(
    moto_server: Any, bucket_name: str
):
    credentials = moto_server.credentials(aws_secret_access_key="never-in-a-reference")
    storage = S3Bucket(bucket_name=bucket_name, credentials=credentials)
    with pytest.warns(UserWarning, match="default credential chain"):
        ref = storage.to_ref()
    assert "never-in-a-reference" not in json.dumps(ref)
    assert "aws_access_key_id" not in json.dumps(ref)


def test_a_reference_to_a_deleted_credentials_block_fails_clearly(
    moto_server: Any, bucket_name: str
):
    from cadenza.blocks.exceptions import BlockNotFoundError

    credentials = moto_server.credentials()
    credentials.save("short-lived")
    ref = S3Bucket(bucket_name=bucket_name, credentials=credentials).to_ref()
    AwsCredentials.delete_by_name("short-lived")
    with pytest.raises(BlockNotFoundError, match="aws-credentials/short-lived"):
        S3Bucket.from_ref(ref)
