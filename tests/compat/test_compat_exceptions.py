"""Prefect's exception names, raised where Prefect raises them, so users' ``except`` clauses
keep working after the import change."""

from __future__ import annotations

import pytest

from cadenza import flow, task
from cadenza.exceptions import (
    CadenzaError,
    MappingLengthMismatch,
    MappingMissingIterable,
    ParameterBindError,
    PrefectException,
    SerializationError,
    UnfinishedRun,
    exception_traceback,
)
from cadenza.serializers import JSONSerializer


@flow
def needs_x(x: int) -> int:
    return x


@task
def pair(a: int, b: int) -> int:
    return a + b


def test_a_call_the_signature_cannot_take_is_a_parameter_bind_error() -> None:
    # Prefect 3.9.1: f(1, y=2) raises ParameterBindError, a TypeError and a PrefectException
    with pytest.raises(ParameterBindError, match=r"needs[_-]x") as caught:
        needs_x(1, y=2)
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, PrefectException)


def test_map_without_an_iterable_is_mapping_missing_iterable() -> None:
    # Prefect 3.9.1: t.map(1, 2) inside a flow raises MappingMissingIterable (a PrefectException)
    @flow
    def maps_scalars() -> list[int]:
        return pair.map(1, 2).result()

    with pytest.raises(MappingMissingIterable):
        maps_scalars()


def test_map_over_iterables_of_different_lengths_is_mapping_length_mismatch() -> None:
    # Prefect 3.9.1 raises a bare RuntimeError here; Cadenza raises the exception Prefect
    # exports for it (also a ValueError, as Cadenza raised before)
    @flow
    def maps_unequal() -> list[int]:
        return pair.map([1, 2], [1]).result()

    with pytest.raises(MappingLengthMismatch) as caught:
        maps_unequal()
    assert isinstance(caught.value, ValueError)


def test_prefect_exception_is_the_base_of_cadenza_s_errors() -> None:
    assert PrefectException is CadenzaError
    assert issubclass(UnfinishedRun, PrefectException)
    with pytest.raises(PrefectException) as caught:
        JSONSerializer().dumps(object())
    assert isinstance(caught.value, SerializationError)


def test_exception_traceback_is_the_printed_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError as exc:
        text = exception_traceback(exc)
    assert text.startswith("Traceback (most recent call last):")
    assert "ValueError: boom" in text and "test_exception_traceback" in text
