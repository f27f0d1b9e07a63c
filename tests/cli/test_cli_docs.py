"""docs/cli.md documents exactly the fields of `runs ls --json` and `runs show --json`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
OPAQUE = {"parameters"}  # free-form user values: documented as one field


def documented_fields(section: str) -> set[str]:
    text = DOC.read_text()
    match = re.search(rf"<!-- fields:{section} -->\n(.*?)<!-- /fields -->", text, re.S)
    assert match, f"no field table for {section} in {DOC}"
    fields = re.findall(r"^\| `([^`]+)` \|", match.group(1), re.M)
    assert len(fields) == len(set(fields)), "a field is documented twice"
    return set(fields)


def field_paths(value: dict[str, Any], prefix: str = "") -> set[str]:
    """Every key path in `value`; list elements contribute ``name[].child`` paths."""
    paths = set()
    for key, child in value.items():
        path = prefix + key
        paths.add(path)
        if path in OPAQUE:
            continue
        if isinstance(child, dict):
            paths |= field_paths(child, path + ".")
        elif isinstance(child, list):
            for item in child:
                if isinstance(item, dict):
                    paths |= field_paths(item, path + "[].")
    return paths


def test_ls_json_fields_match_the_doc(invoke, sample) -> None:
    runs = json.loads(invoke("runs", "ls", "--json").stdout)
    assert runs
    for run in runs:
        assert field_paths(run) == documented_fields("runs-ls")


def test_show_json_fields_match_the_doc(invoke, sample) -> None:
    run = json.loads(invoke("runs", "show", sample["run"], "--json").stdout)
    assert run["task_runs"] and run["subflow_runs"] and run["logs"] and run["states"]
    ls_fields = documented_fields("runs-ls")
    expected = (
        ls_fields | documented_fields("runs-show") | {f"subflow_runs[].{f}" for f in ls_fields}
    )
    assert field_paths(run) == expected


def test_field_parser_sees_every_row() -> None:
    fields = documented_fields("runs-show")
    assert {"logs[].task_run_id", "task_runs[].states[].transition_id", "result_ref"} <= fields
