"""The table of every Prefect 3 public name in docs/migrate-from-prefect.md is complete and
true: built from the list of Prefect 3.9.1's names, each supported name imports from Cadenza at
Prefect's path, each decision names an object that exists, and the doc shows what the builder
builds (`python tests/compat/prefect_names/table.py --write` rewrites it)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).parent / "prefect_names"


@pytest.fixture(scope="module")
def table() -> ModuleType:
    spec = importlib.util.spec_from_file_location("prefect_names_table", HERE / "table.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_every_listed_name_has_a_row_and_the_doc_is_current(table) -> None:
    rows = table.rows()
    _version, modules = table.listing()
    assert {(r.module, r.name) for r in rows} == {(m, n) for m, ns in modules.items() for n in ns}
    built = table.markdown(rows)
    shown = table.current_section(table.DOC.read_text())
    assert shown == built, "docs/migrate-from-prefect.md is stale: run table.py --write"


def test_supported_rows_import_and_the_others_say_why(table) -> None:
    for row in table.rows():
        if row.status == "supported":
            module, _, name = row.where.rpartition(".")
            assert hasattr(importlib.import_module(module), name), row  # None is a value too
        else:
            assert row.note, row


def test_a_name_without_a_decision_is_an_error(table, monkeypatch) -> None:
    version, modules = table.listing()
    invented = {**modules, "prefect.nowhere": ["no_such_name_xyz"]}
    monkeypatch.setattr(table, "listing", lambda: (version, invented))
    with pytest.raises(table.Undecided, match=r"prefect\.nowhere\.no_such_name_xyz"):
        table.rows()
