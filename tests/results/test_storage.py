"""`LocalFileSystem` against the storage contract, and the key-safety rules every backend shares."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cadenza.exceptions import InvalidStorageKey
from cadenza.filesystems import LocalFileSystem
from cadenza.storage import (
    StorageBackend,
    describe,
    from_description,
    register_storage_type,
    validate_key,
)


@pytest.fixture
def fs(tmp_path: Path) -> LocalFileSystem:
    return LocalFileSystem(tmp_path / "base")


def test_is_a_storage_backend(fs: LocalFileSystem) -> None:
    assert isinstance(fs, StorageBackend)
    assert not isinstance(object(), StorageBackend)


def test_contract_round_trip(fs: LocalFileSystem) -> None:
    assert fs.list_keys() == []
    assert not fs.exists("a/b.bin")
    fs.write_path("a/b.bin", b"\x00payload")
    fs.write_path("top", b"1")
    assert fs.exists("a/b.bin")
    assert fs.read_path("a/b.bin") == b"\x00payload"
    fs.write_path("a/b.bin", b"replaced")
    assert fs.read_path("a/b.bin") == b"replaced"
    assert fs.list_keys() == ["a/b.bin", "top"]
    assert fs.list_keys("a/") == ["a/b.bin"]
    assert fs.list_keys("t") == ["top"]
    assert fs.list_keys("zzz") == []
    fs.delete("a/b.bin")
    assert not fs.exists("a/b.bin")
    fs.delete("a/b.bin")  # deleting a missing key is not an error
    assert fs.list_keys() == ["top"]


def test_read_missing_key_is_file_not_found(fs: LocalFileSystem) -> None:
    with pytest.raises(FileNotFoundError, match="nope"):
        fs.read_path("nope")


def test_write_is_atomic_and_leaves_no_temp_files(fs: LocalFileSystem) -> None:
    fs.write_path("k", b"x" * 100_000)
    assert os.listdir(fs.basepath) == ["k"]
    assert (fs.basepath / "k").stat().st_mode & 0o077 == 0  # private to its owner


def test_failed_write_keeps_old_value_and_no_temp_file(
    fs: LocalFileSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    fs.write_path("k", b"old")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        fs.write_path("k", b"new")
    monkeypatch.undo()
    assert fs.read_path("k") == b"old"
    assert os.listdir(fs.basepath) == ["k"]


def test_write_needs_bytes(fs: LocalFileSystem) -> None:
    with pytest.raises(TypeError, match="bytes"):
        fs.write_path("k", "text")  # type: ignore[arg-type]  # the wrong type on purpose


def test_default_basepath_follows_settings(
    cadenza_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cadenza.settings import spec

    assert LocalFileSystem().basepath == cadenza_home / "storage"
    monkeypatch.setenv("CADENZA_LOCAL_STORAGE_PATH", str(tmp_path / "elsewhere"))
    spec.reset_cache()
    assert LocalFileSystem().basepath == tmp_path / "elsewhere"


def test_relative_basepath_is_made_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert LocalFileSystem("rel").basepath == tmp_path / "rel"


UNSAFE_KEYS = [
    "",
    "../x",
    "../../x",
    "a/../../b",
    "a/../b",
    "..",
    "/etc/passwd",
    "/",
    "C:/x",
    "a\\..\\b",
    "a\x00b",
    "a\nb",
    ".",
    "./",
    "x" * 1025,
]


@pytest.mark.parametrize("key", UNSAFE_KEYS, ids=repr)
@pytest.mark.parametrize("method", ["read_path", "write_path", "exists", "delete"])
def test_unsafe_keys_are_refused(fs: LocalFileSystem, key: str, method: str) -> None:
    args = (key, b"data") if method == "write_path" else (key,)
    with pytest.raises(InvalidStorageKey) as info:
        getattr(fs, method)(*args)
    assert isinstance(info.value, ValueError)
    assert repr(key)[:40] in str(info.value)
    assert not (fs.basepath.parent / "x").exists()


@pytest.mark.parametrize("key", [None, 3, b"bytes"])
def test_non_string_keys_are_refused(key: object) -> None:
    with pytest.raises(InvalidStorageKey, match="string"):
        validate_key(key)


@pytest.mark.parametrize(
    ("key", "normalised"),
    [
        ("a", "a"),
        ("a/b/c.json", "a/b/c.json"),
        ("./a//b/./c", "a/b/c"),
        ("a/", "a"),
        ("..a/b..", "..a/b.."),
        ("x y-é.json", "x y-é.json"),
    ],
)
def test_safe_keys_are_normalised(key: str, normalised: str) -> None:
    assert validate_key(key) == normalised


def test_symlink_inside_base_pointing_outside_is_refused(fs: LocalFileSystem, tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"secret")
    fs.basepath.mkdir(parents=True)
    (fs.basepath / "link").symlink_to(outside)
    (fs.basepath / "filelink").symlink_to(outside / "secret")
    for key in ("link/secret", "filelink", "link/new"):
        with pytest.raises(InvalidStorageKey, match="outside"):
            fs.read_path(key)
        with pytest.raises(InvalidStorageKey, match="outside"):
            fs.write_path(key, b"overwrite")
        with pytest.raises(InvalidStorageKey):
            fs.delete(key)
    assert (outside / "secret").read_bytes() == b"secret"
    assert not (outside / "new").exists()
    assert fs.list_keys() == []  # links that leave the base are not listed


def test_symlink_staying_inside_base_is_allowed(fs: LocalFileSystem) -> None:
    fs.write_path("real/value", b"v")
    (fs.basepath / "alias").symlink_to(fs.basepath / "real")
    assert fs.read_path("alias/value") == b"v"


def test_base_path_itself_behind_a_symlink_works(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    fs = LocalFileSystem(tmp_path / "linked")
    fs.write_path("k", b"v")
    assert fs.read_path("k") == b"v"
    assert fs.list_keys() == ["k"]


def test_describe_and_rebuild(fs: LocalFileSystem) -> None:
    desc = describe(fs)
    assert desc == {"type": "local", "basepath": str(fs.basepath)}
    assert from_description(desc) == fs


def test_registry_rejects_a_second_class_for_a_slug() -> None:
    class Other:
        pass

    register_storage_type("local", LocalFileSystem)  # the same class again: fine
    with pytest.raises(ValueError, match="already registered"):
        register_storage_type("local", Other)
    with pytest.raises(ValueError, match="slug"):
        register_storage_type("Bad Slug", Other)
    with pytest.raises(LookupError, match="Unknown result storage type 'nope'"):
        from_description({"type": "nope"})


def test_registered_custom_type_round_trips(tmp_path: Path) -> None:
    class MemoryStorage(dict):
        def read_path(self, key):
            return self[validate_key(key)]

        def write_path(self, key, data):
            self[validate_key(key)] = data

        def exists(self, key):
            return validate_key(key) in self

        def delete(self, key):
            self.pop(validate_key(key), None)

        def list_keys(self, prefix=""):
            return sorted(k for k in self if k.startswith(prefix))

        def to_ref(self):
            return {"type": "test-memory"}

        @classmethod
        def from_ref(cls, desc):
            return SHARED

    SHARED = MemoryStorage()
    register_storage_type("test-memory", MemoryStorage)
    assert isinstance(SHARED, StorageBackend)
    assert from_description(describe(SHARED)) is SHARED
