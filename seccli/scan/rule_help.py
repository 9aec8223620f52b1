"""Tool and rule metadata of a scan for the renderers: versions, statuses and rule help."""

from __future__ import annotations

from collections.abc import Sequence

from seccli.core.findings import Finding
from seccli.render.model import RuleInfo, ToolInfo
from seccli.scan.model import TOOL_ERROR_RULE, ToolRun

TOOL_URIS = {
    "checkov": "https://www.checkov.io/",
    "bandit": "https://bandit.readthedocs.io/",
    "semgrep": "https://semgrep.dev/",
}
NOT_SCANNED_RULE = "seccli.not-scanned"
_FIXED_HELP = {
    TOOL_ERROR_RULE: "The scanner was missing, crashed or timed out, so its findings are "
    "unknown and the scan cannot pass. Install or repair the tool, or raise --timeout.",
    NOT_SCANNED_RULE: "The scanner could not read or parse this file, so it was not checked. "
    "Fix the file's syntax or exclude it with --exclude.",
}


def rule_help(finding: Finding) -> RuleInfo:
    """Help for the rule behind ``finding``: what it checks and where to read more."""
    title = finding.title or finding.rule_id
    if finding.rule_id in _FIXED_HELP:
        text = _FIXED_HELP[finding.rule_id]
    elif finding.tool == "semgrep":
        # seccli's own rule pack: the message explains the risk and the fix, once per rule.
        text = f"{title}. {finding.message}" if finding.message else title
    else:
        text = (
            f"{finding.tool} check {finding.rule_id}: {title}. "
            "The linked page explains the risk and how to fix it."
        )
    cwes = [tag for tag in finding.tags if tag.startswith("CWE-")]
    if cwes:
        text += f" ({', '.join(cwes)})"
    return RuleInfo(finding.rule_id, title, text, finding.help_url)


def tool_infos(runs: Sequence[ToolRun], findings: Sequence[Finding]) -> list[ToolInfo]:
    """One ``ToolInfo`` per tool run, with the help of every rule its findings name."""
    infos = []
    for run in runs:
        rules: dict[str, RuleInfo] = {}
        for finding in findings:
            if finding.tool == run.tool and finding.rule_id not in rules:
                rules[finding.rule_id] = rule_help(finding)
        infos.append(
            ToolInfo(
                name=run.tool,
                version=run.version or None,
                information_uri=TOOL_URIS.get(run.tool, "https://github.com/seccli/seccli"),
                rules=rules,
                status=run.status,
                detail=run.detail or None,
            )
        )
    return infos
