"""dbt_build inside a flow on the shop project (tests/fixtures/shop, DuckDB): each node is a task
run with its own state, times and log lines, read back with ``cadenza runs show --json``.

dbt starts slowly (seconds per invocation), so each build runs once for the module (in a
throwaway record, `prefect_test_harness`) and the tests read what it recorded. The full build
holds every outcome: a seed, models and tests that pass, a model that fails (broken_model), its
child that is skipped (after_broken) and a data test that fails (no_negative_amounts).
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cadenza import flow
from cadenza.testing.utilities import prefect_test_harness

from cadenza_dbt import DbtCliProfile, DbtError, DbtResult, DbtRunError, dbt_build, dbt_test

pytestmark = pytest.mark.slow

PASSING = {
    "seed.shop.raw_orders",
    "model.shop.stg_orders",
    "model.shop.customer_totals",
    "test.shop.not_null_stg_orders_order_id",
    "test.shop.unique_stg_orders_order_id",
    "test.shop.unique_customer_totals_customer",
}
FAILED = {"model.shop.broken_model", "test.shop.no_negative_amounts"}
SKIPPED = {"model.shop.after_broken"}
SECRET = "hunter2-not-for-logs"


def _node_id(task_run_name: str) -> str:
    """A generic test's unique id ends in a hash: ``test.shop.unique_x.3f2a...``."""
    parts = task_run_name.split(".")
    return ".".join(parts[:3])


def _show(flow_run_id: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "cadenza.cli.main", "runs", "show", flow_run_id, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    shown: dict[str, Any] = json.loads(proc.stdout)
    shown["raw"] = proc.stdout
    return shown


def _run(body: Any) -> tuple[Any, dict[str, Any]]:
    """Run flow `body` in a throwaway record: (its state, ``runs show --json`` of it)."""
    with prefect_test_harness():
        setup = getattr(body, "setup", None)
        if setup is not None:
            setup()
        state = flow(name=body.__name__)(body)(return_state=True)
        shown = _show(state.state_details.flow_run_id)
    return state, shown


@pytest.fixture(scope="module")
def full_build(shop_project: Path, dbt_executable: str) -> tuple[Any, dict[str, Any]]:
    def build_everything() -> DbtResult:
        return dbt_build(shop_project, profiles_dir=shop_project, dbt_executable=dbt_executable)

    return _run(build_everything)


@pytest.fixture(scope="module")
def tested(shop_project: Path, dbt_executable: str, full_build: Any) -> tuple[Any, dict[str, Any]]:
    """``dbt_test`` of the failing test, by its tag, on the full build's database (the same
    profile and target: dbt reuses its parse of the project), returning instead of raising."""

    def test_failing() -> DbtResult:
        return dbt_test(
            shop_project,
            profiles_dir=shop_project,
            select="tag:fails",
            dbt_executable=dbt_executable,
            raise_on_failure=False,
        )

    return _run(test_failing)


@pytest.fixture(scope="module")
def selected_build(
    shop_project: Path, dbt_executable: str, tested: Any
) -> tuple[Any, dict[str, Any]]:
    """``select="+stg_orders"`` (the seed, stg_orders and its two tests) with the profile from a
    saved block (another target: a DuckDB file of its own), a secret setting included."""

    def build_staging() -> DbtResult:
        return dbt_build(
            shop_project, select="+stg_orders", profile="shop-ci", dbt_executable=dbt_executable
        )

    def setup() -> None:
        DbtCliProfile(
            name="shop",
            target="ci",
            adapter_type="duckdb",
            threads=2,
            outputs={"path": str(shop_project / "ci.duckdb")},
            secret_outputs={"password": SECRET},  # dbt-duckdb ignores it; it must not show
        ).save("shop-ci")

    build_staging.setup = setup  # type: ignore[attr-defined]  # kept on the function
    return _run(build_staging)


def _runs(shown: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {_node_id(run["name"]): run for run in shown["task_runs"]}


def test_every_node_becomes_a_task_run_named_after_it(full_build: Any) -> None:
    _, shown = full_build
    runs = _runs(shown)
    assert len(shown["task_runs"]) == 9
    assert set(runs) == PASSING | FAILED | SKIPPED
    stg = runs["model.shop.stg_orders"]
    assert stg["name"] == stg["task_name"] == "model.shop.stg_orders"
    assert set(stg["tags"]) == {"dbt", "dbt:model"}
    assert set(runs["test.shop.no_negative_amounts"]["tags"]) == {"dbt", "dbt:test"}


def test_each_task_run_ends_in_its_nodes_state(full_build: Any) -> None:
    _, shown = full_build
    runs = _runs(shown)
    for node in PASSING:
        assert runs[node]["state"]["type"] == "COMPLETED", node
    broken = runs["model.shop.broken_model"]["state"]
    assert broken["type"] == "FAILED"
    assert "no_such_column" in broken["message"]
    failing_test = runs["test.shop.no_negative_amounts"]["state"]
    assert failing_test["type"] == "FAILED"
    assert "Got 1 result" in failing_test["message"]


def test_a_skipped_downstream_node_is_recorded_skipped_without_running(full_build: Any) -> None:
    _, shown = full_build
    skipped = _runs(shown)["model.shop.after_broken"]
    assert skipped["state"]["type"] == "CANCELLED"
    assert skipped["state"]["name"] == "Skipped"
    assert [s["type"] for s in skipped["states"]] == ["PENDING", "CANCELLED"]
    assert skipped["start_time"] is None
    assert skipped["run_count"] == 0


def test_task_runs_carry_dbts_start_and_end_times(full_build: Any) -> None:
    _, shown = full_build
    runs = _runs(shown)
    flow_start = datetime.fromisoformat(shown["start_time"])
    flow_end = datetime.fromisoformat(shown["end_time"])
    for node in PASSING | FAILED:
        run = runs[node]
        start = datetime.fromisoformat(run["start_time"])
        end = datetime.fromisoformat(run["end_time"])
        assert flow_start <= start <= end <= flow_end, node
    # dbt's order: stg_orders starts after the seed it reads has ended
    seed_end = datetime.fromisoformat(runs["seed.shop.raw_orders"]["end_time"])
    assert seed_end <= datetime.fromisoformat(runs["model.shop.stg_orders"]["start_time"])


def test_each_nodes_log_lines_are_its_task_runs(full_build: Any) -> None:
    _, shown = full_build
    by_run: dict[str | None, list[str]] = {}
    for line in shown["logs"]:
        by_run.setdefault(line["task_run_id"], []).append(line["message"])
    runs = _runs(shown)
    stg = by_run[runs["model.shop.stg_orders"]["id"]]
    assert any("START sql view model main.stg_orders" in m for m in stg)
    assert any("OK created sql view model main.stg_orders" in m for m in stg)
    broken = "\n".join(by_run[runs["model.shop.broken_model"]["id"]])
    assert "no_such_column" in broken
    assert "stg_orders" not in "\n".join(by_run[runs["seed.shop.raw_orders"]["id"]])
    flow_lines = "\n".join(by_run[None])
    assert "Running with dbt=" in flow_lines and "PASS=6" in flow_lines


def test_nodes_are_recorded_while_dbt_runs_not_after(full_build: Any) -> None:
    """Log lines are stamped when cadenza reads them: the seed's come well before dbt's summary
    (read after dbt's run) — replayed after dbt exited, they would come together."""
    _, shown = full_build
    stamps = {line["message"]: datetime.fromisoformat(line["timestamp"]) for line in shown["logs"]}
    seed_ok = next(t for m, t in stamps.items() if "OK loaded seed file main.raw_orders" in m)
    summary = next(t for m, t in stamps.items() if m.startswith("Done. PASS="))
    assert (summary - seed_ok).total_seconds() > 0.1


def test_the_call_raises_after_every_node_naming_the_failed_ones(full_build: Any) -> None:
    state, shown = full_build
    assert shown["state"]["type"] == "FAILED"
    with pytest.raises(DbtRunError) as raised:
        state.result()
    message = str(raised.value)
    assert "model.shop.broken_model" in message and "test.shop.no_negative_amounts" in message
    assert "2 of 9 nodes failed" in message
    assert "stg_orders" not in message.replace("main.stg_orders", "")
    result = raised.value.result
    assert len(result.nodes) == 9
    assert {n.unique_id for n in result.failed} == FAILED
    assert result.node("model.shop.after_broken").state_name == "Skipped"
    copy = pickle.loads(pickle.dumps(raised.value))  # a failed state's data travels pickled
    assert str(copy) == message and copy.result == result


def test_select_restricts_the_nodes_and_a_clean_build_returns(selected_build: Any) -> None:
    state, shown = selected_build
    assert shown["state"]["type"] == "COMPLETED", shown["state"]
    built = state.result()
    assert built.success and built.returncode == 0 and not built.failed
    assert {_node_id(node.unique_id) for node in built.nodes} == {
        "seed.shop.raw_orders",
        "model.shop.stg_orders",
        "test.shop.not_null_stg_orders_order_id",
        "test.shop.unique_stg_orders_order_id",
    }


def test_dbt_test_records_the_selected_test_and_can_return_its_failure(tested: Any) -> None:
    state, shown = tested
    result = state.result()
    assert result.command == "test" and result.returncode == 1
    assert [(n.unique_id, n.status, n.state_name) for n in result.nodes] == [
        ("test.shop.no_negative_amounts", "fail", "Failed")
    ]
    ((run,),) = [shown["task_runs"]]
    assert run["name"] == "test.shop.no_negative_amounts"
    assert run["state"]["type"] == "FAILED" and run["id"] == result.nodes[0].task_run_id
    # the flow returned: its state is its own, not the node's (raise_on_failure=False)
    assert shown["state"]["type"] == "COMPLETED"


def test_the_profile_comes_from_the_block(selected_build: Any, shop_project: Path) -> None:
    _, shown = selected_build
    assert (shop_project / "ci.duckdb").is_file()  # the block's target, not profiles.yml's
    flow_lines = "\n".join(line["message"] for line in shown["logs"])
    assert "target='ci'" in flow_lines
    assert SECRET not in shown["raw"]


def test_a_missing_project_dir_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-project"
    with pytest.raises(DbtError, match=r"dbt project directory .*no-such-project.* does not exist"):
        dbt_build(missing, dbt_executable=sys.executable)


def test_a_directory_without_dbt_project_yml_is_named(tmp_path: Path) -> None:
    with pytest.raises(DbtError, match=r"has no dbt_project\.yml"):
        dbt_build(tmp_path, dbt_executable=sys.executable)


def test_a_missing_profiles_dir_is_named(shop_project: Path, tmp_path: Path) -> None:
    with pytest.raises(DbtError, match=r"dbt profiles directory .*nowhere.* does not exist"):
        dbt_build(shop_project, profiles_dir=tmp_path / "nowhere", dbt_executable=sys.executable)


def test_a_missing_dbt_executable_is_named(shop_project: Path) -> None:
    with pytest.raises(DbtError, match="dbt executable 'no-such-dbt' not found"):
        dbt_build(shop_project, dbt_executable="no-such-dbt")


def test_dbt_refusing_the_command_raises_with_dbts_reason(
    shop_project: Path, dbt_executable: str
) -> None:
    with pytest.raises(DbtError) as raised:
        dbt_build(
            shop_project, profiles_dir=shop_project, target="nope", dbt_executable=dbt_executable
        )
    message = str(raised.value)
    assert not isinstance(raised.value, DbtRunError)  # no node ran
    assert f"dbt build failed in project {str(shop_project)!r}" in message
    assert "does not have a target named 'nope'" in message
