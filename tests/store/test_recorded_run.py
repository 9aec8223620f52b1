"""recorded_run: one place that starts, audits and ends every recorded run."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccli.core.errors import InputError
from seccli.store.runs import RunStatus, recorded_run
from seccli.store.sqlite import SqliteStore


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore.open(tmp_path / "state.db")


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (0, RunStatus.OK),
        (1, RunStatus.VIOLATIONS),
        (2, RunStatus.INPUT_ERROR),
        (3, RunStatus.ERROR),
        (130, RunStatus.ERROR),
    ],
)
def test_exit_codes_map_to_statuses(store: SqliteStore, code: int, status: RunStatus) -> None:
    with recorded_run(store, "images verify", "alice", "trust.yaml") as run:
        run.finish(code, summary={"n": 1}, audit={"counts": {"pass": 1}})
    [record] = store.runs()
    assert (record.status, record.exit_code, record.summary) == (status.value, code, {"n": 1})
    [entry] = store.audit_entries()
    assert (entry.action, entry.actor, entry.subject) == ("images.verify", "alice", "trust.yaml")
    assert store.verify_audit().ok


@pytest.mark.parametrize(
    ("exc", "code", "status"),
    [
        (InputError("bad"), 2, RunStatus.INPUT_ERROR),
        (RuntimeError("bug"), 3, RunStatus.ERROR),
        (KeyboardInterrupt(), 130, RunStatus.ERROR),
    ],
)
def test_an_exception_never_leaves_a_run_running(
    store: SqliteStore, exc: BaseException, code: int, status: RunStatus
) -> None:
    with pytest.raises(type(exc)), recorded_run(store, "scan", "bob", ".") as run:
        run.finish(0)
        raise exc
    [record] = store.runs()
    assert record.status == status.value and record.exit_code == code
    assert record.finished_at is not None
    [entry] = store.audit_entries()
    assert entry.action == "scan"
    assert type(exc).__name__ in (entry.payload or "")
