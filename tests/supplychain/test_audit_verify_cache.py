"""`seccli audit verify` reports cached image verdicts that fail authentication.

The state database is often a CI cache that pull-request jobs can write; the image gate ignores a
forged row, and the audit names it (exit 1) so that the tampering does not go unnoticed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from seccli.cli.app import app
from seccli.store.sqlite import SqliteStore
from seccli.supplychain.registry import RegistryClient
from tests.supplychain.test_cache_auth import Setup, forged_rows, write_row


@pytest.fixture()
def state(tmp_path: Path) -> Iterator[Path]:
    with SqliteStore.open(tmp_path / "state.db") as store:
        yield store.path


@pytest.fixture()
def setup(client: RegistryClient, registry: str, keys: Any, tmp_path: Path) -> Setup:
    return Setup(client, registry, keys, tmp_path)


VARIANTS = ["planted without a mac", "copied from the signed image", "verdict edited", "not json"]


def audit_verify(state: Path, key: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["--store", str(state), "audit", "verify", *extra], env={"SECCLI_CACHE_KEY": str(key)}
    )
    return result.exit_code, result.output


def test_an_authentic_cache_passes_the_audit(setup: Setup, state: Path, tmp_path: Path) -> None:
    gate, cache = setup.gate(state, tmp_path / "key")
    gate.verify(setup.signed)
    cache.close()
    code, out = audit_verify(state, tmp_path / "key", "--format", "json")
    report = json.loads(out)
    assert code == 0, out
    assert report["ok"] is True
    assert report["verificationCache"]["entries"] == 1
    assert report["verificationCache"]["unauthenticated"] == []


@pytest.mark.parametrize("variant", VARIANTS)
def test_forged_cache_rows_fail_the_audit(
    setup: Setup, state: Path, tmp_path: Path, variant: str
) -> None:
    gate, cache = setup.gate(state, tmp_path / "key")
    write_row(state, forged_rows(setup, gate, state)[variant])
    cache.close()
    forged = f"{setup.unsigned.name}@{setup.unsigned.digest}"
    code, out = audit_verify(state, tmp_path / "key")
    assert code == 1, out
    assert "FORGED" in out and forged in out
    code, out = audit_verify(state, tmp_path / "key", "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    assert report["verificationCache"]["unauthenticated"] == [forged]


def test_without_the_key_no_entry_counts_as_authentic(
    setup: Setup, state: Path, tmp_path: Path
) -> None:
    gate, cache = setup.gate(state, tmp_path / "key")
    gate.verify(setup.signed)
    cache.close()
    missing = tmp_path / "elsewhere" / "key"
    code, out = audit_verify(state, missing)
    assert code == 1, out
    assert "no cache key" in out
    assert not missing.exists(), "an audit must not create a key that would bless the rows"
