"""Catalogs, crosswalk and the check → control mapping."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from seccli.core.errors import InputError
from seccli.core.findings import Finding
from seccli.core.location import ControlRef, Location
from seccli.core.severity import Severity
from seccli.evidence import catalog, mapping
from tests.evidence.conftest import run_cli


def test_iso_annex_a_has_all_93_controls_in_four_themes() -> None:
    controls = catalog.catalog("iso27001").controls
    ids = [c.id for c in controls]
    assert len(ids) == 93 == len(set(ids))
    expected = [f"A.5.{i}" for i in range(1, 38)] + [f"A.6.{i}" for i in range(1, 9)]
    expected += [f"A.7.{i}" for i in range(1, 15)] + [f"A.8.{i}" for i in range(1, 35)]
    assert ids == expected
    assert {c.group for c in controls} == {"Organisational", "People", "Physical", "Technological"}
    # our own short titles: a few words each
    assert all(0 < len(c.title.split()) <= 6 for c in controls)


def test_soc2_criteria_cover_every_series() -> None:
    ids = {c.id for c in catalog.catalog("soc2").controls}
    for expected in ("CC1.1", "CC1.5", "CC6.8", "CC7.5", "CC8.1", "CC9.2", "A1.3", "C1.2"):
        assert expected in ids
    for expected in ("PI1.5", "P1.1", "P6.7", "P8.1"):
        assert expected in ids
    assert all(re.fullmatch(r"(CC\d|A1|C1|PI1|P\d)\.\d", i) for i in ids)


def test_gdpr_articles_named_by_the_issue_are_present() -> None:
    ids = {c.id for c in catalog.catalog("gdpr").controls}
    assert {f"Art.{n}" for n in (5, 24, 25, 28, 30, 32, 33, 34, 35, 37)} <= ids
    assert catalog.catalog("gdpr").get("Art.30").title == "Records of processing activities"


def test_crosswalk_rows_name_existing_controls_and_explain_themselves() -> None:
    rows = catalog.crosswalk()
    assert len(rows) > 40
    for row in rows:
        assert row.relationship in catalog.RELATIONSHIPS
        assert row.rationale.strip() and len(row.rationale) < 120
        named = [(fw, row.ids(fw)) for fw in catalog.FRAMEWORKS if row.ids(fw)]
        assert len(named) >= 2
        for fw, cid in named:
            assert catalog.catalog(fw).get(cid) is not None, (fw, cid)


def test_related_controls_keep_the_strongest_relationship() -> None:
    related = catalog.related_controls("soc2", "CC6.6")
    assert ("iso27001", "A.8.20", "equivalent") in related
    assert len({(fw, cid) for fw, cid, _ in related}) == len(related)


@pytest.mark.parametrize("name", ["soc2", "SOC2", "ISO27001:2022", "iso27001", "GDPR"])
def test_framework_spellings(name: str) -> None:
    assert catalog.framework_key(name) in catalog.FRAMEWORKS


@pytest.mark.parametrize("name", ["", "pci", "soc3", "iso27002"])
def test_unknown_framework_is_an_input_error(name: str) -> None:
    with pytest.raises(InputError):
        catalog.framework_key(name)


def test_unknown_control_id_is_an_input_error() -> None:
    with pytest.raises(InputError, match="A.9.1"):
        catalog.require_control("iso27001", "A.9.1")


def test_every_mapped_control_exists_in_its_catalog() -> None:
    for framework, ids in mapping.all_mapped_controls().items():
        cat = catalog.catalog(catalog.FRAMEWORK_KEYS[framework])
        assert all(cat.get(i) for i in ids), framework


def test_every_automated_check_named_by_the_issue_is_mapped() -> None:
    expected = {
        "policy-templates",
        "scan",
        "image-gate",
        "sbom",
        "vault-audit",
        "vault-rotation",
        "netpol-proof",
        "mtls-spiffe",
        "org-oncall",
        "drills",
        "soar-runs",
        "audit-chain",
    }
    assert expected <= set(mapping.CHECKS)
    for check in mapping.CHECKS.values():
        frameworks = {ref.framework for ref in check.controls}
        assert {"SOC2", "ISO27001:2022"} <= frameworks, check.id
        assert check.commands


def _finding(tool: str, rule: str, tags: tuple[str, ...] = (), **extra: object) -> Finding:
    return Finding.create(
        tool=tool,
        rule_id=rule,
        title="t",
        message="m",
        severity=Severity.HIGH,
        location=Location(file="a.py", line=1),
        tags=tags,
        **extra,  # type: ignore[arg-type]
    )


def test_findings_get_controls_by_cwe_family_and_check() -> None:
    secret = mapping.with_controls(_finding("bandit", "B105", ("CWE-259",)))
    assert ControlRef("ISO27001:2022", "A.5.17") in secret.controls
    tls = mapping.with_controls(_finding("bandit", "B501", ("CWE-295",)))
    assert ControlRef("ISO27001:2022", "A.8.24") in tls.controls
    k8s = mapping.with_controls(_finding("checkov", "CKV_K8S_20"))
    assert ControlRef("ISO27001:2022", "A.8.9") in k8s.controls
    semgrep = mapping.with_controls(_finding("semgrep", "seccli.python.eval"))
    assert ControlRef("ISO27001:2022", "A.8.28") in semgrep.controls
    unknown = mapping.with_controls(_finding("something-else", "X1"))
    assert unknown.controls == ()


def test_template_controls_are_kept_and_merged() -> None:
    own = (ControlRef("SOC2", "CC6.1"),)
    finding = mapping.with_controls(_finding("gatekeeper", "k8sdenyprivileged", controls=own))
    assert ControlRef("SOC2", "CC6.1") in finding.controls
    assert list(finding.controls) == sorted(set(finding.controls))
    assert mapping.with_controls(finding) is finding


def test_check_for_command() -> None:
    assert mapping.check_for_command("images verify").id == "image-gate"  # type: ignore[union-attr]
    assert mapping.check_for_command("scan").id == "scan"  # type: ignore[union-attr]
    assert mapping.check_for_command("audit log") is None


def test_cli_controls_json_csv_table(tmp_path: object) -> None:
    code, out = run_cli(["evidence", "controls", "--framework", "iso27001", "-f", "json"])
    assert code == 0
    rows = json.loads(out)["controls"]
    assert len(rows) == 93 and rows[0]["id"] == "A.5.1"
    code, out = run_cli(["evidence", "controls", "-f", "csv"])
    assert code == 0
    parsed = list(csv.reader(io.StringIO(out)))
    assert parsed[0][:3] == ["framework", "id", "title"]
    assert len(parsed) == 1 + 93 + len(catalog.catalog("soc2").controls) + 10
    assert all(len(r) == len(parsed[0]) for r in parsed)
    code, out = run_cli(["evidence", "controls", "--framework", "gdpr"])
    assert code == 0 and "Art.30" in out


@pytest.mark.parametrize(
    "args", [["--framework", "pci"], ["--framework", ""], ["-f", "sarif"], ["-f", "markdown"]]
)
def test_cli_controls_bad_input_exit_2(args: list[str]) -> None:
    code, _ = run_cli(["evidence", "controls", *args])
    assert code == 2
