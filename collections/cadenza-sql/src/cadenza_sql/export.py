"""Writing query results as CSV or JSON lines to any result storage backend.

`export_query` runs a query and writes its rows under one key of an object satisfying
`cadenza.storage.StorageBackend` (the core's `LocalFileSystem`, an S3 or GCS bucket, ...).
Values are converted so that both formats hold plain text:

=====================  ==========================  =========================
value                  CSV                         JSON lines
=====================  ==========================  =========================
None                   empty field                 null
bool, int, float       ``True`` / ``3`` / ``1.5``  true / 3 / 1.5
Decimal                its exact digits            a string of those digits
date, time, datetime   ISO 8601                    an ISO 8601 string
bytes                  base64                      a base64 string
anything else          ``str(value)``              ``str(value)`` (UUID, ...)
=====================  ==========================  =========================
"""

from __future__ import annotations

import base64
import csv
import datetime
import decimal
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any, Literal, NamedTuple

ExportFormat = Literal["csv", "jsonl"]
FORMATS: tuple[str, ...] = ("csv", "jsonl")
BATCH_ROWS = 1000


class SqlExport(NamedTuple):
    """What `sql_to_storage` wrote: the (normalised) storage key and the number of rows."""

    key: str
    row_count: int


def check_format(format: str) -> str:
    """``format`` if it is one of `FORMATS`, else a `ValueError` listing them."""
    if format not in FORMATS:
        raise ValueError(f"Unknown export format {format!r}; use one of {', '.join(FORMATS)}")
    return format


def resolve_storage(storage: Any) -> Any:
    """``storage`` if it is a storage backend; a ``"slug/name"`` string loads that saved block.
    Anything else is a `TypeError` saying what is needed."""
    from cadenza.storage import StorageBackend

    if isinstance(storage, str):
        from cadenza.blocks.core import Block

        storage = Block.load(storage)
    if not isinstance(storage, StorageBackend):
        raise TypeError(
            f"storage must be a result storage backend (read_path, write_path, exists, delete, "
            f"list_keys), such as cadenza.filesystems.LocalFileSystem, or the name of a saved "
            f"one ('local-file-system/exports'); got {type(storage).__name__}"
        )
    return storage


def encode_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]], format: str) -> bytes:
    """The rows as UTF-8 CSV (a header line, then one line per row) or JSON lines (one object
    per row, keys in column order)."""
    check_format(format)
    out = io.StringIO()
    if format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_csv_cell(v) for v in row] for row in rows)
    else:
        for row in rows:
            record = {name: _json_value(v) for name, v in zip(columns, row, strict=True)}
            out.write(json.dumps(record, ensure_ascii=False, allow_nan=False))
            out.write("\n")
    return out.getvalue().encode("utf-8")


def export_query(
    connector: Any,
    query: Any,
    parameters: dict[str, Any] | None,
    storage: Any,
    key: str,
    format: str,
) -> SqlExport:
    """Run ``query`` on ``connector`` and write its rows to ``storage`` under ``key``.

    The key and format are checked before the query runs. The rows are read in batches from
    a server-side cursor where the driver has one, and written with one ``write_path`` call.
    """
    from cadenza.storage import validate_key

    from cadenza_sql._statements import bind, require_rows, statement

    check_format(format)
    normalised = validate_key(key)
    backend = resolve_storage(storage)
    with connector.get_engine().connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(
            statement(query), bind(parameters)
        )
        require_rows(result, query)
        columns = list(result.keys())
        counted = _Counter(result)
        data = encode_rows(columns, counted, format)
    backend.write_path(normalised, data)
    return SqlExport(normalised, counted.count)


class _Counter:
    """Iterate rows, counting them."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self._rows = rows
        self.count = 0

    def __iter__(self) -> Any:
        for row in self._rows:
            self.count += 1
            yield row


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (bool, int, float, str)):
        return value
    return _text(value)


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, (dict, list)):
        return json.loads(json.dumps(value, default=_text))
    return _text(value)


def _text(value: Any) -> str:
    if isinstance(value, (datetime.date, datetime.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


__all__ = ["FORMATS", "ExportFormat", "SqlExport", "encode_rows", "export_query", "resolve_storage"]
