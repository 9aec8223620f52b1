"""The audit log's hash chain: entry hashing, checkpoints and verification, independent of storage.

Encoding. An entry's hash is the SHA-256 of the canonical JSON object ``{seq, time, actor,
action, subject, payloadDigest, prevHash}``, where ``seq`` is an integer and every other field a
string, and ``payloadDigest`` is the SHA-256 of the payload's text (canonical JSON). Those are
the only value types seccli writes, so a field holding anything else (NULL, a blob, a number) is
outside the encoding and never verifies: a NULL payload is reported as removed, not skipped.

Checkpoint. A file stored apart from the log records the head the log must end at (sequence and
hash), so a truncated tail, a deleted log or a re-hashed chain is detected. While an append is in
flight it also names the head that append will create (``pending``); a log that ends at either of
the two verifies, so a crash at any step leaves a state that verifies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from seccli.core.hashing import canonical_json, sha256_hex

GENESIS_HASH = "0" * 64
_HASH = re.compile(r"[0-9a-f]{64}")


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
    """A point of the chain: a sequence number and the hash of that entry (0 = genesis)."""

    seq: int
    entry_hash: str


GENESIS = AuditHead(0, GENESIS_HASH)


@dataclass(frozen=True, slots=True)
class AuditCheckpoint:
    """The checkpoint stored apart from the log.

    ``head`` is where the log ends; ``pending``, set only while an append is in flight, is where
    it ends once that append commits. A log ending at either one is consistent.
    """

    head: AuditHead
    pending: AuditHead | None = None

    def to_json(self) -> dict[str, Any]:
        """The stored form: ``{"seq", "entryHash"[, "pending": {"seq", "entryHash"}]}``."""
        data: dict[str, Any] = _head_json(self.head)
        if self.pending is not None:
            data["pending"] = _head_json(self.pending)
        return data

    @classmethod
    def from_json(cls, data: Any) -> AuditCheckpoint:
        """Parse the stored form strictly; ``ValueError`` names what is wrong."""
        if not isinstance(data, dict):
            raise ValueError(f"expected an object, found {_type_name(data)}")
        extra = sorted(set(data) - {"seq", "entryHash", "pending"})
        if extra:
            raise ValueError(f"unexpected field {extra[0]!r}")
        head = _head_from_json(data, "")
        pending = data.get("pending")
        if pending is None:
            if "pending" in data:
                raise ValueError("'pending' is null")
            return cls(head)
        if not isinstance(pending, dict):
            raise ValueError(f"'pending' must be an object, found {_type_name(pending)}")
        if set(pending) - {"seq", "entryHash"}:
            raise ValueError(f"unexpected field in 'pending': {sorted(set(pending))}")
        ahead = _head_from_json(pending, "pending.")
        if ahead.seq <= head.seq:
            raise ValueError("'pending.seq' must be after 'seq'")
        return cls(head, ahead)


def _head_json(head: AuditHead) -> dict[str, Any]:
    return {"seq": head.seq, "entryHash": head.entry_hash}


def _head_from_json(data: dict[str, Any], prefix: str) -> AuditHead:
    seq, digest = data.get("seq"), data.get("entryHash")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ValueError(f"'{prefix}seq' must be a non-negative integer, found {_type_name(seq)}")
    if not isinstance(digest, str) or not _HASH.fullmatch(digest):
        raise ValueError(f"'{prefix}entryHash' must be 64 lowercase hex digits")
    if (seq == 0) != (digest == GENESIS_HASH):
        raise ValueError(f"'{prefix}seq' 0 goes with the genesis hash (all zeros) only")
    return AuditHead(seq, digest)


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return type(value).__name__


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """Where the chain broke and why."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.reason}"


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """The result of verifying the audit log; ``head`` is the verified end of the log."""

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


def verify_chain(
    entries: Iterable[AuditEntry], checkpoint: AuditCheckpoint | None
) -> AuditVerification:
    """Check every link of the chain, then the log's end against the checkpoint.

    Detects edited entries (hash mismatch), values outside the encoding (NULL included),
    deleted, inserted, duplicated or reordered entries (sequence gaps and broken links), a
    truncated tail or deleted log (the checkpoint is ahead), entries added after the checkpoint
    and a re-hashed chain (the end differs from the checkpoint).
    """
    anchor = checkpoint.head.seq if checkpoint is not None else 0
    previous_hash = GENESIS_HASH
    expected_seq = 1
    count = 0
    tail: list[AuditEntry] = []
    for entry in entries:
        count += 1
        problem = check_entry(entry, expected_seq, previous_hash)
        if problem is not None:
            # Report the first break only: everything after it is unanchored.
            return AuditVerification(count, None, (problem,))
        previous_hash = entry.entry_hash
        expected_seq = entry.seq + 1
        if entry.seq >= anchor:
            tail.append(entry)
    head, problem = check_tail(checkpoint, tail, expected_seq - 1)
    return AuditVerification(count, head, (problem,) if problem else ())


def check_entry(entry: AuditEntry, expected_seq: int, previous_hash: str) -> AuditProblem | None:
    """The problem with ``entry`` as the successor of ``previous_hash`` at ``expected_seq``."""
    if not isinstance(entry.seq, int):
        return AuditProblem(expected_seq, "sequence number is not an integer")
    if entry.seq > expected_seq:
        missing = (
            f"{expected_seq}"
            if entry.seq == expected_seq + 1
            else f"{expected_seq}-{entry.seq - 1}"
        )
        return AuditProblem(entry.seq, f"entries {missing} are missing (deleted)")
    if entry.seq < expected_seq:
        return AuditProblem(
            entry.seq, "sequence number repeats or goes backwards (inserted or duplicated)"
        )
    problem = _encoding_problem(entry)
    if problem is not None:
        return AuditProblem(entry.seq, problem)
    if payload_digest(str(entry.payload)) != entry.payload_digest:
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


_TEXT_FIELDS = (
    "time",
    "actor",
    "action",
    "subject",
    "payload_digest",
    "prev_hash",
    "entry_hash",
    "payload",
)


def _encoding_problem(entry: AuditEntry) -> str | None:
    for name in _TEXT_FIELDS:
        value: object = getattr(entry, name)
        if isinstance(value, str):
            continue
        if name == "payload" and value is None:
            return "payload was removed (NULL): seccli writes a payload with every entry"
        return f"{name} was modified: it holds {_type_name(value)}, not text"
    return None


def check_tail(
    checkpoint: AuditCheckpoint | None, tail: Sequence[AuditEntry], log_end: int
) -> tuple[AuditHead | None, AuditProblem | None]:
    """Check where the log ends against the checkpoint; return the verified head.

    ``tail`` holds the log's entries from the checkpoint's head on (the entry at ``head.seq``
    itself first, unless it is genesis), in order; ``log_end`` is the log's last sequence
    number (0 when empty). Entries after the head are accepted only up to exactly the pending
    head of an interrupted append, and only if they link to the head.
    """
    if checkpoint is None:
        if log_end == 0:
            return GENESIS, None
        return None, AuditProblem(
            log_end, "the checkpoint is missing but the log has entries: the tail is unprovable"
        )
    head, pending = checkpoint.head, checkpoint.pending
    after = list(tail)
    if head.seq > 0:
        if log_end < head.seq or not after:
            return None, AuditProblem(
                log_end + 1,
                f"the log ends at entry {log_end} but the checkpoint records entry {head.seq}: "
                "the tail was truncated",
            )
        first = after.pop(0)
        if first.seq != head.seq:
            return None, AuditProblem(
                head.seq, "the entry the checkpoint records is missing (deleted)"
            )
        if first.entry_hash != head.entry_hash:
            return None, AuditProblem(
                head.seq, "the entry's hash differs from the checkpoint: the chain was rewritten"
            )
    if not after:
        return head, None
    outside = AuditProblem(
        after[0].seq,
        f"entries after the checkpoint (entry {head.seq}) were not written through seccli",
    )
    if pending is None or log_end > pending.seq:
        return None, outside
    previous_hash, expected_seq = head.entry_hash, head.seq + 1
    for entry in after:
        problem = check_entry(entry, expected_seq, previous_hash)
        if problem is not None:
            return None, problem
        previous_hash, expected_seq = entry.entry_hash, entry.seq + 1
    last = after[-1]
    if last.seq < pending.seq:
        return None, AuditProblem(
            last.seq + 1,
            f"the log ends at entry {last.seq}, inside the append the checkpoint records as "
            f"ending at entry {pending.seq}: the tail was truncated",
        )
    if last.entry_hash != pending.entry_hash:
        return None, AuditProblem(
            last.seq, "the entry's hash differs from the checkpoint: the chain was rewritten"
        )
    return pending, None
