"""GcpCredentials: one source of credentials, clients for the emulator, clear errors."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from cadenza_gcp import GcpCredentials, GcpCredentialsError


def test_anonymous_credentials_give_a_working_client(gcp_credentials, bucket_name):
    client = gcp_credentials.get_cloud_storage_client()
    client.bucket(bucket_name).blob("hello.txt").upload_from_string(b"hello")
    assert [b.name for b in client.list_blobs(bucket_name)] == ["hello.txt"]
    assert client.project == "test"


def test_get_storage_client_is_an_alias(gcp_credentials):
    assert GcpCredentials.get_storage_client is GcpCredentials.get_cloud_storage_client
    client = gcp_credentials.get_storage_client(project="other")
    assert client.project == "other"


def test_only_one_source_is_accepted(service_account_info, tmp_path):
    with pytest.raises(ValidationError, match="only one credentials source"):
        GcpCredentials(service_account_info=service_account_info, anonymous=True)
    with pytest.raises(ValidationError, match="service_account_info and service_account_file"):
        GcpCredentials(
            service_account_info=service_account_info, service_account_file=tmp_path / "k.json"
        )


def test_service_account_info_may_be_a_json_string(service_account_info):
    credentials = GcpCredentials(service_account_info=json.dumps(service_account_info))
    assert credentials.service_account_info.get_secret_value() == service_account_info


def test_service_account_info_builds_service_account_credentials(service_account_info):
    credentials = GcpCredentials(service_account_info=service_account_info)
    google_credentials = credentials.get_credentials_from_service_account()
    assert google_credentials.service_account_email == service_account_info["client_email"]
    assert "https://www.googleapis.com/auth/cloud-platform" in google_credentials.scopes


def test_service_account_file_builds_credentials(service_account_info, tmp_path):
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(service_account_info))
    credentials = GcpCredentials(service_account_file=str(key_file))
    google_credentials = credentials.get_credentials_from_service_account()
    assert google_credentials.service_account_email == service_account_info["client_email"]


def test_a_missing_service_account_file_is_a_clear_error(tmp_path):
    missing = tmp_path / "nowhere.json"
    with pytest.raises(GcpCredentialsError, match=r"service_account_file .*nowhere.json.* does"):
        GcpCredentials(service_account_file=missing).get_cloud_storage_client()


def test_a_malformed_service_account_file_is_a_clear_error(tmp_path, private_key_pem, leaked):
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps({"private_key": private_key_pem}))
    with pytest.raises(GcpCredentialsError, match="not a valid service account JSON key") as info:
        GcpCredentials(service_account_file=key_file).get_credentials_from_service_account()
    assert not leaked(str(info.value) + repr(info.value))
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_the_api_endpoint_must_be_a_url():
    with pytest.raises(ValidationError, match="must start with http"):
        GcpCredentials(anonymous=True, api_endpoint="127.0.0.1:9023")
    assert GcpCredentials(api_endpoint="http://h:1/").api_endpoint == "http://h:1"


def test_non_secret_fields_never_include_the_key(service_account_info):
    credentials = GcpCredentials(service_account_info=service_account_info, project="p")
    assert credentials.non_secret_fields() == {
        "project": "p",
        "anonymous": False,
        "api_endpoint": None,
        "service_account_file": None,
    }


def test_saved_credentials_load_with_their_key(service_account_info):
    GcpCredentials(service_account_info=service_account_info, project="p").save("prod")
    loaded = GcpCredentials.load("prod")
    assert loaded.service_account_info.get_secret_value() == service_account_info
    assert loaded.get_credentials_from_service_account().project_id == "fake-sa-project"
