"""Prefect's client, used as Prefect's documentation uses it, against the embedded record (no
server: Prefect's falls back to a temporary one) and against a real server on SQLite and on
PostgreSQL (the `backend` fixture of tests/conftest.py)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from cadenza import flow, get_run_logger, task
from cadenza.client.orchestration import get_client
from cadenza.client.schemas.actions import ArtifactCreate, VariableCreate, VariableUpdate
from cadenza.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    DeploymentFilter,
    DeploymentFilterName,
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterId,
    FlowRunFilterName,
    FlowRunFilterStartTime,
    FlowRunFilterState,
    FlowRunFilterStateName,
    FlowRunFilterStateType,
    FlowRunFilterTags,
    LogFilter,
    LogFilterFlowRunId,
    LogFilterLevel,
    TaskRunFilter,
    TaskRunFilterName,
    TaskRunFilterState,
    TaskRunFilterStateType,
)
from cadenza.client.schemas.objects import FlowRun, Log, StateType, TaskRun
from cadenza.client.schemas.sorting import FlowRunSort, LogSort, TaskRunSort
from cadenza.exceptions import ObjectAlreadyExists, ObjectNotFound
from cadenza.states import Cancelled, Scheduled
from cadenza.store.run_filters import FilterError


@task
def double(x: int) -> int:
    return 2 * x


@task
def explode() -> None:
    raise ValueError("boom")


@flow
def etl(n: int = 1) -> int:
    get_run_logger().info("loading %s rows", n)
    get_run_logger().warning("slow source")
    return double(n)


@flow
def broken() -> None:
    explode()


@pytest.fixture
def names() -> dict[str, str]:
    """Names of this test's own flows, deployment, variables, keys and blocks: the servers are
    shared by the session's tests, so each test reads only what it made."""
    suffix = uuid.uuid4().hex[:8]
    return {"etl": f"etl-{suffix}", "broken": f"broken-{suffix}", "key": f"report-{suffix}",
            "var": f"batch_size_{suffix}", "tag": f"nightly-{suffix}"}  # fmt: skip


def _runs(names: dict[str, str]) -> None:
    """Two completed `etl` runs (one tagged), then two failed `broken` runs."""
    from cadenza import tags

    my_etl = etl.with_options(name=names["etl"])
    my_etl(1)
    with tags(names["tag"]):
        my_etl(2)
    for _ in range(2):
        with pytest.raises(ValueError):
            broken.with_options(name=names["broken"])()


def _of(name: str) -> FlowFilter:
    return FlowFilter(name=FlowFilterName(any_=[name]))


def test_read_the_last_failed_flow_runs(backend, names) -> None:
    # Prefect 3.9.1: read_flow_runs with a FlowRunFilterStateType(any_=[FAILED]) filter,
    # sort=START_TIME_DESC and limit=3 answers FlowRun objects whose .state.is_failed(), newest
    # first; total_run_time is a timedelta
    _runs(names)

    async def failed() -> list[FlowRun]:
        async with get_client() as client:
            return await client.read_flow_runs(
                flow_filter=_of(names["broken"]),
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.FAILED]))
                ),
                sort=FlowRunSort.START_TIME_DESC,
                limit=3,
            )

    runs = asyncio.run(failed())
    assert len(runs) == 2 and all(isinstance(r, FlowRun) for r in runs)
    assert all(r.state is not None and r.state.is_failed() for r in runs)
    assert [r.state_name for r in runs] == ["Failed", "Failed"]
    assert runs[0].start_time is not None and runs[1].start_time is not None
    assert runs[0].start_time >= runs[1].start_time
    assert isinstance(runs[0].total_run_time, timedelta)
    assert {r.flow_name for r in runs} == {names["broken"]}


def test_a_sync_client_reads_a_run_its_task_runs_and_its_logs(backend, names) -> None:
    # Prefect 3.9.1: get_client(sync_client=True) is used as `with ... as client`;
    # read_flow_run(id) answers the FlowRun (parameters, state); read_task_runs with a
    # flow_run_filter by id answers its TaskRuns; read_logs with LogFilterFlowRunId answers
    # its log lines oldest first ("loading 1 rows" ...)
    etl.with_options(name=names["etl"])(7)
    with get_client(sync_client=True) as client:
        (latest,) = client.read_flow_runs(flow_filter=_of(names["etl"]))
        run = client.read_flow_run(latest.id)
        assert run.id == latest.id and run.parameters == {"n": 7}
        assert run.state is not None and run.state.is_completed()
        assert run.flow_id == client.read_flow_by_name(names["etl"]).id
        assert client.read_flow(run.flow_id).name == names["etl"]

        task_runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id]))
        )
        assert [(t.task_name, t.state_name) for t in task_runs] == [("double", "Completed")]
        assert isinstance(task_runs[0], TaskRun) and task_runs[0].flow_run_id == run.id
        assert client.read_task_run(task_runs[0].id).task_key == task_runs[0].task_key

        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))
        assert all(isinstance(line, Log) for line in logs)
        messages = [line.message for line in logs]
        assert messages.index("loading 7 rows") < messages.index("slow source")
        warnings = client.read_logs(
            LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id]), level=LogFilterLevel(ge_=30)),
            sort=LogSort.TIMESTAMP_DESC,
        )
        assert [line.message for line in warnings] == ["slow source"]
        with pytest.raises(ObjectNotFound):
            client.read_flow_run(uuid.uuid4())


def test_filters_combine_as_prefect_s_do(backend, names) -> None:
    # Prefect 3.9.1: filters of one model are ANDed; tags all_ is a superset match; a flow
    # filter selects by flow name; a task_run_filter selects the flow runs with such a task
    # run; start_time after_ bounds the start
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    _runs(names)
    with get_client(sync_client=True) as client:
        tagged = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[names["tag"]]))
        )
        assert [r.parameters for r in tagged] == [{"n": 2}]
        assert tagged[0].tags == [names["tag"]]
        by_flow = client.read_flow_runs(flow_filter=_of(names["etl"]))
        assert len(by_flow) == 2
        assert client.count_flow_runs(flow_filter=_of(names["etl"])) == 2
        named = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[tagged[0].name]))
        )
        assert [r.id for r in named] == [tagged[0].id]
        with_failed_task = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(like_=names["broken"][-8:])),
            task_run_filter=TaskRunFilter(
                state=TaskRunFilterState(type=TaskRunFilterStateType(any_=[StateType.FAILED]))
            ),
        )
        assert {r.flow_name for r in with_failed_task} == {names["broken"]}
        assert len(with_failed_task) == 2
        recent = client.read_flow_runs(
            flow_filter=_of(names["etl"]),
            flow_run_filter=FlowRunFilter(
                start_time=FlowRunFilterStartTime(after_=before),
                state=FlowRunFilterState(name=FlowRunFilterStateName(any_=["Completed"])),
            ),
            sort=FlowRunSort.NAME_ASC,
        )
        assert len(recent) == 2 and [r.name for r in recent] == sorted(r.name for r in recent)
        none = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(
                after_=datetime.now(timezone.utc) + timedelta(hours=1)))
        )  # fmt: skip
        assert none == []
        second = client.read_flow_runs(sort=FlowRunSort.ID_DESC, limit=1, offset=1)
        assert second[0].id == client.read_flow_runs(limit=2)[1].id
        failed_tasks = client.read_task_runs(
            flow_filter=_of(names["broken"]),
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="explode")),
            sort=TaskRunSort.END_TIME_DESC,
        )
        assert [t.state_name for t in failed_tasks] == ["Failed", "Failed"]


def test_a_deployment_s_run_is_created_read_and_cancelled(backend, names, tmp_path) -> None:
    # Prefect 3.9.1: read_deployment_by_name("flow/deployment") answers the deployment;
    # create_flow_run_from_deployment(id, parameters=) answers a Scheduled FlowRun with the
    # deployment's id; set_flow_run_state(run.id, Cancelled()) on a Scheduled run is ACCEPTed
    from cadenza.deployments.api import deployments_api

    api = deployments_api()
    try:
        api.apply({"flow_name": names["etl"], "name": "nightly", "entrypoint": "flows.py:etl",
                   "path": str(tmp_path), "parameters": {"n": 1}})  # fmt: skip
    finally:
        api.close()
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(f"{names['etl']}/nightly")
        assert (deployment.name, deployment.parameters) == ("nightly", {"n": 1})
        assert client.read_deployment(deployment.id).id == deployment.id
        run = client.create_flow_run_from_deployment(
            deployment.id, parameters={"n": 5}, tags=["adhoc"]
        )
        assert run.deployment_id == deployment.id and run.parameters == {"n": 5}
        assert run.state is not None and run.state.is_scheduled()
        assert "adhoc" in run.tags
        later = datetime.now(timezone.utc) + timedelta(hours=1)
        scheduled = client.create_flow_run_from_deployment(
            deployment.id, state=Scheduled(scheduled_time=later.timestamp())
        )
        assert scheduled.expected_start_time is not None
        assert abs((scheduled.expected_start_time - later).total_seconds()) < 1
        of_deployment = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(deployment_id=FlowRunFilterDeploymentId(any_=[deployment.id])),
            sort=FlowRunSort.EXPECTED_START_TIME_DESC,
        )  # fmt: skip
        assert [r.id for r in of_deployment] == [scheduled.id, run.id]
        by_deployment_name = client.read_flow_runs(
            flow_filter=_of(names["etl"]),
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["nightly"])),
        )
        assert {r.id for r in by_deployment_name} == {run.id, scheduled.id}

        result = client.set_flow_run_state(run.id, Cancelled(message="not today"))
        assert result.status.value == "ACCEPT"
        assert result.state is not None and result.state.is_cancelled()
        assert client.read_flow_run(run.id).state_type is StateType.CANCELLED
        with pytest.raises(ObjectNotFound):
            client.read_deployment_by_name(f"{names['etl']}/missing")
        client.delete_flow_run(scheduled.id)
        with pytest.raises(ObjectNotFound):
            client.read_flow_run(scheduled.id)


def test_set_state_is_orchestrated_unless_forced(backend, names) -> None:
    # Prefect 3.9.1: set_flow_run_state(run.id, Scheduled()) on a Completed run answers ABORT
    # ("Cannot reschedule a run without an associated deployment") and leaves it Completed;
    # force=True accepts the state. (Prefect accepts Completed -> Running and Failed ->
    # Cancelled; cadenza's rules keep a finished run finished: docs/concepts/client.md)
    etl.with_options(name=names["etl"])(1)
    with get_client(sync_client=True) as client:
        (run,) = client.read_flow_runs(flow_filter=_of(names["etl"]))
        refused = client.set_flow_run_state(run.id, Scheduled())
        assert refused.status.value != "ACCEPT"
        assert client.read_flow_run(run.id).state_type is StateType.COMPLETED
        forced = client.set_flow_run_state(run.id, Cancelled(message="by hand"), force=True)
        assert forced.status.value == "ACCEPT"
        after = client.read_flow_run(run.id)
        assert after.state is not None and after.state.is_cancelled()
        assert after.state.message == "by hand"
        (task_run,) = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id]))
        )
        forced = client.set_task_run_state(task_run.id, Cancelled(), force=True)
        assert forced.status.value == "ACCEPT"
        assert client.read_task_run(task_run.id).state_type is StateType.CANCELLED


def test_variables_through_the_client(backend, names) -> None:
    # Prefect 3.9.1: create_variable(VariableCreate(name=, value=)) answers the Variable; a
    # second create of the name raises ObjectAlreadyExists; update_variable changes the value;
    # read_variable_by_name of an unknown name answers None; delete_variable_by_name removes it
    name = names["var"]

    async def scenario() -> None:
        async with get_client() as client:
            made = await client.create_variable(VariableCreate(name=name, value=5))
            assert (made.name, made.value) == (name, 5)
            with pytest.raises(ObjectAlreadyExists):
                await client.create_variable(VariableCreate(name=name, value=6))
            await client.update_variable(VariableUpdate(name=name, value=7))
            assert (await client.read_variable_by_name(name)).value == 7
            assert await client.read_variable_by_name("nope") is None
            assert name in [v.name for v in await client.read_variables()]
            await client.delete_variable_by_name(name)
            assert await client.read_variable_by_name(name) is None
            with pytest.raises(ObjectNotFound):
                await client.delete_variable_by_name(name)

    asyncio.run(scenario())
    from cadenza.variables import Variable

    with get_client(sync_client=True) as client:
        client.create_variable(VariableCreate(name=f"{name}_shared", value={"a": 1}, tags=["t"]))
    assert Variable.get(f"{name}_shared") == {"a": 1}  # the same store as Variable's


def test_blocks_and_artifacts_through_the_client(backend, names) -> None:
    # Prefect 3.9.1: read_block_document_by_name(name, block_type_slug) answers a
    # BlockDocument whose data holds the secret in clear (include_secrets defaults to True);
    # create_artifact(ArtifactCreate(key=, type=, data=)) answers the Artifact, and
    # read_latest_artifacts answers the newest of each key
    from pydantic import SecretStr

    from cadenza.blocks.system import Secret

    Secret(value=SecretStr("hunter2")).save(names["key"])
    with get_client(sync_client=True) as client:
        document = client.read_block_document_by_name(names["key"], "secret")
        assert document.name == names["key"] and document.data["value"] == "hunter2"
        masked = client.read_block_document_by_name(names["key"], "secret", include_secrets=False)
        assert masked.data["value"] == "**********"
        with pytest.raises(ObjectNotFound):
            client.read_block_document_by_name("missing", "secret")

        first = client.create_artifact(
            ArtifactCreate(key=names["key"], type="markdown", data="# v1")
        )
        client.create_artifact(ArtifactCreate(key=names["key"], type="markdown", data="# v2"))
        assert first.key == names["key"]
        keyed = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[names["key"]]))
        )
        assert [a.data for a in keyed] == ["# v2", "# v1"]
        latest = client.read_latest_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(like_=names["key"]))
        )
        assert [(a.key, a.data) for a in latest] == [(names["key"], "# v2")]


def test_a_filter_the_record_cannot_apply_names_where_it_is(backend) -> None:
    # Prefect 3.9.1: filter models forbid unknown fields (a pydantic ValidationError); a
    # filter dict cadenza cannot apply is refused naming the field, embedded or on a server
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        FlowRunFilter(colour={"any_": ["red"]})  # type: ignore[call-arg]  # the unknown field under test
    with get_client(sync_client=True) as client:
        with pytest.raises(FilterError) as refused:
            client.record.read_flow_runs({"flow_runs": {"state": {"type": {"every_": ["X"]}}}})
        assert refused.value.loc[:4] == ["flow_runs", "state", "type", "every_"]
        with pytest.raises(FilterError, match="unknown sort"):
            client.read_flow_runs(sort="SIDEWAYS")


def test_the_client_needs_no_server(cadenza_home, monkeypatch) -> None:
    # Prefect 3.9.1: get_client() with no PREFECT_API_URL starts a temporary server and works;
    # cadenza's works on the embedded record (it used to fail: "CADENZA_API_URL is not set")
    monkeypatch.delenv("CADENZA_API_URL", raising=False)
    etl(3)  # a fresh CADENZA_HOME: the record holds this run only

    async def read() -> list[FlowRun]:
        async with get_client() as client:
            assert await client.api_healthcheck() is None
            return await client.read_flow_runs()

    assert [r.parameters for r in asyncio.run(read())] == [{"n": 3}]
    import cadenza

    assert cadenza.get_client(sync_client=True).read_flow_runs()[0].parameters == {"n": 3}


def test_the_schemas_load_pydantic_only_when_used() -> None:
    # Prefect 3.9.1: prefect.client.schemas.{objects,filters,sorting} are the import paths;
    # cadenza keeps `import cadenza` and the sort orders free of pydantic
    import subprocess
    import sys

    code = (
        "import sys, cadenza\n"
        "assert 'cadenza.client.schemas' not in sys.modules\n"
        "from cadenza.client.schemas.sorting import FlowRunSort\n"
        "assert FlowRunSort.START_TIME_DESC == 'START_TIME_DESC'\n"
        "assert 'pydantic' not in sys.modules, 'sorting loaded pydantic'\n"
        "from cadenza.client.schemas import objects\n"
        "assert 'pydantic' in sys.modules and objects.FlowRun\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
