"""Signed audit checkpoints: a DSSE envelope over the audit log's head, kept beside the database.

The checkpoint file (``state.db.audit-head.json``) proves where the log ends to anyone who trusts
the file system; the signature (``state.db.audit-head.sig.json``) proves it to anyone holding the
public key. The signed statement names the head (sequence and entry hash) and when it was signed;
verifying it checks the signature with the given key, that the chain holds the signed entry with
that hash, and that nothing was appended after it (an unsigned decision is a failure).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seccli.core.hashing import canonical_json
from seccli.store.audit import AuditEntry, AuditHead
from seccli.supplychain.dsse import Envelope, EnvelopeError, parse_envelope, sign_envelope
from seccli.supplychain.keys import PrivateKey, PublicKey

PAYLOAD_TYPE = "application/vnd.seccli.audit-checkpoint+json"
STATEMENT_TYPE = "https://seccli.dev/audit-checkpoint/v1"
MAX_SIGNATURE_BYTES = 64 * 1024


def signature_path(database: Path) -> Path:
    """Where the signed checkpoint of ``database`` is kept."""
    return database.with_name(database.name + ".audit-head.sig.json")


def checkpoint_statement(head: AuditHead, signed_at: str) -> bytes:
    """The signed bytes: canonical JSON naming the head and the signing time."""
    statement = {
        "_type": STATEMENT_TYPE,
        "seq": head.seq,
        "entryHash": head.entry_hash,
        "signedAt": signed_at,
    }
    return canonical_json(statement)


def sign_head(head: AuditHead, key: PrivateKey, signed_at: str) -> Envelope:
    """A DSSE envelope signing ``head`` with ``key``."""
    envelope = sign_envelope(PAYLOAD_TYPE, checkpoint_statement(head, signed_at), key)
    keyid = key.public().key_id
    return Envelope(envelope.payload_type, envelope.payload, ((keyid, envelope.signatures[0][1]),))


def write_signature(database: Path, envelope: Envelope) -> Path:
    """Write the signed checkpoint atomically beside ``database``; return its path."""
    from seccli.core.atomic import atomic_write_bytes

    path = signature_path(database)
    atomic_write_bytes(path, canonical_json(envelope.to_json()) + b"\n")
    return path


@dataclass(frozen=True, slots=True)
class SignedHead:
    """What a signed checkpoint says."""

    seq: int
    entry_hash: str
    signed_at: str
    key_id: str


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """The outcome of checking the signed checkpoint against a key and the verified chain."""

    ok: bool
    reason: str
    signed: SignedHead | None = None
    unsigned_entries: int = 0

    def to_json(self) -> dict[str, Any]:
        """The check as JSON."""
        return {
            "ok": self.ok,
            "reason": self.reason,
            "signedSeq": self.signed.seq if self.signed else None,
            "signedAt": self.signed.signed_at if self.signed else None,
            "keyId": self.signed.key_id if self.signed else None,
            "unsignedEntries": self.unsigned_entries,
        }


def read_envelope(database: Path) -> Envelope | None:
    """The stored signed checkpoint (``None`` when there is none); ``EnvelopeError`` if damaged."""
    from seccli.core.documents import parse_json_bytes, read_file_bytes
    from seccli.core.errors import InputError

    path = signature_path(database)
    if path.is_symlink():
        raise EnvelopeError(f"{path}: the signed checkpoint is a symbolic link")
    if not path.exists():
        return None
    try:
        data = parse_json_bytes(read_file_bytes(path, MAX_SIGNATURE_BYTES), str(path))
    except InputError as exc:
        raise EnvelopeError(f"{path}: {exc.message}") from None
    return parse_envelope(data)


def _signed_head(envelope: Envelope, key: PublicKey) -> SignedHead | str:
    if envelope.payload_type != PAYLOAD_TYPE:
        return f"the signature's payload type is {envelope.payload_type!r}, not {PAYLOAD_TYPE}"
    if not envelope.verified_by(key):
        return f"the signature does not verify with key {key.name} ({key.key_id[:16]})"
    from seccli.core.documents import parse_json_bytes
    from seccli.core.errors import InputError

    try:
        data = parse_json_bytes(envelope.payload, "signed audit checkpoint")
    except InputError as exc:
        return f"the signed statement is not JSON: {exc.message}"
    if not isinstance(data, dict) or data.get("_type") != STATEMENT_TYPE:
        return "the signed statement is not an audit checkpoint"
    seq, digest, when = data.get("seq"), data.get("entryHash"), data.get("signedAt")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        return "the signed statement's seq is not a non-negative integer"
    if not isinstance(digest, str) or not isinstance(when, str):
        return "the signed statement lacks entryHash or signedAt"
    keyid = next((kid for kid, _ in envelope.signatures if kid), key.key_id)
    return SignedHead(seq, digest, when, keyid)


def check_signature(
    envelope: Envelope | None,
    key: PublicKey,
    head: AuditHead | None,
    entry_at: AuditEntry | None,
) -> SignatureCheck:
    """Check the signed checkpoint: signature, the chain's entry at the signed seq, the head.

    ``head`` is the verified end of the chain (``None`` when the chain is broken) and
    ``entry_at`` the chain's entry at the signed sequence number (looked up by the caller).
    """
    if envelope is None:
        return SignatureCheck(False, "the audit checkpoint is not signed (no signature file)")
    signed = _signed_head(envelope, key)
    if isinstance(signed, str):
        return SignatureCheck(False, signed)
    if head is None:
        return SignatureCheck(
            False, "the chain is broken: the signature cannot vouch for it", signed
        )
    if signed.seq > head.seq:
        return SignatureCheck(
            False,
            f"the signature names entry {signed.seq} but the log ends at {head.seq}: "
            "the tail was truncated",
            signed,
        )
    actual = entry_at.entry_hash if entry_at is not None else None
    if signed.seq == 0:
        actual = "0" * 64
    if actual != signed.entry_hash:
        return SignatureCheck(
            False, f"entry {signed.seq} differs from the signed checkpoint: rewritten", signed
        )
    unsigned = head.seq - signed.seq
    if unsigned:
        which = f"entries {signed.seq + 1}-{head.seq} were"
        if unsigned == 1:
            which = f"entry {head.seq} was"
        return SignatureCheck(
            False,
            f"{which} appended after the signed checkpoint and not signed",
            signed,
            unsigned,
        )
    return SignatureCheck(True, f"signed checkpoint at entry {signed.seq} verified", signed)
