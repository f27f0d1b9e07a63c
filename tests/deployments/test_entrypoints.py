"""Loading an entrypoint: a file (relative or absolute) or a module, and each way it fails."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cadenza.deployments.entrypoints import load_entrypoint
from cadenza.exceptions import EntrypointError
from cadenza.flows import Flow

FLOW_FILE = """
from cadenza import flow
from helper import greeting  # a module beside the file

@flow
def hello(name: str = "world") -> str:
    return greeting(name)

@flow(name="other")
def second() -> None:
    pass

class Box:
    value = 7
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "hello.py").write_text(FLOW_FILE)
    (tmp_path / "flows" / "helper.py").write_text("def greeting(n):\n    return f'hi {n}'\n")
    (tmp_path / "pkg_for_entrypoints").mkdir()
    (tmp_path / "pkg_for_entrypoints" / "__init__.py").write_text("")
    (tmp_path / "pkg_for_entrypoints" / "jobs.py").write_text(
        "from cadenza import flow\n\n@flow\ndef job() -> int:\n    return 3\n"
    )
    (tmp_path / "pkg_for_entrypoints" / "broken.py").write_text("import no_such_module_x\n")
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("pkg_for_entrypoints")]:
        del sys.modules[name]


def test_a_file_relative_to_base_dir(project: Path) -> None:
    hello = load_entrypoint("flows/hello.py:hello", base_dir=project)
    assert isinstance(hello, Flow) and hello(name="you") == "hi you"
    assert str(project / "flows") not in sys.path  # only while importing


def test_a_file_relative_to_the_current_directory(project: Path, monkeypatch) -> None:
    monkeypatch.chdir(project / "flows")
    assert load_entrypoint("hello.py:Box.value") == 7


def test_an_absolute_file_and_unique_module_names(project: Path) -> None:
    path = project / "flows" / "hello.py"
    first = load_entrypoint(f"{path}:hello", base_dir="/nowhere")
    second = load_entrypoint(f"{path}:hello")
    assert isinstance(first, Flow) and isinstance(second, Flow)
    assert first.fn.__module__ != second.fn.__module__
    assert sys.modules[first.fn.__module__].__file__ == str(path)


@pytest.mark.parametrize(
    "entrypoint", ["pkg_for_entrypoints.jobs:job", "pkg_for_entrypoints.jobs.job"]
)
def test_a_module(project: Path, entrypoint: str) -> None:
    job = load_entrypoint(entrypoint, base_dir=project)
    assert isinstance(job, Flow) and job() == 3


@pytest.mark.parametrize(
    ("entrypoint", "problem"),
    [
        ("", "Malformed entrypoint ''"),
        ("hello", "Malformed entrypoint 'hello'"),
        ("flows/hello.py", "name the object in the file too"),
        ("flows/hello.py:", "Malformed entrypoint"),
        ("flows/hello.py:not-a-name", "Malformed entrypoint"),
        ("some module:x", "neither a .py file nor a dotted module name"),
    ],
)
def test_malformed_entrypoints(project: Path, entrypoint: str, problem: str) -> None:
    with pytest.raises(EntrypointError, match=problem):
        load_entrypoint(entrypoint, base_dir=project)


def test_a_missing_file(project: Path) -> None:
    with pytest.raises(EntrypointError) as caught:
        load_entrypoint("flows/gone.py:hello", base_dir=project)
    message = str(caught.value)
    assert "'flows/gone.py:hello'" in message and "gone.py does not exist" in message


def test_a_missing_attribute_lists_the_flows_there(project: Path) -> None:
    with pytest.raises(EntrypointError) as caught:
        load_entrypoint("flows/hello.py:helo", base_dir=project)
    message = str(caught.value)
    assert "'flows/hello.py:helo'" in message and "no attribute 'helo'" in message
    assert "it has the flows hello, second" in message


def test_a_missing_module(project: Path) -> None:
    with pytest.raises(EntrypointError, match=r"no module named 'pkg_for_entrypoints\.nope'"):
        load_entrypoint("pkg_for_entrypoints.nope:job", base_dir=project)


def test_an_import_error_is_chained(project: Path) -> None:
    (project / "flows" / "bad.py").write_text("x = 1\nraise RuntimeError('no database')\n")
    with pytest.raises(EntrypointError) as caught:
        load_entrypoint("flows/bad.py:x", base_dir=project)
    assert "'flows/bad.py:x'" in str(caught.value)
    assert "RuntimeError: no database" in str(caught.value)
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert not [m for m in sys.modules if m.endswith("_bad")]  # the failed module is not kept
    with pytest.raises(EntrypointError, match="ModuleNotFoundError") as caught:
        load_entrypoint("pkg_for_entrypoints.broken:x", base_dir=project)
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)
