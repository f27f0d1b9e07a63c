"""`HttpResponse`: the small, picklable record `http_request` returns.

It holds what a flow needs from an answer — status, headers, body — and nothing tied to a
connection, so it can be a task's persisted result. Its ``url`` is the request's URL with any
credentials redacted (the record may be stored); header names are lower-case.
"""

from __future__ import annotations

import json as _json
import re
from dataclasses import dataclass, field
from typing import Any

from cadenza_http.exceptions import HttpDecodeError

_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_PARAM = re.compile(r""";\s*([^=;,\s]+)\s*=\s*(?:"([^"]*)"|([^;,\s]*))""")


@dataclass(frozen=True)
class HttpResponse:
    """An HTTP answer: ``status_code``, ``headers`` (lower-case names), ``content`` (bytes),
    ``text`` and ``json()``; ``method`` and ``url`` (redacted) of the request that got it."""

    method: str
    url: str
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    encoding: str = "utf-8"
    reason_phrase: str = ""
    attempts: int = 1

    @property
    def status(self) -> int:
        """The status code (``status_code``)."""
        return self.status_code

    @property
    def ok(self) -> bool:
        """True for a status below 400."""
        return self.status_code < 400

    @property
    def text(self) -> str:
        """The body decoded with the response's charset (UTF-8 when it names none)."""
        return self.content.decode(self.encoding or "utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; `HttpDecodeError` (a `ValueError`) naming the request if
        it is not JSON."""
        try:
            return _json.loads(self.content.decode(self.encoding or "utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            excerpt = self.text[:120]
            raise HttpDecodeError(
                f"{self.method} {self.url} answered {self.status_code} with a body that is not "
                f"valid JSON ({exc}); content-type {self.headers.get('content-type', 'unset')!r}, "
                f"body starts {excerpt!r}",
                method=self.method,
                url=self.url,
            ) from None

    @property
    def links(self) -> dict[str, str]:
        """The ``Link`` header (RFC 8288) as ``{rel: url}``: ``links.get("next")``."""
        return parse_link_header(self.headers.get("link", ""))

    def __repr__(self) -> str:
        return f"<HttpResponse {self.method} {self.url} {self.status_code}>"


def parse_link_header(value: str) -> dict[str, str]:
    """``<https://a/?page=2>; rel="next", <...>; rel="last"`` as ``{"next": ..., "last": ...}``.
    A link with several relations (``rel="next last"``) is listed under each."""
    links: dict[str, str] = {}
    for match in _LINK.finditer(value or ""):
        target, params = match.group(1).strip(), match.group(2)
        for name, quoted, bare in _PARAM.findall(params):
            if name.lower() == "rel":
                for rel in (quoted or bare).lower().split():
                    links.setdefault(rel, target)
    return links
