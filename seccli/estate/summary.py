"""Counts that describe an estate at a glance."""

from __future__ import annotations

from dataclasses import asdict, dataclass

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
