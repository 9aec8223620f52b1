"""The verification cache: successful verifications only, keyed by (image, digest, policy hash),
with an expiry. A changed policy (or key, or trusted root) has another hash, so it never reuses
an old result; a failure is never cached, so a fixed image is re-checked at once.

The table belongs to the store's schema (migration 3); this module opens its own connection to
the same SQLite file (WAL mode), so worker threads can share one cache.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from seccli.core.clock import Clock, SystemClock, utc_iso
from seccli.core.errors import DependencyError


class VerificationCache(Protocol):
    """Where successful verifications are remembered."""

    def get(self, image: str, digest: str, policy_digest: str) -> dict[str, Any] | None:
        """A fresh cached result, or ``None``."""
        ...

    def put(
        self, image: str, digest: str, policy_digest: str, result: dict[str, Any], ttl: int
    ) -> None:
        """Remember a successful result for ``ttl`` seconds."""
        ...


class MemoryCache:
    """A process-local cache (tests, and runs without a store)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._items: dict[tuple[str, str, str], tuple[datetime, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, image: str, digest: str, policy_digest: str) -> dict[str, Any] | None:
        with self._lock:
            item = self._items.get((image, digest, policy_digest))
        if item is None or item[0] <= self._clock.now():
            return None
        return item[1]

    def put(
        self, image: str, digest: str, policy_digest: str, result: dict[str, Any], ttl: int
    ) -> None:
        if ttl <= 0:
            return
        with self._lock:
            self._items[(image, digest, policy_digest)] = (
                self._clock.now() + timedelta(seconds=ttl),
                result,
            )


class SqliteCache:
    """The cache in the state database's ``verification_cache`` table."""

    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(
                str(path), timeout=30.0, isolation_level=None, check_same_thread=False
            )
            self._db.execute("SELECT 1 FROM verification_cache LIMIT 1")
        except sqlite3.DatabaseError as exc:
            raise DependencyError(f"{path}: verification cache unavailable: {exc}") from None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def get(self, image: str, digest: str, policy_digest: str) -> dict[str, Any] | None:
        now = utc_iso(self._clock.now())
        with self._lock:
            row = self._db.execute(
                "SELECT result FROM verification_cache WHERE image=? AND digest=? "
                "AND policy_digest=? AND expires_at > ?",
                (image, digest, policy_digest, now),
            ).fetchone()
        if row is None:
            return None
        try:
            value = json.loads(row[0])
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def put(
        self, image: str, digest: str, policy_digest: str, result: dict[str, Any], ttl: int
    ) -> None:
        if ttl <= 0:
            return
        now = self._clock.now()
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO verification_cache "
                "(image, digest, policy_digest, verified_at, expires_at, result) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    image,
                    digest,
                    policy_digest,
                    utc_iso(now),
                    utc_iso(now + timedelta(seconds=ttl)),
                    json.dumps(result, sort_keys=True),
                ),
            )
