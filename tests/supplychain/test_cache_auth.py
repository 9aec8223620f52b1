"""The verification cache proves nothing by being in the database: every way of planting,
copying or editing an entry, and every unusable key file, ends in verifying the image again."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from seccli import __version__
from seccli.core.clock import FixedClock, utc_iso
from seccli.core.imageref import ImageRef
from seccli.store.sqlite import SqliteStore
from seccli.supplychain.cache import CacheKeyError, SqliteCache, open_cache_key
from seccli.supplychain.registry import RegistryClient
from seccli.supplychain.signing import sign_image
from seccli.supplychain.verify import Gate, Verdict
from tests.supplychain.conftest import push_image
from tests.supplychain.test_gate import write_policy

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture()
def state(tmp_path: Path) -> Iterator[Path]:
    with SqliteStore.open(tmp_path / "state.db") as store:
        yield store.path


def rows(db: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT image, digest, policy_digest, verified_at, expires_at, result "
            "FROM verification_cache"
        ).fetchall()


def write_row(db: Path, row: tuple[Any, ...]) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT OR REPLACE INTO verification_cache VALUES (?, ?, ?, ?, ?, ?)", row)


class Setup:
    """A signed and an unsigned image, a policy trusting the signer, a gate over a cache."""

    def __init__(self, client: RegistryClient, registry: str, keys: Any, folder: Path) -> None:
        self.client = client
        self.policy = write_policy(folder, registry, keys["release"][2])
        self.clock = FixedClock(NOW)
        self.signed = push_image(client, registry, "cacheauth/app", tag="signed")
        self.unsigned = push_image(client, registry, "cacheauth/app", tag="unsigned")
        sign_image(client, self.signed, keys["release"][0])

    def gate(self, db: Path, key_path: Path) -> tuple[Gate, SqliteCache]:
        cache = SqliteCache(db, open_cache_key(key_path), self.clock)
        return Gate(self.policy, self.client, cache=cache, clock=self.clock, workers=1), cache


@pytest.fixture()
def setup(client: RegistryClient, registry: str, keys: Any, tmp_path: Path) -> Setup:
    return Setup(client, registry, keys, tmp_path)


def pinned(ref: ImageRef) -> ImageRef:
    return ImageRef(ref.registry, ref.repository, None, ref.digest)


def test_authentic_entries_are_used(setup: Setup, state: Path, tmp_path: Path) -> None:
    gate, cache = setup.gate(state, tmp_path / "key")
    assert gate.verify(setup.signed).cached is False
    again = gate.verify(setup.signed)
    assert again.cached is True and again.verdict is Verdict.PASS and not again.notes
    assert (tmp_path / "key").stat().st_mode & 0o777 == 0o600
    cache.close()


def forged_rows(setup: Setup, gate: Gate, state: Path) -> dict[str, tuple[Any, ...]]:
    """Rows an attacker with write access to the database could plant for the unsigned image."""
    gate.verify(setup.signed)
    (genuine,) = rows(state)
    image, _, scope, verified_at, expires_at, result = genuine
    unsigned_digest = setup.unsigned.digest
    entry = json.loads(result)
    plain = json.dumps({"reasons": ["signed"], "signers": ["release: cosign"], "attestations": []})
    later = utc_iso(NOW + timedelta(days=365))
    return {
        "planted without a mac": (image, unsigned_digest, scope, verified_at, expires_at, plain),
        "planted with a made-up mac": (
            image,
            unsigned_digest,
            scope,
            verified_at,
            expires_at,
            json.dumps({**entry, "mac": "0" * 64}),
        ),
        "copied from the signed image": (
            image,
            unsigned_digest,
            scope,
            verified_at,
            expires_at,
            result,
        ),
        "copied, expiry extended": (image, unsigned_digest, scope, verified_at, later, result),
        "not json": (image, unsigned_digest, scope, verified_at, expires_at, "{not json"),
        "verdict edited": (
            image,
            unsigned_digest,
            scope,
            verified_at,
            expires_at,
            json.dumps({**entry, "verdict": {**entry["verdict"], "signers": ["attacker"]}}),
        ),
        "duplicate keys": (
            image,
            unsigned_digest,
            scope,
            verified_at,
            expires_at,
            result[:-1] + ', "mac": "' + "1" * 64 + '"}',
        ),
    }


@pytest.mark.parametrize(
    "variant",
    [
        "planted without a mac",
        "planted with a made-up mac",
        "copied from the signed image",
        "copied, expiry extended",
        "not json",
        "verdict edited",
        "duplicate keys",
    ],
)
def test_planted_copied_or_edited_entries_are_ignored_and_reported(
    setup: Setup, state: Path, tmp_path: Path, variant: str
) -> None:
    gate, cache = setup.gate(state, tmp_path / "key")
    write_row(state, forged_rows(setup, gate, state)[variant])
    for ref in (setup.unsigned, pinned(setup.unsigned)):  # by tag, and by digest alone
        verdict = gate.verify(ref)
        assert verdict.verdict is Verdict.BLOCK, variant
        assert verdict.cached is False
        assert any("verified again" in note for note in verdict.notes), verdict.notes
        assert "no signature found" in " ".join(verdict.reasons)
    assert cache.unauthenticated_entries() == [f"{setup.unsigned.name}@{setup.unsigned.digest}"]
    cache.close()


def test_an_edited_entry_of_a_signed_image_is_reverified_not_trusted(
    setup: Setup, state: Path, tmp_path: Path
) -> None:
    gate, cache = setup.gate(state, tmp_path / "key")
    gate.verify(setup.signed)
    (row,) = rows(state)
    entry = json.loads(row[5])
    entry["verdict"]["attestations"] = ["https://slsa.dev/provenance/v1 by release"]
    write_row(state, (*row[:5], json.dumps(entry)))
    verdict = gate.verify(setup.signed)
    assert verdict.cached is False and verdict.verdict is Verdict.PASS  # judged afresh
    assert verdict.attestations == () and verdict.notes
    assert gate.verify(setup.signed).cached is True  # the fresh pass replaced the edited row
    cache.close()


def test_a_new_key_ignores_every_old_entry(setup: Setup, state: Path, tmp_path: Path) -> None:
    gate, cache = setup.gate(state, tmp_path / "key")
    gate.verify(setup.signed)
    forged = forged_rows(setup, gate, state)["copied from the signed image"]
    write_row(state, forged)
    cache.close()
    (tmp_path / "key").unlink()  # key file lost: a new one is made on first use
    gate, cache = setup.gate(state, tmp_path / "key")
    assert gate.verify(setup.unsigned).verdict is Verdict.BLOCK
    signed = gate.verify(setup.signed)
    assert signed.cached is False and signed.verdict is Verdict.PASS and signed.notes
    cache.close()


def test_entries_of_another_seccli_version_are_misses(
    setup: Setup, state: Path, tmp_path: Path
) -> None:
    gate, cache = setup.gate(state, tmp_path / "key")
    gate.verify(setup.signed)
    (row,) = rows(state)
    entry = json.loads(row[5])
    assert entry["toolVersion"] == __version__
    write_row(state, (*row[:5], json.dumps({**entry, "toolVersion": "0.0.0-old"})))
    verdict = gate.verify(setup.signed)
    assert verdict.cached is False and verdict.verdict is Verdict.PASS
    cache.close()


def test_a_changed_platform_cap_does_not_reuse_passes(
    setup: Setup, state: Path, tmp_path: Path
) -> None:
    gate, cache = setup.gate(state, tmp_path / "key")
    gate.verify(setup.signed)
    other = Gate(setup.policy, setup.client, cache=cache, clock=setup.clock, max_platforms=2)
    assert other.verify(setup.signed).cached is False
    cache.close()


def test_key_files_that_are_refused(tmp_path: Path) -> None:
    good = open_cache_key(tmp_path / "made" / "key")
    assert len(good.secret.reveal()) == 64 and good.secret.reveal() not in repr(good)
    assert (tmp_path / "made").stat().st_mode & 0o777 == 0o700
    assert open_cache_key(tmp_path / "made" / "key").secret == good.secret

    readable = tmp_path / "readable"
    readable.write_text("a" * 64)
    for mode in (0o644, 0o640, 0o604, 0o660, 0o602):
        readable.chmod(mode)
        with pytest.raises(CacheKeyError, match="open to group or others"):
            open_cache_key(readable)
    readable.chmod(0o400)
    assert open_cache_key(readable).secret.reveal() == "a" * 64

    link = tmp_path / "link"
    link.symlink_to(readable)
    with pytest.raises(CacheKeyError, match="symbolic link"):
        open_cache_key(link)
    folder = tmp_path / "folder"
    folder.mkdir(mode=0o700)
    with pytest.raises(CacheKeyError, match="not a regular file"):
        open_cache_key(folder)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    with pytest.raises(CacheKeyError, match="not a regular file"):
        open_cache_key(fifo)  # refused at once, never blocks
    for content in ("short", "g" * 64, "A" * 64 + "extra", ""):
        bad = tmp_path / "bad"
        bad.write_text(content)
        bad.chmod(0o600)
        with pytest.raises(CacheKeyError, match="64 hex digits"):
            open_cache_key(bad)
    if os.geteuid() == 0:
        foreign = tmp_path / "foreign"
        foreign.write_text("b" * 64)
        foreign.chmod(0o600)
        os.chown(foreign, 65534, 65534)
        with pytest.raises(CacheKeyError, match="another user"):
            open_cache_key(foreign)


def test_concurrent_first_use_agrees_on_one_key(tmp_path: Path) -> None:
    results: list[str] = []

    def make() -> None:
        results.append(open_cache_key(tmp_path / "key").secret.reveal())

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and len(set(results)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key"]  # no staged files left


def test_an_entry_without_pass_verdict_is_never_a_pass(state: Path, tmp_path: Path) -> None:
    key = open_cache_key(tmp_path / "key")
    clock = FixedClock(NOW)
    cache = SqliteCache(state, key, clock)
    cache.put("r/app", "sha256:" + "1" * 64, "scope", {"reasons": []}, 60)
    assert cache.lookup("r/app", "sha256:" + "1" * 64, "scope").result is not None
    assert cache.lookup("r/app", "sha256:" + "2" * 64, "scope").result is None
    assert cache.lookup("r/other", "sha256:" + "1" * 64, "scope").problem is None  # a miss
    clock.advance(timedelta(seconds=61))
    expired = cache.lookup("r/app", "sha256:" + "1" * 64, "scope")
    assert expired.result is None and expired.problem is None
    cache.close()
