"""Fixtures for the block tests: block types registered for one test, and a clean slate (no
cached store, key or masked values) around each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from blocktypes import ServiceCredentials

from cadenza.blocks.core import Block


@pytest.fixture(autouse=True)
def _clean_block_state() -> Iterator[None]:
    from cadenza import masking
    from cadenza.blocks import crypto
    from cadenza.blocks.store import reset_stores

    reset_stores()
    crypto.reset_cache()
    masking.clear()
    yield
    reset_stores()
    crypto.reset_cache()
    masking.clear()


@pytest.fixture
def register() -> Iterator[Callable[[type[Block]], type[Block]]]:
    """``register(SomeBlock)`` for this test only (through `register_block_type`)."""
    from cadenza.blocks.registry import register_block_type, unregister_block_type

    done: list[type[Block]] = []

    def add(cls: type[Block]) -> type[Block]:
        register_block_type(cls)
        done.append(cls)
        return cls

    yield add
    for cls in done:
        unregister_block_type(cls)


@pytest.fixture
def creds_type(register) -> type[ServiceCredentials]:
    register(ServiceCredentials)
    return ServiceCredentials


@pytest.fixture
def creds() -> ServiceCredentials:
    return ServiceCredentials(
        username="alice",
        password="pa55word-secret",
        headers={"X-Api-Key": "header-secret-value", "Accept": "json-secret"},
        endpoint={"url": "https://svc.example", "token": "nested-token-secret"},
        mirrors=[{"url": "https://mirror.example", "token": "mirror-token-secret"}],
    )
