"""Saving, loading, listing and deleting blocks; names, types and the registry."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from blocktypes import Endpoint, ServiceCredentials
from pydantic import SecretStr

from cadenza.blocks.core import Block, BlockInfo, kebab
from cadenza.blocks.exceptions import (
    BlockAlreadyExistsError,
    BlockError,
    BlockNotFoundError,
    BlockTypeMismatchError,
    BlockTypeNotFoundError,
)
from cadenza.blocks.fields import SecretDict
from cadenza.blocks.registry import block_types, get_block_type, register_block_type
from cadenza.blocks.system import Secret
from cadenza.filesystems import LocalFileSystem

# -- round trips ----------------------------------------------------------------------------------


def test_secret_round_trip() -> None:
    block_id = Secret(value="sk-live-abcdef").save("openai")
    loaded = Secret.load("openai")
    assert isinstance(loaded, Secret)
    assert loaded.get() == "sk-live-abcdef"
    assert isinstance(loaded.value, SecretStr)
    assert loaded._block_document_name == "openai" and loaded._block_document_id == block_id
    assert Secret("positional-value").get() == "positional-value"  # Secret(value) also works


def test_local_file_system_round_trip_and_use(tmp_path: Path) -> None:
    fs = LocalFileSystem(basepath=tmp_path / "results")
    fs.save("results")
    loaded = LocalFileSystem.load("results")
    assert loaded == fs and loaded.basepath == tmp_path / "results"
    loaded.write_path("a/b.bin", b"payload")
    assert fs.read_path("a/b.bin") == b"payload"
    assert Block.load("local-file-system/results") == fs
    assert LocalFileSystem.get_block_type_slug() == "local-file-system"


def test_local_file_system_keeps_its_constructor(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert LocalFileSystem("rel").basepath == tmp_path / "rel"
    assert LocalFileSystem(basepath="rel").basepath == tmp_path / "rel"
    assert LocalFileSystem().basepath.is_absolute()
    assert LocalFileSystem.from_ref({"type": "local", "basepath": "/x"}).basepath == Path("/x")
    assert repr(LocalFileSystem("/x")) == "LocalFileSystem(basepath='/x')"


def test_block_with_every_kind_of_field_round_trips(creds, creds_type) -> None:
    creds.save("prod")
    loaded = ServiceCredentials.load("prod")
    assert loaded.username == "alice"
    assert loaded.password.get_secret_value() == "pa55word-secret"
    assert isinstance(loaded.headers, SecretDict)
    assert loaded.headers.get_secret_value() == {
        "X-Api-Key": "header-secret-value",
        "Accept": "json-secret",
    }
    assert isinstance(loaded.endpoint, Endpoint)
    assert loaded.endpoint.token.get_secret_value() == "nested-token-secret"
    assert loaded.mirrors[0].token.get_secret_value() == "mirror-token-secret"
    assert loaded.region is None
    assert loaded == creds


def test_block_load_by_slug_returns_the_registered_type(creds, creds_type) -> None:
    creds.save("prod")
    loaded = Block.load("service-credentials/prod")
    assert type(loaded) is ServiceCredentials
    assert ServiceCredentials.load("service-credentials/prod") == loaded


def test_block_load_needs_a_slug() -> None:
    with pytest.raises(ValueError, match="block-type-slug/block-name"):
        Block.load("prod")


def test_unregistered_slug_is_a_clear_error() -> None:
    with pytest.raises(BlockTypeNotFoundError, match=r"'no-such-type'.*known: .*secret"):
        Block.load("no-such-type/x")


def test_loading_as_the_wrong_type_names_both(creds, creds_type) -> None:
    creds.save("prod")
    with pytest.raises(BlockTypeMismatchError) as info:
        Secret.load("service-credentials/prod")
    message = str(info.value)
    assert "ServiceCredentials" in message and "Secret" in message
    assert "'service-credentials'" in message and "'secret'" in message


def test_missing_block_names_it() -> None:
    with pytest.raises(BlockNotFoundError, match="'secret/nope'") as info:
        Secret.load("nope")
    assert isinstance(info.value, ValueError)


# -- saving ---------------------------------------------------------------------------------------


def test_save_does_not_overwrite_unless_asked() -> None:
    Secret(value="first-value").save("token")
    with pytest.raises(BlockAlreadyExistsError, match="'secret/token' already exists") as info:
        Secret(value="second-value").save("token")
    assert isinstance(info.value, ValueError)
    assert Secret.load("token").get() == "first-value"
    Secret(value="second-value").save("token", overwrite=True)
    assert Secret.load("token").get() == "second-value"


def test_overwrite_keeps_the_id_and_created_time() -> None:
    first = Secret(value="first-value").save("token")
    (before,) = Block.list_all()
    second = Secret(value="second-value").save("token", overwrite=True)
    (after,) = Block.list_all()
    assert first == second and before.created == after.created
    assert after.updated >= before.updated


@pytest.mark.parametrize(
    "name", ["", "Prod", "has space", "-lead", "_lead", "a/b/c", "ünï", "x" * 101, "dot.name"]
)
def test_invalid_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="Invalid block"):
        Secret(value="some-value").save(name)
    with pytest.raises(ValueError, match="Invalid block"):
        Secret.load(name)


@pytest.mark.parametrize("name", ["prod", "a", "my_block-2", "0day", "x" * 100])
def test_valid_names(name: str) -> None:
    Secret(value="some-value").save(name)
    assert Secret.load(name).get() == "some-value"


def test_save_with_another_types_slug_is_refused() -> None:
    with pytest.raises(ValueError, match="type slug is 'local-file-system'"):
        Secret(value="some-value").save("local-file-system/x")
    Secret(value="some-value").save("secret/x")  # its own slug is fine
    assert Secret.load("x").get() == "some-value"


# -- delete and list ------------------------------------------------------------------------------


def test_delete_a_loaded_block_and_by_name() -> None:
    Secret(value="some-value").save("one")
    Secret(value="some-value").save("two")
    Secret(value="some-value").save("three")
    loaded = Secret.load("one")
    loaded.delete()
    assert loaded._block_document_name is None
    Secret.delete("two")  # Prefect's spelling: the class method
    Block.delete_by_name("secret/three")
    assert Secret.list() == []
    with pytest.raises(BlockNotFoundError, match="'secret/one'"):
        Secret.delete_by_name("one")


def test_deleting_an_unsaved_block_is_a_clear_error() -> None:
    with pytest.raises(BlockError, match="neither saved nor loaded"):
        Secret(value="some-value").delete()


def test_local_file_system_delete_is_the_storage_method(tmp_path: Path) -> None:
    fs = LocalFileSystem(tmp_path)
    fs.save("res")
    fs.write_path("k", b"1")
    fs.delete("k")  # deletes the blob, not the saved block
    assert not fs.exists("k")
    assert LocalFileSystem.list() == ["res"]
    LocalFileSystem.delete_by_name("res")
    assert LocalFileSystem.list() == []


def test_list_and_list_all(creds, creds_type, tmp_path: Path) -> None:
    Secret(value="some-value").save("b")
    Secret(value="some-value").save("a")
    LocalFileSystem(tmp_path).save("res")
    creds.save("prod")
    assert Secret.list() == ["a", "b"]
    assert ServiceCredentials.list() == ["prod"]
    assert Block.list() == [
        "local-file-system/res",
        "secret/a",
        "secret/b",
        "service-credentials/prod",
    ]
    infos = Block.list_all()
    assert all(isinstance(i, BlockInfo) for i in infos)
    assert [i.full_name for i in infos] == Block.list()
    assert infos[1].schema_checksum == Secret.block_schema_checksum()


# -- block types ----------------------------------------------------------------------------------


def test_slug_name_and_description_defaults(register) -> None:
    class AWSCredentials(Block):
        """Keys for AWS."""

        key_id: str

    class Child(ServiceCredentials):
        pass

    assert AWSCredentials.get_block_type_slug() == "aws-credentials"
    assert AWSCredentials.get_block_type_name() == "AWSCredentials"
    assert AWSCredentials.get_description() == "Keys for AWS."
    assert Child.get_block_type_slug() == "child"  # class attributes are not inherited
    assert Child.get_logo_url() is None
    assert ServiceCredentials.get_logo_url() == "https://example.invalid/logo.png"
    assert Secret.get_block_type_name() == "Secret"
    assert [kebab(n) for n in ("S3Bucket", "GCSBucket", "LocalFileSystem")] == [
        "s3-bucket",
        "gcs-bucket",
        "local-file-system",
    ]


def test_defining_a_block_type_registers_nothing() -> None:
    class NotRegistered(Block):
        x: int

    assert "not-registered" not in block_types()
    NotRegistered(x=1).save("n")  # saving works; loading by slug needs a registered type
    assert NotRegistered.load("n").x == 1
    with pytest.raises(BlockTypeNotFoundError):
        Block.load("not-registered/n")


def test_registry_layers_and_conflicts(register) -> None:
    types = block_types()
    assert types["secret"] is Secret and types["local-file-system"] is LocalFileSystem

    class Dup(Block):
        _block_type_slug = "dup-slug"
        x: int = 0

    class Dup2(Block):
        _block_type_slug = "dup-slug"
        y: int = 0

    register(Dup)
    register_block_type(Dup)  # the same class again: no-op
    assert get_block_type("dup-slug") is Dup
    with pytest.raises(ValueError, match=r"already registered to .*Dup.*cannot register .*Dup2"):
        register_block_type(Dup2)
    with pytest.raises(TypeError):
        register_block_type(int)  # type: ignore[arg-type]  # not a Block, on purpose


def test_subclass_loads_through_its_base(register) -> None:
    class Base(Block):
        x: int = 0

    class Special(Base):
        y: int = 0

    register(Special)
    Special(x=1, y=2).save("s")
    loaded = Base.load("special/s")
    assert type(loaded) is Special and loaded.y == 2


def test_schema_marks_secrets_and_has_a_checksum(creds_type) -> None:
    schema = ServiceCredentials.block_schema()
    assert schema["block_type_slug"] == "service-credentials"
    assert schema["secret_fields"] == [
        "password",
        "headers",
        "endpoint.token",
        "mirrors[].token",
    ]
    assert schema["properties"]["password"]["writeOnly"] is True
    checksum = ServiceCredentials.block_schema_checksum()
    assert checksum.startswith("sha256:") and len(checksum) == len("sha256:") + 64
    assert checksum == ServiceCredentials.block_schema_checksum()
    assert Secret.block_schema()["secret_fields"] == ["value"]
    assert LocalFileSystem.block_schema()["secret_fields"] == []
    json.dumps(schema)  # plain JSON


def test_saved_data_is_plain_json_with_secrets_as_tokens(creds, creds_type, record) -> None:
    creds.save("prod")
    ((data, checksum),) = record("SELECT data, schema_checksum FROM blocks")
    stored = json.loads(data)
    assert stored["username"] == "alice" and stored["endpoint"]["url"] == "https://svc.example"
    assert set(stored["password"]) == {"$cadenza-secret", "token"}
    assert set(stored["endpoint"]["token"]) == {"$cadenza-secret", "token"}
    assert checksum == ServiceCredentials.block_schema_checksum()


def test_no_warning_when_the_schema_is_unchanged() -> None:
    Secret(value="some-value").save("s")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Secret.load("s")


@pytest.mark.integration  # many processes
def test_many_processes_save_at_once(run_python) -> None:
    code = """
import multiprocessing as mp

def save(i):
    from cadenza.blocks.system import Secret
    for j in range(15):
        Secret(value=f"value-{i}-{j}").save(f"s-{i}-{j}")
    Secret(value=f"last-{i}").save("shared", overwrite=True)

if __name__ == "__main__":
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=save, args=(i,)) for i in range(4)]
    for p in procs: p.start()
    for p in procs: p.join()
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    from cadenza.blocks.system import Secret
    names = Secret.list()
    assert len(names) == 61, len(names)
    assert Secret.load("s-3-14").get() == "value-3-14"
    assert Secret.load("shared").get().startswith("last-")
    print("ok")
"""
    proc = run_python(code, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
