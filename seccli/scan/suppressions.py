"""Baselines (only new findings count) and suppressions (accepted risks with an expiry).

A suppression names a finding by fingerprint, or by rule and path glob, with a justification,
an approver and an expiry date. Expired suppressions stop suppressing and are reported.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from seccli.core.atomic import atomic_write_text
from seccli.core.documents import load_documents
from seccli.core.errors import InputError
from seccli.core.findings import Finding
from seccli.core.userdoc import DocumentModel, UserDocument, validate_user_document

BASELINE_KIND = "ScanBaseline"


class Suppression(DocumentModel):
    """One accepted risk."""

    fingerprint: str | None = None
    """The finding's fingerprint (its ``id`` in JSON output); or give ``rule``."""
    rule: str | None = None
    """The rule id of the findings to suppress (with ``path`` to narrow it)."""
    path: str | None = Field(None, description="Glob on the finding's path; '*' crosses '/'.")
    justification: str = Field(min_length=10)
    """Why the risk is accepted (at least 10 characters)."""
    approver: str = Field(min_length=1)
    """Who accepted the risk."""
    expires: date
    """The last day the suppression applies (YYYY-MM-DD); later it is reported as expired."""

    @model_validator(mode="after")
    def _target(self) -> Suppression:
        if not self.fingerprint and not self.rule:
            raise ValueError("a suppression needs a 'fingerprint' or a 'rule' (with 'path')")
        return self

    def matches(self, finding: Finding) -> bool:
        """True when this suppression names ``finding``."""
        return self.names(finding.id, finding.rule_id, finding.location.file)

    def names(self, fingerprint: str, rule_id: str, file: str) -> bool:
        """True when this suppression names the finding with this fingerprint, rule and path
        (also for findings known only from the store's history)."""
        if self.fingerprint:
            return fingerprint == self.fingerprint
        if self.rule != rule_id:
            return False
        return self.path is None or fnmatch.fnmatchcase(file, self.path)

    def label(self) -> str:
        """How to name this suppression in reports."""
        if self.fingerprint:
            return f"fingerprint {self.fingerprint}"
        return f"rule {self.rule}" + (f" on {self.path}" if self.path else "")


class SuppressionsFile(UserDocument):
    """The suppressions document."""

    api_version: Literal["seccli.dev/v1alpha1"] = Field(alias="apiVersion")
    """The document format version."""
    kind: Literal["Suppressions"]
    """Always ``Suppressions``."""
    suppressions: tuple[Suppression, ...] = ()
    """The accepted risks."""


def load_suppressions(path: Path) -> list[Suppression]:
    """Load and validate a suppressions file; every problem is reported with its line."""
    documents = load_documents(path)
    if len(documents) != 1:
        raise InputError(f"{path}: expected exactly one document, found {len(documents)}")
    parsed = validate_user_document(
        documents[0],
        SuppressionsFile,
        hint="see 'seccli schema suppressions' for the suppressions format",
    )
    return list(parsed.suppressions)


@dataclass(frozen=True, slots=True)
class SuppressionOutcome:
    """What suppressions did: findings kept, findings suppressed (and by what), expired ones."""

    kept: tuple[Finding, ...]
    suppressed: tuple[tuple[Finding, Suppression], ...]
    expired: tuple[Suppression, ...]


def apply_suppressions(
    findings: Sequence[Finding], suppressions: Sequence[Suppression], today: date
) -> SuppressionOutcome:
    """Drop findings named by a live suppression; expired ones do not suppress.

    A finding is never suppressed by an expired entry, and tool errors are never suppressed.
    """
    live = [s for s in suppressions if s.expires >= today]
    expired = tuple(s for s in suppressions if s.expires < today)
    kept: list[Finding] = []
    suppressed: list[tuple[Finding, Suppression]] = []
    for finding in findings:
        match = next(
            (s for s in live if s.matches(finding) and finding.rule_id != "seccli.tool-error"),
            None,
        )
        if match is None:
            kept.append(finding)
        else:
            suppressed.append((finding, match))
    return SuppressionOutcome(tuple(kept), tuple(suppressed), expired)


def write_baseline(path: Path, findings: Sequence[Finding]) -> None:
    """Write the fingerprints of ``findings`` (tool errors excluded) as a baseline."""
    entries = sorted(
        (
            {
                "id": f.id,
                "rule": f.rule_id,
                "tool": f.tool,
                "file": f.location.file,
                "severity": f.severity.value,
            }
            for f in findings
            if f.rule_id != "seccli.tool-error"
        ),
        key=lambda entry: entry["id"],
    )
    document = {"schemaVersion": "1", "kind": BASELINE_KIND, "findings": entries}
    atomic_write_text(path, json.dumps(document, indent=2, sort_keys=True) + "\n")


def read_baseline(path: Path) -> frozenset[str]:
    """The fingerprints recorded in a baseline file."""
    documents = load_documents(path, fmt="json")  # written as JSON by write_baseline
    data = documents[0].data if documents else None
    if not isinstance(data, dict) or data.get("kind") != BASELINE_KIND:
        raise InputError(
            f"{path}: not a seccli scan baseline", hint="write one with --write-baseline"
        )
    entries = data.get("findings")
    if not isinstance(entries, list):
        raise InputError(f"{path}: baseline has no 'findings' list")
    return frozenset(str(e["id"]) for e in entries if isinstance(e, dict) and "id" in e)


def new_since_baseline(findings: Sequence[Finding], baseline: frozenset[str]) -> list[Finding]:
    """The findings not in the baseline (tool errors always count)."""
    return [f for f in findings if f.id not in baseline or f.rule_id == "seccli.tool-error"]
