"""Clear, value-free failures: sealed Vault, permission denied, unreachable, no token; and the
generated policies really confine a service logged in with Kubernetes auth."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from seccli.core.clock import FixedClock
from seccli.core.errors import DependencyError, ExitCode
from seccli.core.redaction import Secret
from seccli.estate.model import Estate
from seccli.secrets.apply import apply_policies, plan_policies
from seccli.secrets.client import VaultApi, VaultSettings, connect
from seccli.secrets.inventory import audit_secrets
from seccli.secrets.policies import role_name
from seccli.secrets.rotation import Rotator
from seccli.store.sqlite import SqliteStore
from tests.fakes.vault import FakeVault
from tests.secrets.conftest import seed_estate, small_estate


def test_sealed_vault_is_a_dependency_error(vault: FakeVault, api: VaultApi) -> None:
    vault.put_kv("kv/shop/app", {"v": "1"})
    vault.sealed = True
    with pytest.raises(DependencyError, match="sealed") as info:
        audit_secrets(api, small_estate({"path": "kv/shop/app"}), clock=FixedClock(vault.now))
    assert info.value.exit_code is ExitCode.DEPENDENCY
    assert info.value.__cause__ is None and info.value.__suppress_context__
    with pytest.raises(DependencyError, match="sealed"):
        api.ensure_unsealed()


def test_permission_denied_is_a_dependency_error(vault: FakeVault, store: SqliteStore) -> None:
    vault.put_kv("kv/shop/app", {"v": "1"}, created=vault.now - timedelta(days=200))
    vault.policies["reader"] = 'path "kv/metadata/shop/*" {\n  capabilities = ["read"]\n}\n'
    token = vault.add_token(["reader"])
    api = connect(VaultSettings(address=vault.url, token=Secret(token)))
    estate = small_estate({"path": "kv/shop/app"})
    report = audit_secrets(api, estate, clock=FixedClock(vault.now))  # metadata: allowed
    assert [s.path for s in report.overdue] == ["kv/shop/app"]
    with pytest.raises(DependencyError, match="permission denied") as info:
        Rotator(api=api, audit=store, actor="t", clock=FixedClock(vault.now)).rotate_estate(estate)
    assert info.value.exit_code is ExitCode.DEPENDENCY
    assert vault.kv_secret("kv/shop/app").current_version == 1  # type: ignore[union-attr]


def test_unreachable_vault() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    api = connect(
        VaultSettings(address=f"http://127.0.0.1:{port}", token=Secret("t0ken"), timeout=2)
    )
    with pytest.raises(DependencyError, match="unreachable"):
        api.kv_metadata("kv", "x")


def test_missing_token_and_bad_token(vault: FakeVault) -> None:
    with pytest.raises(DependencyError, match="no Vault token"):
        connect(VaultSettings(address=vault.url))
    api = connect(VaultSettings(address=vault.url, token=Secret("not-a-token")))
    with pytest.raises(DependencyError, match="permission denied"):
        api.kv_metadata("kv", "x")


def test_generated_policies_confine_a_kubernetes_logged_in_service(
    vault: FakeVault, api: VaultApi, example_estate: Estate
) -> None:
    seed_estate(vault, example_estate)
    changes = plan_policies(api, example_estate)
    assert {c.action for c in changes} == {"create"}
    written = apply_policies(api, changes)
    assert len(written) == len(changes)
    assert {c.action for c in plan_policies(api, example_estate)} == {"unchanged"}
    ledger = next(s for s in example_estate.services if s.name == "payments-ledger")
    jwt = vault.register_jwt(ledger.namespace, ledger.account)
    service = connect(
        VaultSettings(
            address=vault.url, kubernetes_role=role_name(ledger), kubernetes_jwt=Secret(jwt)
        )
    )
    own = service.kv_read("kv", "holding/payments-ledger", 1)
    assert own is not None and own.reveal() == {"value": "v-kv/holding/payments-ledger"}
    assert "v-kv/holding" not in repr(own) and own.keys() == ["value"]
    assert service.kv_metadata("kv", "holding/payments-ledger") is not None
    _, password = service.static_creds("database", "payments-ledger")
    assert password.reveal()
    with pytest.raises(DependencyError, match="permission denied"):
        service.kv_read("kv", "holding/payments-api", 1)
    with pytest.raises(DependencyError, match="permission denied"):
        service.kv_patch_custom_metadata("kv", "holding/payments-ledger", {"x": "y"})
    # Another namespace's service account cannot log in as this role.
    intruder = vault.register_jwt("subs-hoteles", ledger.account)
    with pytest.raises(DependencyError, match="denied"):
        connect(
            VaultSettings(
                address=vault.url,
                kubernetes_role=role_name(ledger),
                kubernetes_jwt=Secret(intruder),
            )
        )


def test_policy_drift_is_shown_as_a_diff(
    vault: FakeVault, api: VaultApi, example_estate: Estate
) -> None:
    apply_policies(api, plan_policies(api, example_estate))
    vault.policies["seccli-holding-payments-api"] += (
        'path "kv/data/*" {\n  capabilities = ["read"]\n}\n'
    )
    vault.k8s_roles["holding-billing"]["bound_service_account_namespaces"] = ["*"]
    drift = {c.name: c for c in plan_policies(api, example_estate) if c.action != "unchanged"}
    assert set(drift) == {"seccli-holding-payments-api", "holding-billing"}
    assert '-path "kv/data/*" {' in drift["seccli-holding-payments-api"].diff
    assert '-    "*"' in drift["holding-billing"].diff
    apply_policies(api, list(drift.values()))
    assert {c.action for c in plan_policies(api, example_estate)} == {"unchanged"}


def test_bad_tls_settings_are_a_dependency_error(vault: FakeVault, tmp_path: object) -> None:
    api = connect(
        VaultSettings(
            address=vault.url.replace("http://", "https://"),
            token=Secret("t0ken"),
            ca_cert="/nonexistent/ca.pem",
            timeout=2,
        )
    )
    with pytest.raises(DependencyError, match="VAULT_CACERT|cannot") as info:
        api.kv_metadata("kv", "x")
    assert info.value.exit_code is ExitCode.DEPENDENCY


def test_malformed_address_is_a_dependency_error() -> None:
    api = connect(VaultSettings(address="vault.example:8200", token=Secret("t0ken"), timeout=2))
    with pytest.raises(DependencyError):
        api.kv_metadata("kv", "x")
