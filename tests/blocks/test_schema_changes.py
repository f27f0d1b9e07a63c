"""A block saved with an older schema of its type: a warning if it still validates, a clear
error if it does not."""

from __future__ import annotations

import warnings

import pytest
from pydantic import SecretStr

from cadenza.blocks.core import Block
from cadenza.blocks.exceptions import BlockSchemaChangedWarning, BlockSchemaError


class ApiV1(Block):
    _block_type_slug = "evolving-api"
    url: str
    key: SecretStr
    timeout: int = 10


class ApiV2Compatible(Block):
    """A new optional field; `timeout` removed."""

    _block_type_slug = "evolving-api"
    url: str
    key: SecretStr
    verify_tls: bool = True


class ApiV3Incompatible(Block):
    _block_type_slug = "evolving-api"
    url: str
    key: SecretStr
    project_id: int  # required, and not in the saved data


class ApiDocstringOnly(Block):
    """Only the docstring and the class name differ from ApiV1: the schema's fields do not."""

    _block_type_slug = "evolving-api"
    url: str
    key: SecretStr
    timeout: int = 10


def test_checksums_differ_when_fields_change() -> None:
    checksums = {c.block_schema_checksum() for c in (ApiV1, ApiV2Compatible, ApiV3Incompatible)}
    assert len(checksums) == 3
    assert ApiDocstringOnly.block_schema_checksum() == ApiV1.block_schema_checksum()


def test_compatible_change_loads_with_a_warning_naming_block_and_type() -> None:
    ApiV1(url="https://api", key="api-key-secret", timeout=5).save("prod")
    with pytest.warns(BlockSchemaChangedWarning) as caught:
        loaded = ApiV2Compatible.load("prod")
    assert loaded.url == "https://api" and loaded.key.get_secret_value() == "api-key-secret"
    assert loaded.verify_tls is True
    message = str(caught[0].message)
    assert "'evolving-api/prod'" in message and "ApiV2Compatible" in message
    assert "'evolving-api'" in message and "timeout" in message  # the dropped field

    loaded.save("prod", overwrite=True)  # re-saving records the new schema: no more warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ApiV2Compatible.load("prod")


def test_incompatible_change_is_a_clear_error() -> None:
    ApiV1(url="https://api", key="api-key-secret").save("prod")
    with pytest.raises(BlockSchemaError) as info:
        ApiV3Incompatible.load("prod")
    message = str(info.value)
    assert "'evolving-api/prod'" in message and "ApiV3Incompatible" in message
    assert "project_id" in message and "schema changed" in message
    assert "api-key-secret" not in message


def test_same_schema_no_warning() -> None:
    ApiV1(url="https://api", key="api-key-secret").save("prod")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ApiDocstringOnly.load("prod").timeout == 10
