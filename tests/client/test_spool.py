"""The spool and its journal files on real files: what replay keeps, skips, resumes and
removes; file modes; appends that fail half-way. (Against a real server: test_journal_replay.)"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cadenza.client import journal
from cadenza.client.spool import Spool, describe, replay_file
from cadenza.deadletter import clear_dead_letters, quarantine, read_dead_letters


def entry(n: int) -> dict:
    return {"op": "batch", "body": {"n": n}}


def line(n: int) -> bytes:
    return journal.encode(entry(n))


def orphan(spool_dir: Path, *lines: bytes, tag: str = "") -> Path:
    """A journal left by a process that is gone (nobody holds its lock)."""
    spool_dir.mkdir(parents=True, exist_ok=True)
    path = spool_dir / f"{tag}-999999-0123456789ab.jsonl"
    path.write_bytes(b"".join(lines))
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_torn_last_line_of_a_live_writer_is_left_for_later(cadenza_home) -> None:
    spool = Spool(cadenza_home / "spool")
    spool.append([entry(1), entry(2)])
    with open(spool.path, "ab") as f:  # a write still under way
        f.write(line(3)[:9])
    sent: list[dict] = []
    spool.replay(sent.append)
    assert [e["body"]["n"] for e in sent] == [1, 2]
    assert spool.pending() and read_dead_letters() == []
    with open(spool.path, "ab") as f:  # ... which completes
        f.write(line(3)[9:])
    spool.replay(sent.append)
    assert [e["body"]["n"] for e in sent] == [1, 2, 3]
    assert not spool.pending()
    spool.close()


def test_own_journal_keeps_an_unreadable_line_aside_and_empties(cadenza_home, caplog) -> None:
    spool = Spool(cadenza_home / "spool")
    spool.append([entry(1)])
    with open(spool.path, "ab") as f:
        f.write(b"\x00\x13garbage{\n")
    spool.append([entry(2)])
    sent: list[dict] = []
    with caplog.at_level("WARNING", logger="cadenza.client"):
        spool.replay(sent.append)
    assert [e["body"]["n"] for e in sent] == [1, 2]
    (letter,) = read_dead_letters()
    assert letter["source"] == "journal" and letter["kind"] == "journal-line"
    assert letter["record"] == "\x00\x13garbage{\n"
    assert letter["reason"] == journal.NOT_JSON
    assert letter["origin"]["file"] == str(spool.path) and letter["origin"]["offset"] > 0
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "1 unreadable line(s)" in warning and str(spool.path) in warning
    assert spool.path.stat().st_size == 0
    spool.close()
    assert list((cadenza_home / "spool").iterdir()) == []


def test_orphan_with_every_kind_of_bad_line(cadenza_home) -> None:
    good = line(1)
    flipped = bytearray(line(2))
    flipped[flipped.index(b'"n":2') + 4] ^= 0x01  # still JSON: {"n":3}; the checksum tells
    bad = [
        b"garbage\n",
        bytes(flipped),
        b'{"op":"batch","body":{"s":"caf\xe9"}}\n',  # not UTF-8
        b"[1, 2, 3]\n",
        b'{"op":"drop_table","body":{}}\n',
        b'{"op":"set_state","body":{}}\n',
        line(3)[:12],  # torn: the writer died mid-line
    ]
    path = orphan(cadenza_home / "spool", good, *bad[:-1], b"\n", line(4), bad[-1])
    sent: list[dict] = []
    assert Spool(cadenza_home / "spool").replay_orphans(sent.append) == 1
    assert [e["body"]["n"] for e in sent] == [1, 4]
    letters = read_dead_letters()
    assert [d["record"].encode() for d in letters[:2]] == bad[:2]
    assert letters[2]["record"] == '{"op":"batch","body":{"s":"caf\\xe9"}}\n'
    assert [d["reason"] for d in letters] == [
        journal.NOT_JSON, journal.BAD_CHECKSUM, journal.NOT_UTF8,
        journal.NOT_ENTRY, journal.NOT_ENTRY, journal.NOT_ENTRY, journal.TORN,
    ]  # fmt: skip
    assert letters[3]["origin"]["detail"] == "a JSON list, not an object"
    assert not path.exists() and not journal.offset_path(path).exists()


def down_at_2(e: dict) -> None:
    if e["body"]["n"] == 2:
        raise ConnectionError("down")


def test_a_send_that_raises_keeps_the_orphan(cadenza_home) -> None:
    path = orphan(cadenza_home / "spool", line(1), b"junk\n", line(2))

    with pytest.raises(ConnectionError):
        Spool(cadenza_home / "spool").replay_orphans(down_at_2)
    assert path.exists()
    assert journal.read_offset(path) == (len(line(1)) + 5, None)
    # the next attempt resumes at line 2 and keeps the junk once, not twice
    journal.remove_offset(path)  # even with the sidecar lost
    sent: list[dict] = []
    assert Spool(cadenza_home / "spool").replay_orphans(sent.append) == 1
    assert [e["body"]["n"] for e in sent] == [1, 2]  # from 0: the server deduplicates
    assert len(read_dead_letters()) == 1


@pytest.mark.parametrize(
    "sidecar",
    [b"garbage", b"\xff\xfe", b"-5", b"99999", b"7", b""],
    ids=["text", "bytes", "negative", "past-the-end", "mid-line", "empty"],
)
def test_an_unusable_offset_sidecar_replays_from_the_start(cadenza_home, caplog, sidecar) -> None:
    path = orphan(cadenza_home / "spool", line(1), line(2))
    journal.offset_path(path).write_bytes(sidecar)
    sent: list[dict] = []
    with caplog.at_level("WARNING", logger="cadenza.client"):
        Spool(cadenza_home / "spool").replay_orphans(sent.append)
    assert [e["body"]["n"] for e in sent] == [1, 2]
    assert read_dead_letters() == []
    if sidecar != b"":
        assert "unusable" in caplog.text and str(path) in caplog.text
    assert not path.exists()


def test_a_usable_offset_sidecar_resumes(cadenza_home) -> None:
    path = orphan(cadenza_home / "spool", line(1), line(2))
    journal.write_offset(path, len(line(1)))
    sent: list[dict] = []
    replay_file(path, sent.append, writer_alive=False)
    assert [e["body"]["n"] for e in sent] == [2]


def test_files_are_private_under_umask_022(cadenza_home) -> None:
    old = os.umask(0o022)
    try:
        spool = Spool(cadenza_home / "spool")
        spool.append([entry(1), entry(2)])
        with pytest.raises(ConnectionError):  # stops after line 1: the sidecar is written
            spool.replay(down_at_2)
        sidecar = journal.offset_path(spool.path)
        assert mode(cadenza_home / "spool") == 0o700
        assert mode(spool.path) == 0o600
        assert mode(sidecar) == 0o600
        assert mode(quarantine("journal", "journal-line", "x", "why")) == 0o600
        spool.close()
    finally:
        os.umask(old)


def test_a_spool_directory_left_open_is_narrowed(cadenza_home) -> None:
    (cadenza_home / "spool").mkdir(mode=0o755)
    os.chmod(cadenza_home / "spool", 0o755)
    spool = Spool(cadenza_home / "spool")
    spool.append([entry(1)])
    assert mode(cadenza_home / "spool") == 0o700
    spool.close()


def test_an_append_that_fails_half_way_leaves_no_torn_line(tmp_path) -> None:
    """The file-size limit (RLIMIT_FSIZE) stands in for a full disk: writes past it fail."""
    spool_dir = tmp_path / "spool"
    code = textwrap.dedent(
        f"""
        import resource, signal
        from pathlib import Path
        from cadenza.client.spool import Spool
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
        s = Spool(Path({str(spool_dir)!r}))
        for n in range(100):
            try:
                s.append([{{"op": "batch", "body": {{"n": n, "pad": "x" * 30}}}}])
            except OSError as exc:
                print("failed at", n, exc.errno, flush=True)
                break
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("failed at"), out.stdout + out.stderr
    (path,) = spool_dir.glob("*.jsonl")
    data = path.read_bytes()
    assert data.endswith(b"\n") and len(data) <= 1000
    lines = list(journal.read_lines(path, writer_alive=False))
    assert lines and all(line.entry is not None for line in lines)


def test_describe_counts_what_is_left(cadenza_home) -> None:
    path = orphan(cadenza_home / "spool", line(1), b"junk\n", line(2), line(3)[:5], tag="abc")
    journal.write_offset(path, len(line(1)))
    info = describe(path)
    assert (info.tag, info.pid, info.owner_alive) == ("abc", 999999, False)
    assert info.status.pending == 1 and info.status.unreadable == 2 and info.status.torn


def test_clearing_dead_letters_archives_them(cadenza_home) -> None:
    quarantine("server", "log", {"message": "m"}, "refused")
    quarantine("journal", "journal-line", "junk", journal.NOT_JSON)
    archive, count = clear_dead_letters()
    assert count == 2 and archive.parent == cadenza_home
    assert archive.name.startswith("dead-letter.") and len(archive.read_text().splitlines()) == 2
    assert read_dead_letters() == [] and clear_dead_letters() is None
    quarantine("server", "log", {"message": "later"}, "refused")  # a new file, not the archive
    assert [d["record"] for d in read_dead_letters()] == [{"message": "later"}]
    assert len(archive.read_text().splitlines()) == 2
