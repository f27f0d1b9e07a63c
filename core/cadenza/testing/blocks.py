"""The block type conformance suite: saves and loads by name, keeps secrets secret."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from cadenza import flow, get_run_logger
from cadenza.backends import current_backend
from cadenza.blocks.core import Block, secret_values
from cadenza.blocks.registry import block_types


class BlockConformance:
    """Subclass and provide a ``block`` fixture: an instance of the block type under test with
    realistic values, every secret field set to a value of 8+ characters. The type must be
    registered (by its plugin's ``register_block_types`` hook, or `register_block_type`)."""

    @pytest.fixture(autouse=True)
    def _isolated_home(self, cadenza_isolated_home: Any) -> None:
        """Each check runs with its own CADENZA_HOME (record, encryption key)."""

    @pytest.fixture
    def block(self) -> Any:
        raise NotImplementedError("provide a `block` fixture returning a block instance")

    def _secrets(self, block: Any) -> list[str]:

        return [v for v in secret_values(block) if len(v) >= 4]

    def test_is_a_registered_block_type(self, block: Any) -> None:

        assert isinstance(block, Block)
        slug = type(block).get_block_type_slug()
        assert block_types().get(slug) is type(block), f"block type {slug!r} is not registered"

    def test_save_and_load_round_trip(self, block: Any) -> None:

        block.save("conformance-block")
        loaded = type(block).load("conformance-block")
        assert loaded == block
        slug = type(block).get_block_type_slug()
        assert Block.load(f"{slug}/conformance-block") == block

    def test_secrets_are_masked_in_repr_str_and_json(self, block: Any) -> None:
        shown = " ".join([repr(block), str(block), block.model_dump_json()])
        for secret in self._secrets(block):
            assert secret not in shown

    def test_secrets_are_encrypted_at_rest(self, block: Any, cadenza_isolated_home: Any) -> None:
        block.save("conformance-secret")

        backend = current_backend()
        if backend is not None:
            backend.flush()
        stored = b"".join(p.read_bytes() for p in cadenza_isolated_home.glob("cadenza.db*"))
        for secret in self._secrets(block):
            assert secret.encode() not in stored

    def test_secrets_are_masked_in_run_logs(self, block: Any, cadenza_record: Any) -> None:

        secrets = self._secrets(block)
        if not secrets:  # nothing can leak: the type declares no secret fields
            assert not type(block).block_schema().get("secret_fields")
            return
        block.save("conformance-logged")
        type(block).load("conformance-logged")

        @flow
        def leaky() -> None:
            get_run_logger().log(logging.WARNING, "values: %s", " ".join(secrets))

        leaky()
        messages = " ".join(m for (m,) in cadenza_record("SELECT message FROM logs"))
        assert "values:" in messages
        for secret in secrets:
            assert secret not in messages

    def test_schema_and_checksum_are_stable(self, block: Any) -> None:
        cls = type(block)
        assert cls.block_schema() == cls.block_schema()
        assert cls.block_schema_checksum() == cls.block_schema_checksum()
        assert cls.block_schema_checksum().startswith("sha256:")

    def test_every_field_is_documented(self, block: Any) -> None:
        undocumented = [
            name for name, field in type(block).model_fields.items() if not field.description
        ]
        assert not undocumented, f"fields without a description: {undocumented}"


__all__ = ["BlockConformance"]
