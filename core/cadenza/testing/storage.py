"""The storage backend conformance suite (see `cadenza.storage` for the contract)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from cadenza import flow, task
from cadenza.exceptions import InvalidStorageKey
from cadenza.results import load_result
from cadenza.storage import StorageBackend, describe, from_description

UNSAFE_KEYS = [
    "../../etc/passwd",
    "/etc/passwd",
    "a/../../b",
    "a/../b",
    "..",
    "",
    "nul\x00byte",
    "back\\slash",
    "C:windows",
]


class StorageBackendConformance:
    """Subclass and provide a ``storage`` fixture returning a fresh, empty backend."""

    @pytest.fixture(autouse=True)
    def _isolated_home(self, cadenza_isolated_home: Any) -> None:
        """Each check runs with its own CADENZA_HOME (record, signing key)."""

    @pytest.fixture
    def storage(self) -> Any:
        raise NotImplementedError("provide a `storage` fixture returning the backend to test")

    def test_implements_the_protocol(self, storage: Any) -> None:

        assert isinstance(storage, StorageBackend)

    def test_write_then_read_returns_the_same_bytes(self, storage: Any) -> None:
        payload = bytes(range(256)) * 4
        storage.write_path("conformance/blob.bin", payload)
        assert storage.read_path("conformance/blob.bin") == payload

    def test_write_replaces(self, storage: Any) -> None:
        storage.write_path("conformance/replace", b"first")
        storage.write_path("conformance/replace", b"second")
        assert storage.read_path("conformance/replace") == b"second"

    def test_exists_and_delete(self, storage: Any) -> None:
        assert storage.exists("conformance/gone") is False
        storage.write_path("conformance/gone", b"x")
        assert storage.exists("conformance/gone") is True
        storage.delete("conformance/gone")
        assert storage.exists("conformance/gone") is False
        storage.delete("conformance/gone")  # deleting a missing key is not an error

    def test_missing_key_raises_file_not_found_naming_the_key(self, storage: Any) -> None:
        with pytest.raises(FileNotFoundError, match="conformance/missing"):
            storage.read_path("conformance/missing")

    def test_list_keys_by_prefix(self, storage: Any) -> None:
        for key in ("conformance/list/a", "conformance/list/b/c", "conformance/other"):
            storage.write_path(key, b"1")
        assert storage.list_keys("conformance/list/") == [
            "conformance/list/a",
            "conformance/list/b/c",
        ]
        assert "conformance/other" in storage.list_keys("conformance/")

    def test_large_payload(self, storage: Any) -> None:
        payload = os.urandom(8 * 1024 * 1024)
        storage.write_path("conformance/large", payload)
        assert storage.read_path("conformance/large") == payload

    @pytest.mark.parametrize("key", UNSAFE_KEYS, ids=repr)
    def test_unsafe_keys_are_refused_by_every_method(self, storage: Any, key: str) -> None:
        for call in (
            lambda: storage.write_path(key, b"x"),
            lambda: storage.read_path(key),
            lambda: storage.exists(key),
            lambda: storage.delete(key),
        ):
            with pytest.raises(InvalidStorageKey):
                call()

    def test_describes_itself_for_result_references(self, storage: Any) -> None:

        description = describe(storage)
        assert isinstance(description.get("type"), str)
        rebuilt = from_description(description)
        storage.write_path("conformance/ref", b"via ref")
        assert rebuilt.read_path("conformance/ref") == b"via ref"

    def test_usable_as_result_storage(self, storage: Any) -> None:

        @task(persist_result=True, result_storage=storage)
        def produce() -> dict:
            return {"answer": 42}

        states = []

        @flow
        def conformance_flow() -> None:
            states.append(produce(return_state=True))

        conformance_flow()
        (task_state,) = states
        assert task_state.is_completed(), task_state.message
        assert task_state.result_ref is not None

        assert load_result(task_state.result_ref) == {"answer": 42}


__all__ = ["UNSAFE_KEYS", "StorageBackendConformance"]
