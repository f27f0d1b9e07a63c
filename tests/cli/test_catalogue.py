"""`cadenza.cli.catalogue`: signatures as their authors wrote them, and each installed
collection with what its plugins registered (the data of ``tasks show`` and the docs'
catalogue page)."""

from __future__ import annotations

import enum
from typing import Annotated, Any, Optional

import pytest
from pydantic import Field, SecretStr

from cadenza import hookimpl, task
from cadenza.blocks import Block
from cadenza.cli.catalogue import annotation_text, installed_catalogue, signature


class Mode(enum.Enum):
    FAST = "fast"


def positional(a: int, /, b: str, *args: Any, c: Mode = Mode.FAST, **kw: Any) -> None:
    pass


def keyword_only(a: int, /, *, c: Optional[int] = None) -> list[int]:  # noqa: UP045
    return []


class Widget(Block):
    """A widget, with a token.

    More words."""

    size: Annotated[int, Field(ge=1)] = 1
    token: SecretStr
    tags: list[str] = Field(default_factory=list)
    limits: dict[str, int] = Field(default_factory=lambda: {"cpu": 1})
    mode: Mode = Mode.FAST


@task
def ping(host: str, timeout: float = 1.0) -> bool:
    """Ping ``host``."""
    return True


def test_signatures_keep_the_markers_and_show_defaults_as_written() -> None:
    assert signature(positional) == (
        "positional(a: int, /, b: str, *args: Any, c: Mode = Mode.FAST, **kw: Any) -> None"
    )
    assert (
        signature(keyword_only)
        == "keyword_only(a: int, /, *, c: Optional[int] = None) -> list[int]"
    )


def test_a_block_signature_is_its_fields_keyword_only_without_validation_metadata() -> None:
    assert signature(Widget) == (
        "Widget(*, size: int = 1, token: SecretStr, tags: list[str] = list(), "
        "limits: dict[str, int] = ..., mode: Mode = Mode.FAST)"
    )


def test_a_long_signature_is_one_parameter_a_line() -> None:
    assert (
        signature(ping, width=20) == "ping(\n    host: str,\n    timeout: float = 1.0,\n) -> bool"
    )
    assert signature(ping, width=200) == "ping(host: str, timeout: float = 1.0) -> bool"


def test_annotations_lose_their_module_and_string_ones_stay_as_written() -> None:
    assert annotation_text(Optional[SecretStr]) == "Optional[SecretStr]"  # noqa: UP045
    assert annotation_text("dict[str, 'Row']") == "dict[str, 'Row']"
    assert annotation_text(Annotated[int, "meta"]) == "int"


class Widgets:
    @hookimpl
    def register_block_types(self) -> list[Any]:
        return [Widget]

    @hookimpl
    def register_tasks(self) -> list[Any]:
        return [ping]


class Broken:
    @hookimpl
    def register_tasks(self) -> list[Any]:
        raise RuntimeError("no SDK")


def test_each_collection_lists_what_its_plugins_registered(cadenza_plugin_manager: Any) -> None:
    cadenza_plugin_manager.add_plugin(
        Widgets(), "widgets", distribution="cadenza-widgets", version="2.0",
        entry_point="widgets = cadenza_widgets.plugin",
    )  # fmt: skip
    with pytest.warns(Warning, match="no SDK"):
        cadenza_plugin_manager.add_plugin(
            Broken(), "broken", distribution="cadenza-broken", version="0.1",
            entry_point="broken = cadenza_broken.plugin",
        )  # fmt: skip
        found = {c.distribution: c for c in installed_catalogue()}
    assert list(found) == ["cadenza-broken", "cadenza-widgets"]  # no built-in plugin
    widgets = found["cadenza-widgets"]
    assert (widgets.version, widgets.plugins, widgets.status) == ("2.0", ["widgets"], "loaded")
    (block,) = widgets.of_kind("block_types")
    assert (block.name, block.import_path) == ("widget", f"{__name__}:Widget")
    assert block.summary == "A widget, with a token."
    (prebuilt,) = widgets.of_kind("tasks")
    assert prebuilt.summary == "Ping host." and prebuilt.import_path == f"{__name__}:ping"
    assert prebuilt.signature == "ping(host: str, timeout: float = 1.0) -> bool"
    broken = found["cadenza-broken"]
    assert broken.status == "failed" and "no SDK" in (broken.error or "")
    assert broken.entries == []
