"""From tool findings to one list: OWASP tags, cross-tool de-duplication and secret redaction."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from seccli.core.findings import Finding
from seccli.core.hashing import sha256_hex
from seccli.core.redaction import Redactor
from seccli.scan.model import RawFinding
from seccli.scan.snippets import read_lines

# OWASP Top 10 (2021) category of the CWEs our tools report most.
OWASP_BY_CWE: dict[str, str] = {
    "CWE-22": "A01:2021-Broken Access Control",
    "CWE-250": "A01:2021-Broken Access Control",
    "CWE-284": "A01:2021-Broken Access Control",
    "CWE-942": "A05:2021-Security Misconfiguration",
    "CWE-1357": "A06:2021-Vulnerable and Outdated Components",
    "CWE-259": "A07:2021-Identification and Authentication Failures",
    "CWE-798": "A07:2021-Identification and Authentication Failures",
    "CWE-347": "A02:2021-Cryptographic Failures",
    "CWE-295": "A02:2021-Cryptographic Failures",
    "CWE-326": "A02:2021-Cryptographic Failures",
    "CWE-327": "A02:2021-Cryptographic Failures",
    "CWE-328": "A02:2021-Cryptographic Failures",
    "CWE-77": "A03:2021-Injection",
    "CWE-78": "A03:2021-Injection",
    "CWE-79": "A03:2021-Injection",
    "CWE-89": "A03:2021-Injection",
    "CWE-94": "A03:2021-Injection",
    "CWE-95": "A03:2021-Injection",
    "CWE-20": "A03:2021-Injection",
    "CWE-502": "A08:2021-Software and Data Integrity Failures",
    "CWE-489": "A05:2021-Security Misconfiguration",
    "CWE-605": "A05:2021-Security Misconfiguration",
    "CWE-918": "A10:2021-Server-Side Request Forgery",
    "CWE-377": "A01:2021-Broken Access Control",
    "CWE-703": "A09:2021-Security Logging and Monitoring Failures",
}

_QUOTED = re.compile(r"""(["'`])((?:(?!\1).){6,})\1""")
_ASSIGNED = re.compile(r"""[:=]\s*([^\s"'`,;{}()\[\]]{8,})""")


def with_owasp(raw: RawFinding) -> RawFinding:
    """Add the OWASP category of the finding's CWEs to its tags."""
    extra = {OWASP_BY_CWE[cwe] for cwe in raw.cwes if cwe in OWASP_BY_CWE}
    if not extra or extra <= set(raw.finding.tags):
        return raw
    tags = tuple(sorted({*raw.finding.tags, *extra}))
    return RawFinding(
        raw.finding.model_copy(update={"tags": tags}), raw.end_line, raw.cwes, raw.secret
    )


def distinct_ids(findings: Sequence[RawFinding]) -> list[RawFinding]:
    """Give identical fingerprints (the same rule on identical code twice in one file) their
    own ids: the second occurrence, in line order, gets ``#2`` mixed in, and so on.

    The order of occurrences, not their lines, decides, so ids still survive line shifts.
    """
    ordered = sorted(
        findings, key=lambda r: (r.finding.id, r.finding.location.line or 0, r.end_line or 0)
    )
    seen: dict[str, int] = {}
    out: list[RawFinding] = []
    for raw in ordered:
        count = seen.get(raw.finding.id, 0) + 1
        seen[raw.finding.id] = count
        if count == 1:
            out.append(raw)
            continue
        new_id = sha256_hex(f"{raw.finding.id}#{count}")[:32]
        out.append(
            RawFinding(
                raw.finding.model_copy(update={"id": new_id}), raw.end_line, raw.cwes, raw.secret
            )
        )
    return out


def _overlap(a: RawFinding, b: RawFinding) -> bool:
    a_start = a.finding.location.line or 0
    b_start = b.finding.location.line or 0
    a_end = a.end_line or a_start
    b_end = b.end_line or b_start
    return a_start <= b_end and b_start <= a_end


def deduplicate(findings: Sequence[RawFinding]) -> tuple[list[RawFinding], int]:
    """Merge findings of *different* tools with a shared CWE in the same file on overlapping
    lines. The most severe one is kept and tagged ``also:<tool>:<rule>``; returns the kept
    findings and how many were merged away."""
    ordered = sorted(
        findings,
        key=lambda r: (-r.finding.severity.rank, r.finding.tool, r.finding.rule_id, r.finding.id),
    )
    kept: list[RawFinding] = []
    by_file: dict[str, list[int]] = {}  # indices into kept, in order, per file
    merged = 0
    for raw in ordered:
        twin_index = None
        if raw.cwes:
            for index in by_file.get(raw.finding.location.file, ()):
                other = kept[index]
                if (
                    other.finding.tool != raw.finding.tool
                    and set(other.cwes) & set(raw.cwes)
                    and _overlap(other, raw)
                ):
                    twin_index = index
                    break
        if twin_index is None:
            by_file.setdefault(raw.finding.location.file, []).append(len(kept))
            kept.append(raw)
            continue
        merged += 1
        twin = kept[twin_index]
        tags = tuple(sorted({*twin.finding.tags, f"also:{raw.finding.tool}:{raw.finding.rule_id}"}))
        kept[twin_index] = RawFinding(
            twin.finding.model_copy(update={"tags": tags}),
            twin.end_line,
            twin.cwes,
            twin.secret or raw.secret,
        )
    return kept, merged


def secret_values(root: Path, findings: Iterable[RawFinding]) -> set[str]:
    """Candidate credential values on the lines of secret findings (read from the files)."""
    values: set[str] = set()
    for raw in findings:
        if not raw.secret:
            continue
        location = raw.finding.location
        text = read_lines(root, location.file, location.line, raw.end_line)
        for line in text.splitlines():
            values.update(match.group(2) for match in _QUOTED.finditer(line))
            values.update(match.group(1) for match in _ASSIGNED.finditer(line))
    return {value for value in values if _credential_like(value)}


def _credential_like(value: str) -> bool:
    """Long enough and mixed enough to be a credential rather than a word: redacting plain
    words ("secret") would mangle every report while protecting nothing."""
    value = value.strip()
    if len(value) < 8 or " " in value:
        return False
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )
    return classes >= 2 or len(value) >= 16


def redact_finding(finding: Finding, redactor: Redactor) -> Finding:
    """The finding with registered secrets removed from its text fields."""
    update = {
        "title": redactor.redact(finding.title),
        "message": redactor.redact(finding.message),
    }
    location = finding.location
    if location.path and redactor.redact(location.path) != location.path:
        from dataclasses import replace

        update_location = replace(location, path=redactor.redact(location.path))
        return finding.model_copy(update={**update, "location": update_location})
    if update["title"] == finding.title and update["message"] == finding.message:
        return finding
    return finding.model_copy(update=update)
