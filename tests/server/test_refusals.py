"""What cannot belong is refused (ids with control characters, task runs of unknown flow runs);
text that any database can store after escaping is stored, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from server_helpers import flow_run, state, task_run

CONTROL = ["a\x00b", "line\nbreak", "bell\x07", "del\x7f", "c1\x85", "caf\udce9"]


def _post(client, path: str, body: Any):
    """POST `body` as JSON text with every non-ASCII character escaped, as a client's
    ``json.dumps`` sends it (this carries lone surrogates, which UTF-8 cannot)."""
    content = json.dumps(body).encode()
    return client.post(path, content=content, headers={"Content-Type": "application/json"})


def _transition(run_id: str, tid: str, flow_run_id: str | None = "f1") -> dict[str, Any]:
    return {"run_id": run_id, "flow_run_id": flow_run_id, "transition_id": tid,
            "run_count": 0, "state": state("PENDING")}  # fmt: skip


def _log(**fields: Any) -> dict[str, Any]:
    return {"flow_run_id": "f1", "task_run_id": None, "level": 20, "logger": "cadenza",
            "message": "m", "timestamp": 1.0, **fields}  # fmt: skip


# (where the bad id goes, the path, a body builder, the loc the 422 must name)
CASES = [
    ("flow run id", "/api/flow_runs", lambda bad: flow_run(bad), ["body", "id"]),
    ("parent flow run id", "/api/flow_runs",
     lambda bad: flow_run("r2", parent_flow_run_id=bad), ["body", "parent_flow_run_id"]),
    ("task run id", "/api/batch",
     lambda bad: {"task_runs": [task_run("t0", "f1"), task_run(bad, "f1")]},
     ["body", "task_runs", 1, "id"]),
    ("task run's flow run id", "/api/batch",
     lambda bad: {"task_runs": [task_run("t0", bad)]}, ["body", "task_runs", 0, "flow_run_id"]),
    ("transition id", "/api/batch",
     lambda bad: {"transitions": [_transition("f1", "ok"), _transition("f1", bad)]},
     ["body", "transitions", 1, "transition_id"]),
    ("transition's run id", "/api/batch",
     lambda bad: {"transitions": [_transition(bad, "x")]}, ["body", "transitions", 0, "run_id"]),
    ("transition's flow run id", "/api/batch",
     lambda bad: {"transitions": [_transition("f1", "x", bad)]},
     ["body", "transitions", 0, "flow_run_id"]),
    ("log's task run id", "/api/batch",
     lambda bad: {"logs": [_log(), _log(), _log(task_run_id=bad)]},
     ["body", "logs", 2, "task_run_id"]),
    ("artifact id", "/api/artifacts",
     lambda bad: {"id": bad, "type": "markdown", "data": "# hi", "created": 1.0}, ["body", "id"]),
    ("set_state transition id", "/api/flow_runs/f1/set_state",
     lambda bad: {"transition_id": bad, "state": state("PENDING")}, ["body", "transition_id"]),
]  # fmt: skip


@pytest.mark.parametrize("bad", CONTROL, ids=["nul", "newline", "bell", "del", "c1", "surrogate"])
@pytest.mark.parametrize(("what", "path", "build", "loc"), CASES, ids=[c[0] for c in CASES])
def test_an_id_with_control_characters_is_refused(client, db_path: Path, what, path, build, loc,
                                                  bad) -> None:  # fmt: skip
    client.post("/api/flow_runs", json=flow_run("f1"))
    response = _post(client, path, build(bad))
    assert response.status_code == 422, (what, response.text)
    answer = response.json()
    assert [e["loc"] for e in answer["errors"]] == [loc]
    assert "control characters" in answer["errors"][0]["msg"]
    assert json.dumps(bad)[1:-1] not in response.text  # the id sent is not repeated
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM flow_runs").fetchone() == (1,)
    assert conn.execute("SELECT count(*) FROM task_runs").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM logs").fetchone() == (0,)


def test_a_run_id_with_nul_in_the_path_is_refused(client) -> None:
    response = client.post(
        "/api/flow_runs/a%00b/set_state", json={"transition_id": "t", "state": state("PENDING")}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["path", "run_id"]


def test_task_runs_of_an_unknown_flow_run_are_refused_and_nothing_is_written(
    any_client,
) -> None:
    client = any_client
    client.post("/api/flow_runs", json=flow_run("f1"))
    body = {
        "task_runs": [task_run("t0", "f1"), task_run("t1", "nobody"), task_run("t2", "f1"),
                      task_run("t3", "nobody")],
        "transitions": [_transition("t0", "t0:1")],
        "logs": [_log(task_run_id="t0")],
    }  # fmt: skip
    response = client.post("/api/batch", json=body)
    assert response.status_code == 422
    answer = response.json()
    assert [e["loc"] for e in answer["errors"]] == [
        ["body", "task_runs", 1, "flow_run_id"],
        ["body", "task_runs", 3, "flow_run_id"],
    ]
    assert "POST /api/flow_runs" in answer["errors"][0]["msg"] and "nobody" not in response.text
    assert client.get("/api/flow_runs/f1").json()["counts"]["task_runs"] == 0
    assert client.get("/api/flow_runs/f1/logs").json() == []
    # the good records, resent alone, are recorded
    body["task_runs"] = [body["task_runs"][0], body["task_runs"][2]]
    assert client.post("/api/batch", json=body).json()["accepted"] == 1
    assert client.get("/api/flow_runs/f1").json()["counts"]["task_runs"] == 2


def test_a_task_run_outside_any_flow_is_accepted(client) -> None:
    """The engine sends task runs called outside a flow with a null flow run id."""
    response = client.post("/api/batch", json={"task_runs": [task_run("lone", None)]})
    assert response.status_code == 200, response.text
    assert client.get("/api/task_runs/lone").json()["flow_run_id"] is None


@pytest.mark.parametrize("level", [0, 5, 1001, 99_999, 2**31 - 1])
def test_any_log_level_python_allows_is_recorded(client, level: int) -> None:
    client.post("/api/flow_runs", json=flow_run("f1"))
    response = client.post("/api/batch", json={"logs": [_log(level=level, message="custom")]})
    assert response.status_code == 200, response.text
    assert [line["level"] for line in client.get("/api/flow_runs/f1/logs").json()] == [level]


@pytest.mark.parametrize("level", [-1, 2**31, 2**70])
def test_a_level_out_of_range_is_refused(client, level: int) -> None:
    response = client.post("/api/batch", json={"logs": [_log(), _log(level=level)]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "logs", 1, "level"]


def test_text_with_lone_surrogates_and_nul_is_stored_escaped(any_client) -> None:
    """Never a 500: every free-text field is stored, lossless where it can be."""
    client = any_client
    odd = "caf\udce9.csv \x00 \ud83d end"
    escaped = "caf\\xe9.csv \\x00 \\ud83d end"
    run = flow_run("f1", name=odd, flow_name=odd, tags=[odd],
                   parameters={odd: [odd, {"k": odd}]}, entrypoint=odd)  # fmt: skip
    assert _post(client, "/api/flow_runs", run).status_code == 201
    proposal = {"transition_id": "f1:1", "state": state("PENDING", odd, message=odd)}
    answer = _post(client, "/api/flow_runs/f1/set_state", proposal)
    assert answer.status_code == 200 and answer.json()["decision"] == "ACCEPT", answer.text
    batch = {
        "task_runs": [task_run("t1", "f1", name=odd, task_name=odd, task_key=odd, tags=[odd])],
        "transitions": [{**_transition("t1", "t1:1"),
                         "state": state("PENDING", message=odd, result_ref=odd)}],
        "logs": [_log(logger=odd, message=odd, task_run_id="t1")],
        "artifacts": [{"id": "a1", "type": "table", "description": odd,
                       "data": [{odd: odd}], "flow_run_id": "f1", "created": 1.0}],
        "cache_entries": [{"key": "k\x00ey", "result_ref": odd, "task_key": odd, "created": 1}],
    }  # fmt: skip
    response = _post(client, "/api/batch", batch)
    assert response.status_code == 200 and response.json()["accepted"] == 1, response.text

    shown = client.get("/api/flow_runs/f1").json()
    assert (shown["name"], shown["flow_name"], shown["tags"]) == (escaped, escaped, [escaped])
    assert shown["parameters"] == {escaped: [escaped, {"k": escaped}]}
    assert (shown["states"][0]["name"], shown["states"][0]["message"]) == (escaped, escaped)
    (task,) = client.get("/api/flow_runs/f1/task_runs").json()
    assert (task["name"], task["task_key"], task["tags"]) == (escaped, escaped, [escaped])
    assert task["states"][0]["message"] == escaped
    (line,) = client.get("/api/flow_runs/f1/logs").json()
    assert (line["logger"], line["message"]) == (escaped, escaped)
    artifact = client.get("/api/artifacts/a1").json()
    assert (artifact["description"], artifact["data"]) == (escaped, [{escaped: escaped}])
    # a cache entry is found by the key it was written with
    entry = client.get("/api/cache_entries", params={"key": "k\x00ey"}).json()
    assert (entry["key"], entry["task_key"], entry["result_ref"]) == ("k\\x00ey", escaped, escaped)


def test_over_long_text_is_cut_with_a_marker_not_refused(client) -> None:
    client.post("/api/flow_runs", json=flow_run("f1"))
    message = "x" * 1_200_000
    assert client.post("/api/batch", json={"logs": [_log(message=message)]}).status_code == 200
    (line,) = client.get("/api/flow_runs/f1/logs").json()
    assert len(line["message"]) == 1_000_000
    assert line["message"].endswith("[truncated by cadenza: 1,200,000 characters in all]")
