"""``cadenza block types | ls | show | create | delete``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from blocktypes import SECRETS
from click.testing import CliRunner

from cadenza.blocks.system import Secret
from cadenza.cli.main import cli
from cadenza.filesystems import LocalFileSystem


@pytest.fixture
def invoke():
    def run(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return run


def test_types_lists_slug_name_and_fields(invoke, creds_type) -> None:
    result = invoke("block", "types")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["SLUG", "NAME"]
    secret_line = next(line for line in lines if line.startswith("secret "))
    assert "Secret" in secret_line and "value*" in secret_line
    lfs = next(line for line in lines if line.startswith("local-file-system"))
    assert "basepath?" in lfs
    creds = next(line for line in lines if line.startswith("service-credentials"))
    assert "password*" in creds and "username" in creds and "region?" in creds

    as_json = json.loads(invoke("block", "types", "--json").stdout)
    by_slug = {t["slug"]: t for t in as_json}
    assert by_slug["secret"]["secret_fields"] == ["value"]
    assert by_slug["secret"]["checksum"] == Secret.block_schema_checksum()


def test_create_show_ls_delete(invoke, tmp_path: Path) -> None:
    result = invoke("block", "create", "secret", "api-key", "--field", "value=sk-cli-secret")
    assert result.exit_code == 0 and "secret/api-key" in result.stdout
    assert "sk-cli-secret" not in result.stdout
    assert Secret.load("api-key").get() == "sk-cli-secret"

    result = invoke("block", "create", "local-file-system", "res", "-f", f"basepath={tmp_path}")
    assert result.exit_code == 0
    assert LocalFileSystem.load("res").basepath == tmp_path

    ls = invoke("block", "ls")
    assert ls.exit_code == 0
    names = [line.split()[0] for line in ls.stdout.splitlines()[2:]]
    assert names == ["local-file-system/res", "secret/api-key"]
    ls_json = json.loads(invoke("block", "ls", "--json").stdout)
    assert [(b["type_slug"], b["name"]) for b in ls_json] == [
        ("local-file-system", "res"),
        ("secret", "api-key"),
    ]

    shown = invoke("block", "show", "secret/api-key")
    assert shown.exit_code == 0
    assert "value: ********" in shown.stdout and "sk-cli-secret" not in shown.stdout
    revealed = invoke("block", "show", "secret/api-key", "--show-secrets")
    assert "value: sk-cli-secret" in revealed.stdout
    as_json = json.loads(invoke("block", "show", "local-file-system/res", "--json").stdout)
    assert as_json["data"] == {"basepath": str(tmp_path)} and as_json["type_slug"] == (
        "local-file-system"
    )

    deleted = invoke("block", "delete", "secret/api-key")
    assert deleted.exit_code == 0 and "secret/api-key" in deleted.stdout
    assert Secret.list() == []


def test_show_masks_every_kind_of_secret(invoke, creds, creds_type) -> None:
    creds.save("prod")
    shown = invoke("block", "show", "service-credentials/prod")
    assert shown.exit_code == 0
    for secret in SECRETS:
        assert secret not in shown.stdout
    assert '"X-Api-Key": "********"' in shown.stdout and "username: alice" in shown.stdout
    data = json.loads(
        invoke("block", "show", "service-credentials/prod", "--json", "--show-secrets").stdout
    )["data"]
    assert data["endpoint"]["token"] == "nested-token-secret"
    assert data["headers"]["X-Api-Key"] == "header-secret-value"


def test_create_parses_json_values_and_keeps_strings_strings(invoke, creds_type) -> None:
    endpoint = json.dumps({"url": "https://svc", "token": "cli-nested-token"})
    result = invoke(
        "block", "create", "service-credentials", "c1",
        "--field", "username=bob",
        "--field", "password=12345678",  # valid JSON (a number), but the field is a string
        "--field", f"endpoint={endpoint}",
        "--field", 'headers={"k": "cli-header-secret"}',
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    from blocktypes import ServiceCredentials

    loaded = ServiceCredentials.load("c1")
    assert loaded.password.get_secret_value() == "12345678"
    assert loaded.endpoint.token.get_secret_value() == "cli-nested-token"
    assert loaded.headers.get_secret_value() == {"k": "cli-header-secret"}


def test_create_errors(invoke) -> None:
    invoke("block", "create", "secret", "dup", "--field", "value=first-value")

    exists = invoke("block", "create", "secret", "dup", "--field", "value=other-value")
    assert exists.exit_code == 1
    assert exists.stderr.startswith("Error: ") and "'secret/dup' already exists" in exists.stderr
    assert len(exists.stderr.strip().splitlines()) == 1
    overwritten = invoke(
        "block", "create", "secret", "dup", "--field", "value=other-value", "--overwrite"
    )
    assert overwritten.exit_code == 0 and Secret.load("dup").get() == "other-value"

    unknown = invoke("block", "create", "no-such-type", "x")
    assert unknown.exit_code == 2 and "Unknown block type 'no-such-type'" in unknown.stderr

    bad_name = invoke("block", "create", "secret", "Bad Name", "--field", "value=v1234")
    assert bad_name.exit_code == 2 and "Invalid block name 'Bad Name'" in bad_name.stderr

    missing = invoke("block", "create", "secret", "x")
    assert missing.exit_code == 2 and "value: Field required" in missing.stderr

    extra = invoke("block", "create", "secret", "x", "--field", "value=v1234", "-f", "nope=1")
    assert extra.exit_code == 2 and "nope" in extra.stderr

    malformed = invoke("block", "create", "secret", "x", "--field", "novalue")
    assert malformed.exit_code == 2 and "invalid --field" in malformed.stderr


def test_show_and_delete_errors(invoke) -> None:
    missing = invoke("block", "show", "secret/nope")
    assert missing.exit_code == 1 and "'secret/nope'" in missing.stderr
    no_slug = invoke("block", "show", "nope")
    assert no_slug.exit_code == 2 and "block-type-slug/block-name" in no_slug.stderr
    gone = invoke("block", "delete", "secret/nope")
    assert gone.exit_code == 1 and "'secret/nope'" in gone.stderr
    assert invoke("block", "delete", "nope").exit_code == 2


def test_show_with_a_wrong_key_is_one_line(invoke, cadenza_home: Path) -> None:
    from cadenza.blocks import crypto

    Secret(value="some-value").save("s")
    (cadenza_home / "key").write_bytes(crypto.generate_key().encode())
    crypto.reset_cache()
    result = invoke("block", "show", "secret/s")
    assert result.exit_code == 1 and "does not match" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_ls_when_empty(invoke) -> None:
    result = invoke("block", "ls")
    assert result.exit_code == 0 and "No saved blocks." in result.stdout


@pytest.mark.integration  # a fresh interpreter
def test_real_subprocess(cadenza_home: Path) -> None:
    env = {**os.environ, "CADENZA_HOME": str(cadenza_home)}

    def cadenza(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "cadenza.cli.main", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    created = cadenza("block", "create", "secret", "sub", "--field", "value=subprocess-secret")
    assert created.returncode == 0, created.stderr
    shown = cadenza("block", "show", "secret/sub")
    assert shown.returncode == 0 and "********" in shown.stdout
    assert "subprocess-secret" not in shown.stdout + shown.stderr
    assert Secret.load("sub").get() == "subprocess-secret"  # this process reads it too
    listed = cadenza("block", "ls")
    assert "secret/sub" in listed.stdout
    assert "block" in cadenza("--help").stdout
