"""Keeping credentials out of messages: `redact_url` and `scrub`.

A URL is shown with its user info (``user:password@``) and the values of credential-like
query parameters (``api_key``, ``token``, ``signature`` ...) replaced by ``***``; `scrub`
replaces known secret values anywhere in a text (the credentials' secrets, those a URL or the
caller's headers carry), as a last line of defence.
`redact_httpx_logs` makes httpx's own log line (``HTTP Request: GET <url> ...``) show URLs
redacted the same way.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

MASK = "***"

# query parameter names that carry credentials (compared lower-case, '-' read as '_')
_SENSITIVE = re.compile(
    r"(^|_)(key|apikey|token|secret|password|passwd|pwd|signature|sig|auth|authorization|"
    r"credential|credentials|session|code)($|_)|^access_token$|^x_amz_"
)


def is_sensitive_parameter(name: str) -> bool:
    """True if a query parameter of this name likely carries a credential."""
    return bool(_SENSITIVE.search(name.lower().replace("-", "_")))


def redact_url(url: str) -> str:
    """`url` with its user info and credential-like query values replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK  # cannot tell what is in it: show nothing
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_sensitive_parameter(name) for name, _ in pairs):
            redacted = [(n, MASK if is_sensitive_parameter(n) else v) for n, v in pairs]
            query = urlencode(redacted, safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_secrets(url: str) -> list[str]:
    """The credentials a URL carries: its user info's password (and the Basic header value
    made of it) and the values of credential-like query parameters."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = [v for n, v in parse_qsl(parts.query, keep_blank_values=True)
             if is_sensitive_parameter(n)]  # fmt: skip
    if parts.password:
        found += [parts.password, unquote(parts.password)]
        pair = f"{unquote(parts.username or '')}:{unquote(parts.password)}".encode()
        found.append(base64.b64encode(pair).decode("ascii"))
    return [v for v in found if v]


_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


def header_secrets(headers: Mapping[str, str] | None) -> list[str]:
    """The credentials among headers a caller passed: ``Authorization`` (the whole value and
    what follows its scheme), ``Cookie`` and credential-like names (``X-API-Key``)."""
    found: list[str] = []
    for name, value in (headers or {}).items():
        if name.lower() in _SECRET_HEADERS or is_sensitive_parameter(name):
            found += [value, value.split(" ", 1)[-1]]
    return [v for v in found if v]


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value (4+ characters) replaced by ``***``, longest first."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


class _RedactedUrls(logging.Filter):
    """Redacts the URL arguments (``httpx.URL``) of httpx's log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(_is_url(a) for a in record.args):
            record.args = tuple(redact_url(str(a)) if _is_url(a) else a for a in record.args)
        return True


def _is_url(value: object) -> bool:
    return type(value).__name__ == "URL" and type(value).__module__.startswith("httpx")


_installed = False
_install_lock = threading.Lock()


def redact_httpx_logs() -> None:
    """Filter the ``httpx`` logger's records through `redact_url` (once per process)."""
    global _installed
    with _install_lock:
        if not _installed:
            logging.getLogger("httpx").addFilter(_RedactedUrls())
            _installed = True
