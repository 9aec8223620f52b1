"""Image verdicts as findings, for the shared renderers (SARIF and friends)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from seccli.core.findings import Finding
from seccli.core.location import Location
from seccli.core.severity import Severity
from seccli.evidence.mapping import with_controls
from seccli.render.model import FindingsReport, RuleInfo, ToolInfo
from seccli.supplychain.verify import ImageVerdict, Verdict

TOOL = "seccli-images"
_HELP_URI = "https://docs.sigstore.dev/cosign/verifying/verify/"
BLOCKED_RULE = "SC001"
WARNED_RULE = "SC002"
IMAGE_RULES: dict[str, RuleInfo] = {
    BLOCKED_RULE: RuleInfo(
        BLOCKED_RULE,
        "Image blocked by the trust policy",
        "The image is not signed (or attested) as the trust policy requires, no policy rule "
        "matches it, or it could not be verified (an unreachable registry or a time-out is a "
        "block too). Sign it with a trusted key or identity, pin it by digest where the policy "
        "requires, or fix the registry; the message gives the reason.",
        _HELP_URI,
    ),
    WARNED_RULE: RuleInfo(
        WARNED_RULE,
        "Image fails the trust policy (warn mode)",
        "The image would be blocked, but its policy rule is in warn mode: it is reported, not "
        "blocked. Fix it before the rule is switched to enforce.",
        _HELP_URI,
    ),
}
_RULE_OF = {
    Verdict.BLOCK: (BLOCKED_RULE, Severity.HIGH),
    Verdict.WARN: (WARNED_RULE, Severity.MEDIUM),
}


def verdict_findings(verdicts: Sequence[ImageVerdict]) -> list[Finding]:
    """One finding per place a blocked or warned image is written (one without a place if
    it is written nowhere, e.g. on standard input)."""
    findings: list[Finding] = []
    for item in verdicts:
        rule = _RULE_OF.get(item.verdict)
        if rule is None:
            continue
        rule_id, severity = rule
        title = IMAGE_RULES[rule_id].title
        message = f"{item.reference}: " + "; ".join(item.reasons)
        findings.extend(
            with_controls(
                Finding.create(
                    tool=TOOL,
                    rule_id=rule_id,
                    title=title,
                    message=message,
                    severity=severity,
                    location=location,
                    basis=item.reference,
                    tags=("supply-chain",),
                    help_url=_HELP_URI,
                )
            )
            for location in item.locations or (Location("."),)
        )
    return findings


def verdicts_report(verdicts: Sequence[ImageVerdict], source_root: Path | None) -> FindingsReport:
    """The findings of ``verdicts`` with the gate's rules, relative to ``source_root``."""
    from seccli import __version__

    tool = ToolInfo(TOOL, version=__version__, rules=IMAGE_RULES)
    return FindingsReport(
        verdict_findings(verdicts), (tool,), source_root=source_root, title="Image trust gate"
    )
