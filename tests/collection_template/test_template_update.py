"""A collection generated from a tagged git copy of the template pulls a later template release
with ``copier update``, keeping its own edits — the workflow docs/howto/write-a-collection.md
describes. Git runs only in temporary directories."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from cadenza.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _commit_all(cwd: Path, message: str) -> None:
    _git(cwd, "add", "-A")
    _git(cwd, "commit", "-q", "-m", message)


@pytest.fixture
def git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Commits work without the machine's git configuration (copier commits too)."""
    for var in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(var, "Cadenza Tests")
    for var in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(var, "tests@example.com")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def test_copier_update_pulls_a_new_template_release(tmp_path: Path, git_identity: None) -> None:
    import copier
    if shutil.which("git") is None:
        pytest.fail("git is needed to test `copier update`")
    template = tmp_path / "collection-template"
    shutil.copytree(ROOT / "templates" / "collection", template)
    _git(template, "init", "-q")
    _commit_all(template, "template 0.1.0")
    _git(template, "tag", "v0.1.0")

    project = tmp_path / "cadenza-demo"
    result = CliRunner().invoke(
        cli, ["collection", "new", "cadenza-demo", "--dir", str(project),
              "--template", str(template), "--author", "A <a@example.com>"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    answers = (project / ".copier-answers.yml").read_text()
    assert "_commit: v0.1.0" in answers and f"_src_path: {template}" in answers
    _git(project, "init", "-q")
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nOur own notes.\n")  # the collection's own edit
    _commit_all(project, "new collection")

    (template / "template" / "SECURITY.md.jinja").write_text(
        "# Security policy of {{ dist_name }}\n"
    )
    _commit_all(template, "template 0.2.0: a security policy")
    _git(template, "tag", "v0.2.0")

    copier.run_update(project, defaults=True, overwrite=True, quiet=True, unsafe=False)

    assert (project / "SECURITY.md").read_text() == "# Security policy of cadenza-demo\n"
    assert "Our own notes." in readme.read_text()
    assert "_commit: v0.2.0" in (project / ".copier-answers.yml").read_text()
    assert 'demo = "cadenza_demo.plugin"' in (project / "pyproject.toml").read_text()
