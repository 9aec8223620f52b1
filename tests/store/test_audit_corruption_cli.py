"""A damaged state database or checkpoint is a clean "audit log broken/unreadable" through the
CLI: exit 1 for ``audit verify``, exit 3 for a command that records; never a traceback, never
a run left ``running``."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from seccli.cli.app import main
from tests.store.chain import fill, raw

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_ESTATE = ROOT / "examples" / "claytom" / "estate.yaml"
BROKEN = "audit log broken/unreadable: "
Corruption = Callable[[Path], None]


def _head(db: Path) -> Path:
    return db.with_name(db.name + ".audit-head.json")


def _drop_audit_log(db: Path) -> None:
    raw(db).execute("DROP TABLE audit_log")


def _garble_page(db: Path) -> None:
    size = db.stat().st_size
    page = 4096
    with db.open("r+b") as handle:  # one whole page in the middle of the file
        handle.seek((size // 2) // page * page)
        handle.write(b"\xa5" * page)


def _garble_bytes(db: Path) -> None:
    with db.open("r+b") as handle:  # a few bytes inside a page in the middle
        handle.seek(db.stat().st_size // 2 + 100)
        handle.write(b"\xff" * 64)


def _truncate_half(db: Path) -> None:
    os.truncate(db, db.stat().st_size // 2)


def _truncate_header(db: Path) -> None:
    os.truncate(db, 50)


def _not_sqlite(db: Path) -> None:
    db.write_text("this is not an SQLite database, just text\n" * 20)


def _database_is_a_folder(db: Path) -> None:
    db.unlink()
    db.mkdir()


def _checkpoint_is_a_folder(db: Path) -> None:
    _head(db).unlink()
    _head(db).mkdir()


def _checkpoint_is_a_fifo(db: Path) -> None:
    _head(db).unlink()
    os.mkfifo(_head(db))


def _checkpoint_is_a_symlink(db: Path) -> None:
    real = db.with_name("elsewhere.json")
    _head(db).rename(real)
    _head(db).symlink_to(real)


def _checkpoint_text(text: bytes) -> Corruption:
    def corrupt(db: Path) -> None:
        _head(db).write_bytes(text)

    return corrupt


def _checkpoint_json(update: dict[str, object]) -> Corruption:
    def corrupt(db: Path) -> None:
        data = json.loads(_head(db).read_text())
        data.update(update)
        _head(db).write_text(json.dumps(data))

    return corrupt


CORRUPTIONS: dict[str, tuple[Corruption, str]] = {
    "dropped audit table": (_drop_audit_log, "no such table: audit_log"),
    "garbled page": (_garble_page, "malformed|damaged"),
    "garbled bytes": (_garble_bytes, "malformed|damaged|decode"),
    "truncated database": (_truncate_half, "malformed|damaged"),
    "truncated header": (_truncate_header, "malformed|not a database"),
    "not sqlite": (_not_sqlite, "file is not a database"),
    "database is a folder": (_database_is_a_folder, "cannot open the state database"),
    "checkpoint is a folder": (_checkpoint_is_a_folder, "checkpoint is not a regular file"),
    "checkpoint is a fifo": (_checkpoint_is_a_fifo, "checkpoint is not a regular file"),
    "checkpoint is a symlink": (_checkpoint_is_a_symlink, "checkpoint is a symbolic link"),
    "checkpoint not json": (_checkpoint_text(b"seq: 10\n"), "not valid JSON"),
    "checkpoint empty": (_checkpoint_text(b""), "not valid JSON"),
    "checkpoint binary": (_checkpoint_text(b"\x00\x01\xff"), "binary content"),
    "checkpoint not utf-8": (_checkpoint_text(b'{"seq": "\xff"}'), "not UTF-8"),
    "checkpoint huge": (_checkpoint_text(b" " * 100_000 + b"{}"), "byte limit"),
    "checkpoint duplicate key": (
        _checkpoint_text(b'{"seq": 1, "seq": 10, "entryHash": "0"}'),
        "duplicate key",
    ),
    "checkpoint a list": (_checkpoint_text(b"[10]"), "expected an object, found list"),
    "checkpoint null": (_checkpoint_text(b"null"), "expected an object, found null"),
    "checkpoint seq text": (_checkpoint_json({"seq": "10"}), "'seq' must be a non-negative"),
    "checkpoint seq bool": (_checkpoint_json({"seq": True}), "'seq' must be a non-negative"),
    "checkpoint seq negative": (_checkpoint_json({"seq": -1}), "'seq' must be a non-negative"),
    "checkpoint seq float": (_checkpoint_json({"seq": 10.0}), "'seq' must be a non-negative"),
    "checkpoint hash number": (_checkpoint_json({"entryHash": 7}), "'entryHash' must be 64"),
    "checkpoint hash upper": (
        _checkpoint_json({"entryHash": "A" * 64}),
        "'entryHash' must be 64 lowercase hex",
    ),
    "checkpoint extra field": (_checkpoint_json({"note": "x"}), "unexpected field 'note'"),
    "checkpoint pending text": (
        _checkpoint_json({"pending": "11"}),
        "'pending' must be an object",
    ),
    "checkpoint pending behind": (
        _checkpoint_json({"pending": {"seq": 3, "entryHash": "1" * 64}}),
        "'pending.seq' must be after 'seq'",
    ),
}


CONTENT_ONLY = {"garbled bytes"}


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SECCLI_ESTATE", str(EXAMPLE_ESTATE))
    monkeypatch.setenv("SECCLI_ACTOR", "tester")
    return fill(tmp_path / "state.db", entries=200, pad=300)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stopped:
        main(list(argv))
    captured = capsys.readouterr()
    code = stopped.value.code
    return int(code) if isinstance(code, int) else -1, captured.out + captured.err


def _running_runs(db: Path) -> int:
    try:
        rows = raw(db).execute("SELECT count(*) FROM runs WHERE status = 'running'")
        return int(rows.fetchone()[0])
    except sqlite3.DatabaseError:
        return 0  # no readable runs table: nothing can be left running in it


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_damage_is_a_clean_broken_log(
    store: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    corrupt, reason = CORRUPTIONS[name]
    corrupt(store)
    code, out = _run(capsys, "--store", str(store), "audit", "verify")
    assert code == 1, out
    assert BROKEN in out and "Traceback" not in out and "internal error" not in out
    assert any(part in out for part in reason.split("|")), out
    code, as_json = _run(capsys, "--store", str(store), "audit", "verify", "--format", "json")
    report = json.loads(as_json)
    assert (code, report["ok"], report["error"].startswith(BROKEN)) == (1, False, True)
    code, out = _run(capsys, "--store", str(store), "estate", "validate")
    assert "Traceback" not in out and "internal error" not in out
    if name in CONTENT_ONLY:
        # Bytes changed inside an old entry's text, structure intact: the writer checks the
        # database's structure and the head it extends, not every entry; verify finds it.
        assert code == 0, out
        assert _run(capsys, "--store", str(store), "audit", "verify")[0] == 1
    else:
        assert code == 3, out
        assert "error: " + BROKEN in out
    assert _running_runs(store) == 0


@pytest.mark.parametrize("name", ["garbled page", "checkpoint is a fifo", "not sqlite"])
def test_damage_through_a_real_process_never_hangs_or_shows_a_traceback(
    store: Path, name: str
) -> None:
    CORRUPTIONS[name][0](store)
    for argv, expected in ((["audit", "verify"], 1), (["estate", "validate"], 3)):
        result = subprocess.run(
            [sys.executable, "-m", "seccli", "--store", str(store), *argv],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "SECCLI_ACTOR": "tester", "SECCLI_ESTATE": str(EXAMPLE_ESTATE)},
        )
        assert result.returncode == expected, result.stdout + result.stderr
        assert BROKEN in result.stdout + result.stderr
        assert "Traceback" not in result.stderr


def test_a_deleted_database_beside_its_checkpoint(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for path in store.parent.glob("state.db*"):
        if path.name != _head(store).name:
            path.unlink()
    code, out = _run(capsys, "--store", str(store), "audit", "verify")
    assert code == 1 and BROKEN in out and "the log was deleted" in out
    code, out = _run(capsys, "--store", str(store), "estate", "validate")
    assert code == 3 and "audit log inconsistent: " in out and "truncated" in out
    assert _running_runs(store) == 0
    code, out = _run(capsys, "--store", str(store), "audit", "verify")
    assert code == 1 and "the tail was truncated" in out  # the new empty database heals nothing


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("DELETE FROM audit_log WHERE seq > 150", "the tail was truncated"),
        ("DELETE FROM audit_log", "the tail was truncated"),
        ("UPDATE audit_log SET payload = NULL WHERE seq = 200", "payload was removed"),
    ],
)
def test_tampering_found_by_verify_stays_found_after_more_commands(
    store: Path, capsys: pytest.CaptureFixture[str], tamper: str, reason: str
) -> None:
    raw(store).execute(tamper)
    for _ in range(2):
        code, out = _run(capsys, "--store", str(store), "estate", "validate")
        if "payload was removed" in reason:
            assert code == 0  # the writer checks the head it extends, not every entry
        else:
            assert code == 3 and "audit log inconsistent: " in out and reason in out
    code, out = _run(capsys, "--store", str(store), "audit", "verify")
    assert code == 1 and reason in out
    assert _running_runs(store) == 0
    statuses = {row[0] for row in raw(store).execute("SELECT status FROM runs")}
    assert statuses == ({"ok"} if "payload" in reason else {"error"})
