"""A lost block encryption key file is an error naming it, never a silent new key; starting
over with a new key is a deliberate `cadenza config new-key blocks`."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from cadenza.blocks import crypto
from cadenza.blocks.exceptions import BlockDecryptionError, BlockKeyMissingError
from cadenza.blocks.store import reset_stores
from cadenza.blocks.system import Secret
from cadenza.cli.config import config
from cadenza.exceptions import MissingKeyError
from cadenza.filesystems import LocalFileSystem


def _lose_the_key(home: Path) -> Path:
    key = home / "key"
    key.unlink()
    crypto.reset_cache()  # as a new process would start
    reset_stores()
    return key


def test_a_brand_new_home_creates_its_key_silently_0600(cadenza_home: Path) -> None:
    previous = os.umask(0o022)
    try:
        Secret(value="first-secret").save("first")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((cadenza_home / "key").stat().st_mode) == 0o600
    assert Secret.load("first").get() == "first-secret"


def test_loading_a_block_after_its_key_file_was_lost_names_the_file(cadenza_home: Path) -> None:
    Secret(value="kept-secret").save("token")
    key = _lose_the_key(cadenza_home)
    with pytest.raises(BlockKeyMissingError) as info:
        Secret.load("token")
    message = str(info.value)
    assert f"The block encryption key file {key} is missing" in message
    assert "block 'secret/token'" in message
    assert "cadenza config new-key blocks" in message
    assert isinstance(info.value, BlockDecryptionError) and isinstance(info.value, MissingKeyError)
    assert not key.exists()  # no new key was made up


def test_saving_a_new_secret_after_the_key_was_lost_is_refused(
    cadenza_home: Path, tmp_path
) -> None:
    Secret(value="kept-secret").save("token")
    key = _lose_the_key(cadenza_home)
    with pytest.raises(BlockKeyMissingError, match="block 'secret/token' cannot be read"):
        Secret(value="another").save("other")  # a new key would orphan 'token'
    assert not key.exists()
    LocalFileSystem(tmp_path).save("no-secrets")  # a block without secrets needs no key
    assert not key.exists()


def test_new_key_starts_over_deliberately_and_lists_what_was_lost(cadenza_home: Path) -> None:
    Secret(value="kept-secret").save("token")
    key = _lose_the_key(cadenza_home)
    result = CliRunner().invoke(config, ["new-key", "blocks"])
    assert result.exit_code == 0, result.output
    assert f"Created a new block encryption key at {key}" in result.output
    assert "block 'secret/token'" in result.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    with pytest.raises(BlockDecryptionError, match="does not match"):
        Secret.load("token")  # sealed with the lost key: save it again
    Secret(value="fresh").save("token", overwrite=True)
    assert Secret.load("token").get() == "fresh"

    again = CliRunner().invoke(config, ["new-key", "blocks"])
    assert again.exit_code == 1
    assert "exists and is the block encryption key in use; nothing was changed" in again.output
