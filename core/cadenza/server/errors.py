"""The one shape of every error the app answers, and the OpenAPI description that says so.

Every 4xx (and 503) body is `ErrorOut`: ``{"detail": "<one readable line>", "errors": [{"loc":
[...], "msg": "..."}]}``. ``errors`` lists each problem with where it is — ``["body", "logs", 5,
"level"]`` names the sixth log record of a batch — so a client can tell which record to set
aside and resend the rest; it is empty when the problem is not about one field (401, 404, 409).
Neither part ever repeats a submitted value: values may hold secrets.

`Refused` is how route and store code refuses a request with this shape (HTTP 422).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

MAX_ERRORS = 1000
"""Problems listed in one answer; the detail line says how many there were in all."""
_SHOWN = 5  # problems spelled out in the detail line

Loc = tuple[str | int, ...]


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str


class ErrorOut(BaseModel):
    """Every error answer of the API (see the module docstring)."""

    detail: str
    errors: list[ErrorItem]


class Refused(Exception):
    """A request refused with 422: each problem is (where, what), as in `ErrorOut.errors`."""

    def __init__(self, problems: Sequence[tuple[Loc, str]]) -> None:
        super().__init__(summary(problems))
        self.problems = list(problems)


def where(loc: Sequence[str | int]) -> str:
    """``body.logs.5.level`` for ``["body", "logs", 5, "level"]``."""
    return ".".join(str(part) for part in loc) or "request"


def summary(problems: Sequence[tuple[Sequence[str | int], str]]) -> str:
    """One line naming the first few problems and how many there are."""
    shown = "; ".join(f"{where(loc)}: {msg}" for loc, msg in problems[:_SHOWN])
    more = len(problems) - _SHOWN
    return "Invalid request: " + shown + (f" (and {more} more problems)" if more > 0 else "")


def error_response(
    status: int,
    detail: str,
    problems: Sequence[tuple[Sequence[str | int], str]] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    errors = [{"loc": list(loc), "msg": msg} for loc, msg in problems[:MAX_ERRORS]]
    return JSONResponse({"detail": detail, "errors": errors}, status_code=status, headers=headers)


def _pydantic_problems(errors: Sequence[dict[str, Any]]) -> list[tuple[Loc, str]]:
    """(loc, msg) of pydantic errors; their ``input`` (the value sent) is left out, and so is a
    key the client chose that is not a field name (see `_shown_loc`)."""
    return [(_shown_loc(e), str(e.get("msg", "invalid"))) for e in errors]


_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_MAX_LOC_PART = 64


def _shown_loc(error: dict[str, Any]) -> Loc:
    """The error's place. An unknown key (``extra_forbidden``) is the client's text, as much as
    a value is: it is named only when it reads as a field name (a typo such as ``flow_nmae``),
    else shown as ``<unknown key>``; any other part is cut at 64 characters."""
    loc = [p if isinstance(p, int) or len(p) <= _MAX_LOC_PART else p[:_MAX_LOC_PART] + "…"
           for p in error.get("loc", ())]  # fmt: skip
    last = loc[-1] if loc else None
    unknown = error.get("type") == "extra_forbidden" and isinstance(last, str)
    if unknown and not _FIELD_NAME.fullmatch(str(last)):
        loc[-1] = "<unknown key>"
    return tuple(loc)


def _refused(problems: list[tuple[Loc, str]]) -> JSONResponse:
    return error_response(422, summary(problems), problems)


def install(app: FastAPI) -> None:
    """Answer validation errors, refusals, ValueError (422), LookupError (404) and Starlette's
    own errors (unknown path, wrong method) in the one shape, and describe it in OpenAPI."""

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _refused(_pydantic_problems(exc.errors()))

    @app.exception_handler(ValidationError)
    async def invalid_inside(_request: Request, exc: ValidationError) -> JSONResponse:
        problems = _pydantic_problems(exc.errors(include_input=False))
        return _refused([(("body", *loc), msg) for loc, msg in problems])

    @app.exception_handler(Refused)
    async def refused(_request: Request, exc: Refused) -> JSONResponse:
        return _refused(exc.problems)

    @app.exception_handler(ValueError)
    async def bad_value(_request: Request, exc: ValueError) -> JSONResponse:
        return error_response(422, str(exc), [(("request",), str(exc))])

    @app.exception_handler(LookupError)
    async def not_found(_request: Request, exc: LookupError) -> JSONResponse:
        return error_response(404, str(exc.args[0] if exc.args else exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), headers=exc.headers)

    _describe(app)


# -- OpenAPI ---------------------------------------------------------------------------------------
_REF = "#/components/schemas/"
_ANSWERS = {
    "400": "The body could not be read as text (it is not UTF-8)",
    "401": "Missing or wrong API key (when the server has one)",
    "404": "No such record",
    "409": "The resource exists and the request did not ask to replace it",
    "413": "Request body over the server's limit (8 MiB)",
    "422": "Malformed or refused request: `errors` names each problem and where it is",
    "503": "The database is busy; retry after `Retry-After` seconds",
}
_OPEN = {("/api/health", "get")}  # answers no error of its own
_NO_DATABASE = {("/api/version", "get")}


def _describe(app: FastAPI) -> None:
    """Make the OpenAPI document say what the app answers: `ErrorOut` for every error status a
    route can give, in place of FastAPI's ``HTTPValidationError``."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _declare_errors(build())
        return app.openapi_schema  # type: ignore[return-value]  # build() has just set it

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's way to extend the schema


def _declare_errors(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    shape = ErrorOut.model_json_schema(ref_template=_REF + "{model}")
    schemas.update(shape.pop("$defs", {}))
    schemas["ErrorOut"] = shape
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if (path, method) in _OPEN:
                continue
            responses = operation.setdefault("responses", {})
            statuses = {"401"} | {s for s in responses if s in _ANSWERS}
            if method in ("post", "put", "patch"):
                statuses |= {"400", "413", "422"}
            if (path, method) not in _NO_DATABASE:
                statuses.add("503")
            for status in statuses:
                responses[status] = {
                    "description": _ANSWERS[status],
                    "content": {"application/json": {"schema": {"$ref": _REF + "ErrorOut"}}},
                }


NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut}}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorOut}}
"""``responses=`` of routes that can answer 404 / 409 (the rest are declared for every route)."""

__all__ = [
    "CONFLICT",
    "MAX_ERRORS",
    "NOT_FOUND",
    "ErrorItem",
    "ErrorOut",
    "Refused",
    "error_response",
    "install",
    "summary",
]
