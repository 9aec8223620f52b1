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
    # 4: playbook runs, their step records and approvals (seccli.soar.records)
    """
    CREATE TABLE playbook_runs (
        id TEXT PRIMARY KEY,
        playbook TEXT NOT NULL,
        actor TEXT NOT NULL,
        state TEXT NOT NULL,
        definition TEXT NOT NULL,
        inputs TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        result TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE playbook_steps (
        run_id TEXT NOT NULL REFERENCES playbook_runs(id),
        step_key TEXT NOT NULL,
        seq INTEGER NOT NULL,
        state TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        inputs_digest TEXT NOT NULL,
        outcome TEXT,
        output TEXT NOT NULL DEFAULT 'null',
        error TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        audited TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (run_id, step_key)
    );
    CREATE TABLE playbook_approvals (
        run_id TEXT NOT NULL REFERENCES playbook_runs(id),
        step_key TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        reason TEXT NOT NULL,
        decision TEXT,
        approver TEXT,
        decision_reason TEXT,
        decided_at TEXT,
        PRIMARY KEY (run_id, step_key)
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
