"""From tool findings to one list: OWASP tags, cross-tool de-duplication and secret redaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from seccli.core.findings import Finding
from seccli.core.hashing import sha256_hex
from seccli.core.redaction import Redactor
from seccli.scan.model import RawFinding
from seccli.scan.secret_match import credential_like, literal_values, redact_values, variants
from seccli.scan.severity_map import equivalent
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


def with_owasp(raw: RawFinding) -> RawFinding:
    """Add the OWASP category of the finding's CWEs to its tags."""
    extra = {OWASP_BY_CWE[cwe] for cwe in raw.cwes if cwe in OWASP_BY_CWE}
    if not extra or extra <= set(raw.finding.tags):
        return raw
    tags = tuple(sorted({*raw.finding.tags, *extra}))
    return raw.replace_finding(raw.finding.model_copy(update={"tags": tags}))


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
        out.append(raw.replace_finding(raw.finding.model_copy(update={"id": new_id})))
    return out


def _overlap(a: RawFinding, b: RawFinding) -> bool:
    a_start = a.finding.location.line or 0
    b_start = b.finding.location.line or 0
    a_end = a.end_line or a_start
    b_end = b.end_line or b_start
    return a_start <= b_end and b_start <= a_end


def deduplicate(findings: Sequence[RawFinding]) -> tuple[list[RawFinding], int]:
    """Merge findings of *different* tools whose rules ``EQUIVALENT_RULES`` says detect the same
    problem, in the same file on overlapping lines (a shared CWE alone never merges, nor do two
    rules of one tool). The most severe one is kept and tagged ``also:<tool>:<rule>`` for every
    rule merged into it; returns the kept findings and how many were merged away."""
    ordered = sorted(
        findings,
        key=lambda r: (-r.finding.severity.rank, r.finding.tool, r.finding.rule_id, r.finding.id),
    )
    kept: list[RawFinding] = []
    members: list[list[tuple[str, str]]] = []  # per kept finding: (tool, rule) of its group
    by_file: dict[str, list[int]] = {}  # indices into kept, in order, per file
    merged = 0
    for raw in ordered:
        ref = (raw.finding.tool, raw.finding.rule_id)
        twin_index = None
        for index in by_file.get(raw.finding.location.file, ()):
            group = members[index]
            if (
                all(tool != ref[0] for tool, _ in group)
                and any(equivalent(member, ref) for member in group)
                and _overlap(kept[index], raw)
            ):
                twin_index = index
                break
        if twin_index is None:
            by_file.setdefault(raw.finding.location.file, []).append(len(kept))
            kept.append(raw)
            members.append([ref])
            continue
        merged += 1
        twin = kept[twin_index]
        members[twin_index].append(ref)
        tags = tuple(sorted({*twin.finding.tags, f"also:{ref[0]}:{ref[1]}"}))
        kept[twin_index] = RawFinding(
            twin.finding.model_copy(update={"tags": tags}),
            twin.end_line,
            tuple(sorted({*twin.cwes, *raw.cwes})),
            twin.secret or raw.secret,
            (*twin.matched, *raw.matched),
        )
    return kept, merged


@dataclass(frozen=True, slots=True)
class SecretSpan:
    """Lines of a file that hold a credential, and the values to take out of anything that
    reports on them."""

    file: str
    start: int
    end: int
    values: frozenset[str] = field(repr=False)

    def covers(self, finding: RawFinding) -> bool:
        """True when ``finding`` is in this file on lines overlapping the span."""
        if finding.finding.location.file != self.file:
            return False
        start = finding.finding.location.line or 0
        end = finding.end_line or start
        return start <= self.end and self.start <= end


def secret_spans(root: Path, findings: Iterable[RawFinding]) -> list[SecretSpan]:
    """The spans of the secret findings: what the tool matched (fresh findings carry it) and
    the literals on the flagged lines (read again from the files, for cached findings too)."""
    spans: list[SecretSpan] = []
    for raw in findings:
        if not raw.secret:
            continue
        location = raw.finding.location
        text = read_lines(root, location.file, location.line, raw.end_line)
        values = {secret.reveal() for secret in raw.matched} | literal_values(text)
        start = location.line or 0
        spans.append(SecretSpan(location.file, start, raw.end_line or start, frozenset(values)))
    return spans


def register_secrets(spans: Iterable[SecretSpan], redactor: Redactor) -> int:
    """Register the values long and mixed enough to be redacted from every output (their
    escaped forms too); returns how many distinct values the spans hold."""
    values = {value for span in spans for value in span.values}
    for value in values:
        if credential_like(value):
            for form in variants(value):
                redactor.register(form)
    return len(values)


def redact_raw(raw: RawFinding, spans: Sequence[SecretSpan], redactor: Redactor) -> RawFinding:
    """``raw`` with the values of every span it overlaps, and every registered secret, removed
    from its text (matched values kept for later steps)."""
    values = [value for span in spans if span.covers(raw) for value in span.values]
    finding = redact_finding(raw.finding, redactor, values)
    return raw if finding is raw.finding else raw.replace_finding(finding)


def redact_finding(finding: Finding, redactor: Redactor, values: Iterable[str] = ()) -> Finding:
    """The finding with ``values`` and registered secrets removed from its text fields."""
    values = tuple(values)

    def clean(text: str) -> str:
        return redactor.redact(redact_values(text, values))

    update: dict[str, object] = {"title": clean(finding.title), "message": clean(finding.message)}
    location = finding.location
    if location.path and clean(location.path) != location.path:
        update["location"] = replace(location, path=clean(location.path))
    if all(getattr(finding, key) == value for key, value in update.items()):
        return finding
    return finding.model_copy(update=update)
