"""`cadenza.store.run_filters` and `filtered_reads`: Prefect-shaped filters applied to a real
SQLite record (the server runs the same SQL on PostgreSQL: tests/compat/test_compat_client.py)."""

from __future__ import annotations

import pytest

from cadenza.store.filtered_reads import read_flow_runs, read_logs, read_task_runs
from cadenza.store.run_filters import FilterError, flow_id


def _names(rows) -> list[str]:
    return sorted(r["name"] for r in rows)


@pytest.fixture
def record(conn, seeder):
    seeder.flow_run(name="alpha", flow_name="etl", tags=["a", "b"])
    seeder.flow_run(name="beta", flow_name="etl", final="FAILED", tags=["b"])
    gamma = seeder.flow_run(name="gamma_1%", flow_name="report", final="RUNNING")
    seeder.task_run(gamma, name="load-0", final="FAILED")
    seeder.log(gamma, "Connection TIMEOUT to db")
    seeder.log(gamma, "all good")
    return conn


def test_an_or_group_matches_either_field(record) -> None:
    body = {"flow_runs": {"operator": "or_", "name": {"any_": ["alpha"]},
                          "state": {"type": {"any_": ["RUNNING"]}}}}  # fmt: skip
    assert _names(read_flow_runs(record, body)) == ["alpha", "gamma_1%"]


def test_tags_all_any_and_none(record) -> None:
    def tagged(spec):
        return _names(read_flow_runs(record, {"flow_runs": {"tags": spec}}))

    assert tagged({"all_": ["a", "b"]}) == ["alpha"]
    assert tagged({"any_": ["a", "b"]}) == ["alpha", "beta"]
    assert tagged({"is_null_": True}) == ["gamma_1%"]


def test_not_any_keeps_rows_whose_column_is_null_and_like_escapes_wildcards(record) -> None:
    body = {"flow_runs": {"state": {"name": {"not_any_": ["Failed"]}}}}
    assert _names(read_flow_runs(record, body)) == ["alpha", "gamma_1%"]
    assert _names(read_flow_runs(record, {"flow_runs": {"name": {"like_": "A_1%"}}})) == [
        "gamma_1%"
    ]
    assert read_flow_runs(record, {"flow_runs": {"name": {"like_": "a%z"}}}) == []


def test_a_flow_is_found_by_the_id_derived_from_its_name(record) -> None:
    body = {"flows": {"id": {"any_": [flow_id("report")]}}}
    assert _names(read_flow_runs(record, body)) == ["gamma_1%"]
    assert read_flow_runs(record, {"flows": {"id": {"any_": [flow_id("nope")]}}}) == []


def test_task_runs_by_their_flow_run_s_filters(record) -> None:
    body = {
        "flows": {"name": {"any_": ["report"]}},
        "task_runs": {"state": {"type": {"any_": ["FAILED"]}}},
    }
    rows = read_task_runs(record, body)
    assert [r["name"] for r in rows] == ["load-0"]
    assert read_task_runs(record, {"flows": {"name": {"any_": ["etl"]}}}) == []


def test_log_text_search_takes_words_and_exclusions(record) -> None:
    assert [r["message"] for r in read_logs(record, {"text": {"query": "timeout"}})] == [
        "Connection TIMEOUT to db"
    ]
    assert [r["message"] for r in read_logs(record, {"text": {"query": "-timeout"}})] == [
        "all good"
    ]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"flow_runs": {"colour": {"any_": ["red"]}}}, ["flow_runs", "colour"]),
        ({"flow_runs": {"name": {"every_": ["x"]}}}, ["flow_runs", "name", "every_"]),
        (
            {"flow_runs": {"state": {"type": {"any_": ["DONE"]}}}},
            ["flow_runs", "state", "type", "any_", "0"],
        ),
        (
            {"flow_runs": {"start_time": {"after_": "yesterday"}}},
            ["flow_runs", "start_time", "after_"],
        ),
        ({"flow_runs": {"tags": {"all_": "a"}}}, ["flow_runs", "tags", "all_"]),
        ({"work_pools": {"name": {"any_": ["p"]}}}, ["work_pools"]),
    ],
)
def test_a_filter_it_cannot_apply_is_refused_where_it_is(record, body, loc) -> None:
    with pytest.raises(FilterError) as refused:
        read_flow_runs(record, body)
    assert refused.value.loc == loc
