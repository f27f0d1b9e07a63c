"""Tasks that set no result options follow their flow's, as in Prefect 3: a flow with
``persist_result=True`` (or a ``result_storage``) persists its tasks' results there too."""

from __future__ import annotations

from pathlib import Path

from cadenza import flow, task
from cadenza.filesystems import LocalFileSystem


@task
def plain(x: int) -> int:
    return x + 1


@task(persist_result=False)
def opted_out(x: int) -> int:
    return x + 2


def test_tasks_inherit_the_flow_s_persistence_and_storage(tmp_path: Path, record) -> None:
    storage = LocalFileSystem(tmp_path / "results")

    @flow(persist_result=True, result_storage=storage)
    def persisting() -> int:
        return plain(1) + opted_out(1) + plain.submit(2).result()

    state = persisting(return_state=True)
    assert state.result() == 2 + 3 + 3
    rows = record("SELECT task_name, result_ref FROM task_runs ORDER BY created")
    by_task = [(name, ref is not None) for name, ref in rows]
    assert by_task == [("plain", True), ("opted_out", False), ("plain", True)]
    stored = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert len(stored) == 3  # two task results and the flow's


def test_tasks_of_a_flow_that_does_not_persist_do_not(record) -> None:
    @flow
    def quiet() -> int:
        return plain(1)

    assert quiet() == 2
    assert record("SELECT result_ref FROM task_runs") == [(None,)]


def test_a_task_s_own_storage_wins(tmp_path: Path) -> None:
    own = LocalFileSystem(tmp_path / "own")

    @task(result_storage=own)
    def mine() -> str:
        return "mine"

    @flow(result_storage=LocalFileSystem(tmp_path / "flow"))
    def mixed() -> str:
        return mine()

    assert mixed() == "mine"
    assert len(list((tmp_path / "own").iterdir())) == 1
    assert len(list((tmp_path / "flow").iterdir())) == 1  # the flow's own result only


def test_tasks_in_worker_processes_inherit_too(tmp_path: Path, record) -> None:
    from cadenza.task_runners import ProcessPoolTaskRunner

    @flow(persist_result=True, result_storage=LocalFileSystem(tmp_path / "results"),
          task_runner=ProcessPoolTaskRunner(max_workers=1))  # fmt: skip
    def remote() -> list[int]:
        return [f.result() for f in plain.map([1, 2])]

    assert remote() == [2, 3]
    refs = [ref for (ref,) in record("SELECT result_ref FROM task_runs")]
    assert len(refs) == 2 and all(refs)
