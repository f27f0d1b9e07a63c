"""A lost result signing key file is an error naming it, never a silent new key; a brand-new
home creates its key silently, 0600."""

from __future__ import annotations

import os
import shutil
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from cadenza import flow, task
from cadenza._keyfiles import create_key_file
from cadenza.cli.config import config
from cadenza.exceptions import ResultIntegrityError, ResultKeyMissingError
from cadenza.results import signing
from cadenza.states import State, StateType


@task(persist_result=True)
def double(x: int) -> int:
    return 2 * x


def _lose_the_key(home: Path) -> Path:
    key = home / signing.KEY_FILE
    key.unlink()
    signing.reset_cache()  # as a new process would start
    return key


def test_a_brand_new_home_creates_its_signing_key_silently_0600(cadenza_home: Path) -> None:
    previous = os.umask(0o022)
    try:
        state = double(2, return_state=True)
    finally:
        os.umask(previous)
    assert state.is_completed()
    assert stat.S_IMODE((cadenza_home / signing.KEY_FILE).stat().st_mode) == 0o600


def test_reading_a_result_after_the_key_file_was_lost_names_the_file(cadenza_home: Path) -> None:
    ref = double(21, return_state=True).result_ref
    key = _lose_the_key(cadenza_home)
    with pytest.raises(ResultKeyMissingError) as info:
        State(StateType.COMPLETED, result_ref=ref).result()
    message = str(info.value)
    assert f"The result signing key file {key} is missing" in message
    assert "cadenza config new-key results" in message
    assert isinstance(info.value, ResultIntegrityError)  # refused, as any unverifiable result
    assert not key.exists()


def test_signing_new_results_after_the_key_was_lost_is_refused(cadenza_home: Path) -> None:
    double(1)
    key = _lose_the_key(cadenza_home)

    @flow
    def persists():
        return double(2, return_state=True)

    state = persists(return_state=True)
    assert state.is_failed()
    task_state = state.result(raise_on_failure=False)  # the task's state, as returned
    assert "ResultKeyMissingError" in task_state.message
    assert str(key) in task_state.message
    assert not key.exists()

    assert CliRunner().invoke(config, ["new-key", "results"]).exit_code == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert double(3) == 6


def test_a_key_created_by_a_rival_during_the_search_is_used_not_refused(tmp_path: Path) -> None:
    # The race the first run of a flow with concurrent tasks hits: this thread finds no key
    # file, a rival creates it and signs a result, then this thread's search finds that result.
    path = tmp_path / signing.KEY_FILE
    rival_key = b"r" * signing.KEY_BYTES

    def rival_signed_meanwhile() -> str:
        create_key_file(path, rival_key)
        return "the results stored under the rival's storage"

    assert signing._from_file(path, None, rival_signed_meanwhile) == rival_key


def test_sixteen_threads_signing_first_results_in_a_new_home_agree_on_one_key(
    cadenza_home: Path,
) -> None:
    signing.reset_cache()
    start = threading.Barrier(16)

    def first_result(i: int) -> bytes:
        start.wait()
        key = signing._from_file(
            cadenza_home / signing.KEY_FILE, None, lambda: signing._signed_before(cadenza_home)
        )
        storage = cadenza_home / "storage"
        storage.mkdir(exist_ok=True)
        (storage / f"result-{i}").write_bytes(b"sealed")  # what signing precedes
        return key

    for _ in range(5):
        (cadenza_home / signing.KEY_FILE).unlink(missing_ok=True)
        shutil.rmtree(cadenza_home / "storage", ignore_errors=True)
        with ThreadPoolExecutor(16) as pool:
            keys = set(pool.map(first_result, range(16)))
        assert keys == {(cadenza_home / signing.KEY_FILE).read_bytes()}
