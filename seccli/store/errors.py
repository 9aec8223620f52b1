"""Errors of the state database and its audit log (both exit 3: a gate cannot record, so denies).

``audit verify`` reports them as a broken log (exit 1) instead.
"""

from __future__ import annotations

from seccli.core.errors import DependencyError

_RESTORE_HINT = (
    "investigate tampering, or restore the state database together with its checkpoint "
    "(<database>.audit-head.json) from a backup; seccli never repairs either"
)


class AuditLogBroken(DependencyError):
    """The state database or the audit checkpoint cannot be read as what seccli wrote."""

    def __init__(self, reason: str, *, hint: str | None = _RESTORE_HINT) -> None:
        super().__init__(f"audit log broken/unreadable: {reason}", hint=hint)
        self.reason = reason


class AuditLogInconsistent(DependencyError):
    """The log's head does not match its checkpoint, so appending would hide tampering."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"audit log inconsistent: {reason}",
            hint="nothing was appended; run `seccli audit verify` and investigate before "
            "recording more (seccli never repairs the log or its checkpoint)",
        )
        self.reason = reason
