"""`Block`: typed configuration and credentials, saved and loaded by name (as in Prefect).

A block type is a pydantic model::

    from pydantic import SecretStr
    from cadenza.blocks.core import Block
    from cadenza.blocks.fields import SecretDict

    class Warehouse(Block):
        \"\"\"Connection to the data warehouse.\"\"\"

        _block_type_slug = "warehouse"      # default: the class name in lower-kebab case
        _logo_url = "https://example.com/logo.png"

        host: str
        password: SecretStr
        options: SecretDict = SecretDict({})

    Warehouse(host="db", password="s3cret").save("prod")
    Warehouse.load("prod").password.get_secret_value()
    Block.load("warehouse/prod")              # any registered type, by slug

Secret fields (`SecretStr`, `SecretBytes`, `SecretDict`, pydantic's ``Secret[T]``, at any depth
of nested models, lists and dicts) are encrypted with the Fernet key of `cadenza.blocks.crypto`
before they are stored, never shown by ``repr``/``str``/JSON dumps, and masked in run logs once
the block has been saved or loaded in the process (`cadenza.masking`).

As in Prefect 3, `save`, `load` and `delete` return awaitables when called from async code
(``await Warehouse.load("prod")`` in an ``async def`` flow or task), and ``asave``, ``aload``
and ``adelete`` are their async forms (`cadenza._dispatch`).
"""

from __future__ import annotations

import builtins
import functools
import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, PrivateAttr
from pydantic import ValidationError as PydanticValidationError

from cadenza import masking
from cadenza._dispatch import async_form, dual
from cadenza.blocks.exceptions import (
    BlockError,
    BlockNotFoundError,
    BlockSchemaChangedWarning,
    BlockSchemaError,
    BlockTypeMismatchError,
)
from cadenza.blocks.registry import SLUG, get_block_type
from cadenza.blocks.schema import checksum, secret_field_paths
from cadenza.blocks.store import get_block_store
from cadenza.blocks.stored import from_stored, secret_values, to_stored

B = TypeVar("B", bound="Block")

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
"""A block's name: lowercase letters, digits, ``-`` and ``_``, starting with a letter or digit."""


_KEBAB = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def kebab(name: str) -> str:
    """``LocalFileSystem`` → ``local-file-system``, ``S3Bucket`` → ``s3-bucket``."""
    return _KEBAB.sub("-", name).lower()


def validate_block_name(name: Any) -> str:
    """``name`` if it is a valid block name, else a `ValueError` saying what is allowed."""
    if not isinstance(name, str) or not NAME.match(name):
        raise ValueError(
            f"Invalid block name {name!r}: use lowercase letters, digits, '-' and '_', starting "
            "with a letter or digit (at most 100 characters)"
        )
    return name


@dataclass(frozen=True)
class BlockInfo:
    """A saved block's identity, without its data (what `Block.list_all` returns)."""

    id: str
    type_slug: str
    name: str
    schema_checksum: str
    created: float
    updated: float

    @property
    def full_name(self) -> str:
        """``type-slug/name``: what `Block.load` takes."""
        return f"{self.type_slug}/{self.name}"


class _hybridmethod:
    """A method that works on the class (``Cls.delete("name")``) and on an instance
    (``block.delete()``): the function gets ``(cls, instance_or_None, *args)``."""

    def __init__(self, func: Any) -> None:
        self.func = func
        functools.update_wrapper(self, func)  # type: ignore[arg-type]  # a descriptor, not a function

    def __get__(self, instance: Any, owner: type) -> Any:
        return functools.partial(self.func, owner, instance)


_schema_cache: dict[type, tuple[dict[str, Any], str]] = {}


class Block(BaseModel):
    """Base class of block types: configuration and credentials saved and loaded by name.

    Class attributes (all optional): ``_block_type_slug`` (default: the class name in
    lower-kebab case), ``_block_type_name`` (default: the class name), ``_description``
    (default: the class docstring), ``_logo_url``, ``_documentation_url``. Each is read from
    the class itself, not inherited, so a subclass is a type of its own.
    """

    # validation errors never repeat the input: it may be a secret
    model_config = ConfigDict(
        extra="forbid", ignored_types=(_hybridmethod,), hide_input_in_errors=True
    )

    _block_type_slug: ClassVar[str | None] = None
    _block_type_name: ClassVar[str | None] = None
    _description: ClassVar[str | None] = None
    _logo_url: ClassVar[str | None] = None
    _documentation_url: ClassVar[str | None] = None

    _block_document_name: str | None = PrivateAttr(default=None)
    _block_document_id: str | None = PrivateAttr(default=None)

    # -- the type ---------------------------------------------------------------------------------
    @classmethod
    def get_block_type_slug(cls) -> str:
        """The slug saved blocks of this type are filed under (``slug/name``)."""
        slug = cls.__dict__.get("_block_type_slug")
        return slug if isinstance(slug, str) else kebab(cls.__name__)

    @classmethod
    def get_block_type_name(cls) -> str:
        name = cls.__dict__.get("_block_type_name")
        return name if isinstance(name, str) else cls.__name__

    @classmethod
    def get_description(cls) -> str | None:
        """``_description``, else the class's own docstring (dedented), else None."""
        import inspect

        description = cls.__dict__.get("_description")
        if isinstance(description, str):
            return description
        doc = cls.__dict__.get("__doc__")
        return inspect.cleandoc(doc) if isinstance(doc, str) else None

    @classmethod
    def get_logo_url(cls) -> str | None:
        value = cls.__dict__.get("_logo_url")
        return value if isinstance(value, str) else None

    @classmethod
    def block_schema(cls) -> dict[str, Any]:
        """The type's JSON schema (pydantic's), with ``block_type_slug`` and ``secret_fields``
        (dotted paths of the secret fields, which are also marked ``writeOnly``)."""
        schema: dict[str, Any] = json.loads(json.dumps(cls._schema_and_checksum()[0]))  # a copy
        return schema

    @classmethod
    def block_schema_checksum(cls) -> str:
        """``sha256:<hex>`` of the schema's canonical JSON; saved with every block."""
        return cls._schema_and_checksum()[1]

    @classmethod
    def _schema_and_checksum(cls) -> tuple[dict[str, Any], str]:
        cached = _schema_cache.get(cls)
        if cached is None:
            schema = cls.model_json_schema()
            schema["block_type_slug"] = cls.get_block_type_slug()
            schema["secret_fields"] = secret_field_paths(schema)
            cached = _schema_cache[cls] = (schema, checksum(schema))
        return cached

    # -- saving and loading -----------------------------------------------------------------------
    @classmethod
    def _split_name(cls, name: str) -> tuple[str, str]:
        """``(slug, name)`` from ``"name"`` (this class's slug) or ``"slug/name"``."""
        if not isinstance(name, str):
            raise ValueError(f"A block name must be a string, got {type(name).__name__}")
        if "/" in name:
            slug, _, short = name.partition("/")

            if not SLUG.match(slug):
                raise ValueError(
                    f"Invalid block type slug {slug!r} in {name!r}: use lowercase letters, "
                    "digits, '-' and '_'"
                )
            return slug, validate_block_name(short)
        if cls is Block:
            raise ValueError(
                f"Block.load() needs 'block-type-slug/block-name', got {name!r}; or call "
                f"SomeBlockType.load({name!r})"
            )
        return cls.get_block_type_slug(), validate_block_name(name)

    @classmethod
    def _type_for(cls, slug: str, full_name: str) -> type[Block]:
        """The class to load ``slug`` blocks as, checked to be ``cls`` or a subclass of it."""
        if cls is not Block and slug == cls.get_block_type_slug():
            return cls

        target = get_block_type(slug)
        if not issubclass(target, cls):
            raise BlockTypeMismatchError(
                f"Block {full_name!r} is a {target.__name__} (block type {slug!r}), not a "
                f"{cls.__name__} (block type {cls.get_block_type_slug()!r}); load it with "
                f"{target.__name__}.load() or Block.load({full_name!r})"
            )
        return target

    @dual
    def save(self, name: str, overwrite: bool = False) -> str:
        """Save this block as ``name`` (``"name"`` or ``"type-slug/name"``); return its id.

        Raises `ValueError` for an invalid name, and `BlockAlreadyExistsError` (a ValueError
        naming the block) if one is saved under that name and ``overwrite`` is false.
        """
        cls = type(self)
        if cls is Block:
            raise TypeError("Block itself has no fields to save; subclass it")
        slug, short = cls._split_name(name)
        if slug != cls.get_block_type_slug():
            raise ValueError(
                f"Cannot save a {cls.__name__} (block type {cls.get_block_type_slug()!r}) as "
                f"{name!r}: the name's type slug is {slug!r}"
            )
        masking.register(*secret_values(self))

        row = get_block_store().put(
            slug, short, to_stored(self), cls.block_schema_checksum(), overwrite=overwrite
        )
        block_id: str = row.id
        self._block_document_name = short
        self._block_document_id = block_id
        return block_id

    @classmethod
    @dual
    def load(cls: type[B], name: str) -> B:
        """The block saved as ``name``: ``"name"`` on a block type, ``"type-slug/name"`` on
        `Block` (any registered type) or on a type.

        Raises `BlockNotFoundError` (a ValueError) naming the block if none is saved,
        `BlockTypeMismatchError` naming both types if it is of another type,
        `BlockTypeNotFoundError` for an unregistered slug, `BlockDecryptionError` when the
        encryption key does not match, and `BlockSchemaError` if its fields no longer validate.
        A block saved with another version of the type's schema that still validates loads
        with a `BlockSchemaChangedWarning`.
        """
        slug, short = cls._split_name(name)
        full_name = f"{slug}/{short}"
        target = cls._type_for(slug, full_name)

        store = get_block_store()
        row = store.get(slug, short)
        if row is None:
            raise BlockNotFoundError(
                f"No block {full_name!r} is saved (in {store.where}); create it with "
                f"{target.__name__}(...).save({short!r}) or `cadenza block create {slug} {short}`"
            )
        return target._from_row(row)  # type: ignore[return-value]  # target: cls or a subclass

    @classmethod
    def _from_row(cls: type[B], row: Any) -> B:
        full_name = f"{row.type_slug}/{row.name}"
        data = from_stored(row.data, f"block {full_name!r}")
        checksum = cls.block_schema_checksum()
        changed = row.schema_checksum != checksum
        dropped: list[str] = []
        if changed and isinstance(data, dict):
            known = {f.alias or n for n, f in cls.model_fields.items()} | set(cls.model_fields)
            dropped = sorted(k for k in data if k not in known)
            data = {k: v for k, v in data.items() if k in known}
        try:
            block = cls.model_validate(data)
        except PydanticValidationError as exc:
            why = " (its schema changed since the block was saved)" if changed else ""
            raise BlockSchemaError(
                f"Block {full_name!r} no longer validates as block type "
                f"{cls.get_block_type_slug()!r} ({cls.__name__}){why}: {_errors(exc)}. Save it "
                f"again with the new fields, or delete it"
            ) from None
        if changed:
            extra = f"; fields no longer in the type were ignored: {', '.join(dropped)}"
            warnings.warn(
                BlockSchemaChangedWarning(
                    f"Block {full_name!r} was saved with another schema of block type "
                    f"{cls.get_block_type_slug()!r} ({cls.__name__}) (saved "
                    f"{row.schema_checksum[:19]}…, now {checksum[:19]}…); it still "
                    f"validates{extra if dropped else ''}. Save it again to record the new schema"
                ),
                stacklevel=3,
            )
        block._block_document_name = row.name
        block._block_document_id = row.id
        masking.register(*secret_values(block))
        return block

    def __setstate__(self, state: Any) -> None:
        """Unpickling (a block sent to a worker process) registers its secrets for masking
        there too, if it was saved or loaded."""
        super().__setstate__(state)
        if self._block_document_name is not None:
            masking.register(*secret_values(self))

    @_hybridmethod
    @dual
    def delete(cls: type[Block], self: Block | None, name: str | None = None) -> None:
        """``block.delete()`` deletes the saved block this one was saved or loaded as;
        ``SomeBlock.delete("name")`` / ``Block.delete("slug/name")`` delete by name (as
        `delete_by_name`). Raises `BlockNotFoundError` if there is no such saved block."""
        if name is None:
            if self is None or self._block_document_name is None:
                raise BlockError(
                    f"This {cls.__name__} was neither saved nor loaded, so there is no saved "
                    f"block to delete; use {cls.__name__}.delete_by_name(name)"
                )
            name = self._block_document_name
            cls = type(self)
        cls.delete_by_name(name)
        if self is not None and self._block_document_name == name:
            self._block_document_name = self._block_document_id = None

    # the async forms (ClassVar: not pydantic fields)
    asave: ClassVar[Callable[..., Any]] = async_form(save)
    aload: ClassVar[Callable[..., Any]] = async_form(load)
    adelete: ClassVar[Any] = _hybridmethod(async_form(delete.func))

    @classmethod
    def delete_by_name(cls, name: str) -> None:
        """Delete the block saved as ``name`` (as `load` takes it); `BlockNotFoundError` if
        none is saved."""
        slug, short = cls._split_name(name)
        if cls is not Block and slug != cls.get_block_type_slug():
            cls._type_for(slug, f"{slug}/{short}")

        store = get_block_store()
        if not store.delete(slug, short):
            raise BlockNotFoundError(f"No block '{slug}/{short}' is saved (in {store.where})")

    @classmethod
    def list(cls) -> list[str]:
        """The names of the saved blocks of this type, sorted; on `Block` itself, every saved
        block as ``slug/name``."""

        if cls is Block:
            return [row.full_name for row in get_block_store().list()]
        return [row.name for row in get_block_store().list(cls.get_block_type_slug())]

    @classmethod
    def list_all(cls) -> builtins.list[BlockInfo]:  # `list` here is Block.list
        """Every saved block, of any type, sorted by type slug then name (without its data)."""

        return [
            BlockInfo(r.id, r.type_slug, r.name, r.schema_checksum, r.created, r.updated)
            for r in get_block_store().list()
        ]

    # -- describing itself as result storage (`cadenza.storage`) -------------------------------
    @classmethod
    def get_storage_type_slug(cls) -> str:
        """The ``"type"`` of this class's result references: its ``slug`` or ``type`` class
        attribute, else its block type slug — the slug `register_storage_backends` files it
        under."""
        for attr in ("slug", "type"):
            value = getattr(cls, attr, None)
            if isinstance(value, str):
                return value
        return cls.get_block_type_slug()

    def to_ref(self) -> dict[str, Any]:
        """How a result reference finds this block again, in any process (`cadenza.storage`).

        A saved or loaded block is named: ``{"type", "block": "type-slug/name"}``, and
        `from_ref` loads it. An unsaved block carries its fields, ``{"type", "data"}``; the
        reference is kept in clear text in the run record, so an unsaved block holding a
        secret is refused (`TypeError`): save it, or its credentials, first. Storage classes
        override both methods when they know better (`LocalFileSystem`: its directory).
        """
        slug = type(self).get_storage_type_slug()
        if self._block_document_name is not None:
            saved = f"{type(self).get_block_type_slug()}/{self._block_document_name}"
            return {"type": slug, "block": saved}
        if secret_values(self):
            raise TypeError(
                f"This {type(self).__name__} holds a secret and is not saved, so a result "
                "reference cannot name it without writing the secret in clear text: save it "
                f"(block.save('name')) and use the saved block as result_storage"
            )
        return {"type": slug, "data": self.model_dump(mode="json")}

    @classmethod
    def from_ref(cls: type[B], desc: dict[str, Any]) -> B:
        """The block `to_ref` described: the saved block it names (loaded now), or one made
        from its fields."""
        name = desc.get("block")
        if isinstance(name, str):
            slug, short = cls._split_name(name)
            target = cls._type_for(slug, f"{slug}/{short}")
            store = get_block_store()
            row = store.get(slug, short)
            if row is None:
                raise BlockNotFoundError(
                    f"Result storage block {name!r} is no longer saved (in {store.where})"
                )
            return target._from_row(row)  # type: ignore[return-value]  # cls or a subclass
        data = desc.get("data")
        if not isinstance(data, dict):
            raise ValueError(
                f"A {cls.__name__} storage reference needs a saved block name or its data: {desc!r}"
            )
        return cls.model_validate(data)


def validate_data(cls: type[Block], data: Any) -> Any:
    """``data`` validated as block type ``cls`` and given back as ``cls`` saves it.

    ``data`` is a block's fields with each secret in the open form of `cadenza.blocks.sealing`
    or as its plain value (what a form sends); the answer has every secret in the open form with
    its kind. Raises pydantic's ``ValidationError`` (whose errors never repeat the input) when
    the fields do not validate, and `BlockError` for a secret given masked or sealed.
    """
    return to_stored(cls.model_validate(from_stored(data, f"a {cls.__name__}")))


def _errors(exc: PydanticValidationError) -> str:
    """The validation errors on one line, without the input values (they may be secret)."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "(block)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


__all__ = [
    "NAME",
    "Block",
    "BlockInfo",
    "kebab",
    "secret_values",
    "validate_block_name",
    "validate_data",
]
