"""Validating an org file as a whole: the counts that describe it and the holding's checks.

``estate/summary.py``'s counterpart for the security org: ``validate_org_file`` loads the org
against the estate's subdomains, checks the generated holding, and returns what
``org validate`` renders and records.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seccli.core.documents import LoadLimits
from seccli.core.errors import DocumentInvalid, Problem
from seccli.org.loader import LoadedOrg
from seccli.org.model import SecurityOrg


@dataclass(frozen=True, slots=True)
class OrgValidation:
    """The outcome of validating an org file."""

    file: str
    sha256: str
    organisation: str
    counts: dict[str, int]

    def as_json(self) -> dict[str, object]:
        """The JSON body of ``org validate``."""
        return {
            "file": self.file,
            "sha256": self.sha256,
            "valid": True,
            "organisation": self.organisation,
            "counts": self.counts,
        }

    def audit_payload(self) -> dict[str, object]:
        """What the audit log records: the file's digest and the counts."""
        return {"sha256": self.sha256, "valid": True, "counts": self.counts}


def org_counts(org: SecurityOrg, holding_agents: int = 0) -> dict[str, int]:
    """How much the org declares: teams, headcount per track, squads, schedules, ..."""
    return {
        "teams": len(org.teams),
        "security": sum(t.headcount for t in org.teams if t.track.value == "security"),
        "api": sum(t.headcount for t in org.teams if t.track.value == "api"),
        "squads": len(org.squads),
        "subdomains": len(org.squad_of_subdomain),
        "schedules": len(org.schedules),
        "escalationPolicies": len(org.escalation_policies),
        "raciFamilies": len(org.raci),
        "holdingAgents": holding_agents,
    }


def check_holding(loaded: LoadedOrg) -> int:
    """The number of holding agents (0 without a holding); ``DocumentInvalid`` at the holding
    section listing every problem of the generated holding."""
    from seccli.org.holding import generate_holding, validate_holding

    org = loaded.org
    if org.holding is None:
        return 0
    holding = generate_holding(org)
    issues = validate_holding(org, holding)
    if issues:
        location = loaded.document.locate(("holding",))
        raise DocumentInvalid([Problem(location, issue) for issue in issues])
    return len(holding)


def validate_org_file(path: Path, estate: Path, limits: LoadLimits | None = None) -> OrgValidation:
    """Load the org at ``path`` against the estate's subdomains and check its holding."""
    from seccli.core.hashing import sha256_file
    from seccli.org.loader import load_org_for_estate

    loaded = load_org_for_estate(path, estate, limits)
    agents = check_holding(loaded)
    return OrgValidation(
        file=str(path),
        sha256=sha256_file(path),
        organisation=loaded.org.organisation,
        counts=org_counts(loaded.org, agents),
    )
