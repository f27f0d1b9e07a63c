"""The import structure of docs/architecture.md holds: imports flow down the layers (checked by
import-linter), the module graph has no cycle even through imports placed inside functions, each
such import says why it is lazy, and the page lists the layers the contract enforces."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core" / "cadenza"

# the cycle finder behind `benchmarks/structure.py`'s figures, loaded from its file
_spec = importlib.util.spec_from_file_location("structure", ROOT / "benchmarks" / "structure.py")
structure = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(structure)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("cadenza", exclude_type_checking_imports=True, cache_dir=None)


def test_the_layers_contract_is_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    arrows = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    return structure.cycles(arrows, graph.modules)


def test_no_import_cycle_even_through_imports_inside_functions(graph) -> None:
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    made = grimp.ImportGraph()
    for name in ("a", "a.x", "a.y", "a.z"):
        made.add_module(name)
    made.add_import(importer="a.x", imported="a.y")
    made.add_import(importer="a.y", imported="a.z")
    made.add_import(importer="a.z", imported="a.x")
    assert _cycles(made) == [["a.x", "a.y", "a.z"]]


def test_no_submodule_imports_the_package_root(graph) -> None:
    """The root is the composition root: only the test kit, which sits above everything, may
    import it (``from cadenza import flow``)."""
    importers = graph.find_modules_that_directly_import("cadenza")
    assert sorted(m for m in importers if not m.startswith("cadenza.testing")) == []


def _in_function_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    found: list[tuple[int, str]] = []

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if in_function and isinstance(child, ast.ImportFrom):
                module = child.module or ""
                if child.level or module == "cadenza" or module.startswith("cadenza."):
                    found.append((child.lineno, module))
            walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))

    walk(tree, False)
    return found


_SKIPPABLE = re.compile(r"^\s*(#.*|from \S+ import.*|import .*|[\w, ]+,?|\)|)$")


def test_every_import_inside_a_function_says_why_it_is_lazy() -> None:
    unexplained = []
    for path in sorted(CORE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        lines = path.read_text().splitlines()
        for lineno, module in _in_function_imports(path):
            explained = False
            i = lineno - 1
            while i >= 0:
                line = lines[i]
                if "# lazily" in line:
                    explained = True
                    break
                if i < lineno - 1 and not _SKIPPABLE.match(line):
                    break
                i -= 1
            if not explained:
                unexplained.append(f"{path.relative_to(ROOT)}:{lineno} imports {module}")
    assert unexplained == [], "add a `# lazily: <why>` comment (docs/architecture.md):\n" + (
        "\n".join(unexplained)
    )


def test_the_architecture_page_lists_the_enforced_layers() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    enforced = [sorted(part.strip() for part in layer.split("|")) for layer in contract["layers"]]
    page = (ROOT / "docs" / "architecture.md").read_text()
    rows = re.findall(r"^\| \d+ \| (.+?) \| .+ \|$", page, flags=re.MULTILINE)
    documented = [sorted(re.findall(r"`(cadenza[\w.]*)`", row)) for row in rows]
    assert documented == enforced
