"""The hook specs are documented contracts: each docstring documents every argument and the
return value (the reference renders them), each is in docs/plugins.md with its arguments, and
each is annotated. That every spec is implemented, called and documented in the reference is
tests/plugins/test_every_hook.py."""

from __future__ import annotations

import inspect
import re
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


def docstring_sections(fn: object) -> dict[str, str]:
    """The Google-style sections (``Args:``, ``Returns:`` ...) of `fn`'s docstring, by title."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in (inspect.getdoc(fn) or "").splitlines():
        title = re.fullmatch(r"(\w+):", line)
        if title:
            current = sections.setdefault(title.group(1), [])
        elif current is not None:
            current.append(line)
    return {title: "\n".join(lines) for title, lines in sections.items()}


def test_observer_hooks_are_hook_specs() -> None:
    assert set(hookspecs.OBSERVER_HOOKS) < set(hook_specs())


def test_every_hook_spec_documents_each_argument_and_its_return_value() -> None:
    for name, fn in hook_specs().items():
        sections = docstring_sections(fn)
        parameters = list(inspect.signature(fn).parameters)
        documented = re.findall(r"^ {4}(\w+):", sections.get("Args", ""), re.M)
        assert documented == parameters, f"{name}: Args documents {documented}, not {parameters}"
        assert sections.get("Returns", "").strip(), f"{name} does not say what it returns"


def test_every_hook_spec_is_a_heading_of_the_plugin_guide_with_its_arguments() -> None:
    doc = DOC.read_text()
    headings = dict(re.findall(r"^### `(\w+)\((.*)\) -> .+`$", doc, re.M))
    for name, fn in hook_specs().items():
        assert name in headings, f"{DOC} lacks a heading for {name}"
        # "flow_run: FlowRun, old_state: State | None" -> ["flow_run", "old_state"]
        arguments = re.findall(r"(?:^|,\s*)(\w+):", headings[name])
        assert arguments == list(inspect.signature(fn).parameters), name


def test_every_hook_spec_has_a_docstring_and_annotations() -> None:
    for name, fn in hook_specs().items():
        assert inspect.getdoc(fn), name
        sig = inspect.signature(fn)
        assert sig.return_annotation is not inspect.Signature.empty, name
        for param in sig.parameters.values():
            assert param.annotation is not inspect.Parameter.empty, f"{name}({param.name})"
