"""Materializing a source: a local directory in place, a git repository cloned (with a
branch); `Flow.from_source` loading a flow from either, which then runs and is recorded."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cadenza.deployments.sources import is_git_source, mask_credentials, materialize
from cadenza.exceptions import EntrypointError, SourceError
from cadenza.flows import Flow

FLOW = """
from cadenza import flow, task

@task
def add(a: int, b: int) -> int:
    return a + b

@flow(name="from-git")
def total(n: int) -> str:
    return "{label}:" + str(sum(add(i, 1) for i in range(n)))

def plain():
    pass
"""

if shutil.which("git") is None:  # .ci/run installs it; a missing git fails, never skips
    pytest.fail("these tests need the git command (apt-get install git)", pytrace=False)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd, check=True, capture_output=True,
    )  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with flows/total.py on main, and a branch where it differs."""
    path = tmp_path / "repo"
    (path / "flows").mkdir(parents=True)
    (path / "flows" / "total.py").write_text(FLOW.format(label="main"))
    git(path, "init", "-q", "-b", "main")
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "first")
    git(path, "checkout", "-q", "-b", "feature")
    (path / "flows" / "total.py").write_text(FLOW.format(label="feature"))
    git(path, "commit", "-q", "-am", "feature")
    git(path, "checkout", "-q", "main")
    return path


def test_what_counts_as_git() -> None:
    for source in ("https://github.com/o/r", "git@github.com:o/r.git", "file:///srv/r",
                   "ssh://host/r", "../r.git", "/srv/r.git#main"):  # fmt: skip
        assert is_git_source(source), source
    assert not is_git_source("/srv/code") and not is_git_source("./flows")


def test_a_local_directory_is_used_in_place(tmp_path: Path) -> None:
    assert materialize(str(tmp_path), tmp_path / "work") == tmp_path.resolve()
    assert not (tmp_path / "work").exists()
    with pytest.raises(SourceError, match="does not exist"):
        materialize(str(tmp_path / "missing"), tmp_path / "work")


def test_a_git_repository_is_cloned_with_its_branch(repo: Path, tmp_path: Path) -> None:
    url = f"file://{repo}"
    main = materialize(url, tmp_path / "work")
    assert main.parent == tmp_path / "work"
    assert '"main:"' in (main / "flows" / "total.py").read_text()
    feature = materialize(f"{url}#feature", tmp_path / "work")
    assert feature != main and '"feature:"' in (feature / "flows" / "total.py").read_text()


def test_a_failed_clone_says_why_without_credentials(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        materialize(f"file://{tmp_path}/nothing.git", tmp_path / "work")
    assert "git clone exited with status" in str(caught.value)
    assert "nothing.git" in str(caught.value)  # git's own message
    with pytest.raises(SourceError) as caught:
        materialize("https://alice:s3cret@127.0.0.1:9/o/r.git#main", tmp_path / "work")
    message = str(caught.value)
    assert "s3cret" not in message and "alice" not in message
    assert "https://***@127.0.0.1:9/o/r.git" in message


def test_mask_credentials() -> None:
    assert mask_credentials("see https://u:p@h/x and ssh://k@h/y") == (
        "see https://***@h/x and ssh://***@h/y"
    )
    assert mask_credentials("git@github.com:o/r.git") == "git@github.com:o/r.git"


def test_from_source_loads_a_flow_that_runs_and_is_recorded(repo: Path, record) -> None:
    loaded = Flow.from_source(f"file://{repo}#feature", "flows/total.py:total")
    assert isinstance(loaded, Flow) and loaded.name == "from-git"
    assert loaded.source == f"file://{repo}#feature"
    assert loaded.source_entrypoint == "flows/total.py:total"
    assert loaded(n=3) == "feature:6"
    rows = record("SELECT flow_name, state_type FROM flow_runs")
    assert rows == [("from-git", "COMPLETED")]
    assert len(record("SELECT id FROM task_runs WHERE state_type = 'COMPLETED'")) == 3


def test_from_source_with_a_local_directory(repo: Path) -> None:
    loaded = Flow.from_source(repo, "flows/total.py:total")
    assert loaded(n=1) == "main:1" and loaded.source == str(repo)


def test_from_source_refuses_what_is_not_a_flow(repo: Path) -> None:
    with pytest.raises(EntrypointError, match="is a function, not a flow; decorate it with @flow"):
        Flow.from_source(repo, "flows/total.py:plain")
    with pytest.raises(EntrypointError, match="no attribute 'totl'; it has the flows total"):
        Flow.from_source(repo, "flows/total.py:totl")
