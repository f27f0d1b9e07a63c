"""A third-party storage block works as ``result_storage`` without describing itself.

A collection's Block subclass that stores blobs (``read_path``/``write_path`` and the rest of
`cadenza.storage.StorageBackend`) and is contributed through ``register_storage_backends``
needs no ``to_ref()``/``from_ref()`` and no ``register_storage_type()``: `Block`'s defaults
name a saved block, or carry an unsaved block's fields, and rebuild it in another process.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

STRANGER = '''
import os
from pathlib import Path

from pydantic import SecretStr

from cadenza.blocks.core import Block
from cadenza.storage import validate_key


class StrangerStore(Block):
    """Blobs as files under ``root``; written the way a Prefect file-system block is."""

    root: str
    token: SecretStr | None = None

    def _path(self, key):
        return Path(self.root) / validate_key(key)

    def read_path(self, key):
        return self._path(key).read_bytes()

    def write_path(self, key, data):
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def exists(self, key):
        return self._path(key).is_file()

    def delete(self, key):
        self._path(key).unlink(missing_ok=True)

    def list_keys(self, prefix=""):
        base = Path(self.root)
        keys = [p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file()]
        return sorted(k for k in keys if k.startswith(prefix))
'''

PLUGIN = """
from cadenza import hookimpl


@hookimpl
def register_storage_backends():
    from stranger_storage.blocks import StrangerStore

    return [StrangerStore]
"""


@pytest.fixture
def stranger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The `stranger-storage` distribution, installed (an entry point in group ``cadenza``)
    for the fresh interpreters of `run_python`."""
    site = tmp_path / "site-packages"
    package = site / "stranger_storage"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "blocks.py").write_text(STRANGER)
    (package / "plugin.py").write_text(PLUGIN)
    info = site / "stranger_storage-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: stranger-storage\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[cadenza]\nstranger = stranger_storage.plugin\n")
    monkeypatch.setenv("PYTHONPATH", str(site))
    return tmp_path / "blobs"


FLOW = """
import json
from cadenza import flow, task
from stranger_storage.blocks import StrangerStore

{setup}

@task(persist_result=True, result_storage=storage)
def produce():
    return {{"rows": [1, 2, 3]}}

states = []

@flow
def pipeline():
    states.append(produce(return_state=True))

pipeline()
state = states[0]
print(json.dumps({{"run": state.state_details.task_run_id, "ref": state.result_ref}}))
"""

READ = """
from cadenza.results import load_result
print(load_result({ref!r}))
"""


def _write_then_read(run_python, setup: str) -> dict:
    written = run_python(FLOW.format(setup=textwrap.dedent(setup)))
    assert written.returncode == 0, written.stdout + written.stderr
    out = json.loads(written.stdout.strip().splitlines()[-1])
    read = run_python(READ.format(ref=out["ref"]))  # a fresh process finds the block again
    assert read.returncode == 0, read.stdout + read.stderr
    assert read.stdout.strip() == "{'rows': [1, 2, 3]}"
    return json.loads(out["ref"])


# Prefect 3.9.1: a saved WritableFileSystem block used as `result_storage` is recorded in the
# result metadata by its block document id (`ResultStore.result_storage_block_id`), and another
# process reads the result through the block loaded by that id (`ResultRecord._from_metadata`);
# the block subclass needs nothing beyond read_path/write_path (checked in prefect/results.py).
def test_a_saved_stranger_block_is_named_in_the_reference(run_python, stranger, backend):
    ref = _write_then_read(
        run_python,
        f"""
        StrangerStore(root={str(stranger)!r}, token="s3cr3t").save("results", overwrite=True)
        storage = StrangerStore.load("results")
        """,
    )
    assert ref["storage"] == {"type": "stranger-store", "block": "stranger-store/results"}
    assert "s3cr3t" not in json.dumps(ref)
    assert (stranger / ref["key"]).is_file()


# Prefect 3.9.1: `result_storage="slug/name"` loads the saved block (`Block.aload`).
def test_a_saved_stranger_block_works_by_name(run_python, stranger, backend):
    ref = _write_then_read(
        run_python,
        f"""
        StrangerStore(root={str(stranger)!r}).save("by-name", overwrite=True)
        storage = "stranger-store/by-name"
        """,
    )
    assert ref["storage"]["block"] == "stranger-store/by-name"


# Prefect 3.9.1: an unsaved block records no block id; another process finds the result only
# when it is a local file (an absolute storage key), else it looks in the default storage.
# cadenza writes the unsaved block's fields into the reference, so it is found in any process.
def test_an_unsaved_stranger_block_carries_its_fields(run_python, stranger):
    ref = _write_then_read(run_python, f"storage = StrangerStore(root={str(stranger)!r})")
    assert ref["storage"] == {
        "type": "stranger-store",
        "data": {"root": str(stranger), "token": None},
    }


# Prefect 3.9.1: no equivalent: an unsaved block is recorded by nothing (see above).
def test_an_unsaved_block_holding_a_secret_is_refused_clearly(run_python, stranger):
    setup = f"storage = StrangerStore(root={str(stranger)!r}, token='s3cr3t')"
    script = FLOW.format(setup=setup).replace(
        'print(json.dumps({"run"', "print(state.type.value, state.message)\n#"
    )
    written = run_python(script)
    assert written.returncode == 0, written.stdout + written.stderr
    assert written.stdout.startswith("FAILED Could not persist the result: TypeError")
    assert "holds a secret and is not saved" in written.stdout
    assert "s3cr3t" not in written.stdout + written.stderr
