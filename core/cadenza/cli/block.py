"""``cadenza block``: list block types, and create, list, show and delete saved blocks.

Exit status: 0 on success; 1 when the record, a block or its key is unusable (a missing block,
a key that does not match, a block that no longer validates); 2 for bad usage (an unknown
block type, an invalid name, a malformed or invalid ``--field``).
"""

from __future__ import annotations

import json
from typing import Any

import click

from cadenza.cli._common import USAGE_ERROR, die, wide_option
from cadenza.cli._common import when as _when
from cadenza.cli.jsonout import emit_json
from cadenza.cli.run import parse_params


@click.group("block")
def block() -> None:
    """Create, list, show and delete saved blocks (configuration and credentials)."""


def _catalog() -> dict[str, type]:
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.blocks.registry import block_types

    try:
        return block_types()
    except Exception as exc:  # a plugin conflict: one line, not a traceback
        die(f"cannot list block types: {exc}")


def _fields(cls: Any) -> list[str]:
    """``name`` for each field, ``name*`` for a secret one, ``name?`` for an optional one."""
    schema = cls.block_schema()
    secret = {path.split(".")[0].split("[")[0] for path in schema["secret_fields"]}
    required = set(schema.get("required", ()))
    out = []
    for name in schema.get("properties", {}):
        mark = "*" if name in secret else ""
        out.append(f"{name}{mark}" if name in required else f"{name}{mark}?")
    return out


@block.command("types")
@click.option("--json", "as_json", is_flag=True, help="One JSON array: slug, name, fields.")
@wide_option
def types(as_json: bool, wide: bool) -> None:
    """List the registered block types: slug, name and fields (* secret, ? optional)."""
    catalog = _catalog()
    if as_json:
        items = [
            {
                "slug": slug,
                "name": cls.get_block_type_name(),
                "description": cls.get_description(),
                "fields": list(cls.block_schema().get("properties", {})),
                "secret_fields": cls.block_schema()["secret_fields"],
                "checksum": cls.block_schema_checksum(),
            }
            for slug, cls in catalog.items()
        ]
        emit_json(items)
        return
    # lazily: rich loads when a command prints a table, not for `cadenza --help`
    from rich.text import Text

    from cadenza.cli.formatting import Column, print_table

    columns = (
        Column("SLUG", min_width=24),
        Column("NAME", priority=1, min_width=12),
        Column("FIELDS (* SECRET, ? OPTIONAL)", min_width=20, no_wrap=False, overflow="fold"),
    )
    rows = [
        (Text(slug), Text(cls.get_block_type_name()), Text(", ".join(_fields(cls))))
        for slug, cls in catalog.items()
    ]
    print_table(columns, rows, wide=wide)


@block.command("ls")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of saved blocks.")
@wide_option
def ls(as_json: bool, wide: bool) -> None:
    """List the saved blocks: slug/name, type and when they were last saved."""
    infos = _run(lambda: _list_all())
    if as_json:
        keys = ("id", "type_slug", "name", "schema_checksum", "created", "updated")
        emit_json([{k: getattr(i, k) for k in keys} for i in infos])
        return
    if not infos:
        click.echo("No saved blocks.")
        return
    # lazily: rich loads when a command prints a table, not for `cadenza --help`
    from rich.text import Text

    from cadenza.cli.formatting import Column, print_table

    columns = (
        Column("NAME", min_width=24),
        Column("TYPE", priority=2, min_width=12),
        Column("UPDATED", priority=1, min_width=19),
    )
    rows = [(Text(i.full_name), Text(i.type_slug), _when(i.updated)) for i in infos]
    print_table(columns, rows, wide=wide)


def _list_all() -> list[Any]:
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.blocks.core import Block

    return Block.list_all()


def _run(action: Any) -> Any:
    """Call ``action``; the block system's errors become one line and an exit status."""
    import warnings

    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.blocks.exceptions import (
        BlockError,
        BlockSchemaChangedWarning,
        BlockTypeNotFoundError,
    )

    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.exceptions import CadenzaError

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", BlockSchemaChangedWarning)
            result = action()
        for w in caught:
            click.echo(f"Warning: {w.message}", err=True)
        return result
    except BlockTypeNotFoundError as exc:
        die(str(exc), USAGE_ERROR)
    except (BlockError, CadenzaError) as exc:  # the record, a server, a key
        die(str(exc))
    except ValueError as exc:  # an invalid name
        die(str(exc), USAGE_ERROR)
        die(str(exc), USAGE_ERROR)


def _shown(value: Any, show_secrets: bool) -> Any:
    """The block's data as JSON-ready values; secrets masked unless ``show_secrets``."""
    from pydantic import BaseModel, Secret, SecretBytes, SecretStr
    from pydantic_core import to_jsonable_python

    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.blocks.fields import SecretDict
    from cadenza.masking import MASK

    if isinstance(value, BaseModel):
        return {n: _shown(getattr(value, n), show_secrets) for n in type(value).model_fields}
    if isinstance(value, SecretDict):
        return value.get_secret_value() if show_secrets else value.masked()
    if isinstance(value, SecretBytes):
        return value.get_secret_value().decode("utf-8", "replace") if show_secrets else MASK
    if isinstance(value, (SecretStr, Secret)):
        return to_jsonable_python(value.get_secret_value()) if show_secrets else MASK
    if isinstance(value, dict):
        return {str(k): _shown(v, show_secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_shown(v, show_secrets) for v in value]
    return to_jsonable_python(value)


@block.command("show")
@click.argument("name")
@click.option("--show-secrets", is_flag=True, help="Show secret values in clear text.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def show(name: str, show_secrets: bool, as_json: bool) -> None:
    """Show the saved block NAME (block-type-slug/block-name); secrets are masked."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.blocks.core import Block

    if "/" not in name:
        die(f"NAME must be block-type-slug/block-name, got {name!r}", USAGE_ERROR)
    loaded = _run(lambda: Block.load(name))
    cls = type(loaded)
    data = _shown(loaded, show_secrets)
    if as_json:
        doc = {
            "name": name,
            "type_slug": cls.get_block_type_slug(),
            "type_name": cls.get_block_type_name(),
            "id": loaded._block_document_id,
            "data": data,
        }
        click.echo(json.dumps(doc, indent=2))
        return
    click.echo(f"{name}  ({cls.get_block_type_name()}, id {loaded._block_document_id})")
    for key, value in data.items():
        text = value if isinstance(value, str) else json.dumps(value)
        click.echo(f"  {key}: {text}")


@block.command("create")
@click.argument("type_slug", metavar="TYPE")
@click.argument("name")
@click.option("--field", "-f", "fields", multiple=True, metavar="NAME=VALUE",
              help="A field; VALUE is parsed as JSON when it is valid JSON.")  # fmt: skip
@click.option("--overwrite", is_flag=True, help="Replace a block saved under this name.")
def create(type_slug: str, name: str, fields: tuple[str, ...], overwrite: bool) -> None:
    """Save a block of TYPE (a slug from `cadenza block types`) as NAME."""
    from pydantic import ValidationError

    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.blocks.core import _errors, validate_block_name
    from cadenza.blocks.registry import get_block_type

    try:
        values = parse_params(fields)
    except click.BadParameter as exc:
        die(f"invalid --field: {exc.message}", USAGE_ERROR)
    cls = _run(lambda: get_block_type(type_slug))
    raw = dict(pair.partition("=")[::2] for pair in fields)
    for key in _string_fields(cls) & values.keys():
        if not isinstance(values[key], str):  # `--field password=1234` is the string "1234"
            values[key] = raw[key]
    _run(lambda: validate_block_name(name))
    try:
        instance = cls.model_validate(values)
    except ValidationError as exc:
        die(f"invalid fields for block type {type_slug!r}: {_errors(exc)}", USAGE_ERROR)
    _run(lambda: instance.save(name, overwrite=overwrite))
    click.echo(f"Saved block {type_slug}/{name}.")


def _string_fields(cls: Any) -> set[str]:
    """Top-level fields whose only non-null type is a string (plain or secret)."""
    out = set()
    for name, prop in cls.block_schema().get("properties", {}).items():
        options = prop.get("anyOf", [prop])
        types = {o.get("type") for o in options if o.get("type") != "null"}
        if types == {"string"}:
            out.add(name)
    return out


@block.command("delete")
@click.argument("name")
def delete(name: str) -> None:
    """Delete the saved block NAME (block-type-slug/block-name)."""
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.blocks.core import Block

    if "/" not in name:
        die(f"NAME must be block-type-slug/block-name, got {name!r}", USAGE_ERROR)
    _run(lambda: Block.delete_by_name(name))
    click.echo(f"Deleted block {name}.")


__all__ = ["block", "create", "delete", "ls", "show", "types"]
