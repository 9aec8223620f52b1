"""Generated Vault policies and Kubernetes auth roles."""

from __future__ import annotations

import re

from seccli.estate.model import Estate
from seccli.secrets.policies import (
    database_creds_path,
    kubernetes_auth_roles,
    kv_data_path,
    kv_metadata_path,
    vault_policies,
)

_PATH_BLOCK = re.compile(r'path "([^"]+)" \{\n  capabilities = \["read"\]\n\}')


def _granted(hcl: str) -> list[str]:
    return _PATH_BLOCK.findall(hcl)


def test_path_expansion() -> None:
    assert kv_data_path("kv/holding/payments-api") == "kv/data/holding/payments-api"
    assert kv_metadata_path("kv/a/b/c") == "kv/metadata/a/b/c"
    assert (
        database_creds_path("database/static-roles/payments-ledger")
        == "database/static-creds/payments-ledger"
    )
    assert database_creds_path("db/roles/app") == "db/creds/app"
    assert database_creds_path("db/other/x") == "db/other/x"


def test_one_policy_per_consumer_with_only_its_paths(example_estate: Estate) -> None:
    policies = vault_policies(example_estate)
    consumers = [s for s in example_estate.services if s.secrets]
    assert len(policies) == len(consumers)
    total_secrets = sum(len(s.secrets) for s in consumers)
    assert total_secrets == 74
    granted_all: list[str] = []
    for name, hcl in policies.items():
        granted = _granted(hcl)
        assert granted, name
        # Only read, never write/list/delete or wildcards.
        assert "create" not in hcl and "update" not in hcl and "delete" not in hcl
        assert "*" not in hcl and "+" not in hcl
        assert hcl.count("capabilities") == len(granted)
        granted_all += granted
    # No two services share a path.
    assert len(granted_all) == len(set(granted_all))


def test_payments_ledger_policy(example_estate: Estate) -> None:
    hcl = vault_policies(example_estate)["seccli-holding-payments-ledger"]
    assert _granted(hcl) == [
        "database/static-creds/payments-ledger",
        "kv/data/holding/payments-ledger",
        "kv/metadata/holding/payments-ledger",
    ]


def test_services_without_secrets_get_nothing(example_estate: Estate) -> None:
    without = [s for s in example_estate.services if not s.secrets]
    policies = vault_policies(example_estate)
    roles = kubernetes_auth_roles(example_estate)
    for service in without:
        assert f"seccli-{service.namespace}-{service.name}" not in policies
        assert f"{service.namespace}-{service.name}" not in roles


def test_roles_bound_to_namespace_and_account(example_estate: Estate) -> None:
    roles = kubernetes_auth_roles(example_estate)
    policies = vault_policies(example_estate)
    assert set(roles) == {name.removeprefix("seccli-") for name in policies}
    role = roles["holding-payments-ledger"]
    assert role == {
        "bound_service_account_names": ["payments-ledger"],
        "bound_service_account_namespaces": ["holding"],
        "token_policies": ["seccli-holding-payments-ledger"],
        "ttl": "1h",
    }
    for body in roles.values():
        assert "*" not in body["bound_service_account_names"]
        assert "*" not in body["bound_service_account_namespaces"]
        assert set(body["token_policies"]) <= set(policies)


def test_deterministic_and_sorted(example_estate: Estate) -> None:
    first = vault_policies(example_estate)
    reordered = example_estate.model_copy(
        update={"services": tuple(reversed(example_estate.services))}
    )
    second = vault_policies(reordered)
    assert first == second
    assert list(first) == sorted(first)
    assert list(kubernetes_auth_roles(reordered)) == sorted(kubernetes_auth_roles(reordered))
