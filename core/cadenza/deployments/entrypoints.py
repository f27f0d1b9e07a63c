"""Loading the object an entrypoint names: how a deployment's flow is found in its code.

An entrypoint is one of

- ``path/to/file.py:name`` — a Python file (relative to `base_dir`, or to the current directory
  without one; or absolute) and the name of an object in it. The file is imported as a module
  of its own, under a unique name, with its directory first on ``sys.path`` while it imports
  (as Prefect does), so it can import the modules beside it;
- ``package.module:name`` or ``package.module.name`` — an importable module (with `base_dir`,
  or else the current directory, first on ``sys.path`` while it imports) and a name in it.

``name`` may be dotted (``Class.attribute``). Every failure is an
`cadenza.exceptions.EntrypointError` naming the entrypoint and the problem: a malformed
entrypoint, a missing file or module, a missing name (with the flows the module does have), or
an exception raised while importing (chained, so its traceback is kept).
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import os
import sys
from pathlib import Path
from types import ModuleType

from cadenza.exceptions import EntrypointError

_loads = itertools.count(1)


def load_entrypoint(entrypoint: str, base_dir: str | Path | None = None) -> object:
    """The object `entrypoint` names (see the module docstring); `EntrypointError` if none."""
    if not isinstance(entrypoint, str) or not entrypoint.strip():
        raise EntrypointError(
            f"Malformed entrypoint {entrypoint!r}: expected 'path/to/file.py:name' or "
            "'package.module:name'"
        )
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    where, colon, name = entrypoint.strip().rpartition(":")
    if not colon and name.endswith(".py"):
        raise EntrypointError(
            f"Malformed entrypoint {entrypoint!r}: name the object in the file too, as "
            "'path/to/file.py:name'"
        )
    if not colon:  # package.module.name
        where, _, name = entrypoint.strip().rpartition(".")
        if not where:
            raise EntrypointError(
                f"Malformed entrypoint {entrypoint!r}: name a module and an object in it, as "
                "'package.module:name', 'package.module.name' or 'path/to/file.py:name'"
            )
    if not where or not name or not all(part.isidentifier() for part in name.split(".")):
        raise EntrypointError(
            f"Malformed entrypoint {entrypoint!r}: expected 'path/to/file.py:name' or "
            "'package.module:name', with name a (dotted) Python identifier"
        )
    if where.endswith(".py") or "/" in where or os.sep in where:
        module = _import_file(entrypoint, base / where)
    else:
        if not all(part.isidentifier() for part in where.split(".")):
            raise EntrypointError(
                f"Malformed entrypoint {entrypoint!r}: {where!r} is neither a .py file nor a "
                "dotted module name"
            )
        module = _import_module(entrypoint, where, base)
    obj: object = module
    for part in name.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise EntrypointError(_missing(entrypoint, module, name)) from None
    return obj


def _import_file(entrypoint: str, path: Path) -> ModuleType:
    path = path.expanduser()
    if not path.is_file():
        problem = "is a directory, not a file" if path.is_dir() else "does not exist"
        raise EntrypointError(f"Entrypoint {entrypoint!r}: the file {path} {problem}")
    module_name = f"cadenza_entrypoint_{next(_loads)}_{_identifier(path.stem)}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise EntrypointError(f"Entrypoint {entrypoint!r}: {path} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # pickling, dataclasses and typing look modules up here
    try:
        with _on_path(path.resolve().parent):
            spec.loader.exec_module(module)
    except BaseException as exc:
        sys.modules.pop(module_name, None)
        if not isinstance(exc, Exception):
            raise
        raise EntrypointError(
            f"Entrypoint {entrypoint!r}: importing {path} raised {type(exc).__name__}: {exc}"
        ) from exc
    return module


def _import_module(entrypoint: str, module_name: str, base: Path) -> ModuleType:
    try:
        with _on_path(base.resolve()):
            return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module_name == exc.name or module_name.startswith(
            f"{exc.name}."
        )):  # fmt: skip
            raise EntrypointError(
                f"Entrypoint {entrypoint!r}: no module named {exc.name!r} (looked in {base} "
                "and on sys.path)"
            ) from None
        raise EntrypointError(
            f"Entrypoint {entrypoint!r}: importing {module_name} raised {type(exc).__name__}: {exc}"
        ) from exc
    except Exception as exc:
        raise EntrypointError(
            f"Entrypoint {entrypoint!r}: importing {module_name} raised {type(exc).__name__}: {exc}"
        ) from exc


class _on_path:
    """`directory` first on ``sys.path`` inside (unless it is there already)."""

    def __init__(self, directory: Path) -> None:
        self.entry = str(directory)
        self.added = False

    def __enter__(self) -> None:
        if self.entry not in sys.path:
            sys.path.insert(0, self.entry)
            self.added = True

    def __exit__(self, *exc: object) -> None:
        if self.added:
            try:
                sys.path.remove(self.entry)
            except ValueError:
                pass


def _missing(entrypoint: str, module: ModuleType, name: str) -> str:
    flows = sorted(key for key, value in vars(module).items() if _is_flow(value))
    has = f"it has the flows {', '.join(flows)}" if flows else "it has no flow"
    where = getattr(module, "__file__", None) or module.__name__
    return f"Entrypoint {entrypoint!r}: {where} has no attribute {name!r}; {has}"


def _is_flow(value: object) -> bool:
    """Whether `value` is a `cadenza.flows.Flow` (told by its class: this layer is below it)."""
    return any(
        c.__name__ == "Flow" and c.__module__ == "cadenza.flows" for c in type(value).__mro__
    )


def _identifier(text: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in text)


__all__ = ["load_entrypoint"]
