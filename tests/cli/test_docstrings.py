"""A docstring's summary as plain text (`cadenza.cli.docstrings`), for ``cadenza tasks ls``."""

from __future__ import annotations

import pytest

from cadenza.cli.docstrings import plain, summary


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ("Upload ``data`` to :class:`~cadenza_aws.S3Bucket` at **key**.",
         "Upload data to S3Bucket at key."),
        ("Read :func:`the secret <cadenza_aws.get>` with *care*.", "Read the secret with care."),
        ("Run a `query` with [SQLAlchemy](https://x.org).", "Run a query with SQLAlchemy."),
        ("See `the docs <https://example.com>`_ and |project|.", "See the docs and project."),
        ("Keep snake_case_names and 2 * 3 * 4.", "Keep snake_case_names and 2 * 3 * 4."),
        ("Example::", "Example:"),
        ("## A heading", "A heading"),
    ],
)  # fmt: skip
def test_markup_is_removed(doc: str, expected: str) -> None:
    assert plain(doc) == expected


def test_summary_is_the_first_paragraph_on_one_line() -> None:
    doc = """Send a message
    through ``smtp``.

    A second paragraph.
    """
    assert summary(doc) == "Send a message through smtp."


@pytest.mark.parametrize("stop", [":param x: the x", "Args:", "Returns:", "Parameters\n----------",
                                  ".. note:: careful"])  # fmt: skip
def test_summary_stops_at_fields_sections_and_directives(stop: str) -> None:
    assert summary(f"Copy an object.\n{stop}\n    more") == "Copy an object."
    assert summary(f"{stop}\n    more") == ""


def test_no_docstring() -> None:
    assert summary(None) == "" and summary("   ") == ""
