"""What a request to the server can end in, short of an answer (standard library only, so the
stores that may talk to a server import it without importing httpx)."""

from __future__ import annotations

from typing import Any

from cadenza.exceptions import CadenzaError


class ServerUnavailable(CadenzaError):
    """The server could not be reached or kept answering 429/5xx until the retry time ran out."""


class ApiError(CadenzaError):
    """The server refused a request (4xx other than 429); `status` and `detail` say why, and
    `errors` lists each problem the server located (``{"loc": [...], "msg": ...}``; for a
    batch, ``loc`` is ``["body", <list name>, <index>, ...]``), when it said."""

    def __init__(
        self, status: int, detail: str, errors: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(f"{detail} (HTTP {status})")
        self.status = status
        self.detail = detail
        self.errors = errors or []


class NotFound(ApiError, LookupError):
    """404: no such run (or route)."""


__all__ = ["ApiError", "NotFound", "ServerUnavailable"]
