"""The typed options of ``@task(...)``/``@flow(...)`` and ``with_options(...)`` are the options
`Task` and `Flow` take: `TaskOptions` and `FlowOptions` (`cadenza._option_types`, read only by
type checkers) name exactly the parameters of ``__init__`` after the function, which are the
names ``with_options`` copies (``_OPTIONS``). mypy checks their types against ``__init__`` (the
decorators pass the options straight to it); this test checks that none is missing.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from cadenza import Flow, Task

SOURCE = Path(inspect.getfile(Task)).with_name("_option_types.py")


def _typed_dict_keys(name: str) -> list[str]:
    tree = ast.parse(SOURCE.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == name:
            return [
                item.target.id
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            ]
    raise AssertionError(f"{SOURCE} defines no {name}")


@pytest.mark.parametrize(("cls", "typed_dict"), [(Task, "TaskOptions"), (Flow, "FlowOptions")])
def test_the_typed_options_are_the_options_the_class_takes(cls: type, typed_dict: str) -> None:
    keys = _typed_dict_keys(typed_dict)
    parameters = list(inspect.signature(cls.__init__).parameters)[2:]  # after self, fn
    assert sorted(keys) == sorted(parameters), f"{typed_dict} and {cls.__name__}.__init__ differ"
    assert sorted(keys) == sorted(cls._OPTIONS), f"{typed_dict} and {cls.__name__}._OPTIONS differ"
