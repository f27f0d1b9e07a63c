"""HTTP for cadenza: an `HttpCredentials` block and tasks that call HTTP APIs, with retries
(429 and 5xx, honouring ``Retry-After``) and pagination.

    from cadenza import flow
    from cadenza_http import HttpCredentials, http_get_json, http_paginate

    @flow
    def sync_users() -> int:
        api = HttpCredentials.load("example-api")
        return len(http_paginate("/users", credentials=api, items="data"))

Importing this package imports nothing heavy: cadenza imports `cadenza_http.plugin` (and so this
package) every time it loads its plugins, so the names below are imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cadenza_http._send import request
    from cadenza_http.credentials import HttpCredentials
    from cadenza_http.exceptions import (
        HttpConnectionError,
        HttpDecodeError,
        HttpError,
        HttpPaginationError,
        HttpStatusError,
    )
    from cadenza_http.pagination import paginate
    from cadenza_http.response import HttpResponse
    from cadenza_http.tasks import http_get_json, http_paginate, http_request

# public name -> the module that defines it
_LAZY = {
    "HttpConnectionError": "cadenza_http.exceptions",
    "HttpCredentials": "cadenza_http.credentials",
    "HttpDecodeError": "cadenza_http.exceptions",
    "HttpError": "cadenza_http.exceptions",
    "HttpPaginationError": "cadenza_http.exceptions",
    "HttpResponse": "cadenza_http.response",
    "HttpStatusError": "cadenza_http.exceptions",
    "http_get_json": "cadenza_http.tasks",
    "http_paginate": "cadenza_http.tasks",
    "http_request": "cadenza_http.tasks",
    "paginate": "cadenza_http.pagination",
    "request": "cadenza_http._send",
}

__all__ = [
    "HttpConnectionError",
    "HttpCredentials",
    "HttpDecodeError",
    "HttpError",
    "HttpPaginationError",
    "HttpResponse",
    "HttpStatusError",
    "__version__",
    "http_get_json",
    "http_paginate",
    "http_request",
    "paginate",
    "request",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":  # the one version literal is pyproject.toml's
        # lazily: importlib.metadata costs milliseconds on every plugin load
        from importlib.metadata import version

        return version("cadenza-http")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # the next access is a plain attribute read
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY, "__version__"])
