"""requirements-dev.lock covers what the distributions declare: every dependency of the core
(with its ``server`` and ``test`` extras) and of each distribution under ``plugins/`` and
``collections/`` (with its ``test`` extra) is pinned there to a version its specifier accepts.

`make venv` installs the lock exactly (``uv pip sync``), so a dependency added to a
pyproject.toml without `make lock` would be missing from every fresh environment: this test
fails first, naming it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements-dev.lock"


def _distributions() -> list[str]:
    """The DISTS of the Makefile: what `make venv` installs beside the core."""
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(r"^DISTS := ((?:.*\\\n)*.*)$", makefile, re.MULTILINE)
    assert match, "the Makefile has no DISTS"
    return match.group(1).replace("\\\n", " ").split()


def _pins() -> dict[str, list[tuple[Version, Marker | None]]]:
    pins: dict[str, list[tuple[Version, Marker | None]]] = {}
    for line in LOCK.read_text().splitlines():
        if not line or line.startswith(("#", " ", "-e ")):
            continue
        req = Requirement(line)
        (spec,) = req.specifier  # ==version
        assert spec.operator == "==", line
        pins.setdefault(canonicalize_name(req.name), []).append((Version(spec.version), req.marker))
    return pins


def _editables() -> dict[str, str]:
    """Editable path -> its distribution name."""
    found = {}
    for line in LOCK.read_text().splitlines():
        if line.startswith("-e "):
            path = (ROOT / line[3:].strip()).resolve()
            name = tomllib.loads((path / "pyproject.toml").read_text())["project"]["name"]
            found[str(path.relative_to(ROOT)) if path != ROOT else "."] = canonicalize_name(name)
    return found


def _declared() -> list[tuple[str, Requirement]]:
    wanted = [(".", ("server", "test"))] + [(d, ("test",)) for d in _distributions()]
    declared = []
    for directory, extras in wanted:
        project = tomllib.loads((ROOT / directory / "pyproject.toml").read_text())["project"]
        optional = project.get("optional-dependencies", {})
        for line in project["dependencies"] + [r for e in extras for r in optional[e]]:
            declared.append((directory, Requirement(line)))
    return declared


def test_every_distribution_of_make_venv_is_in_the_lock_editable() -> None:
    editables = _editables()
    assert set(editables) == {".", *_distributions()}


def test_every_declared_dependency_is_pinned_to_a_version_it_accepts() -> None:
    pins = _pins()
    local = set(_editables().values())
    problems = []
    for directory, req in _declared():
        name = canonicalize_name(req.name)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue  # not for this interpreter (e.g. tomli before 3.11)
        if name in local:
            continue  # the checkout itself, installed editable
        here = [v for v, m in pins.get(name, []) if m is None or m.evaluate({"extra": ""})]
        if not here:
            problems.append(f"{directory}: {req} is not in the lock")
        elif not all(req.specifier.contains(v, prereleases=True) for v in here):
            problems.append(f"{directory}: {req} but the lock pins {[str(v) for v in here]}")
    assert not problems, "requirements-dev.lock is stale; run `make lock`:\n" + "\n".join(problems)


def test_the_lock_pins_pip_so_the_venv_has_it() -> None:
    assert "pip" in _pins()
