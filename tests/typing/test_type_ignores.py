"""Every ``# type: ignore`` names the error it silences and says why.

``# type: ignore[arg-type]  # the wrong type on purpose``: the code keeps the ignore from hiding
other errors on the line, and the reason tells the next reader whether it can go. Comments are
found with `tokenize`, so the text of strings (like the examples here) does not count; the
collection template's ``.py.jinja`` files are read line by line.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TREES = ("core", "plugins", "collections", "templates", "tests", "benchmarks", "examples")

_IGNORE = re.compile(r"#\s*type:\s*ignore\b(?P<codes>\[[^\]]*\])?(?P<rest>.*)")
_REASON = re.compile(r"^\s*#\s*\S")


def problem(comment: str) -> str | None:
    """What is wrong with a comment's ``type: ignore``, or None (also for other comments)."""
    match = _IGNORE.search(comment)
    if match is None:
        return None
    codes = (match["codes"] or "").strip("[]").strip()
    if not codes:
        return "no error code: write # type: ignore[code]  # reason"
    if not _REASON.match(match["rest"]):
        return "no reason: add '  # why' after the ignore"
    return None


def _comments(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        return [(t.start[0], t.string) for t in tokens if t.type == tokenize.COMMENT]
    lines = enumerate(text.splitlines(), 1)
    return [(n, line[line.index("#") :]) for n, line in lines if "#" in line]


def _sources() -> list[Path]:
    files = []
    for tree in TREES:
        for pattern in ("*.py", "*.py.jinja"):
            files.extend(
                p
                for p in (ROOT / tree).rglob(pattern)
                if not {".venv", ".prefect-venv", "build"} & set(p.parts)
            )
    return sorted(files)


def test_every_type_ignore_has_an_error_code_and_a_reason() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {why}"
        for path in _sources()
        for line, comment in _comments(path)
        if (why := problem(comment)) is not None
    ]
    assert not found, "type: ignore without an error code or a reason:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("# type: ignore", "no error code"),
        ("#type:ignore", "no error code"),
        ("# type: ignore[]  # why", "no error code"),
        ("# type: ignore[arg-type]", "no reason"),
        ("# type: ignore[arg-type]  #", "no reason"),
        ("# type: ignore[arg-type]  # the wrong type on purpose", None),
        ("# type: ignore[assignment, misc]  # see above", None),
        ("# an ordinary comment", None),
    ],
)
def test_the_check_tells_a_bare_ignore_from_an_explained_one(
    comment: str, expected: str | None
) -> None:
    found = problem(comment)
    assert (found is None) if expected is None else (found or "").startswith(expected)
