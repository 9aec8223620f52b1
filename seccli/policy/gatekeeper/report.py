"""Documents of a ``policy test`` run and of ``policy verify``: stable JSON and SARIF 2.1.0."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from seccli.core.findings import Finding
from seccli.core.severity import Severity
from seccli.policy.gatekeeper.run import TestReport
from seccli.policy.gatekeeper.suite import SuiteResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
_SECURITY_SEVERITY = {
    Severity.INFO: "0.0",
    Severity.LOW: "3.0",
    Severity.MEDIUM: "5.0",
    Severity.HIGH: "7.5",
    Severity.CRITICAL: "9.5",
}


def test_json(report: TestReport, *, deny_only: bool = False) -> dict[str, Any]:
    """Objects with their violations (only objects that have some) and a summary."""
    objects: list[dict[str, Any]] = []
    counts = {"deny": 0, "warn": 0, "dryrun": 0, "error": 0}
    for result in report.results:
        shown = [v for v in result.violations if v.denies or not deny_only]
        for v in shown:
            counts["error" if v.error else v.action] += 1
        if not shown:
            continue
        item = result.item
        objects.append(
            {
                "object": {
                    "apiVersion": _api_version(item.request),
                    "kind": item.kind,
                    "namespace": item.namespace,
                    "name": item.name,
                },
                "source": {"file": item.source, "line": item.line, "path": item.path},
                "violations": [v.to_json() for v in shown],
            }
        )
    return {
        "objects": objects,
        "summary": {
            "objects": len(report.results),
            "violations": counts,
            "denied": report.denied,
        },
    }


def _api_version(request: dict[str, Any]) -> str:
    gvk = request.get("kind") or {}
    group, version = gvk.get("group", ""), gvk.get("version", "")
    return f"{group}/{version}" if group else str(version)


def sarif(findings: Sequence[Finding], tool_version: str) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run (tool ``seccli-gatekeeper``)."""
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for finding in findings:
        if finding.rule_id not in rules:
            rules[finding.rule_id] = {
                "id": finding.rule_id,
                "name": finding.rule_id,
                "shortDescription": {"text": finding.title},
                "defaultConfiguration": {"level": finding.severity.sarif_level},
                "properties": {
                    "tags": ["security", "kubernetes", *(str(c) for c in finding.controls)],
                    "security-severity": _SECURITY_SEVERITY[finding.severity],
                },
            }
        region = {"startLine": finding.location.line} if finding.location.line else {}
        physical: dict[str, Any] = {"artifactLocation": {"uri": finding.location.file}}
        if region:
            physical["region"] = region
        location: dict[str, Any] = {"physicalLocation": physical}
        if finding.location.path:
            location["logicalLocations"] = [{"fullyQualifiedName": finding.location.path}]
        results.append(
            {
                "ruleId": finding.rule_id,
                "ruleIndex": list(rules).index(finding.rule_id),
                "level": finding.severity.sarif_level,
                "message": {"text": finding.message},
                "partialFingerprints": {"seccliFingerprint/v1": finding.id},
                "properties": {"enforcementAction": finding.tags[0] if finding.tags else ""},
                "locations": [location],
            }
        )
    driver = {
        "name": "seccli-gatekeeper",
        "version": tool_version,
        "informationUri": "https://open-policy-agent.github.io/gatekeeper/",
        "rules": list(rules.values()),
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }


def verify_json(suites: Sequence[SuiteResult]) -> dict[str, Any]:
    """Suites, tests and cases with their status, reasons and times."""
    counts = {"pass": 0, "fail": 0, "skip": 0, "error": 0}
    out: list[dict[str, Any]] = []
    for suite in suites:
        tests = []
        for test in suite.tests:
            cases = []
            for case in test.cases:
                counts[case.status] += 1
                cases.append(
                    {
                        "name": case.name,
                        "status": case.status,
                        "reasons": case.reasons,
                        "seconds": round(case.seconds, 6),
                        "violations": [v.to_json() for v in case.violations],
                    }
                )
            if not test.cases:
                counts[test.status] += 1
            tests.append(
                {
                    "name": test.name,
                    "status": test.status,
                    "reasons": test.reasons,
                    "seconds": round(test.seconds, 6),
                    "cases": cases,
                }
            )
        out.append(
            {
                "path": suite.path,
                "status": suite.status,
                "seconds": round(suite.seconds, 6),
                "tests": tests,
            }
        )
    status = "pass"
    if counts["error"]:
        status = "error"
    elif counts["fail"]:
        status = "fail"
    return {"suites": out, "summary": counts, "status": status}
