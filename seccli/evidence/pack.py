"""Building the evidence pack: collect, judge controls, write every file, manifest, signature.

The pack is a deterministic zip (see ``zipfile_write``): the same store, estate, period, key and
build time give the same bytes. The build time is ``SOURCE_DATE_EPOCH`` when the caller passes
it, else the time of the last audit entry in the period (a fact of the inputs, not of the
clock), else the period's end. The signature is a DSSE envelope over ``manifest.json`` whose
signing is deterministic too (RFC 6979 ECDSA, Ed25519, RSA PKCS#1 v1.5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from seccli import __version__
from seccli.core.hashing import canonical_json, sha256_hex
from seccli.core.location import ControlRef
from seccli.evidence.catalog import FRAMEWORKS, Catalog, catalogs
from seccli.evidence.collect import Collected, accept_risks, collect
from seccli.evidence.period import Period, iso, parse_instant
from seccli.evidence.status import ControlResult, control_results, overall, summary
from seccli.store.sqlite import SqliteStore
from seccli.supplychain.dsse import Envelope, pae
from seccli.supplychain.keys import PrivateKey

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig.json"
MANIFEST_PAYLOAD_TYPE = "application/vnd.seccli.evidence-manifest+json"
MANIFEST_KIND = "EvidenceManifest"
API_VERSION = "seccli.dev/v1alpha1"
TOOL = {"name": "seccli", "version": __version__}

_MEDIA = {
    ".json": "application/json",
    ".jsonl": "application/jsonl",
    ".csv": "text/csv",
    ".html": "text/html",
    ".md": "text/markdown",
}


@dataclass(frozen=True, slots=True)
class PackFile:
    """One file of the pack and what the manifest says about it."""

    path: str
    data: bytes
    collector: str
    produced_by: str
    controls: tuple[str, ...] = ()

    def entry(self, period: Period) -> dict[str, Any]:
        """The file's manifest entry."""
        suffix = Path(self.path).suffix
        return {
            "path": self.path,
            "sha256": sha256_hex(self.data),
            "size": len(self.data),
            "mediaType": _MEDIA.get(suffix, "application/octet-stream"),
            "collector": self.collector,
            "tool": TOOL,
            "producedBy": self.produced_by,
            "period": period.label,
            "controls": sorted(self.controls),
        }


@dataclass(frozen=True, slots=True)
class BuildRequest:
    """What to build."""

    estate_path: Path
    period: Period
    frameworks: tuple[str, ...] = ()
    key: PrivateKey | None = None
    source_date_epoch: int | None = None
    suppressions: Path | None = None


@dataclass(frozen=True, slots=True)
class BuiltPack:
    """A built pack: its bytes and what the CLI reports."""

    data: bytes
    manifest: dict[str, Any]
    key_id: str | None
    summary: dict[str, dict[str, int]] = field(default_factory=dict)
    overall: dict[str, str] = field(default_factory=dict)


def _json(value: Any) -> bytes:
    import json

    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _refs(controls: Sequence[ControlRef]) -> tuple[str, ...]:
    return tuple(sorted({str(c) for c in controls}))


def build_time(request: BuildRequest, collected: Collected) -> datetime:
    """``SOURCE_DATE_EPOCH``, else the last audit entry's time, else the period's end."""
    from datetime import UTC

    if request.source_date_epoch is not None:
        return datetime.fromtimestamp(request.source_date_epoch, tz=UTC)
    if collected.latest_time:
        return parse_instant(collected.latest_time, "audit entry time").replace(microsecond=0)
    return request.period.end


def sign_manifest(manifest: bytes, key: PrivateKey) -> Envelope:
    """A DSSE envelope over the manifest, signed deterministically."""
    from cryptography.hazmat.primitives.asymmetric import ec

    message = pae(MANIFEST_PAYLOAD_TYPE, manifest)
    raw = key.key
    if isinstance(raw, ec.EllipticCurvePrivateKey):
        from seccli.supplychain.keys import _hash_for

        signature = raw.sign(message, ec.ECDSA(_hash_for(raw), deterministic_signing=True))
    else:
        signature = key.sign(message)
    return Envelope(MANIFEST_PAYLOAD_TYPE, manifest, ((key.public().key_id, signature),))


def build_pack(store: SqliteStore, request: BuildRequest) -> BuiltPack:
    """Collect the period's evidence from ``store`` and build the signed pack."""
    from seccli.core.hashing import sha256_file
    from seccli.estate.loader import load_estate

    loaded = load_estate(request.estate_path)
    estate = loaded.estate
    estate_sha = sha256_file(request.estate_path)
    suppressions = _load_suppressions(request.suppressions)
    collected = collect(store, request.period)
    generated = build_time(request, collected)
    collected.findings = accept_risks(collected.findings, suppressions, generated.date())
    selected = catalogs(request.frameworks or None)
    judged: list[tuple[Catalog, list[ControlResult]]] = [
        (cat, control_results(cat, collected)) for cat in selected
    ]
    files = _evidence_files(collected)
    files += _control_files(judged, files)
    files += _scope_files(estate, estate_sha, judged, collected, suppressions, generated)
    files += _kpi_files(estate, collected, generated)
    head = collected.verification.head if collected.verification else None
    seed = sha256_hex(
        canonical_json([estate_sha, request.period.to_json(), head.entry_hash if head else ""])
    )
    from seccli.evidence.oscal import assessment_results

    files.append(
        PackFile(
            "oscal/assessment-results.json",
            assessment_results(seed, generated, collected, judged),
            "oscal",
            "compliance-trestle AssessmentResults model of the control statuses",
            (),
        )
    )
    key_id = request.key.public().key_id if request.key is not None else None
    from seccli.evidence.report import render_index

    files.append(
        PackFile(
            "index.html",
            render_index(
                estate=estate.metadata.name,
                generated=iso(generated),
                key_id=key_id,
                collected=collected,
                frameworks=judged,
            ),
            "report",
            "Jinja2 template seccli/evidence/templates/index.html.j2",
        )
    )
    counts = {cat.framework: summary(results) for cat, results in judged}
    verdicts = {name: overall(c) for name, c in counts.items()}
    manifest = {
        "apiVersion": API_VERSION,
        "kind": MANIFEST_KIND,
        "tool": TOOL,
        "generatedAt": iso(generated),
        "period": request.period.to_json(),
        "estate": {"name": estate.metadata.name, "sha256": estate_sha},
        "frameworks": [cat.framework for cat, _ in judged],
        "auditLog": {
            "entries": collected.verification.entries if collected.verification else None,
            "head": {"seq": head.seq, "entryHash": head.entry_hash} if head else None,
            "ok": bool(collected.verification and collected.verification.ok),
        },
        "summary": counts,
        "overall": verdicts,
        "signature": {"file": SIGNATURE, "keyId": key_id, "payloadType": MANIFEST_PAYLOAD_TYPE}
        if key_id
        else None,
        "files": [f.entry(request.period) for f in sorted(files, key=lambda f: f.path)],
    }
    manifest_bytes = _json(manifest)
    contents = {f.path: f.data for f in files}
    contents[MANIFEST] = manifest_bytes
    if request.key is not None:
        contents[SIGNATURE] = _json(sign_manifest(manifest_bytes, request.key).to_json())
    from seccli.evidence.zipfile_write import deterministic_zip

    return BuiltPack(deterministic_zip(contents, generated), manifest, key_id, counts, verdicts)


def _load_suppressions(path: Path | None) -> list[Any]:
    if path is None:
        return []
    from seccli.scan.suppressions import load_suppressions

    return list(load_suppressions(path))


def _evidence_files(collected: Collected) -> list[PackFile]:
    period = collected.period
    query = f"store runs started in [{iso(period.start)}, {iso(period.end)})"
    files = [
        PackFile(
            "evidence/runs/runs.json",
            _json({"period": period.to_json(), "runs": [r.to_json() for r in collected.runs]}),
            "runs",
            query,
        )
    ]
    for result in sorted(collected.checks.values(), key=lambda r: r.check.id):
        body = {
            "check": result.check.id,
            "title": result.check.title,
            "commands": list(result.check.commands),
            "controls": [str(c) for c in result.check.controls],
            "status": result.status,
            "reason": result.reason,
            "runs": [r.to_json() for r in result.runs],
        }
        files.append(
            PackFile(
                f"evidence/checks/{result.check.id}.json",
                _json(body),
                "checks",
                f"{query} whose command is one of: {', '.join(result.check.commands)}",
                _refs(result.check.controls),
            )
        )
    findings = [f.to_json() for f in collected.findings]
    finding_controls = _refs([c for f in collected.findings for c in f.controls])
    files.append(
        PackFile(
            "evidence/findings/findings.json",
            _json({"period": period.to_json(), "findings": findings}),
            "findings",
            "store findings history seen in the period, state at the period's end",
            finding_controls,
        )
    )
    from seccli.evidence.scope import csv_bytes

    columns = [
        "fingerprint",
        "scope",
        "tool",
        "ruleId",
        "severity",
        "title",
        "file",
        "firstSeen",
        "lastSeen",
        "resolvedAt",
        "state",
    ]
    files.append(
        PackFile(
            "evidence/findings/findings.csv",
            csv_bytes(
                [*columns, "controls"],
                [[f[c] for c in columns] + [" ".join(f["controls"])] for f in findings],
            ),
            "findings",
            "store findings history seen in the period (CSV)",
            finding_controls,
        )
    )
    from seccli.evidence.audit_export import entry_record

    chain_controls = _refs(collected.checks["audit-chain"].check.controls)
    lines = b"".join(canonical_json(entry_record(e)) + b"\n" for e in collected.entries)
    files.append(
        PackFile(
            "evidence/audit-log/entries.jsonl",
            lines,
            "audit-log",
            "seccli audit export, entries whose time is in the period",
            chain_controls,
        )
    )
    verification = collected.verification
    files.append(
        PackFile(
            "evidence/audit-log/verification.json",
            _json(
                {
                    "ok": bool(verification and verification.ok),
                    "entries": verification.entries if verification else None,
                    "head": _head_json(verification),
                    "problems": [str(p) for p in verification.problems] if verification else [],
                }
            ),
            "audit-log",
            "seccli audit verify (whole chain against its checkpoint, at build time)",
            chain_controls,
        )
    )
    return files


def _head_json(verification: Any) -> dict[str, Any] | None:
    if verification is None or verification.head is None:
        return None
    return {"seq": verification.head.seq, "entryHash": verification.head.entry_hash}


def _control_files(
    judged: list[tuple[Catalog, list[ControlResult]]], files: list[PackFile]
) -> list[PackFile]:
    present = {f.path for f in files}
    out = []
    for cat, results in judged:
        for result in results:
            evidence = [f"evidence/checks/{c.check.id}.json" for c in result.checks]
            if result.findings:
                evidence.append("evidence/findings/findings.json")
            evidence = [p for p in evidence if p in present]
            out.append(
                PackFile(
                    result.path,
                    _json(result.to_json(evidence)),
                    "controls",
                    "control status from the checks and findings mapped to it",
                    (f"{FRAMEWORKS[cat.framework]} {result.control.id}",),
                )
            )
    return out


def _scope_files(
    estate: Any,
    estate_sha: str,
    judged: list[tuple[Catalog, list[ControlResult]]],
    collected: Collected,
    suppressions: list[Any],
    generated: datetime,
) -> list[PackFile]:
    from seccli.evidence import scope

    all_results = [r for _, results in judged for r in results]
    exceptions = scope.exceptions_rows(suppressions, generated.date())
    columns = ["target", "justification", "owner", "approver", "expires", "expired"]
    return [
        PackFile(
            "scope/system-description.json",
            _json(scope.system_description(estate, estate_sha)),
            "scope",
            "estate metadata, namespaces and counts",
            ("ISO27001:2022 A.5.9",),
        ),
        PackFile(
            "scope/inventory.csv",
            scope.inventory_csv(estate),
            "scope",
            "estate services (one row each)",
            ("ISO27001:2022 A.5.9", "SOC2 CC6.1"),
        ),
        PackFile(
            "scope/statement-of-applicability.csv",
            scope.soa_csv(all_results),
            "scope",
            "every catalog control with its status",
        ),
        PackFile(
            "gdpr/records-of-processing-art30.csv",
            scope.ropa_csv(estate),
            "gdpr",
            "estate services handling personal data (data classes pii, health, voice, payment)",
            ("GDPR Art.30",),
        ),
        PackFile(
            "gdpr/security-measures-art32.csv",
            scope.art32_csv(collected),
            "gdpr",
            "automated checks mapped to GDPR Art.32 and their status",
            ("GDPR Art.32",),
        ),
        PackFile(
            "exceptions/suppressions.json",
            _json({"exceptions": exceptions}),
            "exceptions",
            "scan suppressions (accepted risks) file",
            ("ISO27001:2022 A.5.36",),
        ),
        PackFile(
            "exceptions/suppressions.csv",
            scope.csv_bytes(columns, [[row[c] for c in columns] for row in exceptions]),
            "exceptions",
            "scan suppressions (accepted risks) file (CSV)",
            ("ISO27001:2022 A.5.36",),
        ),
    ]


def _kpi_files(estate: Any, collected: Collected, generated: datetime) -> list[PackFile]:
    from seccli.evidence.kpis import compute_kpis

    return [
        PackFile(
            "evidence/kpis/kpis.json",
            _json(compute_kpis(estate, collected, generated)),
            "kpis",
            "seccli evidence kpis: findings history, latest image gate, vault audit, drill runs",
        )
    ]
