"""``GET /services``: which server process runs each singleton service (docs/reference/http-api.md).

The answer has the leases as the database holds them (every process sees the same) and, under
``process``, what the process that answered knows of itself: its holder name, the services it
holds now, and how many rounds each of its service loops has run. Behind the API key like
every route.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from fastapi import APIRouter

from cadenza.server import leadership
from cadenza.store.sql import SqlDatabase


def router(db: SqlDatabase, running: dict[str, Any]) -> APIRouter:
    api = APIRouter()

    @api.get("/services")
    def list_services() -> dict[str, Any]:
        """The service leases (name, holder, expires, acquired, live) and this process's view."""
        with db.read() as conn:
            rows = leadership.leases(conn)
        lead = running.get("leadership")
        loops = running.get("services", [])
        return {
            "leases": rows,
            "process": {
                "pid": os.getpid(),
                "hostname": socket.gethostname(),
                "holder": lead.holder if lead is not None else None,
                "holds": lead.held() if lead is not None else [],
                "rounds": {loop.name: loop.rounds for loop in loops},
            },
        }

    return api


__all__ = ["router"]
