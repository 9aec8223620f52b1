"""Findings: stable fingerprints, immutability, thresholds."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from seccli.core.findings import Finding
from seccli.core.location import ControlRef, Location
from seccli.core.severity import Severity


def _finding(line: int, snippet: str, rule: str = "B602", file: str = "app.py") -> Finding:
    return Finding.create(
        tool="bandit",
        rule_id=rule,
        title="subprocess with shell=True",
        message="shell injection risk",
        severity=Severity.HIGH,
        location=Location(file, line, 5),
        basis=snippet,
        tags=["CWE-78", "CWE-78", "OWASP-A03"],
        controls=[ControlRef("ISO27001:2022", "A.8.28")],
        owner="squad-payments",
    )


def test_fingerprint_survives_line_shifts_and_reformatting() -> None:
    first = _finding(10, "subprocess.call(cmd, shell=True)")
    moved = _finding(42, "subprocess.call(cmd,   shell=True)\n")
    assert first.id == moved.id
    assert len(first.id) == 32


def test_fingerprint_changes_with_rule_file_or_code() -> None:
    base = _finding(10, "subprocess.call(cmd, shell=True)")
    assert base.id != _finding(10, "subprocess.call(cmd, shell=True)", rule="B603").id
    assert base.id != _finding(10, "subprocess.call(cmd, shell=True)", file="other.py").id
    assert base.id != _finding(10, "os.system(cmd)").id


def test_tags_and_controls_are_deduplicated_and_sorted() -> None:
    finding = _finding(1, "x")
    assert finding.tags == ("CWE-78", "OWASP-A03")
    assert finding.controls == (ControlRef("ISO27001:2022", "A.8.28"),)


def test_findings_are_immutable_and_strict() -> None:
    finding = _finding(1, "x")
    with pytest.raises(ValidationError):
        finding.severity = Severity.LOW  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Finding.model_validate({**finding.model_dump(), "unexpected": 1})


def test_threshold_and_json_round_trip() -> None:
    finding = _finding(3, "x")
    assert finding.at_least(Severity.HIGH)
    assert not finding.at_least(Severity.CRITICAL)
    again = Finding.model_validate_json(finding.model_dump_json())
    assert again == finding
    assert again.location.line == 3


def test_default_basis_is_document_path() -> None:
    a = Finding.create(
        tool="estate",
        rule_id="R1",
        title="t",
        message="m1",
        severity=Severity.LOW,
        location=Location("e.yaml", 3, None, "services[0].image"),
    )
    b = Finding.create(
        tool="estate",
        rule_id="R1",
        title="t",
        message="m2",
        severity=Severity.LOW,
        location=Location("e.yaml", 9, None, "services[0].image"),
    )
    assert a.id == b.id
