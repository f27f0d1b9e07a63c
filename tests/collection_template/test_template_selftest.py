"""The collection template tests itself, as a newcomer would use it.

``cadenza collection new cadenza-demo`` renders a collection into a temporary directory; uv
installs the core (editable, from this checkout) and the collection with its ``test`` extra into
a fresh virtual environment; there the collection passes its own CI's lint and test steps (read
from its generated workflow: ruff check, ruff format --check, pytest — discovery, cadenza's
conformance suites, its task in a flow), and so does a second collection with a long name;
``cadenza plugins ls`` / ``collection ls`` / ``tasks ls`` list the first, and a flow script uses
its task with its storage as ``result_storage`` — the result read back by another process.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow]

# uv builds the throwaway environment: on PATH, or where `make venv` bootstraps it.
UV = shutil.which("uv") or str(ROOT / "build" / "uv" / "bin" / "uv")

FLOW = """
import sys
from cadenza import flow
from cadenza_demo import DemoStorage, demo_greet


@flow(persist_result=True, result_storage=DemoStorage(basepath=sys.argv[1]))
def hello(name: str) -> str:
    return demo_greet(name)


state = hello("collections", return_state=True)
print(state.result(), state.state_details.flow_run_id)
"""

LOAD = """
import sys
from cadenza.results import load_run_result

print(load_run_result(sys.argv[1]))
"""


def _run(*args: str | Path, env: dict[str, str], cwd: Path | None = None) -> str:
    proc = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=300, env=env, cwd=cwd
    )
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


def _ci_commands(project: Path, *steps: str) -> list[list[str]]:
    """The commands of the generated workflow's `steps`, in order, one argument list a line."""
    import yaml

    (job,) = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())["jobs"].values()
    runs = {step.get("name"): step["run"] for step in job["steps"] if "run" in step}
    return [shlex.split(line) for step in steps for line in runs[step].splitlines() if line]


def test_a_generated_collection_installs_passes_its_tests_and_is_used(tmp_path: Path) -> None:
    import copier  # noqa: F401  (a test dependency: cadenza[templates])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CADENZA_", "VIRTUAL_ENV"))}
    env |= {"CADENZA_HOME": str(tmp_path / "home"), "CADENZA_LOGGING_CONSOLE": "false"}
    project = tmp_path / "cadenza-demo"

    out = _run(
        sys.executable, "-m", "cadenza.cli.main", "collection", "new", "cadenza-demo",
        "--dir", project, "--author", "Test Author <test@example.com>", env=env,
    )  # fmt: skip
    assert "Created cadenza-demo" in out and "pip install -e '.[test]'" in out
    answers = (project / ".copier-answers.yml").read_text()
    assert "name: cadenza-demo" in answers and "_src_path:" in answers  # `copier update` needs it

    long_name = "cadenza-" + "-".join(["verylongword"] * 5) + "_a1"  # 75 characters
    other = tmp_path / "long"
    _run(sys.executable, "-m", "cadenza.cli.main", "collection", "new", long_name, "--dir", other,
         env=env)  # fmt: skip

    venv = tmp_path / "venv"
    _run(UV, "venv", "-q", venv, "--python", sys.executable, env=env)
    python, bin_dir = venv / "bin" / "python", venv / "bin"
    _run(UV, "pip", "install", "-q", "-p", python, "-e", ROOT, "-e", f"{project}[test]",
         "-e", f"{other}[test]", env=env)  # fmt: skip
    for generated in (project, other):
        # as `pip install` does: the import-time check then measures imports, not compiling
        _run(python, "-m", "compileall", "-q", generated / "src", env=env)
        for program, *args in _ci_commands(generated, "Lint", "Test"):
            out = _run(bin_dir / program, *args, env=env, cwd=generated)
            if program == "pytest":
                assert " passed" in out, out  # and exit status 0: nothing failed

    listing = json.loads(_run(bin_dir / "cadenza", "plugins", "ls", "--json", env=env))
    plugins = {p["name"]: p for p in listing["plugins"]}
    assert plugins["demo"]["status"] == "loaded", plugins["demo"]["error"]
    assert plugins["demo"]["distribution"] == "cadenza-demo"
    assert plugins["demo"]["entry_point"] == "demo = cadenza_demo.plugin"
    assert plugins["demo"]["registered"] == {
        "block_types": ["demo-credentials", "demo-storage"],
        "storage_backends": ["demo-storage"],
        "tasks": ["demo_greet"],
    }
    collections = json.loads(_run(bin_dir / "cadenza", "collection", "ls", "--json", env=env))
    (demo,) = [c for c in collections["collections"] if c["name"] == "cadenza-demo"]
    assert demo["status"] == "ok" and demo["core_compatible"] is True
    assert demo["core_range"] == demo["cadenza_api"] == ">=0.1,<0.2"
    tasks = json.loads(_run(bin_dir / "cadenza", "tasks", "ls", "--json", env=env))
    assert {t["name"]: t["import_path"] for t in tasks}["demo_greet"] == (
        "cadenza_demo.tasks:demo_greet"
    )

    script, loader, results = tmp_path / "flow.py", tmp_path / "load.py", tmp_path / "results"
    script.write_text(FLOW)
    loader.write_text(LOAD)
    value, run_id = _run(python, script, results, env=env).strip().rsplit(maxsplit=1)
    assert value == "Hello, collections!"
    assert [p for p in results.rglob("*") if p.is_file()], "the storage holds no result"
    assert _run(python, loader, run_id, env=env).strip() == "Hello, collections!"
