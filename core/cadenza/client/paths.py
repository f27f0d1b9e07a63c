"""One segment of an API path, percent-encoded: every route method builds paths with it."""

from __future__ import annotations

from urllib.parse import quote


def segment(part: str) -> str:
    """`part` as one path segment: ``/`` and every reserved character escaped; a lone
    surrogate (an undecodable file name, say) is sent as its ``\\udcff`` escape, so that the
    server answers it is unknown instead of the request failing to encode."""
    return quote(part, safe="", errors="backslashreplace")


__all__ = ["segment"]
