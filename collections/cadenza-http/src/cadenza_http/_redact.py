"""Keeping credentials out of messages: `redact_url` and `scrub`.

A URL is shown with its user info (``user:password@``) and the values of credential-like
query parameters (``api_key``, ``token``, ``signature`` ...) replaced by ``***``; `scrub`
replaces known secret values anywhere in a text, as a last line of defence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value (4+ characters) replaced by ``***``, longest first."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
