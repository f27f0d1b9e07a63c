"""`keep_masked`: data read with its secrets masked, written back, keeps the saved secrets."""

from __future__ import annotations

import pytest

from cadenza.blocks.sealing import MaskedSecretError, keep_masked

M = "$cadenza-secret"


def masked(kind: str = "str") -> dict:
    return {M: kind, "masked": True}


def test_a_masked_secret_takes_the_saved_one_at_the_same_place() -> None:
    sealed = {M: "str", "token": "gAAA..."}
    stored = {"key": sealed, "nested": {"pw": {M: "dict", "value": "{}"}}, "items": [sealed]}
    data = {"key": masked(), "nested": {"pw": masked("dict"), "host": "h"}, "items": [masked()]}
    assert keep_masked(data, stored) == {
        "key": sealed, "nested": {"pw": {M: "dict", "value": "{}"}, "host": "h"}, "items": [sealed]
    }  # fmt: skip


def test_new_values_and_plain_fields_are_left_as_given() -> None:
    data = {"key": {M: "str", "value": "new"}, "n": 1, "l": [1, {"a": None}]}
    assert keep_masked(data, {"key": {M: "str", "token": "old"}}) == data


@pytest.mark.parametrize(
    "stored, path",
    [(None, ("key",)), ({"key": None}, ("key",)), ({"key": {M: "bytes", "token": "t"}}, ("key",)),
     ({"key": "plain"}, ("key",)), ({"l": []}, ("l", 0))],
)  # fmt: skip
def test_a_mask_with_nothing_of_its_kind_saved_there_is_refused_by_place(stored, path) -> None:
    data = {"l": [masked()]} if path[0] == "l" else {"key": masked()}
    with pytest.raises(MaskedSecretError) as caught:
        keep_masked(data, stored)
    assert caught.value.path == path
    assert ".".join(map(str, path)) in str(caught.value)
