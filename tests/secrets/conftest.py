"""Fixtures for the Vault tests: the example estate, the emulator, an hvac client, a store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from seccli.core.redaction import Secret
from seccli.estate.loader import load_estate
from seccli.estate.model import Estate
from seccli.secrets.client import VaultApi, VaultSettings, connect
from seccli.store.sqlite import SqliteStore
from tests.fakes.vault import FakeVault

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_ESTATE = ROOT / "examples" / "claytom" / "estate.yaml"


@pytest.fixture(scope="session")
def example_estate() -> Estate:
    """The ClayTomSystems example estate."""
    return load_estate(EXAMPLE_ESTATE).estate


@pytest.fixture
def vault() -> Iterator[FakeVault]:
    """A running Vault emulator on 127.0.0.1 (KV v2 at ``kv/``, database at ``database/``)."""
    server = FakeVault().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def api(vault: FakeVault) -> VaultApi:
    """A real hvac client, authenticated with the emulator's root token."""
    return connect(VaultSettings(address=vault.url, token=Secret(vault.root_token)))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    """A fresh state database."""
    with SqliteStore.open(tmp_path / "state.db") as opened:
        yield opened


def small_estate(*secrets: dict[str, object], rotation_days: int = 90) -> Estate:
    """A one-namespace estate whose ``app`` service declares ``secrets``."""
    return Estate.model_validate(
        {
            "apiVersion": "seccli.dev/v1alpha1",
            "kind": "Estate",
            "metadata": {"name": "test"},
            "organisation": "Test",
            "trustDomain": "test.example",
            "cluster": "c1",
            "defaults": {"rotationDays": rotation_days},
            "namespaces": [{"name": "shop", "role": "holding"}],
            "subdomains": [{"name": "pay", "squad": "payments-squad"}],
            "services": [
                {
                    "name": "app",
                    "namespace": "shop",
                    "subdomain": "pay",
                    "image": "registry.example.com/app:1.0",
                    "secrets": list(secrets),
                }
            ],
        }
    )


def seed_estate(vault: FakeVault, estate: Estate, *, age_days: int = 10) -> int:
    """Put every secret the estate declares into the emulator, ``age_days`` old; the count."""
    from datetime import timedelta

    count = 0
    for service in estate.services:
        for ref in service.secrets:
            created = vault.now - timedelta(days=age_days)
            if ref.engine == "database":
                mount, _, rest = ref.path.partition("/")
                name = rest.split("/", 1)[1]
                vault.add_static_role(
                    mount, name, username=name, rotation_period=86400, password="db-pw-" + name
                )
                vault.databases[mount][name].last_rotation = created
            else:
                vault.put_kv(ref.path, {"value": f"v-{ref.path}"}, created=created)
            count += 1
    return count
