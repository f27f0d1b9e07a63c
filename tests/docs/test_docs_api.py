"""Every public name is documented: each name in the ``__all__`` of each public module (and so in
``cadenza.__all__``) is an object the built reference renders, as listed in the site's
``objects.inv``: under its public path, under the path of the module that defines it, or — for
an object such as ``cadenza.hookimpl`` that a module provides lazily — under another public path
of the same object. A name a module re-exports from another project (pydantic's ``SecretStr``)
is documented by that project; the module's docstring names it."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest

from public_api import canonical_path, defined_in, import_module, public_module_names

pytestmark = pytest.mark.docs


def documented_objects(site: Path) -> set[str]:
    """The Python objects of the site's inventory (Sphinx's objects.inv, version 2)."""
    data = (site / "objects.inv").read_bytes()
    header_end = 0
    for _ in range(4):  # four header lines, then the zlib-compressed body
        header_end = data.index(b"\n", header_end) + 1
    body = zlib.decompress(data[header_end:]).decode()
    return {line.split(" ", 1)[0] for line in body.splitlines() if " py:" in line}


@pytest.fixture(scope="module")
def documented(site: Path) -> set[str]:
    return documented_objects(site)


_VALUES = (str, bytes, int, float, bool, tuple, frozenset, type(None))


@pytest.fixture(scope="module")
def documented_ids(documented: set[str]) -> set[int]:
    """The objects documented under some public path (plain values left out: equal strings or
    numbers in two modules are not the same thing)."""
    ids = set()
    for module_name in public_module_names():
        module = import_module(module_name)
        for name in module.__dict__.get("__all__", ()):
            value = getattr(module, name, None)
            if f"{module_name}.{name}" in documented and not isinstance(value, _VALUES):
                ids.add(id(value))
    return ids


def undocumented(module_name: str, documented: set[str], documented_ids: set[int]) -> list[str]:
    module = import_module(module_name)
    docstring = module.__doc__ or ""
    missing = []
    for name in module.__dict__.get("__all__", ()):
        value = getattr(module, name, None)
        if f"{module_name}.{name}" in documented or canonical_path(value) in documented:
            continue
        if id(value) in documented_ids and not isinstance(value, _VALUES):
            continue
        mentioned = re.search(rf"`+{re.escape(name)}`+", docstring) is not None
        origin = defined_in(value) or ""
        if origin and origin.split(".")[0] != "cadenza" and mentioned:
            continue  # another project's object, documented there and named here
        # read through a module `__getattr__` (cadenza.runtime): documented by the module's own
        # docstring, when the reference renders the module
        if name not in module.__dict__ and module_name in documented and mentioned:
            continue
        missing.append(name)
    return missing


def test_the_inventory_is_read(documented: set[str]) -> None:
    assert {"cadenza.flows.flow", "cadenza.task_runners.TaskRunner"} <= documented


@pytest.mark.parametrize("module_name", public_module_names())
def test_every_public_name_is_documented(
    module_name: str, documented: set[str], documented_ids: set[int]
) -> None:
    missing = undocumented(module_name, documented, documented_ids)
    assert not missing, (
        f"the reference does not document {module_name}: {', '.join(missing)} "
        "(render it in a page of docs/reference/, e.g. '::: {module_name}')"
    )
