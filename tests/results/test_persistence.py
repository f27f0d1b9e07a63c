"""Tasks and flows persisting their results through the engine, read back in another process."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from cadenza import flow, task
from cadenza.exceptions import MissingResult
from cadenza.results import ResultRef, load_run_result
from cadenza.settings import spec
from cadenza.states import State, StateType


def _ref(state: State) -> ResultRef:
    assert state.result_ref is not None
    return ResultRef.loads(state.result_ref)


def test_task_result_is_persisted_and_recorded(cadenza_home: Path, record) -> None:
    @task(persist_result=True)
    def double(x: int) -> int:
        return 2 * x

    state = double(21, return_state=True)
    assert state.is_completed() and state.result() == 42
    ref = _ref(state)
    task_run_id = state.state_details.task_run_id
    assert ref.key == task_run_id  # the default key is the run id
    assert ref.serializer == "cloudpickle"
    assert ref.storage == {"type": "local", "basepath": str(cadenza_home / "storage")}
    assert (cadenza_home / "storage" / task_run_id).is_file()
    rows = record("SELECT result_ref FROM task_runs WHERE id = ?", task_run_id)
    assert rows == [(state.result_ref,)]
    rebuilt = State(StateType.COMPLETED, result_ref=rows[0][0])
    assert rebuilt.result() == 42


def test_result_is_loaded_in_a_fresh_process(record, run_python) -> None:
    @task(persist_result=True)
    def make(x: int) -> dict:
        return {"x": x, "items": [1, 2, 3]}

    @flow(persist_result=True)
    def pipeline(x: int) -> int:
        state = make(x, return_state=True)
        return state.state_details.task_run_id

    flow_state = pipeline(7, return_state=True)
    task_run_id = flow_state.result()
    flow_run_id = flow_state.state_details.flow_run_id
    assert record("SELECT result_ref FROM flow_runs WHERE id = ?", flow_run_id)[0][0]
    proc = run_python(
        textwrap.dedent(
            f"""
            import json
            from cadenza.results import load_run_result
            print(json.dumps([load_run_result({task_run_id!r}), load_run_result({flow_run_id!r})]))
            """
        )
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [{"x": 7, "items": [1, 2, 3]}, task_run_id]


def test_result_storage_key_template_names_the_file(tmp_path: Path, record) -> None:
    storage = tmp_path / "results"

    @task(
        result_storage=str(storage),
        result_storage_key="{parameters[x]}-{parameters[y]}.json",
        result_serializer="json",
    )
    def pair(x: str, y: int = 3) -> list:
        return [x, y]

    state = pair("abc", return_state=True)
    assert state.is_completed(), state.message
    assert (storage / "abc-3.json").is_file()
    assert _ref(state).key == "abc-3.json"
    assert load_run_result(state.state_details.task_run_id) == ["abc", 3]


def test_storage_key_template_can_use_run_fields(tmp_path: Path) -> None:
    @task(result_storage=tmp_path / "s", result_storage_key="{task_run.task_name}/{run_id}")
    def named() -> int:
        return 1

    state = named(return_state=True)
    assert (tmp_path / "s" / "named" / state.state_details.task_run_id).is_file()


def test_unsafe_rendered_key_fails_the_task(tmp_path: Path) -> None:
    @task(result_storage=tmp_path / "base", result_storage_key="{parameters[name]}")
    def echo(name: str) -> str:
        return name

    state = echo("../../escape", return_state=True)
    assert state.is_failed()
    assert "InvalidStorageKey" in state.message and "'../../escape'" in state.message
    assert not (tmp_path / "escape").exists()


def test_unknown_template_field_fails_the_task_clearly(tmp_path: Path) -> None:
    @task(result_storage=tmp_path, result_storage_key="{parameters[nope]}")
    def f(x: int) -> int:
        return x

    state = f(1, return_state=True)
    assert state.is_failed() and "result_storage_key" in state.message


def test_json_serializer_with_non_json_value_fails_the_task(tmp_path: Path) -> None:
    @task(result_serializer="json", result_storage=tmp_path / "store")
    def make_set() -> set:
        return {1, 2}

    state = make_set(return_state=True)
    assert state.is_failed()
    assert "Could not persist the result" in state.message
    assert "json result serializer cannot serialize a set" in state.message
    assert not (tmp_path / "store").exists()


def test_flow_persists_its_return_value(record, cadenza_home: Path) -> None:
    @flow(result_serializer="pickle")
    def compute(n: int = 4) -> list:
        return list(range(n))

    state = compute(return_state=True)
    flow_run_id = state.state_details.flow_run_id
    assert _ref(state).serializer == "pickle"
    assert (cadenza_home / "storage" / flow_run_id).is_file()
    assert load_run_result(flow_run_id) == [0, 1, 2, 3]


def test_cache_result_in_memory_false_drops_the_value(tmp_path: Path) -> None:
    calls = []

    @task(persist_result=True, cache_result_in_memory=False, result_storage=tmp_path / "store")
    def value() -> str:
        calls.append(1)
        return "from disk"

    state = value(return_state=True)
    assert not state.has_data()
    assert state.result() == "from disk"
    assert value() == "from disk"
    assert len(calls) == 2


def test_settings_default_persists(monkeypatch: pytest.MonkeyPatch, cadenza_home: Path) -> None:
    monkeypatch.setenv("CADENZA_RESULTS_PERSIST_BY_DEFAULT", "true")
    spec.reset_cache()

    @task
    def plain() -> int:  # defined after the setting changed: the option resolves at definition
        return 5

    state = plain(return_state=True)
    assert (cadenza_home / "storage" / state.state_details.task_run_id).is_file()


def test_settings_default_storage_and_serializer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CADENZA_RESULTS_DEFAULT_STORAGE", str(tmp_path / "shared"))
    monkeypatch.setenv("CADENZA_RESULTS_DEFAULT_SERIALIZER", "JSON")
    spec.reset_cache()

    @task(persist_result=True)
    def payload() -> dict:
        return {"ok": True}

    state = payload(return_state=True)
    ref = _ref(state)
    assert ref.serializer == "json"
    assert ref.storage["basepath"] == str(tmp_path / "shared")
    assert (tmp_path / "shared" / ref.key).is_file()


def test_not_persisted_without_asking(cadenza_home: Path, record) -> None:
    @task
    def plain() -> int:
        return 1

    state = plain(return_state=True)
    assert state.result_ref is None
    assert not (cadenza_home / "storage").exists()
    with pytest.raises(MissingResult, match="no persisted result"):
        load_run_result(state.state_details.task_run_id)
    with pytest.raises(LookupError, match="no-such-run"):
        load_run_result("no-such-run")


def test_block_name_strings_are_refused_clearly(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)

    @task(result_storage="s3-bucket/my-results")
    def f() -> int:
        return 1

    state = f(return_state=True)
    assert state.is_failed()
    assert "'s3-bucket/my-results'" in state.message and "block" in state.message


def test_relative_path_strings_are_local_storage(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)

    @task(result_storage="./out/results")
    def f() -> int:
        return 1

    state = f(return_state=True)
    assert _ref(state).storage["basepath"] == str(tmp_path / "out" / "results")


def test_tampered_task_result_is_refused_end_to_end(cadenza_home: Path, record) -> None:
    from cadenza.exceptions import ResultIntegrityError

    @task(persist_result=True, result_serializer="pickle")
    def value() -> int:
        return 1

    state = value(return_state=True)
    path = cadenza_home / "storage" / state.state_details.task_run_id
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(ResultIntegrityError, match=state.state_details.task_run_id):
        load_run_result(state.state_details.task_run_id)
    rebuilt = State(StateType.COMPLETED, result_ref=state.result_ref)
    with pytest.raises(ResultIntegrityError):
        rebuilt.result()


def test_async_task_and_flow_persist(tmp_path: Path) -> None:
    import asyncio

    @task(result_storage=tmp_path / "a", result_storage_key="{parameters[n]}.bin")
    async def square(n: int) -> int:
        return n * n

    @flow(persist_result=True, result_storage=tmp_path / "a")
    async def main() -> int:
        return await square(4)

    state = asyncio.run(main(return_state=True))
    assert state.result() == 16
    assert (tmp_path / "a" / "4.bin").is_file()
    assert load_run_result(state.state_details.flow_run_id) == 16
