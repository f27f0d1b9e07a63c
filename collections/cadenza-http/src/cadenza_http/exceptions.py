"""The errors cadenza-http raises. Each names the method and the URL (credentials redacted).

They subclass the built-in exception a caller would naturally catch — `ConnectionError` when
the server could not be reached, `ValueError` for a body that is not the JSON asked for — so
code that handles those needs nothing HTTP-specific. Messages never contain a secret: URLs have
their user info and credential-like query values replaced by ``***``, and every secret value of
the credentials in use is scrubbed from the message (a server that echoes a token back in an
error body does not leak it either).
"""

from __future__ import annotations


class HttpError(Exception):
    """Base class of cadenza-http's errors: ``method`` and ``url`` (redacted) of the request."""

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class HttpStatusError(HttpError, RuntimeError):
    """The server answered with a 4xx status, or a 5xx (or 429) one after every retry.

    ``status_code``; ``attempts`` (how many requests were sent); ``body`` (the start of the
    response body, secrets scrubbed) for the message and for callers that want the server's
    explanation.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        status_code: int,
        attempts: int,
        body: str = "",
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.status_code = status_code
        self.attempts = attempts
        self.body = body


class HttpConnectionError(HttpError, ConnectionError):
    """No answer: connection refused, DNS failure, TLS failure or a timeout (after retries)."""

    def __init__(self, message: str, *, method: str, url: str, attempts: int) -> None:
        super().__init__(message, method=method, url=url)
        self.attempts = attempts


class HttpDecodeError(HttpError, ValueError):
    """The response body is not valid JSON (or not of the shape asked for)."""


class HttpPaginationError(HttpError, RuntimeError):
    """Pagination did not end: more pages than ``max_pages``, or a next page seen before."""


__all__ = [
    "HttpConnectionError",
    "HttpDecodeError",
    "HttpError",
    "HttpPaginationError",
    "HttpStatusError",
]
