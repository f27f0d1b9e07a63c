"""The typed API, as a type checker sees it: mypy (with the project's configuration) finds no
error in ``check_public_api.py``, whose ``assert_type`` calls pin what an editor shows for
``my_task(1)``, ``.submit()``, ``.map()``, ``.fn``, flows and ``return_state=True``; and it
reports exactly the errors marked in ``check_misuse.py`` (``# error: [code]``), where they are
marked.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHECKED = HERE / "check_public_api.py"
MISUSE = HERE / "check_misuse.py"

_ERROR = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")
_MARK = re.compile(r"#\s*error:\s*\[(?P<code>[a-z-]+)\]")


def _errors_by_file() -> dict[str, list[tuple[int, str, str]]]:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--no-error-summary", str(CHECKED), str(MISUSE)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    if proc.returncode not in (0, 1):  # 2: mypy itself failed (configuration, crash)
        pytest.fail(f"mypy failed to run:\n{proc.stdout}\n{proc.stderr}")
    errors: dict[str, list[tuple[int, str, str]]] = {}
    for line in proc.stdout.splitlines():
        match = _ERROR.match(line)
        if match is not None:
            name = Path(match["path"]).name
            errors.setdefault(name, []).append((int(match["line"]), match["code"], line))
    return errors


@pytest.fixture(scope="module")
def mypy_errors() -> dict[str, list[tuple[int, str, str]]]:
    return _errors_by_file()


def test_what_an_editor_shows_for_tasks_and_flows(
    mypy_errors: dict[str, list[tuple[int, str, str]]],
) -> None:
    found = [text for _, _, text in mypy_errors.get(CHECKED.name, [])]
    assert not found, "the typed API changed:\n" + "\n".join(found)


def test_misuse_is_reported_where_it_is_marked(
    mypy_errors: dict[str, list[tuple[int, str, str]]],
) -> None:
    comments = tokenize.generate_tokens(io.StringIO(MISUSE.read_text()).readline)
    expected = {
        (token.start[0], mark["code"])
        for token in comments
        if token.type == tokenize.COMMENT and (mark := _MARK.match(token.string)) is not None
    }
    assert len(expected) >= 10, "check_misuse.py lost its marked lines"
    reported = {(number, code) for number, code, _ in mypy_errors.get(MISUSE.name, [])}
    missed = sorted(expected - reported)
    unexpected = [text for number, code, text in mypy_errors.get(MISUSE.name, [])
                  if (number, code) not in expected]  # fmt: skip
    assert not missed, f"mypy no longer reports these misuses (line, code): {missed}"
    assert not unexpected, "errors check_misuse.py does not mark:\n" + "\n".join(unexpected)
