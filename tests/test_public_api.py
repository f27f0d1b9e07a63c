"""The public API is explicit: every public module of the core has a sorted ``__all__`` of names
it has, re-exports nothing private, and the collections, plugins and the collection template use
nothing else of cadenza. That every public name is documented is tests/docs/test_docs_api.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from public_api import (
    ROOT,
    defined_in,
    import_module,
    in_private_module,
    is_private_name,
    isort_key,
    public_module_names,
)

MODULES = public_module_names()


def test_the_public_modules_are_found() -> None:
    assert {"cadenza", "cadenza.task_runners", "cadenza.masking", "cadenza.storage"} <= set(
        MODULES
    )
    assert not [m for m in MODULES if "._" in m or m.startswith("_")]


@pytest.mark.parametrize("name", MODULES)
def test_every_public_module_has_an_explicit_sorted_all_of_names_it_has(name: str) -> None:
    module = import_module(name)
    exported = module.__dict__.get("__all__")
    assert exported is not None, f"{name} has no __all__"
    assert isinstance(exported, (list, tuple)), f"{name}.__all__ is a {type(exported).__name__}"
    assert all(isinstance(item, str) for item in exported), f"{name}.__all__ holds a non-string"
    assert len(set(exported)) == len(exported), f"{name}.__all__ names something twice"
    assert list(exported) == sorted(exported, key=isort_key), (
        f"{name}.__all__ is not sorted (constants, classes, then the rest; as ruff's RUF022)"
    )
    missing = [item for item in exported if not hasattr(module, item)]
    assert not missing, f"{name}.__all__ names what it does not have: {missing}"


@pytest.mark.parametrize("name", MODULES)
def test_no_public_module_re_exports_anything_private(name: str) -> None:
    module = import_module(name)
    exported = module.__dict__.get("__all__", ())
    private = [item for item in exported if is_private_name(item)]
    assert not private, f"{name}.__all__ exports underscore names: {private}"
    from_private = {
        item: defined_in(getattr(module, item))
        for item in exported
        if in_private_module(defined_in(getattr(module, item)))
    }
    assert not from_private, f"{name}.__all__ re-exports from private modules: {from_private}"


# -- what the collections, the plugins and the template import of cadenza -----------------------
SOURCES = sorted(
    [
        *(ROOT / "plugins").glob("*/src/**/*.py"),
        *(ROOT / "plugins").glob("*/tests/**/*.py"),
        *(ROOT / "collections").glob("*/src/**/*.py"),
        *(ROOT / "collections").glob("*/tests/**/*.py"),
        *(ROOT / "templates" / "collection").rglob("*.py.jinja"),
    ]
)
# An import statement of cadenza, alone on its lines (the template's files are Jinja, so only
# their import statements are parsed).
IMPORT = re.compile(
    r"^[ \t]*(from cadenza[\w.]* import (?:\([^)]*\)|[^\n]*)|import cadenza[^\n]*)", re.M
)


def cadenza_uses(path: Path) -> list[tuple[int, str, str]]:
    """``(line, module, name)`` for each name of cadenza a source file uses: ``from cadenza.x
    import name``, and ``module.name`` on a cadenza module it imported."""
    text = path.read_text()
    if path.suffix == ".jinja":
        tree = ast.parse("\n".join(m.group(1).strip() for m in IMPORT.finditer(text)))
    else:
        tree = ast.parse(text)
    modules: dict[str, str] = {}  # local name -> cadenza module it stands for
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "cadenza":
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if _is_module(full):
                    modules[alias.asname or alias.name] = full
                else:
                    uses.append((node.lineno, node.module, alias.name))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "cadenza" and alias.asname:
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            uses.append((node.lineno, modules[node.value.id], node.attr))
    return uses


def _is_module(name: str) -> bool:
    try:
        import_module(name)
    except ImportError:
        return False
    return True


def test_the_sources_scanned_include_each_distribution_and_the_template() -> None:
    scanned = {p.relative_to(ROOT).parts[:2] for p in SOURCES}
    assert {
        ("plugins", "cadenza-dask"),
        ("plugins", "cadenza-ray"),
        ("collections", "cadenza-aws"),
        ("collections", "cadenza-gcp"),
        ("collections", "cadenza-sql"),
        ("collections", "cadenza-azure"),
        ("templates", "collection"),
    } <= scanned


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_collections_plugins_and_the_template_use_only_public_names(path: Path) -> None:
    problems = []
    for line, module_name, name in cadenza_uses(path):
        if any(part.startswith("_") for part in module_name.split(".")):
            problems.append(f"line {line}: {module_name} is a private module")
            continue
        module = import_module(module_name)
        if name not in module.__dict__.get("__all__", ()) and not _is_module(
            f"{module_name}.{name}"
        ):
            problems.append(f"line {line}: {module_name}.{name} is not in {module_name}.__all__")
    assert not problems, "\n".join(problems)
