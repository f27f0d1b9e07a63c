"""The code the template generates passes the lint its own CI runs — ``ruff check`` and ``ruff
format --check``, read from the generated workflow — for every shape of collection name: one
letter, digits, hyphens and underscores, and the longest name taken (80 characters)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import copier  # a test dependency: cadenza[templates]
import pytest
import yaml
from click.testing import CliRunner

from cadenza.cli.collection import MAX_NAME, collection_names
from cadenza.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"

LONGEST = "cadenza-" + "x" * (MAX_NAME - 8)  # one word: the longest class and module names
NAMES = [
    "cadenza-a",
    "cadenza_b",
    "cadenza-s3-tools",
    "cadenza_big_query2",
    "cadenza-x9-y_z",
    "cadenza_" + "_".join(["w"] * 36),  # 79 characters, many words
    "cadenza-" + "-".join(["verylongword"] * 5) + "-a1",  # 75 characters
    LONGEST,
]


def ci_commands(project: Path, step: str) -> list[list[str]]:
    """The commands of the generated workflow's step `step`, one argument list per line."""
    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    (job,) = workflow["jobs"].values()
    (run,) = [s["run"] for s in job["steps"] if s.get("name") == step]
    return [shlex.split(line) for line in run.splitlines() if line.strip()]


def render(name: str, target: Path) -> Path:
    result = CliRunner().invoke(cli, ["collection", "new", name, "--dir", str(target)])
    assert result.exit_code == 0, result.output
    return target


@pytest.mark.parametrize("name", NAMES)
def test_generated_code_passes_its_own_ci_lint(name: str, tmp_path: Path) -> None:
    project = render(name, tmp_path / "project")
    commands = ci_commands(project, "Lint")
    assert commands == [["ruff", "check", "."], ["ruff", "format", "--check", "."]]
    for command in commands:
        proc = subprocess.run(
            [RUFF, *command[1:], "--no-cache"], cwd=project, capture_output=True, text=True
        )
        assert proc.returncode == 0, f"{name}: {shlex.join(command)}\n{proc.stdout}{proc.stderr}"
    names = collection_names(name)
    assert (project / "src" / names.package / "plugin.py").is_file()


def test_a_name_longer_than_the_template_takes_is_refused(tmp_path: Path) -> None:
    too_long = LONGEST + "y"
    with pytest.raises(ValueError, match=f"at most {MAX_NAME} characters"):
        collection_names(too_long)
    result = CliRunner().invoke(cli, ["collection", "new", too_long, "--dir", str(tmp_path / "p")])
    assert result.exit_code == 2 and f"at most {MAX_NAME} characters" in result.output
    assert not (tmp_path / "p").exists()
    with pytest.raises(Exception, match="at most 80 characters"):  # copier's own validator
        copier.run_copy(
            str(ROOT / "templates" / "collection"), tmp_path / "q", data={"name": too_long},
            defaults=True, quiet=True, unsafe=True, vcs_ref="HEAD",
        )  # fmt: skip
