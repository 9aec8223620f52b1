"""The Vault emulator answers hvac's own high-level calls as Vault documents them."""

from __future__ import annotations

import hvac
import hvac.exceptions
import pytest

from tests.fakes.vault import FakeVault


def _client(vault: FakeVault, token: str | None = None) -> hvac.Client:
    return hvac.Client(url=vault.url, token=token or vault.root_token)


def test_kv_v2_write_read_metadata_and_cas(vault: FakeVault) -> None:
    client = _client(vault)
    kv = client.secrets.kv.v2
    first = kv.create_or_update_secret("a/b", {"k": "v1"}, cas=0, mount_point="kv")
    assert first["data"]["version"] == 1
    with pytest.raises(hvac.exceptions.InvalidRequest, match="check-and-set"):
        kv.create_or_update_secret("a/b", {"k": "x"}, cas=0, mount_point="kv")
    kv.create_or_update_secret("a/b", {"k": "v2"}, cas=1, mount_point="kv")
    read = kv.read_secret_version("a/b", mount_point="kv", raise_on_deleted_version=True)
    assert read["data"]["data"] == {"k": "v2"}
    assert read["data"]["metadata"]["version"] == 2
    old = kv.read_secret_version("a/b", version=1, mount_point="kv", raise_on_deleted_version=True)
    assert old["data"]["data"] == {"k": "v1"}
    meta = kv.read_secret_metadata("a/b", mount_point="kv")["data"]
    assert meta["current_version"] == 2
    assert set(meta["versions"]) == {"1", "2"}
    assert meta["created_time"].endswith("Z")
    assert kv.list_secrets("a", mount_point="kv")["data"]["keys"] == ["b"]
    assert kv.list_secrets("", mount_point="kv")["data"]["keys"] == ["a/"]


def test_max_versions_trims_oldest(vault: FakeVault) -> None:
    kv = _client(vault).secrets.kv.v2
    kv.update_metadata("m", max_versions=2, mount_point="kv")
    for i in range(4):
        kv.create_or_update_secret("m", {"k": str(i)}, mount_point="kv")
    meta = kv.read_secret_metadata("m", mount_point="kv")["data"]
    assert meta["current_version"] == 4
    assert sorted(meta["versions"]) == ["3", "4"]
    assert meta["oldest_version"] == 3


def test_cas_required_on_mount(vault: FakeVault) -> None:
    kv = _client(vault).secrets.kv.v2
    kv.configure(cas_required=True, mount_point="kv")
    with pytest.raises(hvac.exceptions.InvalidRequest, match="required"):
        kv.create_or_update_secret("c", {"k": "v"}, mount_point="kv")
    kv.create_or_update_secret("c", {"k": "v"}, cas=0, mount_point="kv")


def test_delete_undelete_destroy(vault: FakeVault) -> None:
    kv = _client(vault).secrets.kv.v2
    kv.create_or_update_secret("d", {"k": "1"}, mount_point="kv")
    kv.create_or_update_secret("d", {"k": "2"}, mount_point="kv")
    kv.delete_secret_versions("d", [1], mount_point="kv")
    meta = kv.read_secret_metadata("d", mount_point="kv")["data"]
    assert meta["versions"]["1"]["deletion_time"] != ""
    kv.undelete_secret_versions("d", [1], mount_point="kv")
    assert vault.kv_value("kv/d", 1) == {"k": "1"}
    kv.destroy_secret_versions("d", [1], mount_point="kv")
    assert vault.kv_value("kv/d", 1) is None
    assert kv.read_secret_metadata("d", mount_point="kv")["data"]["versions"]["1"]["destroyed"]


def test_policies_are_enforced_and_kubernetes_login(vault: FakeVault) -> None:
    root = _client(vault)
    root.secrets.kv.v2.create_or_update_secret("own", {"k": "v"}, mount_point="kv")
    root.secrets.kv.v2.create_or_update_secret("other", {"k": "v"}, mount_point="kv")
    root.sys.create_or_update_acl_policy(
        "p1", 'path "kv/data/own" {\n  capabilities = ["read"]\n}\n'
    )
    assert "p1" in root.sys.list_acl_policies()["data"]["keys"]
    root.auth.kubernetes.create_role(
        "r1",
        bound_service_account_names=["sa"],
        bound_service_account_namespaces=["ns"],
        policies=["p1"],
    )
    jwt = vault.register_jwt("ns", "sa")
    client = hvac.Client(url=vault.url)
    client.auth.kubernetes.login("r1", jwt)
    assert client.secrets.kv.v2.read_secret_version(
        "own", mount_point="kv", raise_on_deleted_version=True
    )["data"]["data"] == {"k": "v"}
    with pytest.raises(hvac.exceptions.Forbidden):
        client.secrets.kv.v2.read_secret_version(
            "other", mount_point="kv", raise_on_deleted_version=True
        )
    with pytest.raises(hvac.exceptions.Forbidden):
        client.secrets.kv.v2.create_or_update_secret("own", {"k": "x"}, mount_point="kv")
    wrong = vault.register_jwt("other-ns", "sa")
    with pytest.raises(hvac.exceptions.Forbidden):
        hvac.Client(url=vault.url).auth.kubernetes.login("r1", wrong)


def test_sealed_vault_answers_503(vault: FakeVault) -> None:
    client = _client(vault)
    vault.sealed = True
    assert client.sys.is_sealed() is True
    with pytest.raises(hvac.exceptions.VaultDown, match="sealed"):
        client.secrets.kv.v2.read_secret_metadata("x", mount_point="kv")


def test_database_static_role_rotation(vault: FakeVault) -> None:
    client = _client(vault)
    vault.add_static_role(
        "database", "ledger", username="ledger", rotation_period=86400, password="old-password"
    )
    before = client.secrets.database.get_static_credentials("ledger")["data"]
    assert before["password"] == "old-password"
    client.secrets.database.rotate_static_role_credentials("ledger")
    after = client.secrets.database.get_static_credentials("ledger")["data"]
    assert after["password"] != "old-password"
    assert after["ttl"] == 86400
