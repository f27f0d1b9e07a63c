"""Serializers round-trip; stored payloads are signed, and anything not intact is never loaded."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from cadenza.exceptions import MissingResult, ResultIntegrityError
from cadenza.filesystems import LocalFileSystem
from cadenza.results import ResultRef, load_result
from cadenza.results.envelope import open_envelope, seal
from cadenza.results.signing import KEY_FILE, reset_cache, signing_key
from cadenza.serializers import (
    SerializationError,
    get_serializer,
    register_serializer,
    serializer_by_name,
    serializer_name,
)
from cadenza.settings import spec


class Touch:
    """Unpickling this creates a file: proof that a refused payload was never unpickled."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def _store(fs: LocalFileSystem, key: str, blob: bytes, serializer: str = "pickle") -> str:
    fs.write_path(key, blob)
    return ResultRef(fs.to_ref(), key, serializer).dumps()


def _signed(payload: bytes, key: str, serializer: str = "pickle") -> bytes:
    return seal(payload, serializer, key, signing_key())


@pytest.fixture
def fs(tmp_path: Path) -> LocalFileSystem:
    return LocalFileSystem(tmp_path / "store")


VALUES = [None, 0, 1.5, "text", [1, "two", None], {"a": {"b": [True, False]}}]


@pytest.mark.parametrize("name", ["pickle", "cloudpickle", "json"])
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_serializers_round_trip(name: str, value: object) -> None:
    serializer = get_serializer(name)
    assert serializer_name(serializer) == name
    data = serializer.dumps(value)
    assert isinstance(data, bytes)
    assert serializer_by_name(name).loads(data) == value


def test_cloudpickle_handles_lambdas_and_pickle_handles_sets() -> None:
    fn = serializer_by_name("cloudpickle").loads(get_serializer("cloudpickle").dumps(lambda: 42))
    assert fn() == 42
    assert get_serializer("PICKLE").loads(get_serializer("pickle").dumps({1, 2})) == {1, 2}


def test_default_serializer_comes_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert serializer_name(get_serializer()) == "cloudpickle"
    monkeypatch.setenv("CADENZA_RESULTS_DEFAULT_SERIALIZER", "json")
    spec.reset_cache()
    assert serializer_name(get_serializer()) == "json"


def test_json_refuses_non_json_values_clearly() -> None:
    with pytest.raises(SerializationError, match=r"json result serializer.*set"):
        get_serializer("json").dumps({1, 2})
    with pytest.raises(SerializationError, match="json"):
        get_serializer("json").dumps(float("nan"))


def test_unknown_and_invalid_serializers() -> None:
    with pytest.raises(ValueError, match="Unknown result serializer 'yaml'"):
        get_serializer("yaml")
    with pytest.raises(TypeError, match="dumps"):
        get_serializer(42)
    with pytest.raises(SerializationError, match="Unknown result serializer"):
        serializer_by_name("nope")


class Reversed:
    """A custom serializer rebuilt in another process from its import path."""

    def dumps(self, obj):
        return str(obj).encode()[::-1]

    def loads(self, data):
        return data[::-1].decode()


def test_custom_serializer_objects(fs: LocalFileSystem) -> None:
    custom = get_serializer(Reversed())
    name = serializer_name(custom)
    assert name == f"{__name__}:Reversed"
    assert serializer_by_name(name).loads(custom.dumps("abc")) == "abc"
    register_serializer("reversed-test", Reversed)
    assert serializer_name(get_serializer("reversed-test")) == f"{__name__}:Reversed"
    with pytest.raises(ValueError, match="already registered"):
        register_serializer("json", Reversed)


def test_signed_result_loads(fs: LocalFileSystem) -> None:
    ref = _store(fs, "ok", _signed(pickle.dumps({"v": 1}), "ok"))
    assert load_result(ref) == {"v": 1}


def test_the_proof_payload_really_creates_its_file(fs: LocalFileSystem, tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    ref = _store(fs, "evil", _signed(pickle.dumps(Touch(marker)), "evil"))
    load_result(ref)  # signed by us, so trusted: the control for the tests below
    assert marker.exists()


def test_flipped_byte_is_refused_without_unpickling(fs: LocalFileSystem, tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    blob = _signed(pickle.dumps(Touch(marker)), "k")
    for index in (0, 5, 8, len(blob) - 40, len(blob) - 1):
        tampered = bytearray(blob)
        tampered[index] ^= 0x01
        ref = _store(fs, "k", bytes(tampered))
        with pytest.raises(ResultIntegrityError, match="'k'"):
            load_result(ref)
    assert not marker.exists()


def test_truncated_file_is_refused(fs: LocalFileSystem, tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    blob = _signed(pickle.dumps(Touch(marker)), "k")
    for length in (0, 2, 4, 6, 12, 30, len(blob) - 1):
        ref = _store(fs, "k", blob[:length])
        with pytest.raises(ResultIntegrityError, match="Refusing to load the stored result at key"):
            load_result(ref)
    assert not marker.exists()


def test_foreign_plain_pickle_is_refused(fs: LocalFileSystem, tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    ref = _store(fs, "foreign", pickle.dumps(Touch(marker)))
    with pytest.raises(ResultIntegrityError, match="not a cadenza result file"):
        load_result(ref)
    assert not marker.exists()


def test_other_signing_key_and_other_storage_key_are_refused(fs, tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    payload = pickle.dumps(Touch(marker))
    signing_key()  # this home has its own key (without one, the key file is missing: below)
    ref = _store(fs, "k", seal(payload, "pickle", "k", b"\x01" * 32))
    with pytest.raises(ResultIntegrityError, match="signature"):
        load_result(ref)
    moved = _store(fs, "moved", _signed(payload, "original"))  # copied to another key
    with pytest.raises(ResultIntegrityError, match="'moved'"):
        load_result(moved)
    assert not marker.exists()


def test_changed_serializer_name_is_refused(fs: LocalFileSystem) -> None:
    blob = _signed(b'{"a": 1}', "k", "json")
    tampered = blob.replace(b"json", b"jsoN", 1)
    with pytest.raises(ResultIntegrityError):
        open_envelope(tampered, "k", signing_key())


def test_corrupt_json_payload_is_a_clear_error(fs: LocalFileSystem) -> None:
    ref = _store(fs, "j", _signed(b"{not json", "j", "json"), "json")
    with pytest.raises(SerializationError, match="not valid JSON"):
        load_result(ref)


def test_missing_file_and_bad_refs(fs: LocalFileSystem) -> None:
    ref = ResultRef(fs.to_ref(), "gone", "pickle").dumps()
    with pytest.raises(MissingResult, match="'gone'"):
        load_result(ref)
    for bad in ("not json", "[]", '{"key": "k"}'):
        with pytest.raises(ValueError, match="Not a cadenza result reference"):
            load_result(bad)


def test_signing_key_file_is_created_private_and_reused(cadenza_home: Path) -> None:
    reset_cache()
    key = signing_key()
    path = cadenza_home / KEY_FILE
    assert len(key) == 32
    assert path.read_bytes() == key
    assert path.stat().st_mode & 0o777 == 0o600
    reset_cache()
    assert signing_key() == key


def test_signing_key_env_override(monkeypatch: pytest.MonkeyPatch, cadenza_home: Path) -> None:
    monkeypatch.setenv("CADENZA_RESULTS_SIGNING_KEY", "ab" * 32)
    spec.reset_cache()
    assert signing_key() == b"\xab" * 32
    assert not (cadenza_home / KEY_FILE).exists()
    assert "ab" * 32 not in repr(spec.get("CADENZA_RESULTS_SIGNING_KEY"))
    for bad, match in (("zz", "hex"), ("abcd", "at least 16 bytes")):
        monkeypatch.setenv("CADENZA_RESULTS_SIGNING_KEY", bad)
        spec.reset_cache()
        with pytest.raises(ValueError, match=match):
            signing_key()


def test_short_key_file_is_a_clear_error(cadenza_home: Path) -> None:
    reset_cache()
    (cadenza_home / KEY_FILE).write_bytes(b"short")
    with pytest.raises(ValueError, match="holds 5 bytes"):
        signing_key()
    reset_cache()
