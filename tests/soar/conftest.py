"""Fixtures for the SOAR tests: a recording HTTP server, the Vault emulator, an engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from seccli.core.clock import FixedClock, SystemClock
from seccli.core.redaction import Secret
from seccli.estate.loader import load_estate
from seccli.org.loader import load_org
from seccli.secrets.client import VaultSettings, connect
from seccli.soar.engine import Engine
from seccli.soar.interface import Endpoint, SoarConfig
from seccli.soar.loader import PlaybookLibrary
from seccli.soar.records import RunRecords
from seccli.store.sqlite import SqliteStore
from tests.fakes.vault import FakeVault
from tests.soar.recording_server import RecordingServer

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
INCIDENTS = ROOT / "examples" / "claytom" / "incidents"
PAGER_KEY = "pd-routing-key-7c1f0e9b2a"
CHAT_TOKEN = "chat-token-4b9d2e71aa"
SHIPPED = sorted(p.stem for p in PLAYBOOKS.glob("*.yaml"))


@pytest.fixture(scope="session")
def estate() -> Any:
    return load_estate(ROOT / "examples" / "claytom" / "estate.yaml").estate


@pytest.fixture(scope="session")
def org() -> Any:
    return load_org(ROOT / "examples" / "claytom" / "org.yaml").org


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    running = RecordingServer().start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def vault(estate: Any) -> Iterator[FakeVault]:
    running = FakeVault().start()
    for service in estate.services:
        for ref in service.secrets:
            if not ref.path.startswith("kv/"):
                continue
            running.put_kv(ref.path, {"value": "initial-" + service.name})
    try:
        yield running
    finally:
        running.stop()


def endpoints(server: RecordingServer) -> dict[str, Endpoint]:
    return {
        "chat": Endpoint(server.url + "/chat", Secret(CHAT_TOKEN)),
        "pagerduty": Endpoint(server.url + "/pagerduty", Secret(PAGER_KEY)),
        "edge": Endpoint(server.url + "/edge"),
        "tickets": Endpoint(server.url + "/tickets"),
    }


@pytest.fixture
def config(
    tmp_path: Path, server: RecordingServer, vault: FakeVault, estate: Any, org: Any
) -> SoarConfig:
    settings = VaultSettings(address=vault.url, token=Secret(vault.root_token), timeout=5)
    return SoarConfig(
        workdir=tmp_path / "work",
        endpoints=endpoints(server),
        estate=estate,
        org=org,
        vault=lambda: connect(settings),
        recent_findings=lambda: [],
        http_timeout=2.0,
    )


@pytest.fixture
def library(config: SoarConfig) -> PlaybookLibrary:
    return PlaybookLibrary((PLAYBOOKS,), config)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore.open(tmp_path / "state.db") as opened:
        yield opened


EngineFactory = Callable[..., Engine]


@pytest.fixture
def make_engine(
    store: SqliteStore, config: SoarConfig, library: PlaybookLibrary
) -> Iterator[EngineFactory]:
    opened: list[RunRecords] = []

    def make(
        clock: Any = None, lib: PlaybookLibrary | None = None, cfg: SoarConfig | None = None
    ) -> Engine:
        used = clock or SystemClock()
        records = RunRecords(store.path, used)
        opened.append(records)
        chosen = lib or library
        return Engine(
            records, store, cfg or config, used, "tester", chosen.resolve, sleep=lambda s: None
        )

    yield make
    for records in opened:
        records.close()


def fixed_clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
