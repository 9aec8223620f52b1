"""The verification cache: successful verifications only, keyed by (image, digest, policy hash),
with an expiry. A changed policy (or key, or trusted root) has another hash, so it never reuses
an old result; a failure is never cached, so a fixed image is re-checked at once.

The state database is often a CI cache that pull-request jobs can write, so a row there proves
nothing by itself. Every entry of ``SqliteCache`` carries an HMAC-SHA256, under a key kept
outside the database (``CacheKey``: a file of mode 0600 owned by us, created on first use), over
the whole verdict, the image, its digest, the policy digest, the seccli version and the
validity times. An entry that fails authentication is not used (the image is verified again)
and is reported (``CacheLookup.problem``). Without a usable key there is no cache at all.

The table belongs to the store's schema (migration 3); this module opens its own connection to
the same SQLite file (WAL mode), so worker threads can share one cache.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import stat
import threading
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from seccli import __version__
from seccli.core.clock import Clock, SystemClock, utc_iso
from seccli.core.documents import parse_documents
from seccli.core.errors import DependencyError, InputError
from seccli.core.redaction import Secret

KEY_FILE_NAME = "verification-cache.key"
ENTRY_FORMAT = 1
_KEY_HEX_LENGTH = 64


@dataclass(frozen=True, slots=True)
class CacheLookup:
    """A lookup's outcome: an authenticated fresh result, or nothing; ``problem`` says why an
    entry that was there could not be trusted."""

    result: dict[str, Any] | None = None
    problem: str | None = None


class VerificationCache(Protocol):
    """Where successful verifications are remembered."""

    def lookup(self, image: str, digest: str, policy_digest: str) -> CacheLookup:
        """A fresh, authentic cached result, or why there is none worth reporting."""
        ...

    def put(
        self, image: str, digest: str, policy_digest: str, result: dict[str, Any], ttl: int
    ) -> None:
        """Remember a successful result for ``ttl`` seconds."""
        ...


class MemoryCache:
    """A process-local cache (tests, and runs without a store); nothing outside can write it."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._items: dict[tuple[str, str, str], tuple[datetime, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def lookup(self, image: str, digest: str, policy_digest: str) -> CacheLookup:
        with self._lock:
            item = self._items.get((image, digest, policy_digest))
        if item is None or item[0] <= self._clock.now():
            return CacheLookup()
        return CacheLookup(dict(item[1]))

    def put(
        self, image: str, digest: str, policy_digest: str, result: dict[str, Any], ttl: int
    ) -> None:
        if ttl <= 0:
            return
        with self._lock:
            self._items[(image, digest, policy_digest)] = (
                self._clock.now() + timedelta(seconds=ttl),
                dict(result),
            )


# --- the key ------------------------------------------------------------------------------


class CacheKeyError(DependencyError):
    """The cache key file cannot be used (so the cache is not used either)."""


@dataclass(frozen=True, slots=True)
class CacheKey:
    """The HMAC key of the verification cache and the file it came from."""

    path: Path
    secret: Secret

    def sign(self, message: bytes) -> str:
        """HMAC-SHA256 of ``message``, hex."""
        return hmac.new(bytes.fromhex(self.secret.reveal()), message, hashlib.sha256).hexdigest()


def open_cache_key(path: Path) -> CacheKey:
    """The key in ``path``, created (random, mode 0600) when the file does not exist.

    Refused with ``CacheKeyError``: a symbolic link, anything but a regular file, a file
    owned by another user or readable/writable by group or others, or content that is not
    64 hex digits.
    """
    try:
        return _read_key(path)
    except FileNotFoundError:
        _create_key(path)
        return _read_key(path)


def _read_key(path: Path) -> CacheKey:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise CacheKeyError(f"{path}: the cache key is a symbolic link; refused") from None
        raise CacheKeyError(f"{path}: cannot read the cache key: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise CacheKeyError(f"{path}: the cache key is not a regular file; refused")
        if info.st_uid != os.geteuid():
            raise CacheKeyError(f"{path}: the cache key belongs to another user; refused")
        if info.st_mode & 0o077:
            raise CacheKeyError(
                f"{path}: the cache key is open to group or others "
                f"(mode {stat.S_IMODE(info.st_mode):04o}); refused",
                hint=f"chmod 600 {path}, or delete it to start a new cache",
            )
        raw = os.read(fd, 256)
    finally:
        os.close(fd)
    text = raw.decode("ascii", "replace").strip()
    if len(text) != _KEY_HEX_LENGTH or any(ch not in "0123456789abcdef" for ch in text):
        raise CacheKeyError(f"{path}: the cache key is not {_KEY_HEX_LENGTH} hex digits")
    return CacheKey(path, Secret(text))


def _create_key(path: Path) -> None:
    """Write a new key beside ``path`` (O_EXCL, 0600) and link it into place: of two
    processes creating it at once, one wins and both read the same complete key."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        staged = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(staged, flags, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, (secrets.token_hex(_KEY_HEX_LENGTH // 2) + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(staged, path)
        except FileExistsError:
            pass  # another process was first; its key is used
        finally:
            staged.unlink(missing_ok=True)
    except OSError as exc:
        raise CacheKeyError(f"{path}: cannot create the cache key: {exc.strerror}") from None


# --- the SQLite cache ------------------------------------------------------------------------


def _signed_bytes(
    image: str,
    digest: str,
    policy_digest: str,
    verified_at: str,
    expires_at: str,
    tool_version: str,
    verdict: Any,
) -> bytes:
    fields = {
        "format": ENTRY_FORMAT,
        "image": image,
        "digest": digest,
        "policyDigest": policy_digest,
        "verifiedAt": verified_at,
        "expiresAt": expires_at,
        "toolVersion": tool_version,
        "verdict": verdict,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


class SqliteCache:
    """The cache in the state database's ``verification_cache`` table, authenticated by
    ``key``."""

    def __init__(self, path: Path, key: CacheKey, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._key = key
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

    def lookup(self, image: str, digest: str, policy_digest: str) -> CacheLookup:
        now = utc_iso(self._clock.now())
        try:
            with self._lock:
                row = self._db.execute(
                    "SELECT verified_at, expires_at, result FROM verification_cache "
                    "WHERE image=? AND digest=? AND policy_digest=?",
                    (image, digest, policy_digest),
                ).fetchone()
        except sqlite3.DatabaseError as exc:
            return CacheLookup(problem=f"verification cache unreadable ({exc})")
        if row is None:
            return CacheLookup()
        verified_at, expires_at, stored = row
        where = f"cache entry for {image}@{digest}"
        entry = _parse_entry(stored)
        if entry is None or not isinstance(verified_at, str) or not isinstance(expires_at, str):
            return CacheLookup(problem=f"{where} is malformed or unauthenticated; not used")
        if entry["toolVersion"] != __version__:
            return CacheLookup()  # written by another seccli version: simply stale
        expected = self._key.sign(
            _signed_bytes(
                image,
                digest,
                policy_digest,
                verified_at,
                expires_at,
                __version__,
                entry["verdict"],
            )
        )
        if not hmac.compare_digest(expected, entry["mac"]):
            return CacheLookup(problem=f"{where} failed authentication; not used")
        verdict = entry["verdict"]
        if not isinstance(verdict, dict) or verdict.get("verdict") != "pass":
            return CacheLookup(problem=f"{where} holds no pass verdict; not used")
        if expires_at <= now or verified_at > now:
            return CacheLookup()
        return CacheLookup(dict(verdict))

    def put(
        self, image: str, digest: str, policy_digest: str, result: dict[str, Any], ttl: int
    ) -> None:
        if ttl <= 0:
            return
        now = self._clock.now()
        verified_at = utc_iso(now)
        expires_at = utc_iso(now + timedelta(seconds=ttl))
        verdict = {**result, "verdict": "pass"}
        mac = self._key.sign(
            _signed_bytes(
                image, digest, policy_digest, verified_at, expires_at, __version__, verdict
            )
        )
        stored = {"format": ENTRY_FORMAT, "toolVersion": __version__, "verdict": verdict}
        stored["mac"] = mac
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO verification_cache "
                "(image, digest, policy_digest, verified_at, expires_at, result) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    image,
                    digest,
                    policy_digest,
                    verified_at,
                    expires_at,
                    json.dumps(stored, sort_keys=True),
                ),
            )

    def unauthenticated_entries(self) -> list[str]:
        """Every entry that fails authentication, as ``image@digest`` (for audits)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT image, digest, policy_digest FROM verification_cache"
            ).fetchall()
        bad: list[str] = []
        for image, digest, policy_digest in rows:
            if self.lookup(str(image), str(digest), str(policy_digest)).problem is not None:
                bad.append(f"{image}@{digest}")
        return bad


def _parse_entry(stored: Any) -> dict[str, Any] | None:
    """The stored JSON when it has the signed entry's shape, else ``None``."""
    if not isinstance(stored, str) or len(stored) > 1_000_000:
        return None
    try:
        entry = parse_documents(stored, "verification cache entry", fmt="json")[0].data
    except (InputError, IndexError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != ENTRY_FORMAT:
        return None
    if not isinstance(entry.get("mac"), str) or not isinstance(entry.get("toolVersion"), str):
        return None
    if "verdict" not in entry:
        return None
    return entry


@dataclass(frozen=True, slots=True)
class CacheAudit:
    """What an audit of the verification cache found: how many entries and which fail
    authentication (a forged, copied or edited row, or rows whose key is gone)."""

    entries: int
    unauthenticated: tuple[str, ...]
    problem: str | None = None


def audit_verification_cache(db_path: Path, key_path: Path) -> CacheAudit:
    """Check every cached verdict against the key in ``key_path`` without creating a key.

    Without the key nothing in the cache can be authenticated, so every entry is reported.
    """
    try:
        key: CacheKey | None = _read_key(key_path)
    except FileNotFoundError:
        key = None
    except CacheKeyError as exc:
        return CacheAudit(0, (), problem=exc.message)
    try:
        with closing(sqlite3.connect(db_path.resolve().as_uri() + "?mode=ro", uri=True)) as db:
            rows = db.execute("SELECT image, digest FROM verification_cache").fetchall()
    except sqlite3.DatabaseError as exc:
        return CacheAudit(0, (), problem=f"verification cache unreadable ({exc})")
    if not rows:
        return CacheAudit(0, ())
    if key is None:
        names = tuple(sorted(f"{image}@{digest}" for image, digest in rows))
        return CacheAudit(len(rows), names, problem=f"{key_path}: no cache key to check against")
    cache = SqliteCache(db_path, key)
    try:
        return CacheAudit(len(rows), tuple(sorted(cache.unauthenticated_entries())))
    finally:
        cache.close()
