"""A docstring's summary as one line of plain text, for listings (``cadenza tasks ls``).

Docstrings are written in reStructuredText (Sphinx) or Markdown; a terminal shows neither, so
the markup is taken out: ``literal`` and `code` keep their text, :role:`target` keeps the
target's title (``~pkg.mod.name`` its last part), **bold** and *emphasis* their words, links
their text. Only the first paragraph is kept, and never a field list (``:param x:``) or a
section (``Args:``, ``Returns:``, ``Parameters`` + underline).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable

_FIELD = re.compile(r"^\s*:[\w ]+?:")  # :param x:, :returns:
_SECTION = re.compile(
    r"^\s*(Args|Arguments|Parameters|Params|Returns?|Yields?|Raises|Examples?|Notes?|"
    r"Attributes|See Also|Warnings?|Todo)\s*:?\s*$"
)
_UNDERLINE = re.compile(r"^\s*([-=~^\"'`#*+])\1{2,}\s*$")
_DIRECTIVE = re.compile(r"^\s*\.\. ")
_SUBSTITUTIONS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r":[\w:+-]+:`~?([^`<]*?)\s*<[^>]*>`"), r"\1"),  # :role:`title <target>`
    (re.compile(r":[\w:+-]+:`~([^`]*?)`"), lambda m: m[1].rsplit(".", 1)[-1]),  # :func:`~a.b`
    (re.compile(r":[\w:+-]+:`([^`]*)`"), r"\1"),  # :class:`Name`
    (re.compile(r"``(.+?)``"), r"\1"),  # ``literal``
    (re.compile(r"`([^`<]+?)\s*<[^>]+>`__?"), r"\1"),  # `text <url>`_
    (re.compile(r"`([^`]+)`_{0,2}"), r"\1"),  # `code` or `ref`_
    (re.compile(r"!?\[([^\]]+)\]\([^)]*\)"), r"\1"),  # [text](url), ![alt](src)
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),  # **bold**
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),  # *emphasis*
    (re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])"), r"\1"),  # _emphasis_
    (re.compile(r"\|([\w -]+)\|"), r"\1"),  # |substitution|
    (re.compile(r"::$"), ":"),  # "Example::" introducing a literal block
    (re.compile(r"\\(.)"), r"\1"),  # backslash escapes
)


def plain(text: str) -> str:
    """`text` (one paragraph) without its reStructuredText/Markdown markup, on one line."""
    out = " ".join(text.split())
    out = re.sub(r"^#+\s+", "", out)  # a Markdown heading
    for pattern, replacement in _SUBSTITUTIONS:
        out = pattern.sub(replacement, out)
    return out.strip()


def summary(doc: str | None) -> str:
    """The first paragraph of docstring `doc` as one line of plain text ('' when none)."""
    if not doc:
        return ""
    lines: list[str] = []
    for line in inspect.cleandoc(doc).splitlines():
        stop = _FIELD.match(line) or _SECTION.match(line) or _DIRECTIVE.match(line)
        if not line.strip() or stop or _UNDERLINE.match(line):
            if lines:
                break
            if stop:
                return ""
            continue
        lines.append(line)
    return plain(" ".join(lines))


__all__ = ["plain", "summary"]
