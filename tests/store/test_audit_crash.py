"""A crash at any step of an append leaves a log that verifies, and the next append works.

Each test kills a real process with SIGKILL at one step (the seam ``sqlite._reached``, or the
checkpoint's rename), then checks the state with ``seccli audit verify`` and appends again.
The same steps are also interrupted in-process by an exception.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import seccli.store.sqlite as sqlite_store
from seccli.store.interface import AuditRecord
from seccli.store.sqlite import SqliteStore
from tests.store.chain import ENTRIES, append_one, fill, intact

BATCH = 3
# step -> whether the batch is in the log after a crash there
STEPS = {
    "settled": False,
    "rename:1": False,  # killed inside the atomic write of the pending checkpoint
    "checkpoint-pending": False,
    "inserted": False,
    "committed": True,
    "settling": True,
    "rename:2": True,  # killed inside the atomic write of the settled checkpoint
    "settled-checkpoint": True,
}

_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import seccli.store.sqlite as sqlite_store
    from seccli.store.interface import AuditRecord

    db, step = Path(sys.argv[1]), sys.argv[2]
    head_name = db.name + ".audit-head.json"

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def reached(name):
        if name == step:
            die()

    sqlite_store._reached = reached
    if step.startswith("rename:"):
        wanted, seen, replace = int(step.split(":")[1]), [], os.replace

        def killing_replace(src, dst):
            if Path(dst).name == head_name:
                seen.append(dst)
                if len(seen) == wanted:
                    die()
            replace(src, dst)

        os.replace = killing_replace
    with sqlite_store.SqliteStore.open(db) as store:
        store.append_audit_many(
            [AuditRecord("crash", "test.crash", f"c{i}", {"i": i}) for i in range(BATCH)]
        )
    """
).replace("BATCH", str(BATCH))


def _seccli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seccli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SECCLI_ACTOR": "tester"},
    )


@pytest.mark.parametrize("step", list(STEPS))
def test_killed_at_each_step_the_log_verifies_and_the_next_append_works(
    tmp_path: Path, step: str
) -> None:
    db = fill(tmp_path / "state.db")
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(db), step], capture_output=True, timeout=60
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    expected = ENTRIES + (BATCH if STEPS[step] else 0)
    verified = _seccli("--store", str(db), "audit", "verify", "--format", "json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    assert (report["ok"], report["entries"], report["head"]["seq"]) == (True, expected, expected)
    append_one(db)
    assert intact(db) == expected + 1
    checkpoint = json.loads(db.with_name(db.name + ".audit-head.json").read_text())
    assert checkpoint["seq"] == expected + 1 and "pending" not in checkpoint
    assert not list(tmp_path.glob(".*.tmp")), "the next append removes staged checkpoints"


class _Injected(Exception):
    pass


@pytest.mark.parametrize("step", [s for s in STEPS if not s.startswith("rename:")])
def test_an_error_at_each_step_leaves_a_log_that_verifies(
    tmp_path: Path, step: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = fill(tmp_path / "state.db")

    def reached(name: str) -> None:
        if name == step:
            raise _Injected(name)

    monkeypatch.setattr(sqlite_store, "_reached", reached)
    committed = STEPS[step]
    with SqliteStore.open(db) as store:
        records = [AuditRecord("x", "test.fail", f"f{i}", {}) for i in range(BATCH)]
        if committed:
            # After the commit the batch is recorded: settling the checkpoint is best effort.
            assert len(store.append_audit_many(records)) == BATCH
        else:
            with pytest.raises(_Injected):
                store.append_audit_many(records)
    expected = ENTRIES + (BATCH if committed else 0)
    assert intact(db) == expected
    monkeypatch.undo()
    append_one(db)
    assert intact(db) == expected + 1
