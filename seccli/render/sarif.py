"""SARIF 2.1.0: one run per tool, rules with help, relative URIs against a declared root.

GitHub code scanning de-duplicates alerts by ``partialFingerprints``, so every seccli result
carries the same key (``seccliFingerprint/v1``) with the finding's stable id, and reads a rule's
severity from ``properties.security-severity``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from seccli.core.findings import Finding
from seccli.core.severity import Severity
from seccli.render.model import FindingsReport, RuleInfo, ToolInfo

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "seccliFingerprint/v1"
ROOT_BASE_ID = "SRCROOT"
# GitHub code scanning reads a rule's severity from this number (as a string).
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
# Tags of this shape are seccli's bookkeeping (which other tools reported a merged finding):
# they go into result properties, never into the rule's public tags.
_INTERNAL_TAG_PREFIXES = ("also:",)


def sarif_log(report: FindingsReport) -> dict[str, Any]:
    """The SARIF 2.1.0 log of ``report``: one run per tool that ran."""
    runs = [_run(tool, report) for tool in report.tools if tool.status != "skipped"]
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": runs}


def artifact_uri(file: str, root: Path | None) -> tuple[str, bool]:
    """The URI of ``file`` and whether it is relative to the declared root.

    Relative paths stay relative (to the root); absolute paths inside the root become
    relative; other absolute paths become ``file://`` URIs.
    """
    path = Path(file)
    if path.is_absolute():
        if root is not None:
            try:
                relative = path.resolve().relative_to(root.resolve())
            except ValueError:
                return path.resolve().as_uri(), False
            return quote(relative.as_posix()), True
        return path.as_uri(), False
    posix = PurePosixPath(path.as_posix())
    parts = [part for part in posix.parts if part not in ("", ".")]
    return quote("/".join(parts)), True


def _run(tool: ToolInfo, report: FindingsReport) -> dict[str, Any]:
    findings = report.findings_of(tool.name)
    rules: dict[str, dict[str, Any]] = {}
    index: dict[str, int] = {}
    results = []
    for finding in findings:
        if finding.rule_id not in rules:
            index[finding.rule_id] = len(rules)
            rules[finding.rule_id] = _rule(finding, tool.rules.get(finding.rule_id))
        results.append(_result(finding, index[finding.rule_id], report))
    driver: dict[str, Any] = {
        "name": tool.name,
        "informationUri": tool.information_uri,
        "rules": list(rules.values()),
    }
    if tool.version:
        driver["version"] = tool.version
    invocation: dict[str, Any] = {"executionSuccessful": tool.status == "ok"}
    if tool.status == "error":
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": tool.detail or "the tool failed"}}
        ]
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    if report.source_root is not None:
        root_uri = report.source_root.resolve().as_uri().rstrip("/") + "/"
        run["originalUriBaseIds"] = {ROOT_BASE_ID: {"uri": root_uri}}
    return run


def _public_tags(finding: Finding) -> list[str]:
    return [t for t in finding.tags if not t.startswith(_INTERNAL_TAG_PREFIXES)]


def _rule(finding: Finding, info: RuleInfo | None) -> dict[str, Any]:
    title = (info.title if info else "") or finding.title or finding.rule_id
    help_text = (info.help_text if info else "") or _default_help(finding)
    help_uri = (info.help_uri if info else None) or finding.help_url
    rule: dict[str, Any] = {
        "id": finding.rule_id,
        "name": finding.rule_id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": help_text},
        "help": {"text": help_text, "markdown": _help_markdown(help_text, help_uri)},
        "defaultConfiguration": {"level": finding.severity.sarif_level},
        "properties": {
            "tags": ["security", *_public_tags(finding)],
            "security-severity": SECURITY_SEVERITY[finding.severity],
        },
    }
    if finding.controls:
        rule["properties"]["controls"] = [str(c) for c in finding.controls]
    if help_uri:
        rule["helpUri"] = help_uri
    return rule


def _default_help(finding: Finding) -> str:
    text = finding.title or finding.rule_id
    if finding.message and finding.message != text:
        text = f"{text}. Example: {finding.message}"
    return text


def _help_markdown(text: str, uri: str | None) -> str:
    return f"{text}\n\n[More information]({uri})" if uri else text


def _result(finding: Finding, rule_index: int, report: FindingsReport) -> dict[str, Any]:
    properties: dict[str, Any] = {"severity": finding.severity.value, "owner": finding.owner}
    internal = [t for t in finding.tags if t.startswith(_INTERNAL_TAG_PREFIXES)]
    if internal:
        properties["alsoReportedBy"] = [t.split(":", 1)[1] for t in internal]
    if finding.controls:
        properties["controls"] = [str(c) for c in finding.controls]
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": finding.severity.sarif_level,
        "message": {"text": finding.message or finding.title},
        "partialFingerprints": {FINGERPRINT_KEY: finding.id},
        "properties": properties,
    }
    if finding.location.file not in (".", ""):
        result["locations"] = [_location(finding, report)]
    return result


def _location(finding: Finding, report: FindingsReport) -> dict[str, Any]:
    uri, relative = artifact_uri(finding.location.file, report.source_root)
    artifact: dict[str, Any] = {"uri": uri}
    if relative and report.source_root is not None:
        artifact["uriBaseId"] = ROOT_BASE_ID
    physical: dict[str, Any] = {"artifactLocation": artifact}
    line = finding.location.line
    if line:
        region: dict[str, Any] = {"startLine": line}
        end = report.end_lines.get(finding.id)
        if end and end >= line:
            region["endLine"] = end
        if finding.location.column:
            region["startColumn"] = finding.location.column
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if finding.location.path:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.location.path}]
    return location
