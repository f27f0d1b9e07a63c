"""One version source per distribution: its version is written once, and ``__version__`` at
run time is that version.

The collections and the Dask plugin write it in ``pyproject.toml`` (``[project] version``) and
read it back from the installed metadata (``importlib.metadata``); the core writes it in
``core/cadenza/_version.py``, which hatch's version source reads when building, so that
``import cadenza`` does not pay for importlib.metadata.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
LITERAL = re.compile(r"""^\s*__version__\s*(:\s*str\s*)?=\s*["']""", re.MULTILINE)

# (distribution directory, distribution name, import package)
DISTRIBUTIONS = [
    ("plugins/cadenza-dask", "cadenza-dask", "cadenza_dask"),
    ("plugins/cadenza-otel", "cadenza-otel", "cadenza_otel"),
    ("plugins/cadenza-ray", "cadenza-ray", "cadenza_ray"),
    ("collections/cadenza-aws", "cadenza-aws", "cadenza_aws"),
    ("collections/cadenza-gcp", "cadenza-gcp", "cadenza_gcp"),
    ("collections/cadenza-notify", "cadenza-notify", "cadenza_notify"),
    ("collections/cadenza-http", "cadenza-http", "cadenza_http"),
    ("collections/cadenza-sql", "cadenza-sql", "cadenza_sql"),
    ("collections/cadenza-azure", "cadenza-azure", "cadenza_azure"),
    ("collections/cadenza-shell", "cadenza-shell", "cadenza_shell"),
    ("collections/cadenza-dbt", "cadenza-dbt", "cadenza_dbt"),
]


@pytest.mark.parametrize(("directory", "dist", "package"), DISTRIBUTIONS)
def test_a_distribution_writes_its_version_once(directory: str, dist: str, package: str) -> None:
    project = tomllib.loads((ROOT / directory / "pyproject.toml").read_text())["project"]
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", project["version"]), project
    sources = sorted((ROOT / directory / "src").rglob("*.py"))
    assert sources
    literal = [str(p.relative_to(ROOT)) for p in sources if LITERAL.search(p.read_text())]
    assert literal == [], f"a second version literal beside pyproject.toml's: {literal}"
    module = importlib.import_module(package)
    assert module.__version__ == importlib.metadata.version(dist) == project["version"]
    assert "__version__" in dir(module)


def test_the_core_writes_its_version_once() -> None:
    import cadenza
    from cadenza import _version

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in pyproject["project"]["dynamic"]
    assert "version" not in pyproject["project"]
    assert pyproject["tool"]["hatch"]["version"]["path"] == "core/cadenza/_version.py"
    sources = sorted((ROOT / "core" / "cadenza").rglob("*.py"))
    literal = [str(p.relative_to(ROOT)) for p in sources if LITERAL.search(p.read_text())]
    assert literal == ["core/cadenza/_version.py"]
    assert cadenza.__version__ == _version.__version__ == importlib.metadata.version("cadenza")


def test_the_template_writes_its_version_once() -> None:
    template = ROOT / "templates" / "collection" / "template"
    files = [p for p in template.rglob("*") if p.is_file() and p.suffix in {".jinja", ".py"}]
    literal = [p.name for p in files if LITERAL.search(p.read_text())]
    assert literal == [], f"the template writes __version__ beside pyproject.toml: {literal}"
