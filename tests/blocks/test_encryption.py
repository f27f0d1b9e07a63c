"""Secret fields are encrypted at rest with a key kept outside the database."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from blocktypes import SECRETS

from cadenza.blocks import crypto
from cadenza.blocks.exceptions import BlockDecryptionError
from cadenza.blocks.system import Secret
from cadenza.settings import spec


def _record_bytes(home: Path) -> bytes:
    """The record file and its WAL and shared-memory files, as bytes."""
    from cadenza.blocks.store import reset_stores

    reset_stores()  # close our connection (checkpoints the WAL into the file)
    return b"".join(p.read_bytes() for p in home.iterdir() if p.name.startswith("cadenza.db"))


def test_the_database_never_holds_a_secret(cadenza_home: Path, creds, creds_type) -> None:
    from cadenza.blocks.store import get_block_store

    creds.save("prod")
    Secret(value="plain-secret-value").save("token")
    get_block_store()  # still open: the WAL holds the rows
    wal = cadenza_home / "cadenza.db-wal"
    live = wal.read_bytes() if wal.exists() else b""
    data = _record_bytes(cadenza_home) + live
    assert b"alice" in data  # the non-secret field is there, in clear
    for secret in (*SECRETS, "plain-secret-value"):
        assert secret.encode() not in data, secret
    assert Secret.load("token").get() == "plain-secret-value"


def test_key_file_is_created_once_with_mode_0600(cadenza_home: Path) -> None:
    Secret(value="some-value").save("s")
    key = cadenza_home / "key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = key.read_bytes()
    crypto.reset_cache()
    Secret(value="other-value").save("t")
    assert key.read_bytes() == before
    assert before not in _record_bytes(cadenza_home)


def test_key_creation_is_race_safe(cadenza_home: Path) -> None:
    path = cadenza_home / "race" / "key"
    barrier = threading.Barrier(8)
    keys: list[bytes] = []

    def create() -> None:
        barrier.wait()
        keys.append(crypto._from_file(path))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and len(keys) == 8
    assert [p.name for p in path.parent.iterdir()] == ["key"]  # no temp files left


def test_a_different_key_file_is_a_clear_error(cadenza_home: Path) -> None:
    Secret(value="some-value").save("s")
    (cadenza_home / "key").write_bytes(crypto.generate_key().encode())
    crypto.reset_cache()
    with pytest.raises(BlockDecryptionError, match="does not match") as info:
        Secret.load("s")
    assert "'secret/s'" in str(info.value) and str(cadenza_home / "key") in str(info.value)


def test_environment_key_is_used_and_a_wrong_one_refused(monkeypatch, cadenza_home: Path) -> None:
    key = crypto.generate_key()
    monkeypatch.setenv("CADENZA_ENCRYPTION_KEY", key)
    spec.reset_cache()
    Secret(value="some-value").save("s")
    assert not (cadenza_home / "key").exists()
    assert crypto.key_source() == "CADENZA_ENCRYPTION_KEY"
    assert Secret.load("s").get() == "some-value"

    monkeypatch.setenv("CADENZA_ENCRYPTION_KEY", crypto.generate_key())
    spec.reset_cache()
    with pytest.raises(BlockDecryptionError, match=r"CADENZA_ENCRYPTION_KEY.*does not match"):
        Secret.load("s")

    monkeypatch.delenv("CADENZA_ENCRYPTION_KEY")
    spec.reset_cache()
    with pytest.raises(BlockDecryptionError, match=r"key file .* is missing"):
        Secret.load("s")  # sealed with a key: no new key file is made up for it
    assert not (cadenza_home / "key").exists()


def test_an_invalid_environment_key_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setenv("CADENZA_ENCRYPTION_KEY", "not-a-fernet-key")
    spec.reset_cache()
    with pytest.raises(BlockDecryptionError, match="not a valid Fernet key") as info:
        Secret(value="some-value").save("s")
    assert "not-a-fernet-key" not in str(info.value)


def test_blocks_without_secrets_need_no_key(cadenza_home: Path, tmp_path: Path) -> None:
    from cadenza.filesystems import LocalFileSystem

    LocalFileSystem(tmp_path).save("res")
    assert LocalFileSystem.load("res").basepath == tmp_path
    assert not (cadenza_home / "key").exists()


def test_another_process_reads_what_this_one_saved(run_python, creds, creds_type) -> None:
    Secret(value="cross-process-secret").save("x")
    proc = run_python(
        "from cadenza.blocks.system import Secret\n"
        "s = Secret.load('x')\n"
        "print(repr(s))\n"
        "assert s.get() == 'cross-process-secret'\n"
    )
    assert proc.returncode == 0, proc.stderr
    assert "cross-process-secret" not in proc.stdout
    assert os.environ.get("CADENZA_ENCRYPTION_KEY") is None
