"""The store interface every backend implements (SQLite by default)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from seccli.core.findings import Finding
from seccli.store.audit import AuditEntry, AuditHead, AuditVerification


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """What a caller asks to append to the audit log."""

    actor: str
    action: str
    subject: str
    payload: Any = None


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One recorded run of a command."""

    id: str
    command: str
    actor: str
    started_at: str
    finished_at: str | None
    status: str
    exit_code: int | None
    summary: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FindingHistory:
    """A finding's life in one scope: when first and last seen, and when resolved."""

    fingerprint: str
    scope: str
    rule_id: str
    tool: str
    severity: str
    title: str
    file: str
    first_seen: str
    last_seen: str
    resolved_at: str | None


@dataclass(frozen=True, slots=True)
class FindingsDelta:
    """How a run's findings compare with the scope's history."""

    new: tuple[str, ...]
    recurring: tuple[str, ...]
    resolved: tuple[str, ...]


class Store(Protocol):
    """Runs, findings history and the audit log."""

    def start_run(self, command: str, actor: str, summary: dict[str, Any] | None = None) -> str:
        """Record the start of a run and return its id."""
        ...

    def finish_run(
        self, run_id: str, status: str, exit_code: int, summary: dict[str, Any] | None = None
    ) -> None:
        """Record how a run ended."""
        ...

    def runs(self, limit: int = 50) -> list[RunRecord]:
        """The most recent runs, newest first."""
        ...

    def record_findings(
        self, run_id: str, scope: str, findings: Sequence[Finding]
    ) -> FindingsDelta:
        """Update the findings history of ``scope`` with a run's complete set of findings."""
        ...

    def finding_history(self, scope: str | None = None) -> list[FindingHistory]:
        """Every finding ever seen (in ``scope`` if given)."""
        ...

    def append_audit(self, record: AuditRecord) -> AuditEntry:
        """Append one entry to the audit log.

        Raises ``AuditLogInconsistent`` (the log does not end where its checkpoint says) or
        ``AuditLogBroken`` (database or checkpoint damaged) instead of extending such a log.
        """
        ...

    def append_audit_many(self, records: Sequence[AuditRecord]) -> list[AuditEntry]:
        """Append several entries in one transaction (errors as ``append_audit``)."""
        ...

    def audit_entries(self, *, limit: int | None = None, after: int = 0) -> list[AuditEntry]:
        """Entries in sequence order, after sequence ``after``."""
        ...

    def audit_head(self) -> AuditHead | None:
        """The head the separately stored checkpoint records (``None`` without one)."""
        ...

    def verify_audit(self) -> AuditVerification:
        """Verify the whole chain against the checkpoint (``AuditLogBroken`` if unreadable)."""
        ...
