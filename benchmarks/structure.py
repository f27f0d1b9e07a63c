"""Figures of the core's import structure (docs/architecture.md), for a checkout at ROOT.

    .venv/bin/python benchmarks/structure.py [ROOT]

Prints the number of modules and import arrows (imports inside functions included, imports under
``TYPE_CHECKING`` not), the imports placed inside functions (all, of cadenza modules, and of
cadenza modules outside the CLI), the size of the largest import cycle (1: none) and the arrows
that run up the layers of this checkout's ``pyproject.toml`` contract (the package root counts as
the top; the test kit may use it). ROOT defaults to this checkout; point it at an older one to
compare.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

HERE = Path(__file__).resolve().parents[1]


def modules(core: Path) -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in sorted((core / "cadenza").rglob("*.py")):
        parts = list(path.relative_to(core).with_suffix("").parts)
        package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if package else parts)] = (path, package)
    return found


def imports(core: Path) -> tuple[dict[str, set[str]], list[tuple[str, int, str]]]:
    """The arrows between cadenza modules, and every import placed inside a function."""
    mods = modules(core)

    def owner(name: str) -> str:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name

    arrows: dict[str, set[str]] = defaultdict(set)
    inside: list[tuple[str, int, str]] = []
    for module, (path, package) in mods.items():
        base = module.split(".") if package else module.split(".")[:-1]

        def walk(node: ast.AST, in_function: bool, module=module, base=base) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    continue
                if isinstance(child, ast.Import | ast.ImportFrom):
                    if isinstance(child, ast.Import):
                        names = [alias.name for alias in child.names]
                    else:
                        prefix = child.module or ""
                        if child.level:
                            parent = base[: len(base) - (child.level - 1)]
                            prefix = ".".join(parent + ([prefix] if prefix else []))
                        names = [
                            f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in mods else prefix
                            for alias in child.names
                        ]
                    targets = {owner(n) for n in names if n.startswith("cadenza")} - {"", module}
                    arrows[module].update(targets)
                    if in_function:
                        inside.append((module, child.lineno, names[-1]))
                nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                walk(child, nested)

        walk(ast.parse(path.read_text()), False)
    return arrows, inside


def cycles(arrows: Mapping[str, Iterable[str]], nodes: Iterable[str]) -> list[list[str]]:
    """Every strongly connected set of two or more modules, each sorted (Tarjan, iteratively).
    Also used by tests/test_architecture.py."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(nodes):
        if start in index:
            continue
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        work = [(start, iter(sorted(arrows.get(start, ()))))]
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(arrows.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def largest_cycle(arrows: Mapping[str, Iterable[str]], nodes: Iterable[str]) -> int:
    """The size of the largest import cycle (1: there is none)."""
    return max((len(c) for c in cycles(arrows, nodes)), default=1)


def upward(root: Path, arrows: dict[str, set[str]]) -> list[tuple[str, str]]:
    config = tomllib.loads((root / "pyproject.toml").read_text()).get("tool", {})
    contracts = config.get("importlinter", {}).get("contracts", [])
    layers = next((c["layers"] for c in contracts if c["type"] == "layers"), [])
    rank = {"cadenza": len(layers) + 1}
    for i, layer in enumerate(layers):
        for name in layer.split("|"):
            rank[name.strip()] = len(layers) - i

    def layer(name: str) -> str:
        while name not in rank and "." in name:
            name = name.rpartition(".")[0]
        return name

    return sorted(
        (a, b)
        for a, targets in arrows.items()
        for b in targets
        if layer(a) != layer(b)
        and rank.get(layer(a), 0) < rank.get(layer(b), 0)
        and not (b == "cadenza" and a.startswith("cadenza.testing"))  # the kit uses the API
    )


def main() -> None:
    root = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else HERE
    core = root / "core"
    arrows, inside = imports(core)
    ours = [i for i in inside if i[2].startswith("cadenza")]
    print(f"modules: {len(modules(core))}")
    print(f"import arrows between modules: {sum(len(t) for t in arrows.values())}")
    outside_cli = sum(not m.startswith("cadenza.cli") for m, _, _ in ours)
    print(f"imports inside functions: {len(inside)} (of cadenza modules: {len(ours)}, "
          f"outside the CLI: {outside_cli})")  # fmt: skip
    print(f"largest import cycle: {largest_cycle(arrows, sorted(modules(core)))} modules")
    up = upward(root, arrows)
    print(f"arrows up the layers of {root.name}/pyproject.toml: {len(up)}")
    for a, b in up:
        print(f"  {a} -> {b}")


if __name__ == "__main__":
    main()
