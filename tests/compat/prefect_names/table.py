"""Builds the table of every Prefect 3 public name in docs/migrate-from-prefect.md.

Each name listed in ``names-<version>.json`` gets one row, with one of three statuses:

- **supported**: Cadenza has the same name at the same path (``prefect.x.Y`` → ``cadenza.x.Y``);
  found by importing it, not by a decision (unless a decision for the name says how it differs).
- **differently**: Cadenza has it under another path or with a difference; ``decisions.toml``
  names where (``cadenza = "module:Name"``, imported to check it) and says how.
- **not planned**: Cadenza does not provide it; ``decisions.toml`` says why.

A name that Cadenza lacks and that no decision covers is an error, so the table cannot fall
behind: ``python tests/compat/prefect_names/table.py --write`` rewrites the doc, and
``tests/compat/test_compat_migration_table.py`` fails when the doc differs from what this builds.
"""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomllib

HERE = Path(__file__).parent
DOC = HERE.parents[2] / "docs" / "migrate-from-prefect.md"
BEGIN = "<!-- prefect-names: begin (built by tests/compat/prefect_names/table.py) -->"
END = "<!-- prefect-names: end -->"
STATUSES = ("supported", "differently", "not planned")


@dataclass(frozen=True)
class Row:
    module: str
    name: str
    status: str
    where: str  # the Cadenza object, `module.Name`
    note: str  # how it differs / why it is not planned


class Undecided(Exception):
    """Names Cadenza lacks that no decision covers."""


def listing() -> tuple[str, dict[str, list[str]]]:
    (path,) = sorted(HERE.glob("names-*.json"))
    data = json.loads(path.read_text())
    return data["prefect"], data["modules"]


def decisions() -> dict[str, Any]:
    return tomllib.loads((HERE / "decisions.toml").read_text())


def cadenza_module(prefect_module: str) -> str:
    return "cadenza" + prefect_module.removeprefix("prefect")


def resolve(target: str) -> object:
    """The object ``module:Name`` (or a module) names; raises if it does not exist."""
    module, _, attr = target.partition(":")
    obj: object = importlib.import_module(module)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    return obj


def _has(module: str, name: str) -> bool:
    try:
        resolve(f"{module}:{name}")
    except (ImportError, AttributeError):
        return False
    return True


def _decided(module: str, name: str, decision: dict[str, Any]) -> Row:
    status = decision["status"]
    if status not in STATUSES[1:]:
        raise ValueError(f"{module}.{name}: status must be one of {STATUSES[1:]}, not {status!r}")
    note = decision.get("how" if status == "differently" else "why", "")
    if not note:
        raise ValueError(f"{module}.{name}: a {status!r} decision needs its " +
                         ("how" if status == "differently" else "why"))  # fmt: skip
    where = ""
    if status == "differently":
        target = decision["cadenza"]
        if ":" not in target:
            target = f"{target}:{name}"
        try:
            resolve(target)
        except (ImportError, AttributeError) as exc:  # a decision naming a missing object
            raise ValueError(f"{module}.{name}: its decision names {target!r}: {exc}") from None
        where = target.replace(":", ".").rstrip(".")
    return Row(module, name, status, where, note)


def rows() -> list[Row]:
    _version, modules = listing()
    chosen = decisions()
    by_name: dict[str, dict[str, Any]] = chosen.get("names", {})
    by_module: dict[str, dict[str, Any]] = chosen.get("modules", {})
    out: list[Row] = []
    undecided: list[str] = []
    for module, names in modules.items():
        for name in names:
            qualified = f"{module}.{name}"
            if _has(cadenza_module(module), name) and qualified not in by_name:
                out.append(Row(module, name, "supported", f"{cadenza_module(module)}.{name}", ""))
            elif qualified in by_name:
                row = _decided(module, name, by_name[qualified])
                if row.status == "not planned" and _has(cadenza_module(module), name):
                    raise ValueError(f"{qualified} is decided 'not planned' but Cadenza has it")
                out.append(row)
            elif module in by_module:
                out.append(_decided(module, name, by_module[module]))
            else:
                undecided.append(qualified)
    stale = sorted(set(by_name) - {f"{r.module}.{r.name}" for r in out})
    if undecided or stale:
        raise Undecided(f"no decision for {undecided}; decisions for names not listed: {stale}")
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(all_rows: list[Row]) -> str:
    version, modules = listing()
    counts = {s: sum(r.status == s for r in all_rows) for s in STATUSES}
    lines = [
        BEGIN,
        "",
        f"Every public name of {len(modules)} Prefect {version} modules: "
        f"{len(all_rows)} names, {counts['supported']} supported at the same path, "
        f"{counts['differently']} supported differently, {counts['not planned']} not planned.",
    ]
    for module in modules:
        mine = [r for r in all_rows if r.module == module]
        if not mine:
            continue
        header = "| Prefect name | status | Cadenza: where, how or why |"
        lines += ["", f"### `{module}`", "", header, "|---|---|---|"]
        for r in mine:
            detail = f"`{r.where}`" if r.where else ""
            if r.note:
                detail = f"{detail}: {r.note}" if detail else r.note
            lines.append(f"| `{r.name}` | {r.status} | {_cell(detail)} |")
    lines += ["", END]
    return "\n".join(lines)


def current_section(text: str) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[start:end]


def main() -> None:
    built = markdown(rows())
    text = DOC.read_text()
    if "--write" in sys.argv:
        DOC.write_text(text.replace(current_section(text), built))
        print(f"wrote {DOC}", file=sys.stderr)
    else:
        print(built)


if __name__ == "__main__":
    main()
