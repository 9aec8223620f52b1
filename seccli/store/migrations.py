"""Versioned schema migrations of the SQLite store, applied in order (``PRAGMA user_version``)."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: runs, findings history, audit log
    """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        command TEXT NOT NULL,
        actor TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        exit_code INTEGER,
        summary TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE findings (
        fingerprint TEXT NOT NULL,
        scope TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        tool TEXT NOT NULL,
        severity TEXT NOT NULL,
        title TEXT NOT NULL,
        file TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        resolved_at TEXT,
        last_run_id TEXT REFERENCES runs(id),
        data TEXT NOT NULL,
        PRIMARY KEY (scope, fingerprint)
    );
    CREATE INDEX findings_open ON findings(scope, resolved_at);
    CREATE TABLE run_findings (
        run_id TEXT NOT NULL REFERENCES runs(id),
        fingerprint TEXT NOT NULL,
        PRIMARY KEY (run_id, fingerprint)
    );
    CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        payload TEXT,
        payload_digest TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        entry_hash TEXT NOT NULL
    );
    """,
    # 2: exceptions (accepted risks) with justification, approver and expiry
    """
    CREATE TABLE exceptions (
        id TEXT PRIMARY KEY,
        fingerprint TEXT,
        rule_id TEXT,
        path_glob TEXT,
        justification TEXT NOT NULL,
        approver TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
    # 3: supply-chain verification cache (successes only), keyed by image, digest and policy
    """
    CREATE TABLE verification_cache (
        image TEXT NOT NULL,
        digest TEXT NOT NULL,
        policy_digest TEXT NOT NULL,
        verified_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        result TEXT NOT NULL,
        PRIMARY KEY (image, digest, policy_digest)
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
