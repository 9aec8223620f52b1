"""Metadata-only age audit of the example estate's 74 secrets against the emulator."""

from __future__ import annotations

from datetime import timedelta

from seccli.core.clock import FixedClock
from seccli.estate.loader import load_estate
from seccli.estate.model import Estate
from seccli.secrets.client import VaultApi
from seccli.secrets.inventory import audit_secrets, parse_vault_time, walk_kv
from tests.fakes.vault import FakeVault
from tests.secrets.conftest import EXAMPLE_ESTATE, seed_estate


def _rules(report: object) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for finding in report.findings:  # type: ignore[attr-defined]
        path = finding.message.split(":", 1)[0].split(" ", 1)[0]
        out.setdefault(finding.rule_id, set()).add(path)
    return out


def test_clean_estate_has_no_findings_and_one_request_per_secret(
    vault: FakeVault, api: VaultApi, example_estate: Estate
) -> None:
    count = seed_estate(vault, example_estate, age_days=10)
    assert count == 74
    before = vault.requests
    report = audit_secrets(api, example_estate, clock=FixedClock(vault.now))
    requests = vault.requests - before
    assert requests <= count + 1  # one metadata read each, plus the mount's config once
    assert len(report.statuses) == 74
    assert report.findings == ()
    assert not report.overdue
    assert all(m == "GET" for m, _ in vault.log[-requests:])
    assert not any("/data/" in p for _, p in vault.log)  # never the values
    payments = next(s for s in report.statuses if s.path == "kv/holding/payments-api")
    assert payments.age_days is not None and 9.9 < payments.age_days < 10.1
    assert payments.rotation_days == 90 and payments.owner


def test_overdue_missing_undeclared_and_unsafe_max_versions(
    vault: FakeVault, api: VaultApi, example_estate: Estate
) -> None:
    seed_estate(vault, example_estate, age_days=10)
    del vault.kv["kv"].secrets["holding/payments-api"]
    vault.put_kv(
        "kv/holding/payments-api",
        {"value": "x"},
        created=vault.now - timedelta(days=120),
        custom_metadata={"owner": "payments-oncall"},
    )
    del vault.kv["kv"].secrets["holding/status-page"]
    vault.put_kv("kv/holding/legacy/forgotten", {"value": "y"})
    vault.kv["kv"].secrets["holding/bot-nlu"].max_versions = 1
    vault.databases["database"]["payments-ledger"].last_rotation = vault.now - timedelta(days=91)
    loaded = load_estate(EXAMPLE_ESTATE)
    report = audit_secrets(
        api,
        example_estate,
        clock=FixedClock(vault.now),
        prefixes=["kv/holding"],
        estate_file=str(EXAMPLE_ESTATE),
        locate=loaded.document.locate,
    )
    rules = _rules(report)
    assert rules["vault.secret.overdue"] == {
        "kv/holding/payments-api",
        "database/static-roles/payments-ledger",
    }
    assert rules["vault.secret.missing"] == {"kv/holding/status-page"}
    assert rules["vault.secret.undeclared"] == {"kv/holding/legacy/forgotten"}
    assert rules["vault.secret.max-versions"] == {"kv/holding/bot-nlu"}
    overdue = {s.path: s for s in report.overdue}
    assert overdue["kv/holding/payments-api"].owner == "payments-oncall"  # custom_metadata wins
    # Declared findings point at the estate line that declares the secret.
    payments = next(f for f in report.findings if "payments-api" in f.message)
    assert payments.location.file == str(EXAMPLE_ESTATE)
    assert payments.location.line is not None
    lines = EXAMPLE_ESTATE.read_text().splitlines()
    assert "kv/holding/payments-api" in lines[payments.location.line - 1]
    # Stable fingerprints: the same audit gives the same ids.
    again = audit_secrets(
        api,
        example_estate,
        clock=FixedClock(vault.now),
        prefixes=["kv/holding"],
        estate_file=str(EXAMPLE_ESTATE),
    )
    assert {f.id for f in again.findings} == {f.id for f in report.findings}


def test_walk_lists_recursively(vault: FakeVault, api: VaultApi) -> None:
    for path in ("kv/a/b/c", "kv/a/d", "kv/e"):
        vault.put_kv(path, {"v": "1"})
    assert walk_kv(api, "kv") == ["kv/a/b/c", "kv/a/d", "kv/e"]
    assert walk_kv(api, "kv/a/b") == ["kv/a/b/c"]
    assert walk_kv(api, "kv/nothing") == []


def test_parse_vault_time_handles_nanoseconds_and_offsets() -> None:
    a = parse_vault_time("2026-01-01T00:00:00.123456789Z")
    b = parse_vault_time("2026-01-01T01:00:00.123456+01:00")
    assert a == b and a.microsecond == 123456


def test_concurrent_audit_gives_the_same_report(
    vault: FakeVault, api: VaultApi, example_estate: Estate
) -> None:
    seed_estate(vault, example_estate, age_days=10)
    vault.kv["kv"].secrets["holding/bot-nlu"].max_versions = 1
    del vault.kv["kv"].secrets["holding/status-page"]
    clock = FixedClock(vault.now)
    serial = audit_secrets(api, example_estate, clock=clock)
    before = vault.requests
    parallel = audit_secrets(api, example_estate, clock=clock, workers=4)
    assert parallel == serial
    assert vault.requests - before <= 74 + 1


def test_missing_database_static_role_is_reported_like_a_missing_kv_secret(
    vault: FakeVault, api: VaultApi, example_estate: Estate
) -> None:
    seed_estate(vault, example_estate, age_days=10)
    del vault.databases["database"]["payments-ledger"]
    report = audit_secrets(api, example_estate, clock=FixedClock(vault.now))
    (finding,) = report.findings
    assert finding.rule_id == "vault.secret.missing"
    assert finding.message == "database/static-roles/payments-ledger: no such database static role"
    assert finding.severity.value == "high" and finding.owner
    status = next(s for s in report.statuses if s.engine == "database")
    assert (status.declared, status.exists, status.overdue) == (True, False, True)
    assert status.service == "holding/payments-ledger" and status.rotation_days == 90
