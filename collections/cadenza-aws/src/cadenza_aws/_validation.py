"""Checks shared by the S3 block and tasks (standard library and cadenza.storage only)."""

from __future__ import annotations

import re
from typing import Any

BUCKET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$")
"""Names boto3 accepts (AWS itself wants 3-63 lowercase letters, digits, '.' and '-')."""


def check_bucket_name(name: Any) -> str:
    """``name`` if it can be an S3 bucket name, else a `ValueError` saying what is allowed."""
    if not isinstance(name, str) or not BUCKET_NAME.match(name):
        raise ValueError(
            f"Invalid S3 bucket name {name!r}: use 3-63 lowercase letters, digits, '.' and '-', "
            "starting and ending with a letter or digit"
        )
    return name
