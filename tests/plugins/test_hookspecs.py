"""The hook specs are documented contracts: each is in docs/plugins.md with its exact signature,
each has a test, and observers accept fewer arguments than their spec."""

from __future__ import annotations

import inspect
from pathlib import Path

from cadenza.plugins import hookspecs

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "plugins.md"


def hook_specs() -> dict[str, object]:
    return {
        name: fn
        for name, fn in vars(hookspecs).items()
        if callable(fn) and hasattr(fn, "cadenza_spec")
    }


def signature_text(fn: object) -> str:
    """``name(arg: annotation, ...) -> annotation``, annotations as written in hookspecs.py."""
    sig = inspect.signature(fn)
    params = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
    return f"{fn.__name__}({params}) -> {sig.return_annotation}"


def test_the_specs_are_the_documented_set() -> None:
    assert set(hook_specs()) == {
        "register_block_types",
        "register_storage_backends",
        "register_task_runners",
        "register_tasks",
        "register_serializers",
        "on_flow_run_state",
        "on_task_run_state",
        "on_log",
    }
    assert set(hookspecs.OBSERVER_HOOKS) < set(hook_specs())


def test_every_hook_spec_is_documented_with_its_exact_signature() -> None:
    doc = DOC.read_text()
    missing = [
        signature_text(fn)
        for fn in hook_specs().values()
        if f"### `{signature_text(fn)}`" not in doc
    ]
    assert not missing, f"{DOC} lacks headings for: {missing}"


def test_every_hook_spec_has_a_docstring_and_annotations() -> None:
    for name, fn in hook_specs().items():
        assert inspect.getdoc(fn), name
        sig = inspect.signature(fn)
        assert sig.return_annotation is not inspect.Signature.empty, name
        for param in sig.parameters.values():
            assert param.annotation is not inspect.Parameter.empty, f"{name}({param.name})"


def test_every_hook_spec_has_a_test() -> None:
    this = Path(__file__).name
    texts = [p.read_text() for p in Path(__file__).parent.glob("test_*.py") if p.name != this]
    untested = [name for name in hook_specs() if not any(name in text for text in texts)]
    assert not untested, f"no test in tests/plugins/ mentions: {untested}"
