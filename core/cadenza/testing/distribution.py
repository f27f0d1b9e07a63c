"""The distribution conformance suite: how a collection or plugin is packaged and found.

Checks the installed distribution's metadata (``importlib.metadata``) and imports in fresh
interpreters, so it tests what ``pip install`` put in the environment, not the source tree.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterable
from typing import Any

import pytest

from cadenza._version import __version__
from cadenza.testing.imports import ALWAYS_HEAVY, PluginModuleConformance

ENTRY_POINT_GROUP = "cadenza"
_UPPER_BOUNDS = ("<", "<=", "==", "~=", "===")


def imported_modules(statement: str, among: Iterable[str] | None = None) -> set[str]:
    """The modules loaded in a fresh interpreter after running ``statement``.

    With ``among``, only which of those names were loaded, a name counting as loaded if any of
    its submodules is: ``imported_modules("import cadenza_aws", among=("boto3", "pydantic"))``
    is ``set()`` for a package that imports its SDK lazily.
    """
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        pytest.fail(f"`{statement}` failed in a fresh interpreter:\n{out.stderr}")
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    if among is None:
        return loaded
    return {name for name in among if any(m == name or m.startswith(f"{name}.") for m in loaded)}


class DistributionConformance(PluginModuleConformance):
    """Subclass and set:

    - ``distribution``: the distribution's name, e.g. ``"cadenza-aws"``;
    - ``entry_point``: its entry point's name in the ``cadenza`` group, e.g. ``"aws"``;
    - ``plugin_module``: the module that entry point names, e.g. ``"cadenza_aws.plugin"``;
    - ``heavy_modules``: top-level modules (its SDK) that neither the package nor the plugin
      module may import, e.g. ``("boto3", "botocore")``;
    - optionally ``package`` (default: the plugin module's top-level package) and
      ``light_modules``, more of its modules that must import without the heavy ones (e.g.
      ``("cadenza_aws.testing",)``).

    Besides `PluginModuleConformance`'s checks (the plugin module imports within budget, without
    heavy modules), it checks the entry point, that the distribution requires a bounded cadenza
    range including this cadenza, that the plugin module declares the same range as
    ``CADENZA_API`` and has a docstring, that importing the package imports nothing heavy, and
    that the package is marked typed (``py.typed``, PEP 561) for its users' type checkers.
    """

    distribution: str = ""
    entry_point: str = ""
    package: str = ""
    light_modules: tuple[str, ...] = ()

    def _required(self, attribute: str) -> str:
        value = getattr(self, attribute)
        if not value:
            pytest.fail(f"set `{attribute}` on {type(self).__name__}")
        return value

    def _cadenza_requirement(self) -> Any:
        from importlib import metadata

        from packaging.requirements import Requirement

        distribution = self._required("distribution")
        try:
            requires = metadata.requires(distribution) or []
        except metadata.PackageNotFoundError:
            pytest.fail(f"the distribution {distribution!r} is not installed")
        core = [
            req
            for req in map(Requirement, requires)
            if req.name.lower() == "cadenza" and req.marker is None
        ]
        assert core, f"{distribution} does not require cadenza (requires: {requires})"
        return core[0]

    def _api(self) -> str:
        module = importlib.import_module(self._required("plugin_module"))
        api = getattr(module, "CADENZA_API", None)
        assert isinstance(api, str) and api, f"{module.__name__} does not declare CADENZA_API"
        return api

    def test_entry_point_is_in_the_cadenza_group_and_names_the_plugin_module(self) -> None:
        from importlib import metadata

        from packaging.utils import canonicalize_name

        name = self._required("entry_point")
        found = [ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
        assert len(found) == 1, f"{len(found)} entry points named {name!r} in group 'cadenza'"
        (entry,) = found
        assert entry.value == self._required("plugin_module")
        assert entry.dist is not None
        assert canonicalize_name(entry.dist.name) == canonicalize_name(
            self._required("distribution")
        )

    def test_requires_a_bounded_cadenza_range_that_includes_this_cadenza(self) -> None:
        from packaging.version import Version

        core = self._cadenza_requirement()
        assert core.specifier.contains(Version(__version__), prereleases=True), (
            f"{self.distribution} requires {core}, which excludes this cadenza {__version__}"
        )
        assert any(spec.operator in _UPPER_BOUNDS for spec in core.specifier), (
            f"{self.distribution} requires {core}: give it an upper bound (e.g. <0.2), since a "
            "later cadenza series may change the API it uses"
        )

    def test_plugin_module_declares_cadenza_api_and_a_docstring(self) -> None:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        api = self._api()
        try:
            SpecifierSet(api)
        except InvalidSpecifier:
            pytest.fail(f"CADENZA_API = {api!r} is not a PEP 440 specifier set")
        module = importlib.import_module(self.plugin_module)
        assert (module.__doc__ or "").strip(), f"{self.plugin_module} has no docstring"

    def test_cadenza_api_is_the_range_the_distribution_requires(self) -> None:
        from packaging.specifiers import SpecifierSet

        core = self._cadenza_requirement()
        api = self._api()
        assert SpecifierSet(api) == core.specifier, (
            f"{self.plugin_module}.CADENZA_API = {api!r}, but {self.distribution} requires {core}"
        )

    def test_the_package_is_marked_typed(self) -> None:
        from importlib.resources import files

        package = self.package or self._required("plugin_module").split(".")[0]
        marker = files(package) / "py.typed"
        assert marker.is_file(), (
            f"{package} has no py.typed: type checkers treat it as untyped (add an empty "
            f"py.typed file beside its __init__.py; hatchling puts it in the wheel)"
        )

    def test_importing_the_package_does_not_import_heavy_modules(self) -> None:
        package = self.package or self._required("plugin_module").split(".")[0]
        heavy = (*ALWAYS_HEAVY, *self.heavy_modules)
        found = {}
        for module in dict.fromkeys((package, self.plugin_module, *self.light_modules)):
            offenders = imported_modules(f"import {module}", among=heavy)
            if offenders:
                found[module] = sorted(offenders)
        assert not found, f"importing these imports heavy modules: {found}"


__all__ = ["ENTRY_POINT_GROUP", "DistributionConformance", "imported_modules"]
