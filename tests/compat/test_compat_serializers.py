"""Prefect's serializer names: ``compressed/pickle`` and ``compressed/json`` as
``result_serializer``, `CompressedSerializer` with a choice of library, and subclasses of
`Serializer` that register themselves by their ``type``. Prefect 3.9.1: ``result_serializer=
"compressed/json"`` persists lzma-compressed JSON;
its ``Serializer`` subclasses are found by type."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cadenza import flow, task
from cadenza.serializers import (
    CompressedSerializer,
    JSONSerializer,
    SerializationError,
    Serializer,
    get_serializer,
    serializer_by_name,
    serializer_name,
)


@pytest.mark.parametrize("name", ["compressed/pickle", "compressed/json"])
def test_a_task_persists_its_result_compressed_and_reads_it_back(name, cadenza_home) -> None:
    @task(persist_result=True, result_serializer=name)
    def rows() -> list[dict]:
        return [{"id": i, "label": "same text every time"} for i in range(2_000)]

    @flow
    def keep() -> list[dict]:
        return rows()

    assert keep()[1999] == {"id": 1999, "label": "same text every time"}
    stored = [p for p in (cadenza_home / "storage").rglob("*") if p.is_file()]
    assert stored and max(p.stat().st_size for p in stored) < 20_000  # ~100 KB uncompressed


@pytest.mark.parametrize("lib", ["lzma", "zlib", "bz2", "gzip"])
def test_a_configured_compressed_serializer_round_trips_by_its_recorded_name(lib) -> None:
    serializer = CompressedSerializer(JSONSerializer(), compressionlib=lib)
    data = serializer.dumps({"a": [1] * 1000})
    again = serializer_by_name(serializer_name(serializer))
    assert again.loads(data) == {"a": [1] * 1000}
    assert len(data) < 200


def test_bad_compressed_input_and_a_bad_library_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="compressionlib must be one of"):
        CompressedSerializer("json", compressionlib="snappy")
    with pytest.raises(SerializationError, match="not lzma data"):
        get_serializer("compressed/json").loads(b"not compressed at all")


def test_a_serializer_subclass_registers_itself_by_type(tmp_path: Path) -> None:
    class Upper(Serializer):
        type = "test-upper-text"

        def dumps(self, obj: str) -> bytes:
            return obj.upper().encode()

        def loads(self, data: bytes) -> str:
            return data.decode()

    assert isinstance(get_serializer("test-upper-text"), Upper)
    assert serializer_name(Upper()) == "test-upper-text"
    with pytest.raises(ValueError, match="already registered"):

        class Clash(Serializer):
            type = "json"


def test_results_written_with_a_user_serializer_load_in_another_process(tmp_path: Path) -> None:
    module = tmp_path / "shouting.py"
    module.write_text(
        textwrap.dedent("""
        from cadenza.serializers import Serializer

        class Shouting(Serializer):
            type = "shouting"

            def dumps(self, obj):
                return obj.upper().encode()

            def loads(self, data):
                return data.decode() + "!"
    """)
    )
    writer = textwrap.dedent("""
        import shouting
        from cadenza import flow, task

        @task(persist_result=True, result_serializer="shouting")
        def say():
            return "hello"

        @flow
        def speak():
            return say()

        speak()
    """)
    env = {"PYTHONPATH": str(tmp_path), "CADENZA_HOME": str(tmp_path / "home"),
           "PATH": "/usr/bin:/bin"}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", writer], env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    reader = textwrap.dedent("""
        import shouting
        from cadenza.results import load_result
        import sqlite3, os
        db = sqlite3.connect(os.path.join(os.environ["CADENZA_HOME"], "cadenza.db"))
        ref, = db.execute(
            "SELECT result_ref FROM task_runs WHERE result_ref IS NOT NULL LIMIT 1").fetchone()
        print(load_result(ref))
    """)
    done = subprocess.run([sys.executable, "-c", reader], env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "HELLO!"
