"""The reference pages list exactly what the code has: every setting, every hook."""

from __future__ import annotations

import re
from pathlib import Path

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


def test_hooks_reference_renders_every_hook_spec() -> None:
    from cadenza.plugins import hookspecs

    specs = {n for n, fn in vars(hookspecs).items() if hasattr(fn, "cadenza_spec")}
    text = (DOCS / "reference" / "hooks.md").read_text()
    rendered = set(re.findall(r"^::: cadenza\.plugins\.hookspecs\.(\w+)$", text, re.M))
    assert specs <= rendered, f"docs/reference/hooks.md does not render {sorted(specs - rendered)}"


def test_http_api_reference_lists_exactly_the_routes(tmp_path: Path) -> None:
    from cadenza.server.app import create_app

    document = create_app(f"sqlite:///{tmp_path / 'cadenza.db'}", api_key="").openapi()
    served = {
        f"{method.upper()} {re.sub(r'{[^}]+}', '{}', path)}"
        for path, operations in document["paths"].items()
        for method in operations
    }
    text = (DOCS / "reference" / "http-api.md").read_text()
    documented = re.findall(r"^\| `((?:GET|POST|PUT|DELETE) /api/[^`]*)` \|", text, re.M)
    assert len(documented) == len(set(documented)), "a route is documented twice"
    assert {re.sub(r"{[^}]+}", "{}", route) for route in documented} == served
