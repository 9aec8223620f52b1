"""Two-phase rotation against the emulator, through hvac: happy path, rollback, crash and resume,
CAS conflicts with a concurrent writer or rotator, leases, dry runs and database static roles."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from seccli.core.clock import FixedClock
from seccli.core.errors import InputError
from seccli.core.redaction import Secret
from seccli.estate.model import Estate
from seccli.secrets.client import VaultApi, VaultSettings, connect
from seccli.secrets.inventory import STATE_KEY, audit_secrets
from seccli.secrets.rotation import RotationOptions, Rotator
from seccli.store.sqlite import SqliteStore
from tests.fakes.vault import FakeVault
from tests.secrets.conftest import ROOT, small_estate

PATH = "kv/shop/app"
OLD = {"username": "svc-app", "password": "old-password-123"}
GEN = {"kind": "password", "key": "password", "length": 24}
VERIFY_OK = {"kind": "command", "command": ["sh", "-c", 'test -n "$SECCLI_SECRET_VALUE"']}
VERIFY_FAIL = {"kind": "command", "command": ["sh", "-c", "exit 7"]}


def _estate(verify: dict[str, Any] | None = VERIFY_OK, **extra: Any) -> Estate:
    spec: dict[str, Any] = {"path": PATH, "generator": GEN, **extra}
    if verify is not None:
        spec["verify"] = verify
    return small_estate(spec)


def _seed(vault: FakeVault, age_days: int = 100, path: str = PATH) -> int:
    return vault.put_kv(path, dict(OLD), created=vault.now - timedelta(days=age_days))


def _rotator(api: VaultApi, store: SqliteStore, vault: FakeVault, **kw: Any) -> Rotator:
    return Rotator(api=api, audit=store, actor="tester", clock=FixedClock(vault.now), **kw)


def _actions(store: SqliteStore) -> list[str]:
    return [e.action for e in store.audit_entries()]


def test_happy_path_rotates_in_at_most_six_requests(
    vault: FakeVault, api: VaultApi, store: SqliteStore
) -> None:
    _seed(vault)
    before = len(vault.log)
    [outcome] = _rotator(api, store, vault).rotate_estate(_estate())
    assert outcome.action == "rotated", outcome
    assert (outcome.from_version, outcome.to_version) == (1, 2)
    requests = vault.log[before:]
    per_secret = [r for r in requests if r[1] != "/v1/kv/config"]  # once per mount
    assert len(per_secret) <= 6 and len(requests) - len(per_secret) == 1
    secret = vault.kv_secret(PATH)
    assert secret is not None and secret.current_version == 2
    new = vault.kv_value(PATH)
    assert new is not None
    assert new["username"] == "svc-app"  # other keys kept
    assert new["password"] != OLD["password"] and len(new["password"]) == 24
    assert secret.versions[1].deletion is not None and not secret.versions[1].destroyed
    assert (secret.custom_metadata or {})[STATE_KEY] == "done"
    assert _actions(store) == [
        "vault.rotate.start",
        "vault.rotate.written",
        "vault.rotate.verified",
        "vault.rotate.retired",
        "vault.rotate.done",
    ]
    assert store.verify_audit().ok
    # Rotated: the audit no longer reports it overdue, and a second run does nothing.
    report = audit_secrets(api, _estate(), clock=FixedClock(vault.now))
    assert not report.overdue
    [again] = _rotator(api, store, vault).rotate_estate(_estate())
    assert again.action == "not-due"
    assert vault.kv_secret(PATH).current_version == 2  # type: ignore[union-attr]


def test_destroy_when_declared(vault: FakeVault, api: VaultApi, store: SqliteStore) -> None:
    _seed(vault)
    [outcome] = _rotator(api, store, vault).rotate_estate(_estate(retire="destroy"))
    assert outcome.action == "rotated"
    secret = vault.kv_secret(PATH)
    assert secret is not None and secret.versions[1].destroyed


def test_verification_failure_rolls_back_with_old_value_intact(
    vault: FakeVault, api: VaultApi, store: SqliteStore
) -> None:
    _seed(vault)
    [outcome] = _rotator(api, store, vault).rotate_estate(_estate(verify=VERIFY_FAIL))
    assert outcome.action == "rolled-back" and outcome.failed
    assert "exited 7" in outcome.detail
    secret = vault.kv_secret(PATH)
    assert secret is not None
    assert secret.current_version == 3
    assert vault.kv_value(PATH) == OLD  # the previous value is current again
    assert secret.versions[2].deletion is not None  # the failed value is not served
    assert (secret.custom_metadata or {})[STATE_KEY] == "rolled-back"
    assert "vault.rotate.rolled-back" in _actions(store)
    # The restored value keeps its real age: still overdue, and the failure is reported.
    report = audit_secrets(api, _estate(), clock=FixedClock(vault.now))
    assert [s.path for s in report.overdue] == [PATH]
    assert {f.rule_id for f in report.findings} >= {
        "vault.secret.overdue",
        "vault.secret.rotation-failed",
    }


def test_not_due_and_dry_run_write_nothing(
    vault: FakeVault, api: VaultApi, store: SqliteStore
) -> None:
    _seed(vault, age_days=10)
    _seed(vault, age_days=200, path="kv/shop/old")
    estate = small_estate({"path": PATH}, {"path": "kv/shop/old"})
    outcomes = _rotator(api, store, vault).rotate_estate(estate, RotationOptions(dry_run=True))
    assert [(o.path, o.action) for o in outcomes] == [
        ("kv/shop/app", "not-due"),
        ("kv/shop/old", "planned"),
    ]
    assert all(method == "GET" for method, _ in vault.log)
    assert vault.kv_secret("kv/shop/old").current_version == 1  # type: ignore[union-attr]
    assert _actions(store) == []


def test_only_rejects_undeclared_paths(vault: FakeVault, api: VaultApi, store: SqliteStore) -> None:
    with pytest.raises(InputError, match="not declared"):
        _rotator(api, store, vault).rotate_estate(
            _estate(), RotationOptions(only=("kv/shop/nope",))
        )


def test_cas_conflict_with_a_concurrent_writer(
    vault: FakeVault, api: VaultApi, store: SqliteStore
) -> None:
    _seed(vault)

    def other_writer(method: str, path: str, body: dict[str, Any]) -> None:
        if method == "PATCH" and path == "/v1/kv/data/shop/app":
            vault.hook = None
            vault.put_kv(PATH, {"username": "svc-app", "password": "written-by-someone-else"})

    vault.hook = other_writer
    [outcome] = _rotator(api, store, vault).rotate_estate(_estate())
    assert outcome.action == "conflict" and outcome.failed
    secret = vault.kv_secret(PATH)
    assert secret is not None and secret.current_version == 2  # only the other writer's
    assert vault.kv_value(PATH) == {"username": "svc-app", "password": "written-by-someone-else"}
    assert STATE_KEY not in (secret.custom_metadata or {})  # our pending mark was cleared
    assert secret.versions[1].deletion is None  # nothing retired
    assert "vault.rotate.conflict" in _actions(store)


def test_two_rotators_never_rotate_twice(
    vault: FakeVault, api: VaultApi, store: SqliteStore
) -> None:
    _seed(vault)
    second_api = connect(VaultSettings(address=vault.url, token=Secret(vault.root_token)))
    second = _rotator(second_api, store, vault)
    results: list[str] = []

    def race(method: str, path: str, body: dict[str, Any]) -> None:
        # Rotator A is about to write; rotator B (lease expired) runs completely first.
        if method == "PATCH" and path == "/v1/kv/data/shop/app":
            vault.hook = None
            [b] = second.rotate_estate(_estate(), RotationOptions(lease=timedelta(0)))
            results.append(b.action)

    vault.hook = race
    [a] = _rotator(api, store, vault).rotate_estate(_estate())
    assert results == ["rotated"]
    assert a.action == "conflict"
    secret = vault.kv_secret(PATH)
    assert secret is not None and secret.current_version == 2  # one rotation, not two
    assert (secret.custom_metadata or {})[STATE_KEY] == "done"


def test_a_fresh_rotation_state_holds_the_lease(
    vault: FakeVault, api: VaultApi, store: SqliteStore
) -> None:
    _seed(vault)
    vault.put_kv(
        PATH,
        dict(OLD),
        custom_metadata={
            STATE_KEY: "pending",
            "seccli-rotation-from": "2",
            "seccli-rotation-started": "2026-01-01T00:00:00Z",
        },
    )
    [outcome] = _rotator(api, store, vault).rotate_estate(_estate())
    assert outcome.action == "in-progress"
    assert vault.kv_secret(PATH).current_version == 2  # type: ignore[union-attr]


_CRASH_SCRIPT = """
import json, os, signal, sys
from datetime import datetime
from seccli.core.clock import FixedClock
from seccli.core.redaction import Secret
from seccli.estate.model import Estate
from seccli.secrets.client import VaultSettings, connect
from seccli.secrets.rotation import Rotator
from seccli.store.sqlite import SqliteStore

url, token, estate_file, db, phase, now = sys.argv[1:7]
estate = Estate.model_validate(json.load(open(estate_file)))
api = connect(VaultSettings(address=url, token=Secret(token)))

def crash(reached, path):
    if reached == phase:
        os.kill(os.getpid(), signal.SIGKILL)

with SqliteStore.open(__import__("pathlib").Path(db)) as store:
    Rotator(api=api, audit=store, actor="crashy", clock=FixedClock(datetime.fromisoformat(now)),
            checkpoint=crash).rotate_estate(estate)
print("no crash")
"""


@pytest.mark.parametrize("phase", ["pending", "written", "verifying", "retired"])
def test_crash_between_phases_resumes_without_double_rotation(
    vault: FakeVault, api: VaultApi, store: SqliteStore, tmp_path: Path, phase: str
) -> None:
    _seed(vault)
    estate = _estate()
    estate_file = tmp_path / "estate.json"
    estate_file.write_text(json.dumps(estate.model_dump(mode="json", by_alias=True)))
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _CRASH_SCRIPT,
            vault.url,
            vault.root_token,
            str(estate_file),
            str(store.path),
            phase,
            vault.now.isoformat(),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == -9, done.stderr  # killed by SIGKILL mid-rotation
    secret = vault.kv_secret(PATH)
    assert secret is not None
    assert (secret.custom_metadata or {})[STATE_KEY] in ("pending", "verifying")
    versions_after_crash = secret.current_version
    # A second run within the lease leaves it alone; after the lease it resumes.
    [held] = _rotator(api, store, vault).rotate_estate(estate)
    assert held.action == "in-progress"
    vault.advance(timedelta(minutes=20))
    [resumed] = _rotator(api, store, vault).rotate_estate(estate)
    assert resumed.action == "rotated", resumed
    assert secret.current_version == 2  # exactly one new version, whatever the phase
    assert versions_after_crash in (1, 2)
    assert (secret.custom_metadata or {})[STATE_KEY] == "done"
    assert secret.versions[1].deletion is not None
    new = vault.kv_value(PATH)
    assert new is not None and new["password"] != OLD["password"]
    actions = _actions(store)
    assert "vault.rotate.resume" in actions and actions[-1] == "vault.rotate.done"
    assert store.verify_audit().ok


def test_database_static_role_rotation_checks_ttl(
    vault: FakeVault, api: VaultApi, store: SqliteStore
) -> None:
    vault.add_static_role(
        "database", "ledger", username="ledger", rotation_period=86400, password="db-old-pass"
    )
    vault.databases["database"]["ledger"].last_rotation = vault.now - timedelta(days=120)
    estate = small_estate({"path": "database/static-roles/ledger", "engine": "database"})
    before = vault.requests
    [outcome] = _rotator(api, store, vault).rotate_estate(estate)
    assert outcome.action == "rotated", outcome
    assert vault.requests - before <= 6
    assert vault.databases["database"]["ledger"].password != "db-old-pass"
    assert _actions(store) == ["vault.rotate.start", "vault.rotate.done"]
    # A rotate-role that does not renew the password fails the rotation.
    vault.databases["database"]["ledger"].last_rotation = vault.now - timedelta(days=120)
    vault.hook = _freeze_rotation(vault)
    [failed] = _rotator(api, store, vault).rotate_estate(estate)
    assert failed.action == "failed" and "did not renew" in failed.detail


def _freeze_rotation(vault: FakeVault) -> Any:
    def hook(method: str, path: str, body: dict[str, Any]) -> None:
        if path.endswith("/rotate-role/ledger"):
            from tests.fakes.vault import Fault

            raise Fault(204)

    return hook


def test_refuses_when_max_versions_leaves_nothing_to_roll_back_to(
    vault: FakeVault, api: VaultApi, store: SqliteStore
) -> None:
    vault.put_kv(PATH, dict(OLD), created=vault.now - timedelta(days=100), max_versions=1)
    [outcome] = _rotator(api, store, vault).rotate_estate(_estate())
    assert outcome.action == "failed" and "max_versions is 1" in outcome.detail
    assert vault.kv_secret(PATH).current_version == 1  # type: ignore[union-attr]
    # The same through the mount's setting.
    vault.kv_secret(PATH).max_versions = 0  # type: ignore[union-attr]
    vault.kv["kv"].max_versions = 1
    [again] = _rotator(api, store, vault).rotate_estate(_estate())
    assert again.action == "failed"
    vault.kv["kv"].max_versions = 5
    [ok] = _rotator(api, store, vault).rotate_estate(_estate())
    assert ok.action == "rotated"


def test_rotator_and_auditor_policies_are_sufficient_and_least_privilege(
    vault: FakeVault, store: SqliteStore
) -> None:
    from seccli.core.errors import DependencyError
    from seccli.secrets.policies import AUDITOR_POLICY, ROTATOR_POLICY, operator_policies

    estate = small_estate(
        {"path": PATH, "generator": GEN, "verify": VERIFY_OK},
        {"path": "kv/shop/gone", "generator": GEN, "verify": VERIFY_FAIL, "retire": "destroy"},
        {"path": "database/static-roles/ledger", "engine": "database"},
    )
    _seed(vault)
    _seed(vault, path="kv/shop/gone")
    vault.put_kv("kv/other/secret", {"v": "not-yours"}, created=vault.now - timedelta(days=300))
    vault.add_static_role(
        "database", "ledger", username="ledger", rotation_period=86400, password="db-old-pass"
    )
    vault.databases["database"]["ledger"].last_rotation = vault.now - timedelta(days=120)
    vault.policies.update(operator_policies(estate))
    auditor = connect(
        VaultSettings(address=vault.url, token=Secret(vault.add_token([AUDITOR_POLICY])))
    )
    report = audit_secrets(
        auditor, estate, clock=FixedClock(vault.now), prefixes=["kv"], min_max_versions=3
    )
    assert len(report.overdue) == 3
    assert "kv/other/secret" in {s.path for s in report.statuses}
    with pytest.raises(DependencyError, match="permission denied"):
        auditor.kv_read("kv", "shop/app", 1)
    rotator = connect(
        VaultSettings(address=vault.url, token=Secret(vault.add_token([ROTATOR_POLICY])))
    )
    outcomes = _rotator(rotator, store, vault).rotate_estate(estate)
    assert {o.path: o.action for o in outcomes} == {
        "database/static-roles/ledger": "rotated",
        "kv/shop/app": "rotated",
        "kv/shop/gone": "rolled-back",
    }
    with pytest.raises(DependencyError, match="permission denied"):
        rotator.kv_read("kv", "other/secret", 1)
    with pytest.raises(DependencyError, match="permission denied"):
        rotator.kv_retire("kv", "shop/app", [2], destroy=True)  # retire: delete, not destroy


def test_deleted_current_version_and_failing_generator_hook(
    vault: FakeVault, api: VaultApi, store: SqliteStore
) -> None:
    _seed(vault)
    _seed(vault, path="kv/shop/hooked")
    _seed(vault, path="kv/shop/fine")
    vault.kv_secret(PATH).versions[1].deletion = vault.now  # type: ignore[union-attr]
    estate = small_estate(
        {"path": PATH},
        {"path": "kv/shop/hooked", "generator": {"kind": "command", "command": ["false"]}},
        {"path": "kv/shop/fine"},
    )
    outcomes = {o.path: o for o in _rotator(api, store, vault).rotate_estate(estate)}
    assert outcomes[PATH].action == "failed" and "deleted" in outcomes[PATH].detail
    assert outcomes["kv/shop/hooked"].action == "failed"
    assert "generator hook" in outcomes["kv/shop/hooked"].detail
    assert outcomes["kv/shop/fine"].action == "rotated"  # the others still rotate
    assert vault.kv_secret("kv/shop/hooked").current_version == 1  # type: ignore[union-attr]


def test_resume_after_retire_then_failed_verification_undeletes_the_old_value(
    vault: FakeVault, api: VaultApi, store: SqliteStore
) -> None:
    # A run crashed after retiring version 1; on resume the verification now fails.
    _seed(vault)
    vault.put_kv(
        PATH,
        {"username": "svc-app", "password": "new-but-broken"},
        custom_metadata={
            STATE_KEY: "verifying",
            "seccli-rotation-from": "1",
            "seccli-rotation-to": "2",
            "seccli-rotation-started": "2025-12-01T00:00:00Z",
        },
    )
    vault.kv_secret(PATH).versions[1].deletion = vault.now  # type: ignore[union-attr]
    [outcome] = _rotator(api, store, vault).rotate_estate(_estate(verify=VERIFY_FAIL))
    assert outcome.action == "rolled-back", outcome
    assert vault.kv_value(PATH) == OLD
    assert vault.kv_secret(PATH).current_version == 3  # type: ignore[union-attr]


def test_rollback_restores_non_string_values_exactly(
    vault: FakeVault, api: VaultApi, store: SqliteStore
) -> None:
    old = {"password": "old-password-123", "port": 5432, "tls": True, "hosts": ["a", "b"]}
    vault.put_kv(PATH, old, created=vault.now - timedelta(days=100))
    [outcome] = _rotator(api, store, vault).rotate_estate(_estate(verify=VERIFY_FAIL))
    assert outcome.action == "rolled-back"
    assert vault.kv_value(PATH) == old  # types intact, not stringified


def test_steps_are_recorded_even_when_vault_fails_mid_rotation(
    vault: FakeVault, api: VaultApi, store: SqliteStore
) -> None:
    from seccli.core.errors import DependencyError

    _seed(vault)

    def seal_on_retire(method: str, path: str, body: dict[str, Any]) -> None:
        if path == "/v1/kv/delete/shop/app":
            vault.sealed = True

    vault.hook = seal_on_retire
    with pytest.raises(DependencyError, match="sealed"):
        _rotator(api, store, vault).rotate_estate(_estate())
    assert _actions(store) == [
        "vault.rotate.start",
        "vault.rotate.written",
        "vault.rotate.verified",
    ]
