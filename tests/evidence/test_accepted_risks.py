"""Accepted risks: a live scan suppression keeps its finding listed but not blocking."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seccli.core.severity import Severity
from seccli.evidence.pack import BuildRequest, build_pack
from seccli.evidence.period import Period
from seccli.store.runs import recorded_run
from seccli.store.sqlite import SqliteStore
from tests.evidence.fixtures import EXAMPLE, finding

PERIOD = Period("all", datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
# ISO A.8.28 (secure coding) is evidenced by the scan check and borne on by bandit B105
CONTROL = "controls/iso27001/A.8.28.json"


def _store(tmp_path: Path) -> Path:
    """A passing scan that recorded one critical B105 finding (what a suppressed one leaves)."""
    db = tmp_path / "state.db"
    with SqliteStore.open(db) as store, recorded_run(store, "scan", "ci", "repo") as run:
        found = [finding("B105", Severity.CRITICAL, "app/main.py"), finding("B311", Severity.LOW)]
        store.record_findings(run.run_id, "scan:repo", found)
        run.finish(0, summary={"findings": 2}, audit={"findings": 2})
    return db


def _suppressions(tmp_path: Path, expires: str, rule: str = "B105") -> Path:
    path = tmp_path / "suppressions.yaml"
    path.write_text(
        "apiVersion: seccli.dev/v1alpha1\nkind: Suppressions\nsuppressions:\n"
        f"  - rule: {rule}\n    path: app/*.py\n"
        "    justification: test fixture, not a real credential\n"
        f"    approver: grc@example.com\n    expires: {expires}\n"
    )
    return path


def _control(db: Path, suppressions: Path | None) -> dict[str, Any]:
    request = BuildRequest(
        estate_path=EXAMPLE,
        period=PERIOD,
        frameworks=("iso27001",),
        source_date_epoch=1_780_000_000,  # 2026-05-28
        suppressions=suppressions,
    )
    with SqliteStore.open(db, create=False) as store:
        built = build_pack(store, request)
    out = db.parent / "pack.zip"
    out.write_bytes(built.data)
    with zipfile.ZipFile(out) as archive:
        control: dict[str, Any] = json.loads(archive.read(CONTROL))
    return control


def test_an_open_critical_finding_leaves_the_control_not_satisfied(tmp_path: Path) -> None:
    control = _control(_store(tmp_path), None)
    assert control["status"] == "not satisfied"
    assert "1 open critical/high" in control["reason"]


def test_a_live_suppression_accepts_the_risk(tmp_path: Path) -> None:
    db = _store(tmp_path)
    control = _control(db, _suppressions(tmp_path, "2026-12-31"))
    assert control["status"] == "satisfied", control["reason"]
    assert "1 accepted risk" in control["reason"]
    b105 = next(f for f in control["findings"] if f["ruleId"] == "B105")
    assert b105["state"] == "open"  # still listed, with what accepted it
    assert b105["acceptedRisk"] == "rule B105 on app/*.py"


def test_an_expired_or_unrelated_suppression_accepts_nothing(tmp_path: Path) -> None:
    db = _store(tmp_path)
    expired = _control(db, _suppressions(tmp_path, "2026-05-27"))  # the day before the build
    assert expired["status"] == "not satisfied"
    other = _control(db, _suppressions(tmp_path, "2026-12-31", rule="B999"))
    assert other["status"] == "not satisfied"
    assert all(f["acceptedRisk"] is None for f in other["findings"])
