"""Every time in an answer of the API as an ISO 8601 UTC string.

The record stores times as epoch seconds, and the store code shared with the embedded record
hands them on as numbers. The API shows them as the command line's ``--json`` does
(``2024-05-01T12:00:03.417202+00:00``, `cadenza._times.iso`): `ApiJSONResponse`, the app's one
JSON response class, rewrites each number held under a time's key (`cadenza._times.TIME_KEYS`)
on its way out with `cadenza._times.iso_times`, so no route formats a time itself (the live
stream's events go through the same function). What a user or a run stored — parameters, an
artifact's data, a variable's value, an event's payload (`cadenza._times.OPAQUE_KEYS`) — is sent
as it was stored.

Prefect 3.9.1's API answers ISO 8601 strings too (its ``DateTime`` fields, e.g.
``"created": "2024-05-01T12:00:03.417202Z"``), so clients written for it read these unchanged.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi.responses import JSONResponse
from pydantic import PlainSerializer, WithJsonSchema

from cadenza._times import iso, iso_times

IsoTime = Annotated[
    float,
    PlainSerializer(iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time",
                    "description": "ISO 8601, UTC (e.g. 2024-05-01T12:00:03.417202+00:00)"}),
]  # fmt: skip
"""A time in a response model: held as epoch seconds, answered (and described by the OpenAPI
document) as an ISO 8601 UTC string."""


class ApiJSONResponse(JSONResponse):
    """The API's JSON answers, with their times as ISO 8601 UTC strings (see the module)."""

    def render(self, content: Any) -> bytes:
        return super().render(iso_times(content))


__all__ = ["ApiJSONResponse", "IsoTime"]
