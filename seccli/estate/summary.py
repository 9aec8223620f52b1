"""Counts that describe an estate at a glance."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from seccli.core.documents import LoadLimits
from seccli.estate.model import Estate


@dataclass(frozen=True, slots=True)
class EstateSummary:
    """How much an estate declares."""

    namespaces: int
    subsidiaries: int
    subdomains: int
    services: int
    intents: int
    secrets: int
    external_egress: int
    pinned_images: int

    def as_dict(self) -> dict[str, int]:
        """The counts keyed by camelCase name (for JSON output)."""
        names = {"external_egress": "externalEgress", "pinned_images": "pinnedImages"}
        return {names.get(key, key): value for key, value in asdict(self).items()}


def summarise(estate: Estate) -> EstateSummary:
    """Count what ``estate`` declares."""
    return EstateSummary(
        namespaces=len(estate.namespaces),
        subsidiaries=sum(1 for ns in estate.namespaces if ns.role == "subsidiary"),
        subdomains=len(estate.subdomains),
        services=len(estate.services),
        intents=sum(len(svc.intents) for svc in estate.services),
        secrets=sum(len(svc.secrets) for svc in estate.services),
        external_egress=sum(len(svc.egress) for svc in estate.services),
        pinned_images=sum(1 for svc in estate.services if svc.image_ref.pinned),
    )


@dataclass(frozen=True, slots=True)
class EstateValidation:
    """The outcome of validating an estate file: what ``estate validate`` renders and audits."""

    file: str
    sha256: str
    name: str
    organisation: str
    trust_domain: str
    summary: EstateSummary

    def as_json(self) -> dict[str, object]:
        """The JSON body of ``estate validate``."""
        return {
            "file": self.file,
            "sha256": self.sha256,
            "valid": True,
            "estate": self.name,
            "organisation": self.organisation,
            "trustDomain": self.trust_domain,
            "counts": self.summary.as_dict(),
        }

    def audit_payload(self) -> dict[str, object]:
        """What the audit log records: the file's digest and the counts."""
        return {"sha256": self.sha256, "valid": True, "counts": self.summary.as_dict()}


def validate_estate_file(path: Path, limits: LoadLimits | None = None) -> EstateValidation:
    """Load and validate the estate at ``path`` (``DocumentInvalid`` lists every problem)."""
    from seccli.core.hashing import sha256_file
    from seccli.estate.loader import load_estate

    estate = load_estate(path, limits).estate
    return EstateValidation(
        file=str(path),
        sha256=sha256_file(path),
        name=estate.metadata.name,
        organisation=estate.organisation,
        trust_domain=estate.trust_domain,
        summary=summarise(estate),
    )
