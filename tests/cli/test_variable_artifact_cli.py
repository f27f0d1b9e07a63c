"""`cadenza variable ...` and `cadenza artifact ...` on the embedded record (the three-backend
suite covers the same Python API against servers)."""

from __future__ import annotations

import json

from cadenza import flow, task


def test_variable_set_get_ls_unset(invoke) -> None:
    assert (
        invoke("variable", "set", "limits", '{"max": 5}', "--json", "--tag", "etl").exit_code == 0
    )
    got = invoke("variable", "get", "limits")
    assert got.exit_code == 0 and json.loads(got.stdout) == {"max": 5}
    again = invoke("variable", "set", "limits", "x")
    assert (
        again.exit_code == 2 and "already exists" in again.stderr and "--overwrite" in again.stderr
    )
    assert invoke("variable", "set", "limits", "plain text", "--overwrite").exit_code == 0
    listed = json.loads(invoke("variable", "ls", "--json").stdout)
    assert [(v["name"], v["value"], v["tags"]) for v in listed] == [("limits", "plain text", [])]
    table = invoke("variable", "ls").stdout
    assert table.splitlines()[0].split() == ["NAME", "VALUE", "TAGS", "UPDATED"]
    assert invoke("variable", "unset", "limits").exit_code == 0
    missing = invoke("variable", "get", "limits")
    assert missing.exit_code == 1 and "No variable 'limits'" in missing.stderr
    assert invoke("variable", "unset", "limits").exit_code == 1


def test_bad_variable_input_is_a_usage_error(invoke) -> None:
    bad_name = invoke("variable", "set", "Bad Name", "1")
    assert bad_name.exit_code == 2 and "Invalid variable name" in bad_name.stderr
    bad_json = invoke("variable", "set", "ok", "{not json", "--json")
    assert bad_json.exit_code == 2 and "not JSON" in bad_json.stderr


@task
def summarise(rows: int) -> int:
    from cadenza.artifacts import create_table_artifact

    create_table_artifact({"rows": [rows], "ok": [True]}, key="summary", description="counts")
    return rows


@flow
def reporting() -> int:
    from cadenza.artifacts import create_markdown_artifact

    create_markdown_artifact("# Loaded\n\n**3** rows", key="report")
    return summarise(3)


def test_artifact_ls_and_inspect(invoke) -> None:
    state = reporting(return_state=True)
    flow_run_id = state.state_details.flow_run_id
    listed = json.loads(invoke("artifact", "ls", "--flow-run", flow_run_id, "--json").stdout)
    assert sorted(a["key"] for a in listed) == ["report", "summary"]
    table = invoke("artifact", "inspect", "summary")
    assert table.exit_code == 0
    header, rule, row = table.stdout.splitlines()[-3:]
    assert header.split() == ["rows", "ok"] and set(rule) <= {"─", " "}
    assert row.split() == ["3", "true"]
    markdown = invoke("artifact", "inspect", "report")
    assert "Loaded" in markdown.stdout and "3 rows" in markdown.stdout
    missing = invoke("artifact", "inspect", "nope")
    assert missing.exit_code == 1 and "No artifact with key 'nope'" in missing.stderr
    assert invoke("artifact", "inspect", "Bad Key").exit_code == 2
