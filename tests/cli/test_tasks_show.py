"""``cadenza tasks show NAME``: a prebuilt task's signature, distribution and docstring; and
``tasks ls`` / ``collection ls`` listing every installed collection, including one installed
after the fact."""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import distributions
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cadenza import hookimpl, task
from cadenza.cli.main import cli
from cadenza.plugins import registry


@task
def fetch_report(day: str, *, region: str | None = None, retries: int = 3) -> dict[str, Any]:
    """Fetch the daily report of ``day`` from the :class:`~reports.api.ReportsApi`.

    The report is read **once**.

    Args:
        day: The day, as ``YYYY-MM-DD``.
        region: Only this region's rows.
    """
    return {"day": day}


@task(name="fetch-summary")
def fetch_summary(day: str) -> str:
    return day


class Reports:
    @hookimpl
    def register_tasks(self) -> list[Any]:
        return [fetch_report, fetch_summary]


@pytest.fixture
def reports(cadenza_plugin_manager: Any) -> Any:
    cadenza_plugin_manager.add_plugin(
        Reports(), "reports", distribution="cadenza-reports", version="1.2",
        entry_point="reports = cadenza_reports.plugin",
    )  # fmt: skip
    return cadenza_plugin_manager


def run(*args: str, columns: int | None = None) -> Any:
    env = {"COLUMNS": str(columns)} if columns else {}
    return CliRunner(env=env).invoke(cli, list(args), catch_exceptions=False)


SIGNATURE = (
    "fetch_report(day: str, *, region: str | None = None, retries: int = 3) -> dict[str, Any]"
)


def test_show_prints_the_signature_the_distribution_and_the_docstring_as_plain_text(
    reports: Any,
) -> None:
    result = run("tasks", "show", "fetch_report")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == SIGNATURE  # to a pipe: on one line, for grep
    assert "  plugin        reports (distribution cadenza-reports 1.2)" in lines
    assert f"  import path   {__name__}:fetch_report" in lines
    doc = result.stdout[result.stdout.index("Fetch the daily") :]
    assert doc == textwrap.dedent("""\
        Fetch the daily report of day from the ReportsApi.

        The report is read once.

        Args:
            day: The day, as YYYY-MM-DD.
            region: Only this region's rows.
        """)


def test_show_wraps_a_long_signature_to_the_terminal(reports: Any) -> None:
    lines = run("tasks", "show", "fetch_report", columns=60).stdout.splitlines()
    assert lines[:6] == [
        "fetch_report(",
        "    day: str,",
        "    *,",
        "    region: str | None = None,",
        "    retries: int = 3,",
        ") -> dict[str, Any]",
    ]


def test_show_json(reports: Any) -> None:
    result = run("tasks", "show", "fetch_report", "--json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    # fmt: off
    assert doc == {
        "name": "fetch_report",
        "plugin": "reports",
        "distribution": "cadenza-reports",
        "version": "1.2",
        "import_path": f"{__name__}:fetch_report",
        "signature": SIGNATURE,
        "parameters": [
            {"name": "day", "kind": "positional_or_keyword", "annotation": "str",
             "required": True, "default": None},
            {"name": "region", "kind": "keyword_only", "annotation": "str | None",
             "required": False, "default": "None"},
            {"name": "retries", "kind": "keyword_only", "annotation": "int",
             "required": False, "default": "3"},
        ],
        "description": fetch_report.description,
        "summary": "Fetch the daily report of day from the ReportsApi.",
    }
    # fmt: on
    # the same fields as `tasks ls --json` has for the task, and more
    listing = json.loads(run("tasks", "ls", "--json").stdout)
    (listed,) = [t for t in listing if t["name"] == "fetch_report"]
    assert listed.items() <= doc.items()


def test_show_takes_a_task_by_its_registered_name(reports: Any) -> None:
    result = run("tasks", "show", "fetch-summary")
    assert result.exit_code == 0
    assert result.stdout.startswith("fetch_summary(day: str) -> str\n")
    assert result.stdout.rstrip().endswith("(no docstring)")


def test_an_unknown_task_is_an_error_naming_the_near_matches(reports: Any) -> None:
    result = run("tasks", "show", "fetch_reprot")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (
        "Error: No prebuilt task named 'fetch_reprot'; did you mean fetch_report?\n"
    )
    assert "did you mean fetch-summary, fetch_report?" in run("tasks", "show", "fetch").stderr
    far = run("tasks", "show", "upload-to-mars", "--json")
    assert far.exit_code == 1 and far.stdout == ""
    assert far.stderr == (
        "Error: No prebuilt task named 'upload-to-mars' among the 2 that installed plugins "
        "provide (`cadenza tasks ls` lists them)\n"
    )


# -- every installed collection is listed ---------------------------------------------------


def cadenza_distributions() -> dict[str, list[Any]]:
    """Each installed distribution with a ``cadenza`` entry point, read from the packages'
    metadata (not through cadenza), with those entry points."""
    found: dict[str, list[Any]] = {}
    for dist in distributions():
        eps = [ep for ep in dist.entry_points if ep.group == "cadenza"]
        if eps:
            found.setdefault(dist.metadata["Name"], eps)
    return found


def declared_tasks(eps: list[Any]) -> set[str]:
    """The names of the tasks the entry points' plugins return from ``register_tasks``, asked
    directly (not through cadenza's plugin manager)."""
    names = set()
    for ep in eps:
        hook = getattr(ep.load(), "register_tasks", None)
        names |= {t.name for t in (hook() if hook else ())}
    return names


@pytest.fixture
def discovered(cadenza_isolated_home: Path) -> Iterator[None]:
    """The process's plugin manager as `cadenza` builds it: every installed entry point."""
    registry.reset()
    yield
    registry.reset()


def test_ls_commands_list_every_installed_collection_and_its_tasks(discovered: None) -> None:
    installed = cadenza_distributions()
    assert {"cadenza-aws", "cadenza-gcp", "cadenza-sql", "cadenza-notify", "cadenza-dask"} <= set(
        installed
    )
    collections = json.loads(run("collection", "ls", "--json").stdout)["collections"]
    assert {c["name"]: c["status"] for c in collections} == {d: "ok" for d in installed}
    listed = json.loads(run("tasks", "ls", "--json").stdout)
    by_dist: dict[str, set[str]] = {}
    for row in listed:
        by_dist.setdefault(row["distribution"], set()).add(row["name"])
    for dist, eps in installed.items():
        assert by_dist.get(dist, set()) == declared_tasks(eps), dist
    for row in listed:
        shown = run("tasks", "show", row["name"])
        assert shown.exit_code == 0, (row["name"], shown.output)
        assert f"(distribution {row['distribution']} " in shown.stdout


LATE_PLUGIN = '''
from cadenza import hookimpl, task

CADENZA_API = ">=0.1"


@task
def late_hello(name: str = "world") -> str:
    """Greet `name`, late."""
    return f"hello {name}"


@hookimpl
def register_tasks():
    return [late_hello]
'''


@pytest.fixture
def late_collection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A collection installed after cadenza: a real ``.dist-info`` on ``sys.path``, found
    through `importlib.metadata` as a wheel would be."""
    site = tmp_path / "site-packages"
    site.mkdir()
    (site / "cadenza_late_plugin.py").write_text(LATE_PLUGIN)
    info = site / "cadenza_late-0.3.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: cadenza-late\nVersion: 0.3.0\nRequires-Dist: cadenza>=0.1\n"
    )
    (info / "entry_points.txt").write_text("[cadenza]\nlate = cadenza_late_plugin\n")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    yield site
    sys.modules.pop("cadenza_late_plugin", None)


def test_a_collection_installed_later_is_listed_and_shown(
    late_collection: Path, discovered: None
) -> None:
    collections = json.loads(run("collection", "ls", "--json").stdout)["collections"]
    assert {"name": "cadenza-late", "status": "ok"}.items() <= next(
        c for c in collections if c["name"] == "cadenza-late"
    ).items()
    listed = {t["name"]: t for t in json.loads(run("tasks", "ls", "--json").stdout)}
    assert listed["late_hello"]["distribution"] == "cadenza-late"
    shown = run("tasks", "show", "late_hello").stdout
    assert shown.startswith("late_hello(name: str = 'world') -> str\n")
    assert "plugin        late (distribution cadenza-late 0.3.0)" in shown
    assert shown.rstrip().endswith("Greet name, late.")
