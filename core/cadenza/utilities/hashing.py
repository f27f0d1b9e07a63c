"""Prefect's ``prefect.utilities.hashing``: stable digests of strings, objects and files."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

_md5 = functools.partial(hashlib.md5, usedforsecurity=False)


class HashError(Exception):
    """The objects could be serialized neither as JSON nor with cloudpickle."""


def stable_hash(*args: str | bytes, hash_algo: Callable[..., Any] = _md5) -> str:
    """The hex digest of ``args`` in order (strings as UTF-8): stable across processes."""
    digest = hash_algo()
    for arg in args:
        digest.update(arg.encode() if isinstance(arg, str) else arg)
    return str(digest.hexdigest())


def file_hash(path: str, hash_algo: Callable[..., Any] = _md5) -> str:
    """The hex digest of the file at ``path``'s contents."""
    return stable_hash(Path(path).read_bytes(), hash_algo=hash_algo)


def hash_objects(
    *args: Any, hash_algo: Callable[..., Any] = _md5, raise_on_failure: bool = False,
    **kwargs: Any,
) -> str | None:  # fmt: skip
    """A digest of ``(args, kwargs)``: of their JSON when they have one (keys sorted), else of
    their cloudpickle; None when neither works (`HashError` with ``raise_on_failure``)."""
    try:
        return stable_hash(json.dumps([args, kwargs], sort_keys=True), hash_algo=hash_algo)
    except (TypeError, ValueError) as exc:
        json_error = exc
    try:
        # lazily: cloudpickle only for objects JSON cannot hold
        import cloudpickle

        return stable_hash(cloudpickle.dumps((args, kwargs)), hash_algo=hash_algo)
    except Exception as exc:
        if raise_on_failure:
            raise HashError(
                f"Cannot hash the objects: not JSON ({json_error}) and not picklable ({exc})"
            ) from None
    return None


__all__ = ["HashError", "file_hash", "hash_objects", "stable_hash"]
