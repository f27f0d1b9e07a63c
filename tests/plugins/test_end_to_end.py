"""A real plugin distribution, installed with uv into a fresh virtual environment.

Two throwaway distributions are built from source in tmp_path: ``cadenza-e2e-good`` registers a
block type, a storage backend, a task and a serializer through its ``cadenza`` entry point;
``cadenza-e2e-broken`` raises ImportError when imported. In the new environment, ``cadenza
plugins ls --json`` shows the good one loaded and the broken one failed with its distribution,
entry point and reason; ``cadenza tasks ls`` lists the task; and a flow run in one process
persists its result through the plugin's storage and serializer and saves a block of the
plugin's type, which another process reads back.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow]

# uv builds the throwaway environment: on PATH, or where `make venv` bootstraps it.
UV = shutil.which("uv") or str(ROOT / "build" / "uv" / "bin" / "uv")

GOOD_PLUGIN = """
from cadenza import hookimpl

CADENZA_API = ">=0.1,<0.2"


@hookimpl
def register_storage_backends():
    from cadenza_e2e_good.storage import DirStorage

    return [DirStorage]


@hookimpl
def register_block_types():
    from cadenza_e2e_good.storage import Greeting

    return [Greeting]


@hookimpl
def register_tasks():
    from cadenza_e2e_good.tasks import shout

    return [shout]


@hookimpl
def register_serializers():
    from cadenza_e2e_good.storage import Rot13

    return [("rot13", Rot13)]
"""

GOOD_STORAGE = '''
import codecs
import os
from pathlib import Path

from cadenza.blocks.core import Block
from cadenza.storage import validate_key


class Greeting(Block):
    """A block type; its slug is "greeting"."""

    text: str


class DirStorage:
    """Files in a directory; registered as "e2e-dir"."""

    slug = "e2e-dir"

    def __init__(self, base):
        self.base = Path(base)

    def to_ref(self):
        return {"type": self.slug, "base": str(self.base)}

    @classmethod
    def from_ref(cls, ref):
        return cls(ref["base"])

    def read_path(self, key):
        return (self.base / validate_key(key)).read_bytes()

    def write_path(self, key, data):
        path = self.base / validate_key(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def exists(self, key):
        return (self.base / validate_key(key)).is_file()

    def delete(self, key):
        try:
            os.unlink(self.base / validate_key(key))
        except FileNotFoundError:
            pass

    def list_keys(self, prefix=""):
        return sorted(
            str(p.relative_to(self.base)) for p in self.base.rglob("*") if p.is_file()
        )


class Rot13:
    type = "rot13"

    def dumps(self, obj):
        return codecs.encode(obj, "rot13").encode()

    def loads(self, data):
        return codecs.decode(data.decode(), "rot13")
'''

GOOD_TASKS = '''
from cadenza import task


@task
def shout(word: str) -> str:
    """Upper-case a word."""
    return word.upper()
'''

RUN_FLOW = """
import sys
from cadenza import flow
from cadenza_e2e_good.storage import DirStorage, Greeting
from cadenza_e2e_good.tasks import shout


@flow(persist_result=True, result_storage=DirStorage(sys.argv[1]), result_serializer="rot13")
def main(word: str) -> str:
    return shout(word)


Greeting(text="hi").save("hello")
state = main("plugins", return_state=True)
print(state.result(), state.state_details.flow_run_id)
"""

LOAD_RESULT = """
import sys
from cadenza.blocks.core import Block
from cadenza.results import load_run_result

print(load_run_result(sys.argv[1]), Block.load("greeting/hello").text)
"""


def _pyproject(name: str, package: str) -> str:
    return textwrap.dedent(
        f"""
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "{name}"
        version = "0.3.0"
        dependencies = ["cadenza"]

        [project.entry-points.cadenza]
        {name.removeprefix("cadenza-e2e-")} = "{package}.plugin"

        [tool.hatch.build.targets.wheel]
        packages = ["{package}"]
        """
    )


def _distribution(root: Path, name: str, files: dict[str, str]) -> Path:
    package = name.replace("-", "_")
    project = root / name
    (project / package).mkdir(parents=True)
    (project / "pyproject.toml").write_text(_pyproject(name, package))
    for filename, source in {"__init__.py": "", **files}.items():
        (project / package / filename).write_text(source)
    return project


def _run(*args: str | Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=300, env=env
    )
    if check:
        assert proc.returncode == 0, f"{args} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_an_installed_plugin_is_discovered_and_a_broken_one_reported(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CADENZA_", "VIRTUAL_ENV"))}
    env |= {"CADENZA_HOME": str(tmp_path / "home"), "CADENZA_LOGGING_CONSOLE": "false"}
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    _run(UV, "venv", "-q", venv, "--python", sys.executable, env=env)
    good = _distribution(
        tmp_path,
        "cadenza-e2e-good",
        {"plugin.py": GOOD_PLUGIN, "storage.py": GOOD_STORAGE, "tasks.py": GOOD_TASKS},
    )
    broken = _distribution(
        tmp_path,
        "cadenza-e2e-broken",
        {"plugin.py": "raise ImportError('cadenza_e2e_broken needs a missing SDK')\n"},
    )
    _run(UV, "pip", "install", "-q", "-p", python, "-e", ROOT, good, broken, env=env)
    cadenza = venv / "bin" / "cadenza"

    listing = json.loads(_run(cadenza, "plugins", "ls", "--json", env=env).stdout)
    plugins = {p["name"]: p for p in listing["plugins"]}
    assert plugins["good"]["status"] == "loaded"
    assert plugins["good"]["distribution"] == "cadenza-e2e-good"
    assert plugins["good"]["version"] == "0.3.0"
    assert plugins["good"]["entry_point"] == "good = cadenza_e2e_good.plugin"
    assert plugins["good"]["registered"] == {
        "block_types": ["greeting"],
        "storage_backends": ["e2e-dir"],
        "tasks": ["shout"],
        "serializers": ["rot13"],
    }
    assert plugins["broken"]["status"] == "failed"
    assert plugins["broken"]["distribution"] == "cadenza-e2e-broken"
    assert plugins["broken"]["entry_point"] == "broken = cadenza_e2e_broken.plugin"
    assert plugins["broken"]["error"] == (
        "import failed: ImportError: cadenza_e2e_broken needs a missing SDK"
    )
    assert plugins["builtin.storage"]["status"] == "loaded"
    strict = _run(cadenza, "plugins", "ls", "--strict", env={**env, "COLUMNS": "300"}, check=False)
    assert strict.returncode == 1 and "cadenza_e2e_broken needs a missing SDK" in strict.stdout

    (task,) = json.loads(_run(cadenza, "tasks", "ls", "--json", env=env).stdout)
    assert task == {
        "name": "shout",
        "plugin": "good",
        "distribution": "cadenza-e2e-good",
        "import_path": "cadenza_e2e_good.tasks:shout",
        "description": "Upper-case a word.",
        "summary": "Upper-case a word.",  # the description's first paragraph as plain text
    }

    script = tmp_path / "run_flow.py"
    script.write_text(RUN_FLOW)
    store = tmp_path / "results"
    ran = _run(python, "-W", "ignore", script, store, env=env)
    value, run_id = ran.stdout.split()
    assert value == "PLUGINS"
    stored = [p for p in store.rglob("*") if p.is_file()]
    assert stored and all(b"PLUGINS" not in p.read_bytes() for p in stored)  # rot13 applied
    loader = tmp_path / "load_result.py"
    loader.write_text(LOAD_RESULT)
    loaded = _run(python, "-W", "ignore", loader, run_id, env=env).stdout.split()
    assert loaded == ["PLUGINS", "hi"]
