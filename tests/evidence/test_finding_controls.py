"""Findings carry their controls: scan (JSON and SARIF), image verdicts, Vault audit, policy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from seccli.core.clock import FixedClock
from seccli.core.location import Location
from seccli.core.redaction import Secret
from seccli.estate.loader import load_estate
from seccli.secrets.client import VaultSettings, connect
from seccli.secrets.inventory import audit_secrets
from seccli.supplychain.gate_findings import verdict_findings
from seccli.supplychain.verify import ImageVerdict, Verdict
from tests.fakes.vault import FakeVault
from tests.secrets.conftest import EXAMPLE_ESTATE, seed_estate

# bandit B105 (hard-coded password, CWE-259): its CWE and its rule family both map to controls
HARD_CODED = 'def connect():\n    password = "hunter2hunter2"\n    return password\n'
# from CWE-259 ...
CWE_CONTROLS = {"SOC2 CC6.1", "ISO27001:2022 A.5.17", "ISO27001:2022 A.8.5", "GDPR Art.32"}
# ... and from the bandit:B105 family
FAMILY_CONTROLS = {"ISO27001:2022 A.8.24", "ISO27001:2022 A.8.28"}


def _scan(tmp_path: Path, fmt: str) -> tuple[int, dict[str, object]]:
    repo = tmp_path / "repo"
    repo.mkdir(exist_ok=True)
    (repo / "app.py").write_text(HARD_CODED)
    (repo / "clean.py").write_text("def add(a, b):\n    return a + b\n")
    result = subprocess.run(
        [sys.executable, "-m", "seccli", "--store", str(tmp_path / "s.db")]
        + ["scan", str(repo), "-t", "bandit", "--no-cache", "--no-worker", "-f", fmt],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "CI": "1"},
    )
    return result.returncode, json.loads(result.stdout)


def test_scan_findings_carry_controls_in_json(tmp_path: Path) -> None:
    code, body = _scan(tmp_path, "json")
    assert code == 0, body  # B105 is low: below the default --fail-on high
    findings = body["findings"]
    assert isinstance(findings, list)
    b105 = [f for f in findings if f["rule_id"] == "B105"]
    assert len(b105) == 1, findings
    refs = {c["ref"] for c in b105[0]["controls"]}
    assert refs >= CWE_CONTROLS | FAMILY_CONTROLS
    assert {c["framework"] for c in b105[0]["controls"]} == {"SOC2", "ISO27001:2022", "GDPR"}
    assert all(f["controls"] for f in findings)  # every scan finding has them filled in


def test_scan_findings_carry_controls_in_sarif_properties(tmp_path: Path) -> None:
    code, body = _scan(tmp_path, "sarif")
    assert code == 0
    runs = body["runs"]
    assert isinstance(runs, list)
    results = runs[0]["results"]
    b105 = [r for r in results if r["ruleId"] == "B105"]
    assert len(b105) == 1
    assert set(b105[0]["properties"]["controls"]) >= CWE_CONTROLS | FAMILY_CONTROLS


def test_blocked_image_findings_carry_image_gate_controls() -> None:
    verdict = ImageVerdict(
        reference="registry.example.com/app:1.0",
        locations=(Location("deploy.yaml", 3),),
        verdict=Verdict.BLOCK,
        reasons=("no valid signature",),
    )
    passed = ImageVerdict("registry.example.com/ok@sha256:" + "a" * 64, (), Verdict.PASS, ())
    findings = verdict_findings([verdict, passed])
    assert len(findings) == 1  # a passing image is no finding
    refs = {str(c) for c in findings[0].controls}
    assert {"SOC2 CC6.8", "ISO27001:2022 A.5.21", "ISO27001:2022 A.8.19"} <= refs


def test_vault_audit_findings_carry_vault_controls() -> None:
    server = FakeVault().start()
    try:
        loaded = load_estate(EXAMPLE_ESTATE)
        seed_estate(server, loaded.estate, age_days=10)
        del server.kv["kv"].secrets["holding/payments-api"]  # declared, missing
        api = connect(VaultSettings(address=server.url, token=Secret(server.root_token)))
        report = audit_secrets(api, loaded.estate, clock=FixedClock(server.now))
    finally:
        server.stop()
    assert report.findings
    for finding in report.findings:
        refs = {str(c) for c in finding.controls}
        # the audit's own controls kept, the vault family's added
        assert "ISO27001:2022 A.5.17" in refs
        assert {"SOC2 CC6.1", "ISO27001:2022 A.8.24", "GDPR Art.32"} <= refs


def test_overdue_vault_secret_controls(tmp_path: Path) -> None:
    server = FakeVault().start()
    try:
        loaded = load_estate(EXAMPLE_ESTATE)
        seed_estate(server, loaded.estate, age_days=10)
        del server.kv["kv"].secrets["holding/payments-api"]
        server.put_kv(
            "kv/holding/payments-api",
            {"value": "x"},
            created=server.now - timedelta(days=400),
            custom_metadata={"owner": "payments-oncall"},
        )
        api = connect(VaultSettings(address=server.url, token=Secret(server.root_token)))
        report = audit_secrets(api, loaded.estate, clock=FixedClock(server.now))
    finally:
        server.stop()
    overdue = [f for f in report.findings if "payments-api" in f.message]
    assert overdue and all("SOC2 CC6.1" in {str(c) for c in f.controls} for f in overdue)
