"""``cadenza db doctor``: what in ``$CADENZA_HOME`` (or a server's database) needs attention.

The checks come from the modules that own each thing — dead letters (`cadenza.deadletter`),
journals waiting for replay (`cadenza.client.spool`), the record's health and file modes
(`cadenza.store.health`) — and this module puts them in one report (`report`, whose shape is
the documented ``--json`` interface, docs/cli.md) and renders it. Nothing is changed, except by
``--clear-dead-letters``, which archives the dead letters once an operator has read them.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from cadenza import deadletter
from cadenza.cli._common import die, when
from cadenza.client.spool import describe, journal_files, server_tag
from cadenza.exceptions import StoreError
from cadenza.settings import spec
from cadenza.store import health
from cadenza.store.database import default_db_path

#: Version of the ``--json`` shape; fields are only added within a version.
REPORT_VERSION = 1
_KEY_FILES = ("key", "result-signing.key", "profiles.toml")


def _iso(ts: Any) -> str | None:
    if not isinstance(ts, int | float):
        return None
    return datetime.fromtimestamp(ts, timezone.utc).isoformat()


def dead_letter_report(home: Path, show: int | None) -> dict[str, Any]:
    """Count and groups of the dead letters, and the `show` newest in full (all if None)."""
    letters = deadletter.read_dead_letters(home)
    letters.reverse()  # newest first
    groups: Counter[tuple[str, str, str]] = Counter()
    newest: dict[tuple[str, str, str], Any] = {}
    for d in letters:
        key = (str(d.get("source")), str(d.get("kind")), str(d.get("reason")))
        groups[key] += 1
        newest.setdefault(key, d.get("time"))
    return {
        "file": str(deadletter.dead_letter_path(home)),
        "count": len(letters),
        "groups": [
            {"source": s, "kind": k, "reason": r, "count": n, "newest": _iso(newest[(s, k, r)])}
            for (s, k, r), n in groups.items()  # first seen is newest: newest group first
        ],
        "records": letters if show is None else letters[:show],
    }


def journal_report(home: Path) -> list[dict[str, Any]]:
    """The journals in ``home/spool`` with something left in them."""
    # imported here: cadenza.client.http loads httpx, which the other `db` commands do not need
    # lazily: a command's dependencies load when it runs, not for `cadenza --help`
    from cadenza.client.http import api_base

    url = spec.get("CADENZA_API_URL")
    current = server_tag(api_base(url)) if url else None
    out = []
    for path in journal_files(home / "spool"):
        try:
            info = describe(path)
        except FileNotFoundError:  # replayed and removed meanwhile
            continue
        st = info.status
        if not (st.pending or st.unreadable or st.torn):
            continue  # nothing waits in it (e.g. a live process's empty journal)
        replayer = url if info.tag == current else None
        out.append(
            {
                "file": str(path),
                "server_tag": info.tag,
                "pid": info.pid,
                "owner_alive": info.owner_alive,
                "pending_lines": st.pending,
                "unreadable_lines": st.unreadable,
                "torn_last_line": st.torn,
                "offset": st.offset,
                "size_bytes": st.size,
                "offset_problem": st.offset_problem,
                "replayed_by": replayer,
            }
        )
    return out


def file_modes(home: Path, record: Path | None) -> list[dict[str, Any]]:
    """The mode of each private file that exists: keys, profiles, the record, dead letters,
    journals (0600 expected) and the spool directory (0700)."""
    files = [home / name for name in _KEY_FILES]
    if record is not None:
        files += [record, Path(f"{record}-wal"), Path(f"{record}-shm")]
    files += sorted(home.glob("dead-letter*.jsonl"))
    spool = home / "spool"
    files += [p for p in sorted(spool.glob("*.jsonl*")) if not p.name.endswith(".tmp")]
    found = [health.file_mode(p, health.PRIVATE_FILE) for p in files]
    found.append(health.file_mode(spool, health.PRIVATE_DIR))
    return [m for m in found if m is not None]


def report(database_url: str | None = None, show: int | None = None) -> dict[str, Any]:
    """Every check for the current ``CADENZA_HOME`` and the record (the embedded one, or the
    server database at `database_url`). Raises `StoreError` for an unusable URL."""
    home = Path(spec.home_from())
    if database_url:
        record = health.check_url(database_url)
    else:
        record = health.check_file(default_db_path())
    out: dict[str, Any] = {
        "version": REPORT_VERSION,
        "home": str(home),
        "dead_letters": dead_letter_report(home, show),
        "journals": journal_report(home),
        "record": record.as_dict(),
        "file_modes": file_modes(home, Path(record.path) if record.path else None),
    }
    out["attention"] = attention(out, record)
    out["ok"] = not out["attention"]
    return out


def attention(out: dict[str, Any], record: health.RecordHealth) -> list[str]:
    """What needs an operator, one line each (empty: all is well)."""
    notes = []
    letters = out["dead_letters"]
    if letters["count"]:
        notes.append(f"{letters['count']} dead letter(s) in {letters['file']}")
    for j in out["journals"]:
        name = Path(j["file"]).name
        if j["unreadable_lines"]:
            notes.append(f"journal {name}: {j['unreadable_lines']} unreadable line(s)")
        if j["offset_problem"]:
            notes.append(f"journal {name}: its offset file is unusable ({j['offset_problem']})")
        if not j["owner_alive"] and j["pending_lines"] and not j["replayed_by"]:
            notes.append(
                f"journal {name}: {j['pending_lines']} line(s) for server {j['server_tag']} "
                "and no process here will replay them (CADENZA_API_URL names another server, "
                "or none)"
            )
    notes += record.problems()
    for m in out["file_modes"]:
        if not m["ok"]:
            notes.append(f"{m['path']} is mode {m['mode']}, expected {m['expected']}")
    return notes


# -- rendering ----------------------------------------------------------------------------------
def _printable(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=repr)
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text


def render(out: dict[str, Any]) -> None:
    """The report as text for a person (the JSON form is the one to parse)."""
    click.echo(f"home: {out['home']}")
    _render_dead_letters(out["dead_letters"])
    _render_journals(out["journals"])
    _render_record(out["record"])
    wide = [m for m in out["file_modes"] if not m["ok"]]
    click.echo(f"\nfile modes: {f'{len(wide)} too open' if wide else 'ok'}")
    if out["attention"]:
        click.echo("\nneeds attention:")
        for note in out["attention"]:
            click.echo(f"  - {note}")
    else:
        click.echo("\nall is well")


def _render_dead_letters(letters: dict[str, Any]) -> None:
    where = f" in {letters['file']}" if letters["count"] else ""
    click.echo(f"\ndead letters: {letters['count']}{where}")
    for g in letters["groups"]:
        newest = (g["newest"] or "?")[:19].replace("T", " ")
        line = f"{g['count']:>5}  {g['source']}/{g['kind']}: {g['reason']}  (newest {newest} UTC)"
        click.echo("  " + line)
    for d in letters["records"]:
        stamp = when(d["time"]) if isinstance(d.get("time"), int | float) else "?"
        click.echo(f"  - {stamp}  {d.get('source')}/{d.get('kind')}: {d.get('reason')}")
        if d.get("origin"):
            click.echo(f"      origin: {_printable(d['origin'])}")
        click.echo(f"      record: {_printable(d.get('record'))}")
    if letters["count"] and not letters["records"]:
        click.echo("  (--show N prints the newest N; --clear-dead-letters archives them)")


def _render_journals(journals: list[dict[str, Any]]) -> None:
    click.echo(f"\njournals waiting: {len(journals)}")
    for j in journals:
        owner = "alive" if j["owner_alive"] else "gone"
        click.echo(
            f"  {Path(j['file']).name}  server {j['server_tag'] or '-'}  pid {j['pid']} "
            f"({owner})  {j['pending_lines']} pending, {j['unreadable_lines']} unreadable"
        )
        if not j["owner_alive"] and j["pending_lines"]:
            by = j["replayed_by"]
            click.echo(
                f"      replayed by the next process using {by}"
                if by
                else "      no process here replays it (CADENZA_API_URL names another server)"
            )


def _render_record(rec: dict[str, Any]) -> None:
    click.echo(f"\nrecord: {rec['location']} ({rec['target']})")
    if not rec["exists"]:
        click.echo("  " + (rec["error"] or "does not exist yet"))
        return
    click.echo(f"  integrity: {'; '.join(rec['integrity']) or 'not checked'}")
    status = f"head {rec['head']}, {rec['revision_status']}"
    click.echo(f"  schema: {rec['revision'] or 'none'} ({status})")
    if rec["error"]:
        click.echo(f"  error: {rec['error']}")
    click.echo(f"  runs marked active whose process is gone: {len(rec['dead_runs'])}")
    for r in rec["dead_runs"]:
        click.echo(
            f"    {r['id']}  {r['flow_name']}/{r['name']}  {r['state_type']}  "
            f"pid {r['pid']} on {r['hostname']}"
        )
    if rec["unchecked_runs"]:
        click.echo(f"  active runs this host cannot check: {rec['unchecked_runs']}")


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (docs/cli.md).")
@click.option(
    "--show",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Print the N newest dead letters in full.",
)
@click.option(
    "--clear-dead-letters",
    is_flag=True,
    help="Archive the dead letters (after reading them) and exit.",
)
@click.option(
    "--database-url",
    envvar="CADENZA_DATABASE_URL",
    default=None,
    help="Check a server's database (SQLAlchemy URL) instead of the run record.",
)
def doctor(
    as_json: bool, show: int | None, clear_dead_letters: bool, database_url: str | None
) -> None:
    """Report what needs attention: dead letters, journals waiting for replay, the record's
    integrity, schema and file modes, and runs whose process is gone.

    Exit status 0 when all is well, 1 when something needs attention."""
    if clear_dead_letters:
        cleared = deadletter.clear_dead_letters()
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "archive": str(cleared[0]) if cleared else None,
                        "count": cleared[1] if cleared else 0,
                    }
                )
            )
        elif cleared:
            click.echo(f"Moved {cleared[1]} dead letter(s) to {cleared[0]}")
        else:
            click.echo("No dead letters to clear.")
        return
    try:
        out = report(database_url, show if (show is not None or as_json) else 0)
    except StoreError as exc:
        die(str(exc))
    if as_json:
        click.echo(json.dumps(out, indent=2, default=repr))
    else:
        render(out)
    raise click.exceptions.Exit(0 if out["ok"] else 1)


__all__ = [
    "REPORT_VERSION",
    "attention",
    "dead_letter_report",
    "doctor",
    "file_modes",
    "journal_report",
    "render",
    "report",
]
