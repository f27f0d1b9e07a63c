"""Routes for blocks, variables, artifacts and cache entries (docs/reference/http-api.md), over
`Catalog`.

Block data crosses the API in the open form of `cadenza.blocks.sealing`. ``GET`` of one block
masks its secrets unless the request says ``include_secrets=true``; when the server has an API
key every request carrying it is authorised to ask (without a key, anyone who can reach the
server is). ``PUT`` keeps the saved value of each secret sent back masked, and — when the server
has the block's type with the schema the request names — validates the data against it (a 422
naming each field) and stores it as the type saves it, so a form may send plain values for
secret fields.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Response

from cadenza._text import storable
from cadenza.blocks.exceptions import BlockDecryptionError
from cadenza.blocks.sealing import MaskedSecretError
from cadenza.server import block_types
from cadenza.server.catalog import Catalog
from cadenza.server.errors import CONFLICT, NOT_FOUND, Refused
from cadenza.server.models import ArtifactIn, BlockIn, VariableIn
from cadenza.variables import encode_value

Slug = Path(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$", description="a block type slug")
BlockName = Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$", description="a block name")
VariableName = Path(pattern=r"^[a-z0-9_-]{1,255}$", description="a variable name")
Limit = Query(100, ge=1, le=10_000)
CREATED: dict[int | str, dict[str, Any]] = {
    201: {"model": dict[str, Any], "description": "Created (200: replaced)"}
}
Offset = Query(0, ge=0, le=2**31 - 1)


def router(catalog: Catalog) -> APIRouter:
    api = APIRouter()

    # -- blocks ---------------------------------------------------------------------------------
    @api.get("/blocks")
    def list_blocks(type_slug: str | None = None) -> list[dict[str, Any]]:
        return catalog.list_blocks(type_slug)

    @api.get("/blocks/{type_slug}/{name}", responses=NOT_FOUND)
    def get_block(
        type_slug: str = Slug, name: str = BlockName, include_secrets: bool = False
    ) -> dict[str, Any]:
        return catalog.get_block(type_slug, name, include_secrets)

    @api.put("/blocks/{type_slug}/{name}", responses={**CREATED, **CONFLICT})
    def put_block(
        body: BlockIn, response: Response, type_slug: str = Slug, name: str = BlockName
    ) -> dict[str, Any]:
        check = block_types.checker(type_slug, body.schema_checksum)
        try:
            info, created = catalog.put_block(
                type_slug, name, body.data, body.schema_checksum, body.overwrite, check
            )
        except BlockDecryptionError:  # the server's own key: answered 409 (app.py)
            raise
        except MaskedSecretError as exc:  # masked where nothing is saved to keep
            raise Refused([(("body", "data", *exc.path), exc.reason)]) from None
        except ValueError as exc:  # a malformed secret in the data
            raise Refused([(("body", "data"), str(exc))]) from None
        response.status_code = 201 if created else 200
        return info

    @api.delete("/blocks/{type_slug}/{name}", status_code=204, responses=NOT_FOUND)
    def delete_block(type_slug: str = Slug, name: str = BlockName) -> Response:
        catalog.delete_block(type_slug, name)
        return Response(status_code=204)

    # -- variables ------------------------------------------------------------------------------
    @api.get("/variables")
    def list_variables(
        limit: int = Limit, offset: int = Offset, tag: str | None = None
    ) -> list[dict[str, Any]]:
        return catalog.list_variables(limit, offset, tag)

    @api.get("/variables/{name}", responses=NOT_FOUND)
    def get_variable(name: str = VariableName) -> dict[str, Any]:
        return catalog.get_variable(name)

    @api.put("/variables/{name}", responses={**CREATED, **CONFLICT})
    def put_variable(
        body: VariableIn, response: Response, name: str = VariableName
    ) -> dict[str, Any]:
        try:
            encode_value(name, body.value)  # JSON and size limits
        except ValueError as exc:
            raise Refused([(("body", "value"), str(exc))]) from None
        row, created = catalog.set_variable(name, body.value, body.tags, body.overwrite)
        response.status_code = 201 if created else 200
        return row

    @api.delete("/variables/{name}", status_code=204, responses=NOT_FOUND)
    def delete_variable(name: str = VariableName) -> Response:
        catalog.delete_variable(name)
        return Response(status_code=204)

    # -- artifacts ------------------------------------------------------------------------------
    @api.post("/artifacts", status_code=201)
    def create_artifact(body: ArtifactIn) -> dict[str, str]:
        catalog.create_artifact(body.row())
        return {"id": body.id}

    @api.get("/artifacts")
    def list_artifacts(
        limit: int = Limit,
        offset: int = Offset,
        key: str | None = None,
        flow_run_id: str | None = None,
        task_run_id: str | None = None,
        type: str | None = None,
    ) -> list[dict[str, Any]]:
        return catalog.list_artifacts(
            limit, offset, key=key, flow_run_id=flow_run_id, task_run_id=task_run_id, type=type
        )

    @api.get("/artifacts/{artifact_id}", responses=NOT_FOUND)
    def get_artifact(artifact_id: str) -> dict[str, Any]:
        return catalog.get_artifact(artifact_id)

    # -- cache entries --------------------------------------------------------------------------
    @api.get("/cache_entries", responses=NOT_FOUND)
    def get_cache_entry(key: str = Query(min_length=1, max_length=2000)) -> dict[str, Any]:
        return catalog.get_cache_entry(storable(key))  # as the key was stored

    return api


__all__ = ["router"]
