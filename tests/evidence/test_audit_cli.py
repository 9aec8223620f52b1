"""``audit show``, ``audit export``, signed checkpoints and ``audit verify --key``."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from seccli.core.hashing import sha256_hex
from seccli.evidence.audit_signature import (
    check_signature,
    sign_head,
    signature_path,
)
from seccli.store.audit import AuditHead, entry_hash
from seccli.store.interface import AuditRecord
from seccli.store.sqlite import SqliteStore
from seccli.supplychain.keys import generate_key_pair, load_private_key, load_public_key_file
from tests.evidence.conftest import run_cli


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SECCLI_AUDIT_SIGNING_KEY", raising=False)
    db = tmp_path / "state.db"
    monkeypatch.setenv("SECCLI_STORE", str(db))
    with SqliteStore.open(db, create=True) as opened:
        for n in range(3):
            opened.append_audit(AuditRecord("alice", "scan", f"repo-{n}", {"n": n, "text": "é ✓"}))
    return db


def _keys(tmp_path: Path, name: str = "audit") -> tuple[Path, Path]:
    private, public = generate_key_pair()
    (tmp_path / f"{name}.key").write_bytes(private)
    (tmp_path / f"{name}.pub").write_bytes(public)
    return tmp_path / f"{name}.key", tmp_path / f"{name}.pub"


def _append(db: Path) -> None:
    with SqliteStore.open(db, create=False) as opened:
        opened.append_audit(AuditRecord("bob", "images.verify", "img", {"ok": True}))


def test_show_prints_the_payload(store: Path) -> None:
    code, out = run_cli(["audit", "show", "2", "-f", "json"])
    assert code == 0
    record = json.loads(out)
    assert record["seq"] == 2 and record["subject"] == "repo-1"
    assert record["payload"] == {"n": 1, "text": "é ✓"}
    code, out = run_cli(["audit", "show", "3"])
    assert code == 0 and "repo-2" in out and '"n": 2' in out


@pytest.mark.parametrize("seq", ["4", "999", "0", "-1", "x"])
def test_show_unknown_entry_is_exit_2(store: Path, seq: str) -> None:
    code, _ = run_cli(["audit", "show", seq])
    assert code == 2


def test_show_without_a_store_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "none.db"))
    code, _ = run_cli(["audit", "show", "1"])
    assert code != 0


def test_export_lets_an_auditor_recompute_every_hash(store: Path, tmp_path: Path) -> None:
    code, _ = run_cli(["audit", "export", "-f", "jsonl", "-o", str(tmp_path / "chain.jsonl")])
    assert code == 0
    lines = [json.loads(line) for line in (tmp_path / "chain.jsonl").read_text().splitlines()]
    entries = [line for line in lines if line["type"] == "entry"]
    assert [e["seq"] for e in entries] == [1, 2, 3]
    previous = "0" * 64
    for entry in entries:
        assert sha256_hex(entry["payloadText"]) == entry["payloadDigest"]
        assert entry["prevHash"] == previous
        assert (
            entry_hash(
                seq=entry["seq"],
                time=entry["time"],
                actor=entry["actor"],
                action=entry["action"],
                subject=entry["subject"],
                payload_digest=entry["payloadDigest"],
                prev_hash=entry["prevHash"],
            )
            == entry["entryHash"]
        )
        previous = entry["entryHash"]
    assert lines[-2] == {"type": "checkpoint", "checkpoint": {"seq": 3, "entryHash": previous}}
    assert lines[-1] == {"type": "signature", "envelope": None}
    code, out = run_cli(["audit", "export"])
    assert code == 0 and out.count("\n") == 5


def test_export_format_other_than_jsonl_is_exit_2(store: Path) -> None:
    code, _ = run_cli(["audit", "export", "-f", "sarif"])
    assert code == 2


def test_signed_checkpoint_verifies_and_names_what_breaks_it(store: Path, tmp_path: Path) -> None:
    key, pub = _keys(tmp_path)
    code, _ = run_cli(["audit", "verify", "--key", str(pub)])
    assert code == 1  # not signed yet
    code, out = run_cli(["audit", "sign", "--key", str(key)])
    assert code == 0 and "entry 3" in out
    code, out = run_cli(["audit", "verify", "--key", str(pub), "-f", "json"])
    assert code == 0, out
    assert json.loads(out)["signature"]["signedSeq"] == 3
    # a decision recorded after signing is unsigned
    _append(store)
    code, out = run_cli(["audit", "verify", "--key", str(pub)])
    assert code == 1 and "entry 4 was appended after the signed checkpoint" in out
    # without --key the chain alone is still fine
    assert run_cli(["audit", "verify"])[0] == 0


def test_wrong_key_fails(store: Path, tmp_path: Path) -> None:
    key, _ = _keys(tmp_path)
    _, other = _keys(tmp_path, "other")
    assert run_cli(["audit", "sign", "--key", str(key)])[0] == 0
    code, out = run_cli(["audit", "verify", "--key", str(other)])
    assert code == 1 and "does not verify" in out


@pytest.mark.parametrize("damage", ["garbage", "payload", "signature", "type", "symlink"])
def test_damaged_signature_file_fails(store: Path, tmp_path: Path, damage: str) -> None:
    key, pub = _keys(tmp_path)
    assert run_cli(["audit", "sign", "--key", str(key)])[0] == 0
    path = signature_path(store)
    envelope = json.loads(path.read_text())
    if damage == "garbage":
        path.write_text("{not json")
    elif damage == "payload":
        statement = json.loads(base64.b64decode(envelope["payload"]))
        statement["seq"] = 2
        envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
        path.write_text(json.dumps(envelope))
    elif damage == "signature":
        envelope["signatures"][0]["sig"] = base64.b64encode(b"x" * 70).decode()
        path.write_text(json.dumps(envelope))
    elif damage == "type":
        envelope["payloadType"] = "text/plain"
        path.write_text(json.dumps(envelope))
    else:
        target = tmp_path / "elsewhere.json"
        target.write_text(json.dumps(envelope))
        path.unlink()
        path.symlink_to(target)
    code, out = run_cli(["audit", "verify", "--key", str(pub)])
    assert code == 1, out


def test_broken_chain_is_never_signed(store: Path, tmp_path: Path) -> None:
    import sqlite3

    key, _ = _keys(tmp_path)
    with sqlite3.connect(store) as db:
        db.execute("UPDATE audit_log SET subject = 'forged' WHERE seq = 2")
    code, _ = run_cli(["audit", "sign", "--key", str(key)])
    assert code == 1
    assert not signature_path(store).exists()


def test_signing_after_every_command_when_configured(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, pub = _keys(tmp_path)
    monkeypatch.setenv("SECCLI_AUDIT_SIGNING_KEY", str(key))
    example = Path(__file__).resolve().parents[2] / "examples" / "claytom" / "estate.yaml"
    assert run_cli(["estate", "validate", str(example)])[0] == 0
    monkeypatch.delenv("SECCLI_AUDIT_SIGNING_KEY")
    code, out = run_cli(["audit", "verify", "--key", str(pub), "-f", "json"])
    assert code == 0, out
    assert json.loads(out)["signature"]["signedSeq"] == 4


def test_check_signature_rejects_rewritten_and_truncated_chains(tmp_path: Path) -> None:
    key_path, pub_path = _keys(tmp_path)
    private, public = load_private_key(key_path), load_public_key_file(pub_path)
    with SqliteStore.open(tmp_path / "s.db", create=True) as opened:
        entries = [opened.append_audit(AuditRecord("a", "x", "y", {"i": i})) for i in range(3)]
    envelope = sign_head(AuditHead(3, entries[2].entry_hash), private, "2026-12-01T00:00:00Z")
    head = AuditHead(3, entries[2].entry_hash)
    assert check_signature(envelope, public, head, entries[2]).ok
    truncated = check_signature(envelope, public, AuditHead(2, entries[1].entry_hash), None)
    assert not truncated.ok and "truncated" in truncated.reason
    rewritten = check_signature(envelope, public, head, entries[1])
    assert not rewritten.ok and "rewritten" in rewritten.reason
    broken = check_signature(envelope, public, None, entries[2])
    assert not broken.ok
    assert not check_signature(None, public, head, entries[2]).ok
