"""``cadenza collection new``: names, the core range, rendering, refusals (fast, in-process)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cadenza import __version__
from cadenza.cli.collection import CollectionNames, collection_names, core_range
from cadenza.cli.main import cli

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

import copier  # noqa: F401  (a test dependency: cadenza[templates])


def _invoke(*args: str | Path):
    return CliRunner().invoke(cli, [str(a) for a in args])


_FOO = CollectionNames("cadenza-foo", "cadenza_foo", "foo", "foo", "Foo")
_BIG_QUERY = CollectionNames(
    "cadenza-big-query", "cadenza_big_query", "big-query", "big_query", "BigQuery"
)
_S3_TOOLS = CollectionNames(
    "cadenza-s3-tools", "cadenza_s3_tools", "s3-tools", "s3_tools", "S3Tools"
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cadenza-foo", _FOO),
        ("cadenza_foo", _FOO),
        ("cadenza_big_query", _BIG_QUERY),
        ("cadenza-big_query", _BIG_QUERY),
        ("cadenza-s3-tools", _S3_TOOLS),
    ],
)
def test_names_are_derived_from_either_spelling(name: str, expected: CollectionNames) -> None:
    assert collection_names(name) == expected


@pytest.mark.parametrize(
    "name",
    ["demo", "cadenza", "cadenza-", "cadenza-Demo", "cadenza--demo", "cadenza-1demo",
     "cadenza-demo-", "cadenza-my demo", "prefect-demo", "cadenza.demo", "Cadenza-demo"],
)  # fmt: skip
def test_other_shapes_are_refused_naming_the_expected_one(name: str) -> None:
    with pytest.raises(ValueError, match=r"expected cadenza-<name> or cadenza_<name>"):
        collection_names(name)
    result = _invoke("collection", "new", name, "--dir", "unused")
    assert result.exit_code == 2
    assert "is not a collection name" in result.output
    assert "e.g. cadenza-demo" in result.output
    assert not Path("unused").exists()


@pytest.mark.parametrize(
    ("version", "expected"),
    [("0.1.0", ">=0.1,<0.2"), ("0.3.2", ">=0.3,<0.4"), ("0.10.0rc1", ">=0.10,<0.11"),
     ("1.4.0", ">=1.4,<2"), ("2", ">=2.0,<3")],
)  # fmt: skip
def test_core_range_is_the_running_cores_series(version: str, expected: str) -> None:
    assert core_range(version) == expected


def test_new_renders_the_collection_and_prints_next_steps(tmp_path: Path) -> None:
    target = tmp_path / "cadenza-demo"
    result = _invoke(
        "collection", "new", "cadenza_demo", "--dir", target,
        "--description", 'A "demo" collection', "--author", "Jane Doe <jane@example.com>",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for path in (
        "pyproject.toml", "README.md", "CHANGELOG.md", ".copier-answers.yml", ".gitignore",
        ".github/workflows/ci.yml", "src/cadenza_demo/__init__.py", "src/cadenza_demo/plugin.py",
        "src/cadenza_demo/credentials.py", "src/cadenza_demo/storage.py",
        "src/cadenza_demo/tasks.py", "src/cadenza_demo/py.typed", "tests/conftest.py",
        "tests/test_demo_discovery.py", "tests/test_demo_conformance.py",
        "tests/test_demo_tasks.py",
    ):  # fmt: skip
        assert (target / path).is_file(), path
    for source in target.rglob("*.py"):
        compile(source.read_text(), str(source), "exec")

    project = tomllib.loads((target / "pyproject.toml").read_text())["project"]
    assert project["name"] == "cadenza-demo"
    assert project["description"] == 'A "demo" collection'
    assert project["authors"] == [{"name": "Jane Doe", "email": "jane@example.com"}]
    assert project["dependencies"] == [f"cadenza{core_range(__version__)}"]
    assert project["entry-points"]["cadenza"] == {"demo": "cadenza_demo.plugin"}
    assert "pytest>=8" in project["optional-dependencies"]["test"]
    plugin = (target / "src/cadenza_demo/plugin.py").read_text()
    assert f'CADENZA_API = "{core_range(__version__)}"' in plugin
    assert "${{ matrix.python-version }}" in (target / ".github/workflows/ci.yml").read_text()

    answers = (target / ".copier-answers.yml").read_text()
    assert "name: cadenza-demo" in answers and "_src_path:" in answers
    assert f"core_range: '{core_range(__version__)}'" in answers

    assert "Created cadenza-demo" in result.output
    assert f"cd {target}" in result.output or "cd cadenza-demo" in result.output
    assert "pip install -e '.[test]'" in result.output and "pytest" in result.output


def test_new_defaults_to_a_directory_named_after_the_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = _invoke("collection", "new", "cadenza_two_words", "--author", "Solo")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cadenza-two-words/src/cadenza_two_words/plugin.py").is_file()
    assert "cd cadenza-two-words" in result.output
    pyproject = tomllib.loads((tmp_path / "cadenza-two-words/pyproject.toml").read_text())
    assert pyproject["project"]["authors"] == [{"name": "Solo"}]
    storage = (tmp_path / "cadenza-two-words/src/cadenza_two_words/storage.py").read_text()
    assert "class TwoWordsStorage(Block)" in storage and '_SLUG = "two-words"' in storage


def test_a_non_empty_target_directory_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    result = _invoke("collection", "new", "cadenza-demo", "--dir", target)
    assert result.exit_code == 2
    assert "already exists and is not empty" in result.output
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]


def test_an_empty_target_directory_is_used(tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    result = _invoke("collection", "new", "cadenza-demo", "--dir", target)
    assert result.exit_code == 0, result.output
    assert (target / "src/cadenza_demo/plugin.py").is_file()


def test_a_multi_line_description_is_refused(tmp_path: Path) -> None:
    result = _invoke("collection", "new", "cadenza-demo", "--dir", tmp_path / "x",
                     "--description", "two\nlines")  # fmt: skip
    assert result.exit_code == 2 and "must be one line" in result.output


def test_missing_copier_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "copier", None)  # `import copier` raises ImportError
    result = _invoke("collection", "new", "cadenza-demo", "--dir", tmp_path / "x")
    assert result.exit_code == 1
    assert "needs copier" in result.output and "cadenza[templates]" in result.output
    assert "Traceback" not in result.output


def test_a_broken_template_is_a_clear_error(tmp_path: Path) -> None:
    result = _invoke("collection", "new", "cadenza-demo", "--dir", tmp_path / "x",
                     "--template", tmp_path / "no-such-template")  # fmt: skip
    assert result.exit_code == 1
    assert "Could not render the collection template" in result.output


def test_cadenza_help_lists_the_command() -> None:
    result = _invoke("--help")
    assert result.exit_code == 0 and "collection" in result.output
