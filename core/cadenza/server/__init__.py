"""The coordination server: an HTTP API (docs/reference/http-api.md) over the run record.

Nothing here is imported by ``import cadenza``: FastAPI, uvicorn and SQLAlchemy load only when a
server is created (`cadenza.server.app.create_app`) or started (``cadenza server start``).
"""

API_VERSION = 1
"""The HTTP API's major version (``GET /api/version``); clients refuse another one."""


__all__ = ["API_VERSION"]
