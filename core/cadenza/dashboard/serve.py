"""Serving the dashboard at ``/`` and the API docs page's assets, from files in this package.

`install(app)` is called by `cadenza.server.app.create_app` after the ``/api`` routes and the
`Guard` middleware: it adds `Dashboard`, an ASGI middleware outside the guard, which hands every
``/api`` request (and the few other paths the app names, ``/metrics``) to the API untouched and
answers every other path itself:

- ``/assets/<version>/<file>``: a file of ``static/`` (``<version>`` is a hash of all of them,
  so the answer may be cached for a year); a file that does not exist is a 404;
- ``/apidocs/<file>``: the vendored Swagger UI files of ``apidocs/`` (see its MANIFEST.json);
- any other path without a file extension: the app shell (``index.html``, never cached), so a
  deep link such as ``/runs/<id>?tab=logs`` opens that page; a path with an extension is a 404.

These files hold no data (every datum comes from ``/api``, which the guard protects), so they
are served without the API key: the shell must load to ask for it. Every answer carries a strict
Content-Security-Policy (only this origin; no inline script) and is gzipped when asked for.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response

STATIC = Path(__file__).with_name("static")
APIDOCS = Path(__file__).with_name("apidocs")
APIDOCS_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")
SWAGGER_VERSION = "5.36.0"  # apidocs/MANIFEST.json

CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}
LONG = "public, max-age=31536000, immutable"
SECURITY = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def install(app: FastAPI, api_paths: tuple[str, ...] = ()) -> None:
    """Serve the dashboard and the local API docs page on `app` (call after adding its guard);
    `api_paths`: exact paths outside ``/api`` that the app answers itself (``/metrics``)."""
    _docs_route(app)
    app.add_middleware(Dashboard, api_paths=api_paths)


def _docs_route(app: FastAPI) -> None:
    @app.get("/api/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        assets = f"{root}/apidocs"
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js?v={SWAGGER_VERSION}",
            swagger_css_url=f"{assets}/swagger-ui.css?v={SWAGGER_VERSION}",
            swagger_favicon_url=f"{root}/assets/{version()}/icon.svg",
            swagger_ui_parameters={"validatorUrl": None},
        )


def _load(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix in TYPES
    }


_FILES = _load(STATIC)


def version() -> str:
    """The hash of every static file: it changes whenever one of them does."""
    digest = hashlib.sha256()
    for name, data in _FILES.items():
        digest.update(name.encode() + b"\0" + data)
    return digest.hexdigest()[:12]


_VERSION = version()


class Dashboard:
    """ASGI middleware: ``/api`` goes to the API, everything else to the dashboard's files.

    The API's GET answers are gzipped when the client accepts it (a page of runs is tens of KB of
    JSON, most of a first load); the live stream is not (it must flush each event), nor are the
    answers to writes, the ingest's hot path."""

    def __init__(self, app: Any, api_paths: tuple[str, ...] = ()) -> None:
        self.api = app
        self.api_paths = frozenset(api_paths)
        self.api_gzipped = GZipMiddleware(app, minimum_size=1024)
        self.site = GZipMiddleware(self._site, minimum_size=512)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = _local_path(scope) if scope["type"] == "http" else "/api"
        if path == "/api" or path.startswith("/api/") or path in self.api_paths:
            compress = scope["type"] == "http" and scope["method"] == "GET"
            if compress and path != "/api/stream":
                await self.api_gzipped(scope, receive, send)
            else:
                await self.api(scope, receive, send)
            return
        await self.site(scope, receive, send)

    async def _site(self, scope: dict, receive: Any, send: Any) -> None:
        response = answer(scope["method"], _local_path(scope), scope.get("root_path", ""))
        await response(scope, receive, send)


def _local_path(scope: dict) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def answer(method: str, path: str, root: str = "") -> Response:
    """The dashboard's response to ``method path`` (path without the app's root path)."""
    if method not in ("GET", "HEAD"):
        return _plain(405, "Method not allowed", {"allow": "GET, HEAD"})
    if path.startswith("/assets/"):
        _, _, given, name = path.split("/", 3) if path.count("/") >= 3 else ("", "", "", "")
        data = _FILES.get(name)
        if data is None or name == "index.html":
            return _plain(404, f"Not found: {path}")
        cache = LONG if given == _VERSION else "no-cache"
        return _file(data, name, cache)
    if path.startswith("/apidocs/"):
        name = path.removeprefix("/apidocs/")
        if name not in APIDOCS_FILES:
            return _plain(404, f"Not found: {path}")
        return _file((APIDOCS / name).read_bytes(), name, LONG)
    if "." in path.rsplit("/", 1)[-1]:
        return _plain(404, f"Not found: {path}")
    return _shell(root)


def _shell(root: str) -> Response:
    html = _FILES["index.html"].decode()
    html = html.replace("%ASSETS%", f"{root}/assets/{_VERSION}").replace("%ROOT%", root)
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={**SECURITY, "cache-control": "no-store"},
    )


def _file(data: bytes, name: str, cache: str) -> Response:
    kind = TYPES[Path(name).suffix]
    return Response(data, media_type=kind, headers={**SECURITY, "cache-control": cache})


def _plain(status: int, text: str, extra: dict[str, str] | None = None) -> Response:
    headers = {**SECURITY, "cache-control": "no-store", **(extra or {})}
    return Response(text, status_code=status, media_type="text/plain", headers=headers)


__all__ = ["CSP", "Dashboard", "answer", "install", "version"]
