"""The audit chain as an auditor receives it: entries with payloads, checkpoint, signature."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from seccli.core.hashing import canonical_json
from seccli.store.audit import AuditEntry
from seccli.store.sqlite import SqliteStore

#: Entries read per query while exporting (bounded memory for long logs).
PAGE = 2000


def entry_payload(entry: AuditEntry) -> Any:
    """The entry's payload as JSON data (``None`` if it was removed or is not JSON)."""
    from seccli.core.documents import parse_json_bytes
    from seccli.core.errors import InputError

    if not isinstance(entry.payload, str):
        return None
    try:
        return parse_json_bytes(entry.payload.encode("utf-8"), f"audit entry {entry.seq}")
    except InputError:
        return None


def entry_record(entry: AuditEntry) -> dict[str, Any]:
    """An entry as exported: its hashed fields, its payload and the payload's exact text."""
    return {
        "type": "entry",
        **entry.to_json(),
        "payload": entry_payload(entry),
        "payloadText": entry.payload,
    }


def iter_entries(store: SqliteStore) -> Iterator[AuditEntry]:
    """Every entry in sequence order, read page by page."""
    after = 0
    while True:
        page = store.audit_entries(after=after, limit=PAGE)
        if not page:
            return
        yield from page
        after = page[-1].seq


def export_lines(store: SqliteStore) -> Iterator[str]:
    """JSON lines: every entry, then the checkpoint, then the signed checkpoint (or null)."""
    from seccli.evidence.audit_signature import read_envelope
    from seccli.supplychain.dsse import EnvelopeError

    for entry in iter_entries(store):
        yield canonical_json(entry_record(entry)).decode("utf-8")
    checkpoint = store.audit_checkpoint()
    yield canonical_json(
        {"type": "checkpoint", "checkpoint": checkpoint.to_json() if checkpoint else None}
    ).decode("utf-8")
    try:
        envelope = read_envelope(store.path)
        signature: Any = envelope.to_json() if envelope else None
    except EnvelopeError as exc:
        signature = {"unreadable": str(exc)}
    yield canonical_json({"type": "signature", "envelope": signature}).decode("utf-8")
