"""Every prebuilt task, run inside a flow against the emulator, recorded like any task."""

from __future__ import annotations

import pytest
from cadenza import flow

from cadenza_gcp import gcs_copy, gcs_delete, gcs_download, gcs_list_blobs, gcs_upload
from cadenza_gcp.cloud_storage import (
    cloud_storage_copy_blob,
    cloud_storage_create_bucket,
    cloud_storage_download_blob_as_bytes,
    cloud_storage_download_blob_to_file,
    cloud_storage_upload_blob_from_file,
    cloud_storage_upload_blob_from_string,
)


def test_the_gcs_tasks_in_a_flow(gcs_bucket, gcs_emulator, record):
    archive = gcs_emulator.bucket(gcs_emulator.create_bucket("tasks-archive"), "archive")

    @flow
    def pipeline() -> dict:
        key = gcs_upload(gcs_bucket, "reports//today.csv", "a,b\n1,2\n")
        gcs_upload(gcs_bucket, "reports/raw.bin", b"\x00\x01", content_type="x-custom/bin")
        copied = gcs_copy(gcs_bucket, key, "reports/copy.csv")
        archived = gcs_copy(gcs_bucket, key, "2024/today.csv", target_bucket=archive)
        listed = gcs_list_blobs(gcs_bucket, prefix="reports/")
        body = gcs_download(gcs_bucket, copied)
        deleted = gcs_delete(gcs_bucket, "reports/raw.bin")
        again = gcs_delete(gcs_bucket, "reports/raw.bin")
        return {
            "key": key,
            "archived": archived,
            "listed": listed,
            "body": body,
            "deleted": (deleted, again),
            "after": gcs_list_blobs(gcs_bucket),
        }

    result = pipeline()
    assert result == {
        "key": "reports/today.csv",
        "archived": "2024/today.csv",
        "listed": ["reports/copy.csv", "reports/raw.bin", "reports/today.csv"],
        "body": b"a,b\n1,2\n",
        "deleted": (True, False),
        "after": ["reports/copy.csv", "reports/today.csv"],
    }
    assert archive.read_path("2024/today.csv") == b"a,b\n1,2\n"
    blob = gcs_bucket.get_bucket().get_blob("data/reports/raw.bin")
    assert blob is None  # deleted
    rows = record("SELECT task_name, state_type FROM task_runs ORDER BY created")
    assert {state for _, state in rows} == {"COMPLETED"} and len(rows) == 9
    logs = " ".join(m for (m,) in record("SELECT message FROM logs"))
    assert f"Uploaded 8 bytes to gs://{gcs_bucket.bucket}/data/reports/today.csv" in logs


def test_gcs_upload_sets_the_content_type(gcs_bucket):
    @flow
    def upload() -> None:
        gcs_upload(gcs_bucket, "t.txt", "text")
        gcs_upload(gcs_bucket, "t.bin", b"bytes", content_type="image/png")

    upload()
    assert gcs_bucket.get_bucket().get_blob("data/t.txt").content_type.startswith("text/plain")
    assert gcs_bucket.get_bucket().get_blob("data/t.bin").content_type == "image/png"


def test_a_failing_task_fails_its_run_with_a_clear_message(gcs_bucket, record):
    @flow
    def missing() -> bytes:
        return gcs_download(gcs_bucket, "nothing/here.csv")

    with pytest.raises(FileNotFoundError, match=r"data/nothing/here\.csv"):
        missing()
    (message,) = record("SELECT state_message FROM task_runs WHERE task_name = 'gcs_download'")[0]
    assert "data/nothing/here.csv" in message and gcs_bucket.bucket in message


@pytest.mark.parametrize("key", ["../../etc/passwd", "/etc/passwd"])
def test_tasks_refuse_unsafe_keys(gcs_bucket, key):
    from cadenza.exceptions import InvalidStorageKey

    @flow
    def unsafe() -> None:
        gcs_upload(gcs_bucket, key, b"x")

    with pytest.raises(InvalidStorageKey):
        unsafe()


def test_gcs_delete_can_insist_on_an_object(gcs_bucket):
    @flow
    def strict() -> bool:
        return gcs_delete(gcs_bucket, "absent.txt", missing_ok=False)

    with pytest.raises(FileNotFoundError, match=r"data/absent\.txt"):
        strict()


def test_prefect_gcp_named_tasks_in_a_flow(gcp_credentials, tmp_path, record):
    source = tmp_path / "in.csv"
    source.write_text("x,y\n")

    @flow
    def ported() -> dict:
        bucket = cloud_storage_create_bucket("prefect-named", gcp_credentials)
        target = cloud_storage_create_bucket("prefect-named-copy", gcp_credentials)
        name = cloud_storage_upload_blob_from_string("hello", bucket, "out/hello.txt",
                                                     gcp_credentials)  # fmt: skip
        from_file = cloud_storage_upload_blob_from_file(
            source, bucket, "in/in.csv", gcp_credentials
        )
        with source.open("rb") as fh:
            from_obj = cloud_storage_upload_blob_from_file(
                fh, bucket, "in/obj.csv", gcp_credentials
            )
        copied = cloud_storage_copy_blob(bucket, target, name, gcp_credentials)
        renamed = cloud_storage_copy_blob(bucket, target, name, gcp_credentials, dest_blob="r.txt")
        as_bytes = cloud_storage_download_blob_as_bytes(target, copied, gcp_credentials)
        to_file = cloud_storage_download_blob_to_file(
            bucket, from_file, tmp_path / "back.csv", gcp_credentials
        )
        to_dir = cloud_storage_download_blob_to_file(
            bucket, from_obj, str(tmp_path), gcp_credentials
        )
        return {
            "names": [bucket, target, name, from_file, from_obj, copied, renamed],
            "bytes": as_bytes,
            "to_file": to_file,
            "to_dir": to_dir,
        }

    result = ported()
    assert result["names"] == [
        "prefect-named",
        "prefect-named-copy",
        "out/hello.txt",
        "in/in.csv",
        "in/obj.csv",
        "out/hello.txt",
        "r.txt",
    ]
    assert result["bytes"] == b"hello"
    assert result["to_file"] == tmp_path / "back.csv" and result["to_file"].read_text() == "x,y\n"
    assert result["to_dir"] == str(tmp_path / "obj.csv")
    rows = record("SELECT DISTINCT state_type FROM task_runs")
    assert rows == [("COMPLETED",)]


def test_prefect_gcp_named_tasks_give_clear_errors(gcp_credentials, tmp_path):
    from cadenza.exceptions import InvalidStorageKey

    @flow
    def missing() -> bytes:
        return cloud_storage_download_blob_as_bytes("no-bucket-here", "a/b", gcp_credentials)

    with pytest.raises(FileNotFoundError, match="gs://no-bucket-here/a/b"):
        missing()

    @flow
    def unsafe() -> str:
        return cloud_storage_upload_blob_from_string("x", "b", "../x", gcp_credentials)

    with pytest.raises(InvalidStorageKey):
        unsafe()

    @flow
    def no_file() -> str:
        return cloud_storage_upload_blob_from_file(tmp_path / "nope", "abc", "k", gcp_credentials)

    with pytest.raises(FileNotFoundError, match="nope"):
        no_file()
