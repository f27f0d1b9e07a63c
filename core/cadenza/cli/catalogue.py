"""What each installed collection contributes, described: name, summary, signature, import path.

Read from the plugin manager's load report (`cadenza.plugins.registry.load_report`, the one
``cadenza plugins ls`` shows): every distribution with a ``cadenza`` entry point, and for each
of its plugins the blocks, storage backends, task runners, tasks, serializers and worker types
it registered. ``cadenza tasks show`` describes one task with it; the documentation's collection
catalogue (``docs/collections/catalogue.md``, generated when the site is built) lists them all.
"""

from __future__ import annotations

import enum
import inspect
import re
import sys
import typing
from dataclasses import dataclass, field
from typing import Any

from cadenza.cli.docstrings import summary

#: The contribution kinds as the catalogue names them, in the order it lists them.
KIND_TITLES = {
    "tasks": "Tasks",
    "block_types": "Blocks",
    "storage_backends": "Storage backends",
    "task_runners": "Task runners",
    "worker_types": "Worker types",
    "serializers": "Serializers",
}
_QUALIFIER = re.compile(r"\b(?:[A-Za-z_]\w*\.)+(?=[A-Za-z_])")  # typing., pkg.module.


@dataclass(frozen=True)
class Entry:
    """One registered thing: its ``kind`` (a `KIND_TITLES` key), registered ``name``, the
    ``signature`` to call or construct it with, ``import_path`` (``module:attribute``), its whole
    docstring (``description``) and the first paragraph as plain text (``summary``)."""

    kind: str
    name: str
    signature: str
    import_path: str
    description: str | None
    summary: str
    plugin: str
    distribution: str | None
    version: str | None
    value: Any = field(default=None, repr=False, compare=False)  # the task or class itself


@dataclass
class CollectionEntries:
    """One installed distribution with ``cadenza`` entry points and what its plugins
    registered (nothing when ``status`` is not ``"loaded"``: ``error`` or ``note`` says why)."""

    distribution: str
    version: str | None
    plugins: list[str]
    status: str
    error: str | None = None
    entries: list[Entry] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind]


def installed_catalogue(report: list[Any] | None = None) -> list[CollectionEntries]:
    """Every installed collection (plugin distributions other than cadenza itself), sorted by
    name, each with what its plugins registered. `report` defaults to the process's load report."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.plugins import registry

    if report is None:
        report = registry.load_report()
    found: dict[str, CollectionEntries] = {}
    for info in report:
        if info.entry_point is None:  # a built-in plugin of the core
            continue
        dist = info.distribution or info.name
        item = found.setdefault(dist, CollectionEntries(dist, info.version, [], info.status))
        item.plugins.append(info.name)
        if info.status != "loaded":
            item.status, item.error = info.status, info.error or info.note
            continue
        for kind in KIND_TITLES:
            for name, value in (info.contributions or {}).get(kind, ()):
                item.entries.append(describe(kind, name, value, info))
    return [found[name] for name in sorted(found, key=str.lower)]


def describe(kind: str, name: str, value: Any, info: Any) -> Entry:
    """The `Entry` for `value`, registered as `name` of `kind` by plugin `info` (a
    `cadenza.plugins.manager.PluginInfo`)."""
    target = value[1] if kind == "serializers" else value  # a (name, factory) pair
    description = _docstring(kind, target)
    return Entry(
        kind=kind,
        name=name,
        signature=signature(target),
        import_path=import_path(target),
        description=description,
        summary=summary(description),
        plugin=info.name,
        distribution=info.distribution,
        version=info.version,
        value=target,
    )


def _docstring(kind: str, target: Any) -> str | None:
    if kind == "tasks":
        return typing.cast("str | None", getattr(target, "description", None))
    get_description = getattr(target, "get_description", None)  # a Block: its own, not Block's
    if callable(get_description):
        return typing.cast("str | None", get_description())
    doc = vars(target).get("__doc__") if isinstance(target, type) else target.__doc__
    return inspect.cleandoc(doc) if isinstance(doc, str) else None


def import_path(target: Any) -> str:
    """``module:attribute`` under which `target` (a task, class or function) can be imported."""
    fn = getattr(target, "fn", target)  # a task: where its function was defined
    module_name = getattr(fn, "__module__", None) or "?"
    module = sys.modules.get(module_name)
    for attr, value in vars(module).items() if module is not None else ():
        if value is target:
            return f"{module_name}:{attr}"
    return f"{module_name}:{getattr(fn, '__qualname__', getattr(target, 'name', '?'))}"


class _Shown:
    """An annotation or default as the signature prints it: the text as given."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def annotation_text(annotation: Any) -> str:
    """An annotation as its author would write it: ``str | None``, ``S3Bucket`` (a string
    annotation, from ``from __future__ import annotations``, as written; a type without its
    module, ``Annotated`` without its metadata)."""
    if isinstance(annotation, str):
        return annotation
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return _QUALIFIER.sub("", inspect.formatannotation(annotation))


def parameters(target: Any) -> list[inspect.Parameter]:
    """The parameters of calling `target`: a task's function, a pydantic model's fields (a
    block: their annotations without validation metadata), a class's constructor."""
    fields = getattr(target, "model_fields", None)
    if isinstance(target, type) and isinstance(fields, dict):
        return [_field_parameter(name, info) for name, info in fields.items()]
    try:
        sig = inspect.signature(getattr(target, "fn", target))
    except (TypeError, ValueError):  # a builtin or a C type without a signature
        return []
    return list(sig.parameters.values())


def _field_parameter(name: str, info: Any) -> inspect.Parameter:
    factory = getattr(info, "default_factory", None)
    if factory is not None:
        default: Any = _Shown(f"{factory.__name__}()" if isinstance(factory, type) else "...")
    elif info.is_required():
        default = inspect.Parameter.empty
    else:
        default = info.default
    kind = inspect.Parameter.KEYWORD_ONLY
    return inspect.Parameter(name, kind, default=default, annotation=info.annotation)


def _default(value: Any) -> Any:
    if isinstance(value, enum.Enum):  # SMTPType.SSL, not <SMTPType.SSL: 'SSL'>
        return _Shown(f"{type(value).__name__}.{value.name}")
    return value


def signature(target: Any, width: int | None = None) -> str:
    """``name(param: type = default, ...) -> type`` for a task or function; ``Name(...)`` for a
    class (no return type), the annotations as `annotation_text` shows them. On one line, or,
    when it is longer than `width`, one parameter a line (as black formats a definition)."""
    empty = inspect.Parameter.empty
    params = parameters(target)
    parts: list[str] = []
    for i, p in enumerate(params):
        if p.kind is p.KEYWORD_ONLY and (i == 0 or params[i - 1].kind not in (
            p.KEYWORD_ONLY, p.VAR_POSITIONAL,
        )):  # fmt: skip
            parts.append("*")
        annotation = empty if p.annotation is empty else _Shown(annotation_text(p.annotation))
        parts.append(str(p.replace(annotation=annotation, default=_default(p.default))))
        last_positional_only = i + 1 == len(params) or params[i + 1].kind is not p.kind
        if p.kind is p.POSITIONAL_ONLY and last_positional_only:
            parts.append("/")
    fn = getattr(target, "fn", target)
    returns = ""
    if not isinstance(target, type):
        try:
            annotation = inspect.signature(fn).return_annotation
        except (TypeError, ValueError):
            annotation = empty
        returns = "" if annotation is empty else f" -> {annotation_text(annotation)}"
    name = getattr(fn, "__name__", None) or type(target).__name__
    line = f"{name}({', '.join(parts)}){returns}"
    if width is None or len(line) <= width or not parts:
        return line
    return f"{name}(\n" + "".join(f"    {part},\n" for part in parts) + f"){returns}"


__all__ = [
    "KIND_TITLES",
    "CollectionEntries",
    "Entry",
    "annotation_text",
    "describe",
    "import_path",
    "installed_catalogue",
    "parameters",
    "signature",
]
