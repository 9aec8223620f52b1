"""``evidence build`` and ``evidence verify``: contents, determinism, signatures, tampering."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

from seccli.evidence.oscal import validate_assessment_results
from tests.evidence.conftest import run_cli
from tests.evidence.fixtures import ALL_TIME, EXAMPLE, fill_store, keys


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "state.db"))
    monkeypatch.setenv("SECCLI_ESTATE", str(EXAMPLE))
    for name in ("SOURCE_DATE_EPOCH", "SECCLI_EVIDENCE_SIGNING_KEY", "SECCLI_AUDIT_SIGNING_KEY"):
        monkeypatch.delenv(name, raising=False)
    fill_store(tmp_path / "state.db")
    keys(tmp_path)
    return tmp_path


def _build(env: Path, name: str = "pack.zip", *extra: str) -> Path:
    out = env / name
    code, text = run_cli(
        [
            "evidence",
            "build",
            "-o",
            str(out),
            "--key",
            str(env / "evidence.key"),
            "--from",
            ALL_TIME[0],
            "--to",
            ALL_TIME[1],
            *extra,
        ]
    )
    assert code == 0, text
    return out


def _verify(env: Path, pack: Path, *extra: str) -> tuple[int, str]:
    return run_cli(["evidence", "verify", str(pack), "--key", str(env / "evidence.pub"), *extra])


@pytest.fixture
def pack(env: Path) -> Path:
    return _build(env)


def _members(pack: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(pack) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_pack_contents_and_manifest(env: Path, pack: Path) -> None:
    files = _members(pack)
    for expected in (
        "manifest.json",
        "manifest.sig.json",
        "index.html",
        "oscal/assessment-results.json",
        "scope/system-description.json",
        "scope/inventory.csv",
        "scope/statement-of-applicability.csv",
        "gdpr/records-of-processing-art30.csv",
        "gdpr/security-measures-art32.csv",
        "exceptions/suppressions.json",
        "evidence/runs/runs.json",
        "evidence/checks/image-gate.json",
        "evidence/findings/findings.json",
        "evidence/audit-log/entries.jsonl",
        "evidence/audit-log/verification.json",
        "evidence/kpis/kpis.json",
        "controls/iso27001/A.8.20.json",
        "controls/soc2/CC6.6.json",
        "controls/gdpr/Art.32.json",
    ):
        assert expected in files, expected
    assert sum(p.startswith("controls/iso27001/") for p in files) == 93
    manifest = json.loads(files["manifest.json"])
    listed = {f["path"] for f in manifest["files"]}
    assert listed == set(files) - {"manifest.json", "manifest.sig.json"}
    for entry in manifest["files"]:
        assert set(entry) >= {
            "path",
            "sha256",
            "size",
            "mediaType",
            "collector",
            "tool",
            "producedBy",
            "period",
            "controls",
        }
    assert [f["path"] for f in manifest["files"]] == sorted(listed)
    assert list(files) == sorted(files)  # zip entries sorted


def test_control_status_follows_the_recorded_runs(env: Path, pack: Path) -> None:
    files = _members(pack)
    proof = json.loads(files["controls/iso27001/A.8.22.json"])
    assert proof["status"] == "not satisfied" and "netpol-proof" in proof["reason"]
    gate = json.loads(files["evidence/checks/image-gate.json"])
    assert gate["status"] == "pass" and gate["runs"][0]["auditPayload"]["images"]
    physical = json.loads(files["controls/iso27001/A.7.1.json"])
    assert physical["status"] == "not assessed"
    vault = json.loads(files["evidence/checks/vault-audit.json"])
    assert vault["status"] == "not-run"
    # an open critical secret finding leaves its controls not satisfied
    secrets = json.loads(files["controls/iso27001/A.5.17.json"])
    assert secrets["status"] == "not satisfied"
    assert any(f["ruleId"] == "B105" for f in secrets["findings"])
    chain = json.loads(files["evidence/checks/audit-chain.json"])
    assert chain["status"] == "pass"


def test_two_builds_are_byte_identical(env: Path) -> None:
    first = _build(env, "a.zip")
    second = _build(env, "b.zip")
    assert first.read_bytes() == second.read_bytes()


def test_source_date_epoch_sets_every_mtime(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    first = _build(env, "a.zip")
    with zipfile.ZipFile(first) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2026, 1, 1, 0, 0, 0)}
        assert json.loads(archive.read("manifest.json"))["generatedAt"] == "2026-01-01T00:00:00Z"
    assert _build(env, "b.zip").read_bytes() == first.read_bytes()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    code, _ = run_cli(["evidence", "build", "-o", str(env / "c.zip")])
    assert code == 2 and not (env / "c.zip").exists()


def test_verify_accepts_the_pack(env: Path, pack: Path) -> None:
    code, out = _verify(env, pack)
    assert code == 0, out
    assert "ok" in out and "iso27001" in out
    code, out = _verify(env, pack, "-f", "json")
    body = json.loads(out)
    assert body["ok"] and body["signature"]["ok"] and body["problems"] == []
    assert body["summary"]["iso27001"]["not satisfied"] >= 1


def test_oscal_is_valid_through_trestle(pack: Path) -> None:
    data = _members(pack)["oscal/assessment-results.json"]
    validate_assessment_results(data)
    document = json.loads(data)["assessment-results"]
    assert {r["title"].split(" — ")[0] for r in document["results"]} >= {
        "ISO/IEC 27001:2022 Annex A"
    }
    states = {
        f["target"].get("status", {}).get("state")
        for r in document["results"]
        for f in r["findings"]
    }
    assert {"satisfied", "not-satisfied", None} <= states
    broken = json.loads(data)
    broken["assessment-results"]["results"][0]["start"] = "not a date"
    with pytest.raises(ValueError):
        validate_assessment_results(json.dumps(broken).encode())


@pytest.mark.parametrize(
    "name",
    [
        "scope/inventory.csv",
        "scope/statement-of-applicability.csv",
        "gdpr/records-of-processing-art30.csv",
        "gdpr/security-measures-art32.csv",
        "evidence/findings/findings.csv",
        "exceptions/suppressions.csv",
    ],
)
def test_csv_files_are_well_formed(pack: Path, name: str) -> None:
    text = _members(pack)[name].decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows and all(len(r) == len(rows[0]) for r in rows)
    assert text.endswith("\r\n")


def test_soa_and_ropa_contents(pack: Path) -> None:
    files = _members(pack)
    soa = list(csv.DictReader(io.StringIO(files["scope/statement-of-applicability.csv"].decode())))
    assert len(soa) == 61 + 93 + 10
    assert {r["status"] for r in soa} <= {
        "satisfied",
        "not satisfied",
        "not assessed",
        "not applicable",
    }
    ropa = list(csv.DictReader(io.StringIO(files["gdpr/records-of-processing-art30.csv"].decode())))
    assert ropa and all(r["personalDataCategories"] for r in ropa)
    assert any("pii" in r["personalDataCategories"] for r in ropa)


def test_kpis_from_known_store(env: Path, pack: Path) -> None:
    records = json.loads(_members(pack)["evidence/kpis/kpis.json"])
    by_sub = {r["subsidiary"]: r for r in records}
    assert len(records) == 36 and by_sub["holding"]["role"] == "security"
    assert set(by_sub["hoteles"]) == {"ts", "subsidiary", "role", "kpis", "okrs"}
    # the critical finding is not older than 24 h at build time
    assert by_sub["holding"]["kpis"]["openCriticalFindingsOver24h"] == 0
    assert by_sub["holding"]["kpis"]["lastDrillMttaMinutes"] == 4
    assert by_sub["holding"]["okrs"]["lastDrillMttaMinutes"]["met"] is True
    assert by_sub["holding"]["okrs"]["lastDrillMttrMinutes"]["met"] is False
    # only one holding image was judged (and signed): the share is not 100 %
    assert 0 < by_sub["holding"]["kpis"]["imagesSignedPercent"] < 100
    # Vault never audited: unmeasured, never "met"
    assert by_sub["holding"]["kpis"]["secretsInVaultWithinRotationPercent"] is None
    assert by_sub["holding"]["okrs"]["secretsInVaultWithinRotationPercent"]["met"] is None


def _rewrite(pack: Path, out: Path, change: str) -> None:
    members = _members(pack)
    with zipfile.ZipFile(pack) as source:
        infos = {i.filename: i for i in source.infolist()}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            info = infos[name]
            if change == "byte" and name == "scope/inventory.csv":
                data = data[:-3] + (b"X" if data[-3:-2] != b"X" else b"Y") + data[-2:]
            if change == "remove" and name == "evidence/kpis/kpis.json":
                continue
            if change == "rename" and name == "evidence/kpis/kpis.json":
                info = zipfile.ZipInfo("evidence/kpis/kpis-old.json", info.date_time)
            if change == "manifest" and name == "manifest.json":
                manifest = json.loads(data)
                manifest["overall"]["iso27001"] = "satisfied"
                data = json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n"
            if change == "unsigned" and name == "manifest.sig.json":
                continue
            target.writestr(info, data)
        if change == "add":
            target.writestr("evidence/extra.json", b"{}")
        if change == "traversal":
            target.writestr("../x", b"evil")
        if change == "absolute":
            target.writestr("/etc/x", b"evil")
        if change == "symlink":
            link = zipfile.ZipInfo("evidence/link")
            link.create_system = 3
            link.external_attr = (stat.S_IFLNK | 0o777) << 16
            target.writestr(link, "/etc/passwd")
        if change == "duplicate":
            target.writestr("index.html", b"<html>other</html>")


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize(
    ("change", "kind"),
    [
        ("byte", "changed"),
        ("add", "added"),
        ("remove", "removed"),
        ("rename", "renamed"),
        ("manifest", "manifest"),
        ("unsigned", "signature"),
        ("traversal", "unsafe-entry"),
        ("absolute", "unsafe-entry"),
        ("symlink", "unsafe-entry"),
        ("duplicate", "unsafe-entry"),
    ],
)
def test_every_tamper_kind_is_exit_1_and_named(
    env: Path, pack: Path, change: str, kind: str
) -> None:
    tampered = env / f"t-{change}.zip"
    _rewrite(pack, tampered, change)
    before = set(os.listdir(env)) | set(os.listdir(env.parent))
    code, out = _verify(env, tampered, "-f", "json")
    assert code == 1, out
    body = json.loads(out)
    assert not body["ok"]
    assert kind in {p["kind"] for p in body["problems"]}, body["problems"]
    assert set(os.listdir(env)) | set(os.listdir(env.parent)) == before  # nothing extracted
    assert not (env.parent / "x").exists()


def test_wrong_key_and_no_key(env: Path, pack: Path) -> None:
    _, other = keys(env, "other")
    code, out = run_cli(["evidence", "verify", str(pack), "--key", str(other)])
    assert code == 1 and "does not verify" in out
    code, out = run_cli(["evidence", "verify", str(pack)])
    assert code == 1 and "--key" in out


def test_unsigned_build_never_verifies(env: Path) -> None:
    out = env / "unsigned.zip"
    code, _ = run_cli(["evidence", "build", "-o", str(out), "--period", "2026-Q4"])
    assert code == 0
    code, text = _verify(env, out)
    assert code == 1 and "not signed" in text


def test_corrupted_entry_bytes_are_detected(env: Path, pack: Path) -> None:
    data = bytearray(pack.read_bytes())
    with zipfile.ZipFile(pack) as archive:
        info = archive.getinfo("scope/inventory.csv")
    offset = info.header_offset + 30 + len(info.filename) + len(info.extra) + 10
    data[offset] ^= 0xFF
    broken = env / "corrupt.zip"
    broken.write_bytes(bytes(data))
    code, out = _verify(env, broken)
    assert code == 1 and "inventory.csv" in out


def test_zip_bomb_is_refused(env: Path) -> None:
    bomb = env / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", b"{}")
        archive.writestr("evidence/zeros.bin", b"\0" * (20 * 1024 * 1024))
    code, out = _verify(env, bomb, "-f", "json")
    assert code == 1
    assert "zip bomb" in out


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04garbage"])
def test_not_a_zip_is_exit_2(env: Path, content: bytes) -> None:
    path = env / "bad.zip"
    path.write_bytes(content)
    code, out = _verify(env, path)
    assert code == 2 and "Traceback" not in out


def test_truncated_and_manifestless_packs_are_exit_2(env: Path, pack: Path) -> None:
    truncated = env / "truncated.zip"
    truncated.write_bytes(pack.read_bytes()[: len(pack.read_bytes()) // 2])
    assert _verify(env, truncated)[0] == 2
    empty = env / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("index.html", b"x")
    code, out = _verify(env, empty)
    assert code == 2 and "manifest" in out
    assert _verify(env, env)[0] == 2  # a directory
    assert _verify(env, env / "missing.zip")[0] == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--framework", "pci"],
        ["--period", "2026-Q5"],
        ["--period", "Q4"],
        ["--period", "2026-Q4", "--from", "2026-01-01"],
        ["--from", "2026-02-01", "--to", "2026-01-01"],
        ["--from", "yesterday"],
    ],
)
def test_build_bad_input_is_exit_2_and_writes_nothing(env: Path, args: list[str]) -> None:
    code, _ = run_cli(["evidence", "build", "-o", str(env / "x.zip"), *args])
    assert code == 2
    assert not (env / "x.zip").exists()


def test_framework_selection(env: Path) -> None:
    pack = _build(env, "gdpr.zip", "--framework", "gdpr")
    files = _members(pack)
    assert not any(p.startswith("controls/iso27001/") for p in files)
    assert sum(p.startswith("controls/gdpr/") for p in files) == 10
