"""Errors raised by the block system. Every one is a `ValueError` (as Prefect raises for a
missing or duplicate block), so ``except ValueError`` keeps working; the subclasses tell them
apart."""

from __future__ import annotations

from cadenza.exceptions import MissingKeyError


class BlockError(ValueError):
    """Base class of the block system's errors."""


class BlockNotFoundError(BlockError, LookupError):
    """No block is saved under this type and name."""


class BlockAlreadyExistsError(BlockError):
    """`Block.save` without ``overwrite=True`` over an existing block."""


class BlockTypeNotFoundError(BlockError, LookupError):
    """No registered block type has this slug."""


class BlockTypeMismatchError(BlockError, TypeError):
    """``SomeBlock.load(name)`` found a block of another type."""


class BlockSchemaError(BlockError):
    """A saved block's fields no longer validate against its type (the type changed)."""


class BlockDecryptionError(BlockError):
    """A secret field cannot be decrypted: the encryption key does not match, or is invalid."""


class BlockKeyMissingError(BlockDecryptionError, MissingKeyError):
    """The block encryption key file is missing while saved blocks hold secrets sealed with it."""


class BlockSchemaChangedWarning(UserWarning):
    """A block was saved with another version of its type's schema; it still validates."""


__all__ = [
    "BlockAlreadyExistsError",
    "BlockDecryptionError",
    "BlockError",
    "BlockKeyMissingError",
    "BlockNotFoundError",
    "BlockSchemaChangedWarning",
    "BlockSchemaError",
    "BlockTypeMismatchError",
    "BlockTypeNotFoundError",
]
