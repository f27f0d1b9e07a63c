"""GcsBucket against the emulator: prefect-gcp's helpers, keys, folders and clear errors."""

from __future__ import annotations

import io
import pickle

import pytest
from cadenza.exceptions import InvalidStorageKey
from pydantic import ValidationError

from cadenza_gcp import GcsBucket


def test_write_path_stores_under_the_bucket_folder(gcs_bucket):
    assert gcs_bucket.bucket_folder == "data/"
    assert gcs_bucket.write_path("a/b.bin", b"payload") == "data/a/b.bin"
    names = [blob.name for blob in gcs_bucket.get_client().list_blobs(gcs_bucket.bucket)]
    assert names == ["data/a/b.bin"]
    assert gcs_bucket.basepath == f"gs://{gcs_bucket.bucket}/data/"


def test_write_path_needs_bytes(gcs_bucket):
    with pytest.raises(TypeError, match="needs bytes, got str"):
        gcs_bucket.write_path("a", "text")


@pytest.mark.parametrize("folder, expected", [("", ""), ("/", ""), ("a//b/", "a/b/"), ("x", "x/")])
def test_bucket_folder_is_normalised(folder, expected):
    assert GcsBucket(bucket="abc", bucket_folder=folder).bucket_folder == expected


@pytest.mark.parametrize("folder", ["../up", "a/../../b", "a\\b"])
def test_unsafe_bucket_folders_are_refused(folder):
    with pytest.raises(ValidationError, match="bucket_folder"):
        GcsBucket(bucket="abc", bucket_folder=folder)


@pytest.mark.parametrize("name", ["ab", "Upper", "-dash", "a..b", "x" * 230])
def test_invalid_bucket_names_are_refused(name):
    with pytest.raises(ValidationError, match="Invalid bucket name"):
        GcsBucket(bucket=name)


def test_a_missing_object_names_the_bucket_and_the_key(gcs_bucket):
    with pytest.raises(FileNotFoundError) as info:
        gcs_bucket.read_path("reports/missing.csv")
    message = str(info.value)
    assert gcs_bucket.bucket in message and "data/reports/missing.csv" in message


def test_a_missing_bucket_is_a_clear_error(gcs_emulator):
    bucket = gcs_emulator.bucket("no-such-bucket")
    with pytest.raises(FileNotFoundError, match="bucket 'no-such-bucket' does not exist"):
        bucket.write_path("a", b"x")


@pytest.mark.parametrize("key", ["../../etc/passwd", "/etc/passwd", "a/../../b", "a\\b"])
def test_unsafe_keys_are_refused_by_the_helpers(gcs_bucket, key, tmp_path):
    local = tmp_path / "f.txt"
    local.write_text("x")
    for call in (
        lambda: gcs_bucket.upload_from_path(local, key),
        lambda: gcs_bucket.download_object_to_path(key, tmp_path / "out"),
        lambda: gcs_bucket.upload_from_file_object(io.BytesIO(b"x"), key),
        lambda: gcs_bucket.copy_object("a", key),
        lambda: gcs_bucket.list_keys(key),
        lambda: gcs_bucket.list_blobs(key),
    ):
        with pytest.raises(InvalidStorageKey):
            call()


def test_upload_from_path_and_download_object_to_path(gcs_bucket, tmp_path):
    source = tmp_path / "report.csv"
    source.write_text("a,b\n1,2\n")
    assert gcs_bucket.upload_from_path(source) == "data/report.csv"
    assert gcs_bucket.upload_from_path(source, "2024/r.csv") == "data/2024/r.csv"
    target = gcs_bucket.download_object_to_path("2024/r.csv", tmp_path / "out" / "r.csv")
    assert target.read_text() == "a,b\n1,2\n" and target.is_absolute()


def test_download_of_a_missing_object_leaves_no_file(gcs_bucket, tmp_path):
    target = tmp_path / "gone.txt"
    with pytest.raises(FileNotFoundError, match=r"data/gone\.txt"):
        gcs_bucket.download_object_to_path("gone.txt", target)
    assert not target.exists()


def test_file_objects_round_trip(gcs_bucket):
    assert gcs_bucket.upload_from_file_object(io.BytesIO(b"stream"), "s.bin") == "data/s.bin"
    out = gcs_bucket.download_object_to_file_object("s.bin", io.BytesIO())
    assert out.getvalue() == b"stream"


def test_folders_round_trip(gcs_bucket, tmp_path):
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "one.txt").write_text("1")
    (source / "sub" / "two.txt").write_text("2")
    assert gcs_bucket.upload_from_folder(source, "up") == "data/up/"
    assert gcs_bucket.list_keys("up/") == ["up/one.txt", "up/sub/two.txt"]
    assert gcs_bucket.list_folders() == ["up", "up/sub"]
    assert gcs_bucket.list_folders("up") == ["up/sub"]
    assert sorted(b.name for b in gcs_bucket.list_blobs("up")) == [
        "data/up/one.txt",
        "data/up/sub/two.txt",
    ]
    target = gcs_bucket.download_folder_to_path("up", tmp_path / "dst")
    assert (target / "one.txt").read_text() == "1"
    assert (target / "sub" / "two.txt").read_text() == "2"


def test_download_folder_refuses_objects_that_would_escape(gcs_bucket, tmp_path):
    # an object another program wrote under a name that is no safe key: refused before any file
    # is written (a '..' name would be refused the same way; the emulator cannot store one)
    gcs_bucket.get_bucket().blob("data/evil/up\\escape.txt").upload_from_string(b"x")
    with pytest.raises(InvalidStorageKey):
        gcs_bucket.download_folder_to_path("evil", tmp_path / "dst")
    assert not (tmp_path / "dst").exists() or not any((tmp_path / "dst").iterdir())


def test_copy_object_within_and_across_buckets(gcs_bucket, gcs_emulator):
    other = gcs_emulator.bucket(gcs_emulator.create_bucket("copy-target-bucket"), "in")
    gcs_bucket.write_path("src.txt", b"copied")
    assert gcs_bucket.copy_object("src.txt", "dup.txt") == "data/dup.txt"
    assert gcs_bucket.copy_object("src.txt", "x.txt", to_bucket=other) == "in/x.txt"
    assert gcs_bucket.read_path("dup.txt") == other.read_path("x.txt") == b"copied"
    with pytest.raises(FileNotFoundError, match=r"data/nothing\.txt"):
        gcs_bucket.copy_object("nothing.txt", "y.txt")


def test_delete_object_reports_whether_there_was_one(gcs_bucket):
    gcs_bucket.write_path("d.txt", b"x")
    assert gcs_bucket.delete_object("d.txt") is True
    assert gcs_bucket.delete_object("d.txt") is False
    with pytest.raises(FileNotFoundError, match=r"data/d\.txt"):
        gcs_bucket.delete_object("d.txt", missing_ok=False)


def test_create_bucket(gcs_emulator):
    bucket = gcs_emulator.bucket("created-by-block")
    assert bucket.create_bucket().name == "created-by-block"
    bucket.write_path("k", b"v")
    assert bucket.read_path("k") == b"v"


def test_the_client_is_reused_but_not_pickled(gcs_bucket):
    assert gcs_bucket.get_client() is gcs_bucket.get_client()
    gcs_bucket.write_path("p", b"pickled")
    copy = pickle.loads(pickle.dumps(gcs_bucket))
    assert copy == gcs_bucket and copy._client is None
    assert copy.read_path("p") == b"pickled"


def test_to_ref_names_saved_credentials_instead_of_their_key(
    gcs_emulator, bucket_name, service_account_info
):
    from cadenza_gcp import GcpCredentials

    credentials = GcpCredentials(service_account_info=service_account_info)
    unsaved = GcsBucket(bucket=bucket_name, gcp_credentials=credentials).to_ref()
    assert unsaved == {"type": "gcs-bucket", "bucket": bucket_name, "bucket_folder": "",
                       "credentials": {}}  # fmt: skip
    credentials.save("sa")
    saved = GcsBucket(bucket=bucket_name, gcp_credentials=credentials).to_ref()
    assert saved["credentials"] == {"block": "gcp-credentials/sa"}
    emulator = gcs_emulator.bucket(bucket_name, "f").to_ref()
    assert emulator["credentials"] == {
        "project": "test",
        "anonymous": True,
        "api_endpoint": gcs_emulator.endpoint,
    }
