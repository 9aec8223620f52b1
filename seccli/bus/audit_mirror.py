"""The audit chain mirrored on the organisation's audit subject.

Every local audit entry is published (Msg-Id = entry hash, so a repeat is one message) with its
hash and its predecessor's. Publishing never blocks or loses a local entry: what could not be
sent stays behind a high-water mark kept beside the state database and goes with the next sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seccli.bus.interface import AuditCopy, Bus
from seccli.core.atomic import atomic_write_text
from seccli.core.documents import load_document
from seccli.core.errors import InputError
from seccli.store.audit import AuditEntry

BATCH = 500


def mark_path(store_path: Path) -> Path:
    """Where the mirror's high-water mark lives (per bus, beside the state database)."""
    return store_path.with_name(store_path.name + ".bus-mark.json")


def read_mark(store_path: Path, bus_name: str) -> int:
    """The last sequence number known to be on ``bus_name`` (0 when none)."""
    path = mark_path(store_path)
    if not path.exists():
        return 0
    try:
        data = load_document(path).data
    except InputError:
        return 0  # an unreadable mark only means sending again (publication is idempotent)
    value = data.get(bus_name) if isinstance(data, dict) else None
    return value if isinstance(value, int) and value >= 0 else 0


def write_mark(store_path: Path, bus_name: str, seq: int) -> None:
    """Remember that entries up to ``seq`` are on ``bus_name``."""
    import json

    path = mark_path(store_path)
    data: dict[str, Any] = {}
    if path.exists():
        try:
            loaded = load_document(path).data
            data = dict(loaded) if isinstance(loaded, dict) else {}
        except InputError:
            data = {}
    data[bus_name] = seq
    atomic_write_text(path, json.dumps(data, sort_keys=True, indent=2) + "\n")


def chain_id(entries: Sequence[AuditEntry]) -> str:
    """A chain is named by its first entry's hash."""
    return entries[0].entry_hash if entries else ""


def message_of(entry: AuditEntry) -> dict[str, Any]:
    """What is published for an entry: its position and hashes, never its payload."""
    return {
        "seq": entry.seq,
        "time": entry.time,
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "payloadDigest": entry.payload_digest,
        "prevHash": entry.prev_hash,
        "entryHash": entry.entry_hash,
    }


async def sync(bus: Bus, entries: Sequence[AuditEntry], after: int) -> tuple[int, int]:
    """Publish ``entries`` with a sequence above ``after``; (published, new mark)."""
    chain = chain_id(entries)
    pending = [e for e in entries if e.seq > after]
    published = 0
    mark = after
    for start in range(0, len(pending), BATCH):
        batch = pending[start : start + BATCH]
        published += await bus.publish_audit(chain, [message_of(e) for e in batch])
        mark = batch[-1].seq
    return published, mark


@dataclass(frozen=True, slots=True)
class MirrorCheck:
    """How the bus's copy compares with the local chain."""

    local: int
    mirrored: int
    divergence: str | None
    unsent: int

    @property
    def ok(self) -> bool:
        """The copies agree and nothing is waiting to be sent."""
        return self.divergence is None and self.unsent == 0


def compare(entries: Sequence[AuditEntry], copies: Sequence[AuditCopy]) -> MirrorCheck:
    """Name the first place where the bus's copy and the local chain disagree."""
    chain = chain_id(entries)
    ours: dict[int, AuditCopy] = {}
    for copy in copies:
        if copy.chain != chain:
            continue
        known = ours.get(copy.seq)
        if known is not None and known.entry_hash != copy.entry_hash:
            return MirrorCheck(
                len(entries), len(ours), f"seq {copy.seq}: two different entries on the bus", 0
            )
        ours[copy.seq] = copy
    last_mirrored = max(ours, default=0)
    for entry in entries:
        mirrored = ours.get(entry.seq)
        if mirrored is None:
            if entry.seq < last_mirrored:
                return MirrorCheck(
                    len(entries), len(ours), f"seq {entry.seq}: missing on the bus", 0
                )
            unsent = sum(1 for e in entries if e.seq > last_mirrored)
            return MirrorCheck(len(entries), len(ours), None, unsent)
        if mirrored.entry_hash != entry.entry_hash or mirrored.prev_hash != entry.prev_hash:
            return MirrorCheck(
                len(entries),
                len(ours),
                f"seq {entry.seq}: local entry {entry.entry_hash[:12]} but the bus has "
                f"{mirrored.entry_hash[:12]}",
                0,
            )
    local_head = entries[-1].seq if entries else 0
    if last_mirrored > local_head:
        return MirrorCheck(
            len(entries),
            len(ours),
            f"seq {local_head + 1}: on the bus but not in the local log (entries removed)",
            0,
        )
    return MirrorCheck(len(entries), len(ours), None, 0)
