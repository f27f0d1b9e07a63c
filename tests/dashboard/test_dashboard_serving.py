"""The server answers the dashboard at `/`: the app shell for every page path (deep links),
its assets with long caching and a real 404 for a missing one, a strict CSP, gzip, no external
URL anywhere, a first load within its size budget, the API untouched and still guarded, and the
API docs page served from the package's own Swagger UI files."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cadenza.dashboard import serve
from cadenza.server.app import create_app

STATIC = serve.STATIC
#: The SVG namespace is a name, never fetched; anything else with a scheme or `//host` is a
#: request to another host.
NAMESPACE = "http://www.w3.org/2000/svg"
EXTERNAL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}|https?://""")
BUDGET = 60 * 1024
IMPORTS = re.compile(r"""(?:from |import\()'(\./[^']+)'""")


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    with TestClient(create_app(f"sqlite:///{tmp_path}/x.db", api_key="")) as c:
        yield c


@pytest.fixture
def guarded(tmp_path: Path) -> TestClient:
    with TestClient(create_app(f"sqlite:///{tmp_path}/x.db", api_key="s3cret")) as c:
        yield c


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)


def test_the_root_serves_the_shell_with_strict_headers(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-store"
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert '<main id="main"' in r.text
    assert "<script>" not in r.text  # no inline script: the CSP would block it
    assert len(_assets(r.text)) == 3  # icon, stylesheet, the main module


@pytest.mark.parametrize(
    "path", ["/runs/0192-abc", "/runs/latest?tab=logs", "/deployments", "/blocks/", "/nope/x"]
)
def test_deep_links_serve_the_shell(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert '<main id="main"' in r.text
    assert r.headers["cache-control"] == "no-store"


def test_assets_are_long_cacheable_and_a_missing_one_is_a_404(client: TestClient) -> None:
    css, js = [a for a in _assets(client.get("/").text) if a.endswith((".css", ".js"))]
    for path, kind in ((css, "text/css"), (js, "text/javascript")):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith(kind)
        assert "immutable" in r.headers["cache-control"]
    version = js.split("/")[2]
    assert client.get(f"/assets/{version}/js/nope.js").status_code == 404
    assert client.get(f"/assets/{version}/index.html").status_code == 404
    assert client.get("/favicon.ico").status_code == 404
    assert client.get("/assets").status_code == 404 or "<main" in client.get("/assets").text
    # an old version's asset is still served (an open tab after an upgrade), but not cached long
    old = client.get(js.replace(version, "0123456789ab"))
    assert old.status_code == 200 and old.headers["cache-control"] == "no-cache"
    assert client.post("/").status_code == 405


def test_every_module_the_shell_imports_exists(client: TestClient) -> None:
    """Relative imports between the modules resolve to files that are served."""
    for path in sorted(STATIC.rglob("*.js")):
        for target in IMPORTS.findall(path.read_text()):
            assert (path.parent / target).resolve().is_file(), f"{path.name} imports {target}"


def test_responses_are_gzipped(client: TestClient) -> None:
    js = next(a for a in _assets(client.get("/").text) if a.endswith(".js"))
    r = client.get(js, headers={"accept-encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"


def test_large_api_reads_are_gzipped(client: TestClient) -> None:
    """A first load is mostly JSON (a page of runs): GET answers of the API are compressed too."""
    r = client.get("/api/openapi.json", headers={"accept-encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert r.json()["openapi"]  # decoded as any client does
    r = client.get("/api/openapi.json", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in r.headers


def test_the_api_is_unaffected(client: TestClient) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}
    assert client.get("/api/flow_runs").json() == []
    r = client.get("/api/no_such_route")
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"
    assert "/api/docs" not in client.get("/api/openapi.json").json()["paths"]


def test_no_external_url_in_the_static_folder() -> None:
    found = []
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            text = path.read_text().replace(NAMESPACE, "")
            found += [f"{path.name}: {m}" for m in EXTERNAL.findall(text)]
    assert found == []


def test_the_url_check_catches_an_external_url() -> None:
    for text in ('src="https://cdn.example.com/x.js"', "import('//unpkg.com/x')", "http://x"):
        assert EXTERNAL.search(text), text


def test_the_api_docs_page_loads_nothing_from_another_host(client: TestClient) -> None:
    r = client.get("/api/docs")
    assert r.status_code == 200
    assert EXTERNAL.findall(r.text) == []
    for url in re.findall(r"""['"](/apidocs/[^'"]+)['"]""", r.text):
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 100_000, url
    assert client.get("/apidocs/nope.js").status_code == 404


def _static_closure(*names: str) -> set[Path]:
    """The modules `names` (in static/js) and every module they import statically."""
    seen: set[Path] = set()
    todo = [STATIC / "js" / name for name in names]
    while todo:
        path = todo.pop().resolve()
        if path not in seen:
            seen.add(path)
            found = re.findall(r"""from '(\./[^']+)'""", path.read_text())
            todo.extend(path.parent / target for target in found)
    return seen


def test_the_first_load_fits_the_budget(client: TestClient) -> None:
    """The runs page's first load — shell, stylesheet, icon, the shell's modules and the runs
    page's (the other pages' modules load when they are opened) — gzipped: at most 60 KB."""
    assert "import('./runs.js')" in (STATIC / "js" / "main.js").read_text()
    modules = _static_closure("main.js", "runs.js")
    assert STATIC / "js" / "run.js" not in modules  # a page loaded on demand, not up front
    total = len(gzip.compress(client.get("/").content, 9))
    for path in [STATIC / "app.css", STATIC / "icon.svg", *sorted(modules)]:
        total += len(gzip.compress(path.read_bytes(), 9))
    everything = sum(len(gzip.compress(p.read_bytes(), 9)) for p in STATIC.rglob("*.js"))
    print(f"first load: {total} bytes gzipped (every module: {everything})")
    assert total <= BUDGET


def test_with_an_api_key_the_shell_loads_but_the_api_needs_the_key(guarded: TestClient) -> None:
    shell = guarded.get("/runs/abc")
    assert shell.status_code == 200  # the shell holds no data: it must load to ask for the key
    assert guarded.get("/api/health").status_code == 200
    assert guarded.get("/api/flow_runs").status_code == 401
    assert (
        guarded.get("/api/flow_runs", headers={"Authorization": "Bearer nope"}).status_code == 401
    )
    ok = guarded.get("/api/flow_runs", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and ok.json() == []
    assert guarded.get("/api/docs").status_code == 401


def test_the_root_path_of_a_proxy_prefixes_every_asset() -> None:
    html = serve.answer("GET", "/runs/x", root="/cadenza").body.decode()
    assert all(
        a.startswith("/cadenza/assets/") for a in re.findall(r'(?:src|href)="(/[^"]+)"', html)[:3]
    )
    assert 'content="/cadenza"' in html
