"""``evidence kpis``: the organisation's metrics JSON computed from a store with known data."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.evidence.conftest import run_cli
from tests.evidence.fixtures import EXAMPLE, fill_store


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "state.db"))
    monkeypatch.setenv("SECCLI_ESTATE", str(EXAMPLE))
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    fill_store(tmp_path / "state.db")
    return tmp_path / "state.db"


def _records() -> dict[str, dict[str, object]]:
    code, out = run_cli(["evidence", "kpis", "-f", "json"])
    assert code == 0, out
    records = json.loads(out)
    assert all(set(r) == {"ts", "subsidiary", "role", "kpis", "okrs"} for r in records)
    assert all(r["role"] == "security" for r in records)
    return {str(r["subsidiary"]): r for r in records}


def test_critical_findings_older_than_a_day_count_per_subsidiary(store: Path) -> None:
    assert _records()["holding"]["kpis"]["openCriticalFindingsOver24h"] == 0  # type: ignore[index]
    with sqlite3.connect(store) as db:
        db.execute("UPDATE findings SET first_seen = '2020-01-01T00:00:00Z'")
        db.execute("UPDATE findings SET severity = 'critical'")
    records = _records()
    # B105 (app/main.py) and CKV_K8S_20 belong to the holding; B311 to subs-hoteles
    assert records["holding"]["kpis"]["openCriticalFindingsOver24h"] == 2  # type: ignore[index]
    assert records["hoteles"]["kpis"]["openCriticalFindingsOver24h"] == 1  # type: ignore[index]
    assert records["hoteles"]["okrs"]["openCriticalFindingsOver24h"]["met"] is False  # type: ignore[index]
    assert records["clinicas"]["kpis"]["openCriticalFindingsOver24h"] == 0  # type: ignore[index]
    with sqlite3.connect(store) as db:
        db.execute("UPDATE findings SET resolved_at = '2020-01-02T00:00:00Z'")
    assert _records()["holding"]["kpis"]["openCriticalFindingsOver24h"] == 0  # type: ignore[index]


def test_drill_times_and_unmeasured_kpis(store: Path) -> None:
    holding = _records()["holding"]
    kpis, okrs = holding["kpis"], holding["okrs"]
    assert kpis["lastDrillMttaMinutes"] == 4 and kpis["lastDrillMttrMinutes"] == 42  # type: ignore[index]
    assert okrs["lastDrillMttrMinutes"] == {"target": 30, "direction": "max", "met": False}  # type: ignore[index]
    assert kpis["secretsInVaultWithinRotationPercent"] is None  # type: ignore[index]


def test_kpis_without_a_store_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "none.db"))
    code, _ = run_cli(["evidence", "kpis", "-f", "json"])
    assert code != 0
