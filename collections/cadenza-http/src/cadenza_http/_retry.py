"""When to send a request again, and how long to wait first.

`retry_after` reads a ``Retry-After`` header (delay-seconds or an HTTP-date, RFC 9110 §10.2.3);
`backoff` is exponential with full jitter (a random delay between 0 and ``factor * 2**n``), so
that many clients refused at once do not come back at once. Both are capped by ``max_backoff``.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

RETRY_STATUSES = frozenset({429})
"""Statuses retried besides every 5xx."""

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


def is_retryable_status(status_code: int) -> bool:
    """429 Too Many Requests and every 5xx but 501 Not Implemented: worth sending again; other
    4xx are not (nor is 501: the server does not support the method, and will not)."""
    return status_code in RETRY_STATUSES or (500 <= status_code <= 599 and status_code != 501)


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header value, or None if absent or
    unreadable. A date in the past gives 0."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP-dates are GMT
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def backoff(attempt: int, factor: float, max_backoff: float) -> float:
    """The delay before retry number `attempt` (1 for the first retry): a random value in
    ``[0, min(max_backoff, factor * 2 ** (attempt - 1))]``."""
    ceiling = min(max_backoff, factor * 2 ** (attempt - 1))
    return random.uniform(0, ceiling) if ceiling > 0 else 0.0


def delay_before_retry(
    attempt: int, retry_after_header: str | None, factor: float, max_backoff: float
) -> float:
    """What to sleep before retry `attempt`: the server's ``Retry-After`` when it sent one
    (capped by `max_backoff`), else `backoff`."""
    asked = retry_after(retry_after_header)
    if asked is not None:
        return min(asked, max_backoff)
    return backoff(attempt, factor, max_backoff)
