"""Helpers for testing flows, at Prefect's path (``prefect.testing.utilities``).

`prefect_test_harness` is what Prefect users put in a session fixture so that their tests record
runs somewhere throwaway::

    @pytest.fixture(autouse=True, scope="session")
    def harness():
        with prefect_test_harness():
            yield

Prefect starts a temporary server on an empty database for it. Cadenza needs no server: the
harness points ``CADENZA_HOME`` at a new temporary directory, so runs go to a fresh embedded
record, and ``CADENZA_API_URL`` is unset meanwhile, so a configured server is not written to.
Both are restored afterwards and the temporary record is deleted.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cadenza.backends import reset_backend
from cadenza.settings import spec

# what the harness replaces while it is open: a value to set, or None to unset
_ISOLATED = ("CADENZA_HOME", "CADENZA_API_URL", "CADENZA_API_KEY")


@contextmanager
def prefect_test_harness(server_startup_timeout: int | None = 30) -> Iterator[None]:
    """Runs inside the block are recorded in a temporary, empty embedded record (see the module
    docstring). ``server_startup_timeout`` is accepted for Prefect's signature; there is no
    server to wait for."""
    del server_startup_timeout
    saved = {name: os.environ.get(name) for name in _ISOLATED}
    home = tempfile.mkdtemp(prefix="cadenza-test-harness-")
    reset_backend()  # the process's writer flushes to the record it opened, before the switch
    for name in _ISOLATED:
        os.environ.pop(name, None)
    os.environ["CADENZA_HOME"] = home
    spec.reset_cache()
    try:
        yield
    finally:
        reset_backend()  # flush and close the temporary record before it is removed
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        spec.reset_cache()
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def assert_does_not_warn(ignore_warnings: list[type[Warning]] | None = None) -> Iterator[None]:
    """Fails (AssertionError) if the block emits a warning, other than of the ignored types."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for category in ignore_warnings or ():
            warnings.filterwarnings("ignore", category=category)
        try:
            yield
        except Warning as warning:
            raise AssertionError(f"a warning was raised: {warning!r}") from warning


def exceptions_equal(a: BaseException, b: BaseException) -> bool:
    """Whether two exceptions are the same error: the same object, or the same type built with
    the same arguments (as after a round trip through a result or a process)."""
    return a is b or (type(a) is type(b) and a.args == b.args)


def assert_blocks_equal(
    found: Any, expected: Any, exclude_private: bool = True, **dump_options: Any
) -> None:
    """Asserts two blocks are of the same type and hold the same data (their private attributes
    left out unless ``exclude_private=False``); ``dump_options`` go to ``model_dump``."""
    assert isinstance(found, type(expected)), (
        f"a {type(found).__name__}, expected a {type(expected).__name__}"
    )
    exclude = set(dump_options.pop("exclude", ()))
    if exclude_private:
        exclude |= set(getattr(found, "__private_attributes__", ()))
    assert found.model_dump(exclude=exclude, **dump_options) == expected.model_dump(
        exclude=exclude, **dump_options
    )


__all__ = [
    "assert_blocks_equal",
    "assert_does_not_warn",
    "exceptions_equal",
    "prefect_test_harness",
]
