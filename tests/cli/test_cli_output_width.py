"""Listings fit the terminal: at 80 columns no line is longer than 80 and the ids and names a
user needs are there; at 200 columns (or with --wide) every column is shown in full. Ids are
shown as their shortest unique end (at least 8 characters) and taken back as a unique prefix or
suffix; an ambiguous one is an error listing the candidates."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from record_seed import Seeder
from rich.text import Text

from cadenza import flow
from cadenza.cli.formatting import Column, console, fit_table
from cadenza.cli.ids import resolve_ref, short_ids, shown_length
from cadenza.cli.main import cli

LONG_FLOW = "nightly_warehouse_reconciliation_of_every_regional_ledger"


def run_at(width: int | None, *args: str) -> Any:
    env = {"COLUMNS": str(width)} if width else {}
    result = CliRunner(env=env).invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def assert_fits(text: str, width: int) -> None:
    too_long = [line for line in text.splitlines() if len(line) > width]
    assert not too_long, f"lines over {width} columns: {too_long}"


# -- the builder --------------------------------------------------------------------------------


def render(table: Any, width: int | None) -> str:
    out = console(width)
    with out.capture() as captured:
        out.print(table)
    return captured.get()


COLUMNS = (
    Column("ID", min_width=36),
    Column("NAME", min_width=10),
    Column("DETAIL", priority=1, min_width=12),
    Column("WHEN", priority=2, min_width=19),
)
ROWS = [
    ("0123456789ab", Text("a-rather-long-run-name-" * 2), Text("x" * 60), "2026-01-01 00:00:00"),
    ("ba9876543210", Text("short"), Text("detail"), "2026-01-01 00:00:01"),
]


def test_a_narrow_table_drops_the_least_important_columns_first() -> None:
    text = render(fit_table(COLUMNS, ROWS, width=40), 40)
    assert_fits(text, 40)
    header = text.splitlines()[0].split()
    assert header == ["ID", "NAME", "DETAIL"]  # WHEN (priority 2) went first
    assert "0123456789ab" in text and "…" in text  # the id is whole, the name cut


def test_every_column_in_full_without_a_width() -> None:
    text = render(fit_table(COLUMNS, ROWS, width=None), None)
    assert "a-rather-long-run-name-" * 2 in text and "x" * 60 in text
    assert "2026-01-01 00:00:01" in text and "…" not in text


def test_too_narrow_for_the_minimums_still_fits() -> None:
    text = render(fit_table(COLUMNS[:2], ROWS, width=12), 12)
    assert_fits(text, 12)


def test_shortest_unique_end_of_each_id() -> None:
    ids = ["01a24db5-672f-7a0f-9b2f-aa0123456789", "01a24db5-672f-7a0f-9b2f-ab0123456789"]
    assert shown_length(ids) == 11  # the last 10 characters are shared
    assert short_ids(ids) == {i: i[-11:] for i in ids}
    assert shown_length(["a" * 30 + "1", "b" * 30 + "2"]) == 8  # at least 8
    assert short_ids([None, "x" * 12]) == {"x" * 12: "x" * 8}
    # an end starting with "-" would read as an option: one more character
    assert short_ids(["0123-abcdefg"]) == {"0123-abcdefg": "3-abcdefg"}


def test_resolver_takes_an_id_a_prefix_or_a_suffix() -> None:
    ids = ["0123-aaaa-1111", "0123-bbbb-2222", "9999-cccc-2222"]
    assert resolve_ref("0123-aaaa-1111", ids, "artifact") == ids[0]
    assert resolve_ref("0123-a", ids, "artifact") == ids[0]
    assert resolve_ref("c-2222", ids, "artifact") == ids[2]
    with pytest.raises(LookupError, match=r"Artifact id '0123' is ambiguous; it matches "
                       r"0123-aaaa-1111, 0123-bbbb-2222"):  # fmt: skip
        resolve_ref("0123", ids, "artifact")
    with pytest.raises(LookupError, match="No artifact with id, id prefix or id suffix 'zz'"):
        resolve_ref("zz", ids, "artifact")


# -- the commands ------------------------------------------------------------------------------


@pytest.fixture
def crowded(seeder: Seeder) -> dict[str, str]:
    """Runs of a long-named flow whose ids share their last 11 characters in pairs."""
    ids = {}
    for n in range(3):
        for c in "ab":
            run_id = f"01a24db5-672f-7a0f-9b2f-{c}{n:03d}deadbeef"
            seeder.flow_run(run_id=run_id, name=f"run-{n}-{c}", flow_name=LONG_FLOW)
            ids[f"{n}{c}"] = run_id
    seeder.conn.commit()
    return ids


@pytest.mark.parametrize("width", [80, 200])
def test_runs_ls_fits_and_shows_unique_ids(crowded: dict[str, str], width: int) -> None:
    out = run_at(width, "runs", "ls").stdout
    assert_fits(out, width)
    for run_id in crowded.values():
        assert run_id[-12:] in out  # 11 characters are shared by two: 12 tell them apart
    if width == 200:
        assert LONG_FLOW in out
    else:
        assert LONG_FLOW not in out and "nightly_wareho…" in out


def test_runs_ls_wide_shows_everything_past_the_width(crowded: dict[str, str]) -> None:
    out = run_at(80, "runs", "ls", "--wide").stdout
    assert LONG_FLOW in out and "…" not in out
    assert max(len(line) for line in out.splitlines()) > 80


def test_runs_ls_to_a_pipe_is_not_cut(crowded: dict[str, str]) -> None:
    out = run_at(None, "runs", "ls").stdout  # no COLUMNS, not a terminal: a pipe
    assert LONG_FLOW in out


def test_a_shown_id_is_accepted_back_and_an_ambiguous_one_lists_the_runs(
    crowded: dict[str, str],
) -> None:
    run_id = crowded["0a"]
    shown = json.loads(run_at(80, "runs", "show", run_id[-12:], "--json").stdout)
    assert shown["id"] == run_id
    assert json.loads(run_at(80, "runs", "show", run_id[:28], "--json").stdout)["id"] == run_id
    result = CliRunner().invoke(cli, ["runs", "show", "deadbeef"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Flow run id 'deadbeef' is ambiguous; it matches ")
    assert run_id in result.stderr


@pytest.mark.parametrize("width", [80, 200])
def test_runs_show_fits(crowded: dict[str, str], seeder: Seeder, width: int) -> None:
    parent = crowded["1b"]
    for n in range(3):
        seeder.task_run(parent, name=f"reconcile_the_regional_ledger_of_{'x' * 30}-{n}")
    seeder.log(parent, "a log line that is much longer than any terminal is wide " * 4)
    seeder.conn.commit()
    out = run_at(width, "runs", "show", parent[-12:]).stdout
    assert_fits(out, width)
    assert parent in out and "reconcile_the_regional" in out


@flow(name="artifact_maker")
def make_artifacts(n: int) -> None:
    from cadenza.artifacts import create_markdown_artifact

    for i in range(n):
        create_markdown_artifact(f"# {i}", key=f"report-{i}", description="a **daily** report")


@pytest.mark.parametrize("width", [80, 200])
def test_artifact_ls_fits_with_unique_ids(home: Any, width: int) -> None:
    make_artifacts(12)
    listed = json.loads(run_at(width, "artifact", "ls", "--json").stdout)
    out = run_at(width, "artifact", "ls").stdout
    assert_fits(out, width)
    shown = short_ids(a["id"] for a in listed)
    assert len(set(shown.values())) == 12
    for artifact in listed:
        assert shown[artifact["id"]] in out
    assert "**" not in out  # the description's markup is gone
    one = listed[3]
    got = json.loads(run_at(width, "artifact", "inspect", shown[one["id"]], "--json").stdout)
    assert got["id"] == one["id"] and got["created"].endswith("+00:00")


@pytest.mark.parametrize("width", [80, 200])
@pytest.mark.parametrize(
    "args",
    [("tasks", "ls"), ("plugins", "ls"), ("collection", "ls"), ("block", "types"),
     ("config", "view", "--show-sources"), ("events", "ls")],
)  # fmt: skip
def test_other_listings_fit(home: Any, args: tuple[str, ...], width: int) -> None:
    make_artifacts(1)  # some events
    out = run_at(width, *args).stdout
    assert_fits(out, width)
    assert out.strip()


def test_tasks_ls_shows_names_and_plain_descriptions(home: Any) -> None:
    out = run_at(80, "tasks", "ls").stdout
    for name in ("s3_upload", "gcs_upload", "sql_fetch_all", "email_send_message"):
        assert name in out
    assert "``" not in out and ":class:" not in out and "Args:" not in out
    wide = run_at(200, "tasks", "ls").stdout
    assert "cadenza_aws." in wide  # the import path shows when there is room
