"""The audit log's hash chain: entry hashing and verification, independent of storage.

Each entry commits to its sequence number, time, actor, action, subject, payload digest and the
previous entry's hash. A separately stored checkpoint (the head) records the last sequence and
hash, so a truncated tail or a fully re-hashed chain is detected too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from seccli.core.hashing import canonical_json, sha256_hex

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry of the audit log."""

    seq: int
    time: str
    actor: str
    action: str
    subject: str
    payload_digest: str
    prev_hash: str
    entry_hash: str
    payload: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The entry as a JSON-ready mapping."""
        return {
            "seq": self.seq,
            "time": self.time,
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "payloadDigest": self.payload_digest,
            "prevHash": self.prev_hash,
            "entryHash": self.entry_hash,
        }


@dataclass(frozen=True, slots=True)
class AuditHead:
    """The checkpoint stored apart from the log: last sequence number and its hash."""

    seq: int
    entry_hash: str


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """Where the chain broke and why."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.reason}"


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """The result of verifying the audit log."""

    entries: int
    head: AuditHead | None
    problems: tuple[AuditProblem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def payload_digest(payload: str) -> str:
    """Digest of an entry's payload (its canonical JSON text)."""
    return sha256_hex(payload)


def entry_hash(
    *,
    seq: int,
    time: str,
    actor: str,
    action: str,
    subject: str,
    payload_digest: str,
    prev_hash: str,
) -> str:
    """The hash an entry must carry, given its fields and its predecessor's hash."""
    body = {
        "seq": seq,
        "time": time,
        "actor": actor,
        "action": action,
        "subject": subject,
        "payloadDigest": payload_digest,
        "prevHash": prev_hash,
    }
    return sha256_hex(canonical_json(body))


def canonical_payload(payload: Any) -> str:
    """The stored text of a payload: canonical JSON."""
    return canonical_json(payload if payload is not None else {}).decode("utf-8")


def verify_chain(entries: Iterable[AuditEntry], head: AuditHead | None) -> AuditVerification:
    """Check every link of the chain and the tail against the checkpoint.

    Detects edited entries (hash mismatch), deleted, inserted or reordered entries (sequence
    gaps and broken links) and a truncated tail (the checkpoint is ahead of the log).
    """
    problems: list[AuditProblem] = []
    previous_hash = GENESIS_HASH
    expected_seq = 1
    count = 0
    last: AuditEntry | None = None
    for entry in entries:
        count += 1
        problem = _check_entry(entry, expected_seq, previous_hash)
        if problem is not None:
            problems.append(problem)
            # Report the first break only: everything after it is unanchored.
            return AuditVerification(count, head, tuple(problems))
        previous_hash = entry.entry_hash
        expected_seq = entry.seq + 1
        last = entry
    problems.extend(_check_head(last, head))
    return AuditVerification(count, head, tuple(problems))


def _check_entry(entry: AuditEntry, expected_seq: int, previous_hash: str) -> AuditProblem | None:
    if entry.seq > expected_seq:
        missing = (
            f"{expected_seq}"
            if entry.seq == expected_seq + 1
            else f"{expected_seq}-{entry.seq - 1}"
        )
        return AuditProblem(entry.seq, f"entries {missing} are missing (deleted)")
    if entry.seq < expected_seq:
        return AuditProblem(entry.seq, "sequence number repeats or goes backwards (inserted)")
    if entry.payload is not None and payload_digest(entry.payload) != entry.payload_digest:
        return AuditProblem(entry.seq, "payload was modified: its digest does not match")
    recomputed = entry_hash(
        seq=entry.seq,
        time=entry.time,
        actor=entry.actor,
        action=entry.action,
        subject=entry.subject,
        payload_digest=entry.payload_digest,
        prev_hash=entry.prev_hash,
    )
    if recomputed != entry.entry_hash:
        return AuditProblem(entry.seq, "entry was modified: its hash does not match its contents")
    if entry.prev_hash != previous_hash:
        return AuditProblem(
            entry.seq,
            "link to the previous entry is broken (an entry was inserted, deleted or reordered "
            "before this one)",
        )
    return None


def _check_head(last: AuditEntry | None, head: AuditHead | None) -> list[AuditProblem]:
    if head is None:
        if last is None:
            return []
        return [AuditProblem(last.seq, "the checkpoint (head) is missing; the tail is unprovable")]
    last_seq = last.seq if last else 0
    if head.seq > last_seq:
        return [
            AuditProblem(
                last_seq + 1,
                f"the log ends at entry {last_seq} but the checkpoint records entry {head.seq}: "
                "the tail was truncated",
            )
        ]
    if head.seq < last_seq:
        return [
            AuditProblem(
                head.seq + 1,
                f"entries after the checkpoint ({head.seq}) were not written through seccli",
            )
        ]
    if last is not None and last.entry_hash != head.entry_hash:
        return [
            AuditProblem(
                last.seq,
                "the last entry's hash differs from the checkpoint: the chain was rewritten",
            )
        ]
    return []
