"""``result_storage="local-file-system/NAME"`` loads the saved block."""

from __future__ import annotations

from pathlib import Path

import pytest

from cadenza import flow, task
from cadenza.filesystems import LocalFileSystem
from cadenza.results.persist import resolve_storage


def test_resolve_storage_loads_a_saved_block(tmp_path: Path) -> None:
    LocalFileSystem(tmp_path / "res").save("res")
    storage = resolve_storage("local-file-system/res")
    assert isinstance(storage, LocalFileSystem) and storage.basepath == tmp_path / "res"


def test_missing_block_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"'local-file-system/nope'.*No block"):
        resolve_storage("local-file-system/nope")
    with pytest.raises(ValueError, match=r"'no-such-type/x'.*Unknown block type 'no-such-type'"):
        resolve_storage("no-such-type/x")


def test_a_block_that_is_not_storage_is_refused() -> None:
    from cadenza.blocks.system import Secret

    Secret(value="some-value").save("not-storage")
    with pytest.raises(TypeError, match="Secret block, which is not a storage backend"):
        resolve_storage("secret/not-storage")


def test_an_existing_directory_is_still_a_path(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out" / "results").mkdir(parents=True)
    assert resolve_storage("out/results").basepath == tmp_path / "out" / "results"


def test_flow_persists_results_into_a_saved_block(tmp_path: Path) -> None:
    from cadenza.results import load_run_result

    LocalFileSystem(basepath=tmp_path / "block-results").save("res")

    @task(persist_result=True, result_storage="local-file-system/res")
    def double(x: int) -> int:
        return 2 * x

    @flow
    def pipeline() -> int:
        return double(21)

    state = pipeline(return_state=True)
    assert state.is_completed() and state.result() == 42
    stored = list((tmp_path / "block-results").iterdir())
    assert len(stored) == 1
    task_state = double(4, return_state=True)
    assert load_run_result(task_state.state_details.task_run_id) == 8


def test_flow_with_a_missing_block_fails_naming_it() -> None:
    @task(persist_result=True, result_storage="local-file-system/missing")
    def f() -> int:
        return 1

    state = f(return_state=True)
    assert state.is_failed()
    assert "'local-file-system/missing'" in state.message


def test_default_storage_setting_may_name_a_block(tmp_path: Path, monkeypatch) -> None:
    from cadenza.settings import spec

    LocalFileSystem(tmp_path / "default-res").save("default-res")
    monkeypatch.setenv("CADENZA_RESULTS_DEFAULT_STORAGE", "local-file-system/default-res")
    spec.reset_cache()
    assert resolve_storage(None).basepath == tmp_path / "default-res"
