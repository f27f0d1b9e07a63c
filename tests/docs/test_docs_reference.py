"""The reference pages list exactly what the code has: every setting, every route. (Every hook:
tests/plugins/test_every_hook.py and tests/docs/test_docs_build.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.docs

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def test_settings_reference_lists_exactly_the_settings() -> None:
    from cadenza.settings.catalog import SETTINGS

    text = (DOCS / "reference" / "settings.md").read_text()
    match = re.search(r"<!-- settings -->\n(.*?)<!-- /settings -->", text, re.S)
    assert match, "docs/reference/settings.md lacks its <!-- settings --> table"
    documented = re.findall(r"^\| `(CADENZA_[A-Z0-9_]+)` \|", match.group(1), re.M)
    assert len(documented) == len(set(documented)), "a setting is documented twice"
    assert set(documented) == {s.name for s in SETTINGS}


def test_http_api_reference_lists_exactly_the_routes(tmp_path: Path) -> None:
    from cadenza.server.app import create_app

    document = create_app(f"sqlite:///{tmp_path / 'cadenza.db'}", api_key="").openapi()
    served = {
        f"{method.upper()} {re.sub(r'{[^}]+}', '{}', path)}"
        for path, operations in document["paths"].items()
        for method in operations
    }
    text = (DOCS / "reference" / "http-api.md").read_text()
    documented = re.findall(r"^\| `((?:GET|POST|PUT|PATCH|DELETE) /api/[^`]*)` \|", text, re.M)
    assert len(documented) == len(set(documented)), "a route is documented twice"
    assert {re.sub(r"{[^}]+}", "{}", route) for route in documented} == served
