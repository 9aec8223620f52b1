"""The Vault audit's verdict and its findings report (rendered by ``seccli.render``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seccli.core.findings import Finding
from seccli.core.severity import Severity
from seccli.render.model import FindingsReport, RuleInfo, ToolInfo
from seccli.secrets.inventory import TOOL, AuditReport

_HELP = "https://developer.hashicorp.com/vault/docs/secrets/kv/kv-v2"
VAULT_RULES: dict[str, RuleInfo] = {
    rule.rule_id: rule
    for rule in (
        RuleInfo(
            "vault.secret.overdue",
            "Secret overdue for rotation",
            "The secret's current value is older than the rotation period the estate declares "
            "for it. Rotate it (`seccli vault rotate`) and check that its consumers reload it.",
            _HELP,
        ),
        RuleInfo(
            "vault.secret.missing",
            "Declared secret missing from Vault",
            "The estate declares a secret that Vault does not hold: its consumers cannot start, "
            "or run with a value from elsewhere. Create it or fix the declaration.",
            _HELP,
        ),
        RuleInfo(
            "vault.secret.undeclared",
            "Secret not declared in the estate",
            "A secret under an audited prefix that no service declares: nobody rotates it. "
            "Declare it with an owner and a rotation period, or delete it.",
            _HELP,
        ),
        RuleInfo(
            "vault.secret.max-versions",
            "max_versions too small for safe rotation",
            "Two-phase rotation keeps the new value, the previous one (for rollback) and a "
            "spare for a concurrent writer; a smaller max_versions can destroy the value "
            "being rolled back to.",
            _HELP,
        ),
        RuleInfo(
            "vault.secret.rotation-incomplete",
            "Rotation interrupted",
            "A rotation wrote a new value but did not finish verifying and retiring the old "
            "one. `seccli vault rotate` resumes it once its lease has expired.",
            _HELP,
        ),
        RuleInfo(
            "vault.secret.rotation-failed",
            "Last rotation failed verification",
            "The last rotation of this secret was rolled back or failed; the old value is "
            "still in use. Read the audit log (`seccli audit log`) for the step that failed.",
            _HELP,
        ),
        RuleInfo(
            "vault.database.rotation-period",
            "Vault rotates this role less often than the estate requires",
            "Vault rotates the database static role less often than the estate declares.",
            "https://developer.hashicorp.com/vault/docs/secrets/databases",
        ),
    )
}


@dataclass(frozen=True)
class VaultAuditVerdict:
    """The audit's report judged against a ``--fail-on`` threshold."""

    report: AuditReport
    threshold: Severity

    @property
    def failing(self) -> list[Finding]:
        """Findings at or above the threshold."""
        return [f for f in self.report.findings if f.at_least(self.threshold)]

    @property
    def exit_code(self) -> int:
        """1 when a finding reaches the threshold or a secret is overdue, else 0."""
        return 1 if self.failing or self.report.overdue else 0

    def summary(self, new: int, resolved: int) -> dict[str, int]:
        """Counts for the run record and the output (``new``/``resolved`` from the store)."""
        return {
            "secrets": len(self.report.statuses),
            "overdue": len(self.report.overdue),
            "findings": len(self.report.findings),
            "new": new,
            "resolved": resolved,
        }

    def as_json(self, estate: str, summary: dict[str, int]) -> dict[str, Any]:
        """The JSON body of ``vault audit``."""
        return {
            "estate": estate,
            "summary": summary,
            "secrets": [s.to_json() for s in self.report.statuses],
            "findings": [f.model_dump(mode="json") for f in self.report.findings],
        }

    def findings_report(self, source_root: Path | None = None) -> FindingsReport:
        """The findings with the audit tool's rules, for the shared renderers."""
        tool = ToolInfo(
            TOOL,
            information_uri="https://github.com/seccli/seccli",
            rules=VAULT_RULES,
        )
        return FindingsReport(
            self.report.findings, (tool,), source_root=source_root, title="Vault secret audit"
        )
