"""The routes that describe the server — block types with their schemas, plugins, settings —
and saving blocks as the dashboard's forms do (plain values for secrets, masked secrets kept),
against real server processes on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backends.server_process import ServerProcess
from cadenza.client.errors import NotFound
from cadenza.client.http import ApiClient
from cadenza.server.settings_view import mask_url

pytestmark = pytest.mark.slow

BROKEN = "raise ImportError('the broken plugin cannot import its SDK')\n"
SIGNING_KEY = "ab" * 32


@pytest.fixture(params=["sqlite_server", "postgresql_server"])
def server(request: pytest.FixtureRequest) -> ServerProcess:
    """A real server process, on SQLite then on PostgreSQL (the block routes write both)."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def client(server: ServerProcess) -> Iterator[ApiClient]:
    with ApiClient(server.url, retry_time=5) as api:
        yield api


@pytest.fixture(scope="module")
def odd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server with a broken plugin installed beside the collections, a secret setting and
    one from the environment."""
    home = tmp_path_factory.mktemp("odd-server")
    site = home / "site"
    site.mkdir()
    (site / "broken_plugin.py").write_text(BROKEN)
    info = site / "cadenza_broken-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cadenza-broken\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text("[cadenza]\nbroken = broken_plugin\n")
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p)
    env = {"PYTHONPATH": path, "CADENZA_RESULTS_SIGNING_KEY": SIGNING_KEY,
           "CADENZA_LOGGING_LEVEL": "DEBUG"}  # fmt: skip
    server = ServerProcess(f"sqlite:///{home / 'server.db'}", home, env=env).start()
    yield server
    server.stop()


def _load_in_fresh_process(server: ServerProcess, full_name: str) -> dict:
    """``Block.load(full_name)`` in a new interpreter that uses the server; its fields with
    secrets in clear text."""
    code = textwrap.dedent(f"""
        import json
        from cadenza.blocks.core import Block, secret_values
        block = Block.load({full_name!r})
        print(json.dumps({{"type": type(block).__name__, "fields": block.model_dump(mode="json"),
                           "secrets": secret_values(block)}}))
    """)
    env = {**os.environ, "CADENZA_API_URL": server.url, "CADENZA_HOME": str(server.home)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- block types --------------------------------------------------------------------------------
def test_block_types_list_the_cores_and_the_collections_with_schemas(client: ApiClient) -> None:
    from cadenza_aws import AwsCredentials

    types = {t["slug"]: t for t in client.read_block_types()}
    assert list(types) == sorted(types)
    secret = types["secret"]
    assert (secret["distribution"], secret["plugin"]) == ("cadenza", "builtin.blocks")
    assert secret["secret_fields"] == ["value"]
    assert secret["schema"]["properties"]["value"]["writeOnly"] is True
    assert secret["schema"]["required"] == ["value"]

    aws = types["aws-credentials"]
    assert (aws["distribution"], aws["plugin"], aws["name"]) == (
        "cadenza-aws", "aws", "AWS Credentials"
    )  # fmt: skip
    assert aws["version"] and aws["module"] == "cadenza_aws.credentials"
    assert aws["description"].startswith("Credentials and client settings for AWS")
    assert {"aws_secret_access_key", "aws_session_token"} == set(aws["secret_fields"])
    assert aws["schema_checksum"] == AwsCredentials.block_schema_checksum()
    assert aws["schema"]["properties"]["region_name"]["description"]
    assert types["s3-bucket"]["secret_fields"] == [
        "credentials.aws_secret_access_key", "credentials.aws_session_token"
    ]  # fmt: skip

    assert client.read_block_type("aws-credentials") == aws
    with pytest.raises(NotFound, match=r"No block type 'no-such-type'.*aws-credentials"):
        client.read_block_type("no-such-type")
    bad = httpx.get(f"{client.url}/block_types/Not%20A%20Slug")
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["path", "slug"]


# -- saving blocks as a form does ---------------------------------------------------------------
def _checksum(client: ApiClient, slug: str) -> str:
    return client.read_block_type(slug)["schema_checksum"]


def test_a_block_given_plain_secret_values_is_validated_sealed_and_loads(
    client: ApiClient, server: ServerProcess
) -> None:
    name = f"prod-{uuid.uuid4().hex[:8]}"
    body = {"data": {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "wJalr-s3cret",
                     "region_name": "eu-west-1"},
            "schema_checksum": _checksum(client, "aws-credentials")}  # fmt: skip
    made = httpx.put(f"{client.url}/blocks/aws-credentials/{name}", json=body)
    assert made.status_code == 201, made.text

    stored = server.stored_block_data("aws-credentials", name)
    assert "wJalr-s3cret" not in stored and '"token"' in stored  # sealed by the server
    masked = client.request("GET", f"/blocks/aws-credentials/{name}").json()["data"]
    assert masked["aws_secret_access_key"] == {"$cadenza-secret": "str", "masked": True}
    assert masked["aws_client_parameters"]["use_ssl"] is True  # stored as the type saves it

    loaded = _load_in_fresh_process(server, f"aws-credentials/{name}")
    assert loaded["type"] == "AwsCredentials"
    assert loaded["fields"]["region_name"] == "eu-west-1"
    assert loaded["secrets"] == ["wJalr-s3cret"]


def test_data_read_masked_and_saved_back_keeps_its_secrets(
    client: ApiClient, server: ServerProcess
) -> None:
    name = f"keep-{uuid.uuid4().hex[:8]}"
    url = f"{client.url}/blocks/aws-credentials/{name}"
    checksum = _checksum(client, "aws-credentials")
    first = {"aws_secret_access_key": "first-s3cret", "region_name": "eu-west-1"}
    assert httpx.put(url, json={"data": first, "schema_checksum": checksum}).status_code == 201

    data = httpx.get(url).json()["data"]  # as the edit form gets it: the secret masked
    data["region_name"] = "us-east-2"
    again = httpx.put(url, json={"data": data, "schema_checksum": checksum, "overwrite": True})
    assert again.status_code == 200, again.text
    loaded = _load_in_fresh_process(server, f"aws-credentials/{name}")
    assert loaded["fields"]["region_name"] == "us-east-2"
    assert loaded["secrets"] == ["first-s3cret"]  # kept, not overwritten with the mask

    # a mask where nothing is saved to keep is refused at that field, and nothing changes
    data["aws_session_token"] = {"$cadenza-secret": "str", "masked": True}
    refused = httpx.put(url, json={"data": data, "schema_checksum": checksum, "overwrite": True})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "data", "aws_session_token"]
    assert _load_in_fresh_process(server, f"aws-credentials/{name}")["secrets"] == ["first-s3cret"]
    # a new value replaces the secret
    data["aws_session_token"] = None
    data["aws_secret_access_key"] = "second-s3cret"
    replaced = httpx.put(url, json={"data": data, "schema_checksum": checksum, "overwrite": True})
    assert replaced.status_code == 200, replaced.text
    got = httpx.get(url, params={"include_secrets": "true"}).json()["data"]
    assert got["aws_secret_access_key"] == {"$cadenza-secret": "str", "value": "second-s3cret"}


def test_fields_that_do_not_validate_are_refused_by_name(client: ApiClient) -> None:
    name = f"bad-{uuid.uuid4().hex[:8]}"
    url = f"{client.url}/blocks/aws-credentials/{name}"
    data = {"aws_secret_access_key": "never-shown-s3cret", "no_such_field": 1,
            "aws_client_parameters": {"use_ssl": "perhaps"}}  # fmt: skip
    checksum = _checksum(client, "aws-credentials")
    refused = httpx.put(url, json={"data": data, "schema_checksum": checksum})
    assert refused.status_code == 422
    locs = sorted(e["loc"] for e in refused.json()["errors"])
    assert locs == [["body", "data", "aws_client_parameters", "use_ssl"],
                    ["body", "data", "no_such_field"]]  # fmt: skip
    assert "never-shown-s3cret" not in refused.text and "perhaps" not in refused.text
    assert httpx.get(url).status_code == 404  # nothing saved

    body = {"data": {}, "schema_checksum": _checksum(client, "secret")}
    missing = httpx.put(f"{client.url}/blocks/secret/{name}", json=body)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["body", "data", "value"]


def test_a_block_of_another_schema_version_is_stored_as_sent(client: ApiClient) -> None:
    """A client with another version of the type validated the data itself: the server cannot
    judge it by its own version, so it stores what it was given (secrets in the open form)."""
    name = f"other-{uuid.uuid4().hex[:8]}"
    url = f"{client.url}/blocks/aws-credentials/{name}"
    data = {"field_of_a_newer_version": 1,
            "aws_secret_access_key": {"$cadenza-secret": "str", "value": "v2-s3cret"}}  # fmt: skip
    made = httpx.put(url, json={"data": data, "schema_checksum": "sha256:another-version"})
    assert made.status_code == 201, made.text
    got = httpx.get(url, params={"include_secrets": "true"}).json()
    assert got["data"] == data and got["schema_checksum"] == "sha256:another-version"


# -- plugins and settings -----------------------------------------------------------------------
def test_plugins_list_what_each_implements_and_registers_and_why_one_failed(
    odd_server: ServerProcess,
) -> None:
    with ApiClient(odd_server.url, retry_time=5) as api:
        answer = api.read_plugins()
    plugins = {p["name"]: p for p in answer["plugins"]}
    aws = plugins["aws"]
    assert (aws["distribution"], aws["status"], aws["entry_point"]) == (
        "cadenza-aws", "loaded", "aws = cadenza_aws.plugin"
    )  # fmt: skip
    assert "register_block_types" in aws["hooks"] and aws["version"]
    assert "aws-credentials" in aws["registered"]["block_types"]
    assert "s3-bucket" in aws["registered"]["storage_backends"]
    assert "s3_upload" in aws["registered"]["tasks"]
    assert plugins["builtin.workers"]["registered"] == {"worker_types": ["process"]}

    broken = plugins["broken"]
    assert (broken["distribution"], broken["version"], broken["status"]) == (
        "cadenza-broken", "0.3", "failed"
    )  # fmt: skip
    assert "the broken plugin cannot import its SDK" in broken["error"]
    assert broken["registered"] == {}
    assert answer["conflicts"] == []


def test_settings_show_values_sources_and_descriptions_with_secrets_masked(
    odd_server: ServerProcess,
) -> None:
    with ApiClient(odd_server.url, retry_time=5) as api:
        rows = api.read_server_settings()
    text = json.dumps(rows)
    assert SIGNING_KEY not in text
    by_name = {r["name"]: r for r in rows}
    assert by_name["CADENZA_LOGGING_LEVEL"]["value"] == "DEBUG"
    assert by_name["CADENZA_LOGGING_LEVEL"]["source"] == "env"
    assert by_name["CADENZA_LOGGING_LEVEL"]["default"] == "INFO"
    signing = by_name["CADENZA_RESULTS_SIGNING_KEY"]
    assert (signing["value"], signing["source"], signing["secret"]) == ("********", "env", True)
    assert by_name["CADENZA_FLUSH_INTERVAL"] == {
        "name": "CADENZA_FLUSH_INTERVAL", "type": "number", "value": 0.05, "default": 0.05,
        "source": "default", "secret": False, "error": None,
        "description": "Batch window of the embedded record writer, in seconds.",
    }  # fmt: skip
    assert by_name["CADENZA_HOME"]["value"] == str(odd_server.home)
    database = by_name["CADENZA_DATABASE_URL"]
    assert database["value"] == odd_server.database_url and database["source"] == "argument"
    assert by_name["CADENZA_SERVER_API_KEY"]["value"] is None


def test_the_server_api_key_and_a_url_password_are_masked(tmp_path: Path) -> None:
    import warnings

    from cadenza.server.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    with TestClient(create_app(f"sqlite:///{tmp_path / 'k.db'}", api_key="k3y-s3cret")) as api:
        answer = api.get("/api/settings", headers={"Authorization": "Bearer k3y-s3cret"})
        assert api.get("/api/settings").status_code == 401
    assert answer.status_code == 200 and "k3y-s3cret" not in answer.text
    key = next(r for r in answer.json() if r["name"] == "CADENZA_SERVER_API_KEY")
    assert (key["value"], key["source"]) == ("********", "argument")
    assert mask_url("postgresql+psycopg://app:pa%40ss@db:5432/rec") == (
        "postgresql+psycopg://app:***@db:5432/rec"
    )  # fmt: skip
    assert mask_url("http://127.0.0.1:4200/api") == "http://127.0.0.1:4200/api"
    assert mask_url("https://user@host/x") == "https://user@host/x"
