"""The pack's scope and GDPR files from the estate: system description, asset inventory,
Statement of Applicability, Records of Processing (Art. 30) and security measures (Art. 32),
and the accepted risks (suppressions) as exceptions."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from seccli.estate.model import Estate, Service
from seccli.evidence.collect import Collected
from seccli.evidence.status import ControlResult

#: Data classes that are personal data under the GDPR.
PERSONAL_DATA = {"pii", "health", "voice", "payment"}
NOT_DECLARED = "not declared in the estate"


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """RFC 4180 CSV (CRLF line ends, quoted where needed), UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else str(v) for v in row] for row in rows])
    return buffer.getvalue().encode("utf-8")


def system_description(estate: Estate, estate_sha256: str) -> dict[str, Any]:
    """What the system is: organisation, cluster, namespaces, services and data handled."""
    classes: dict[str, int] = {}
    for service in estate.services:
        for data_class in service.data_classes:
            classes[data_class.value] = classes.get(data_class.value, 0) + 1
    return {
        "name": estate.metadata.name,
        "description": estate.metadata.description,
        "organisation": estate.organisation,
        "cluster": estate.cluster,
        "trustDomain": estate.trust_domain,
        "mesh": estate.mesh,
        "estateSha256": estate_sha256,
        "namespaces": [
            {"name": n.name, "role": n.role, "displayName": n.display_name}
            for n in estate.namespaces
        ],
        "counts": {
            "namespaces": len(estate.namespaces),
            "subsidiaries": sum(1 for n in estate.namespaces if n.role == "subsidiary"),
            "services": len(estate.services),
            "secrets": sum(len(s.secrets) for s in estate.services),
            "externalEgress": len({e.host for s in estate.services for e in s.egress}),
        },
        "dataClasses": dict(sorted(classes.items())),
        "boundaries": (
            "Workloads of the namespaces listed, their images, secrets (Vault paths) and "
            "declared network intents; the cluster's nodes and cloud provider are out of scope."
        ),
    }


def inventory_csv(estate: Estate) -> bytes:
    """The asset inventory: one row per service."""
    header = [
        "namespace",
        "service",
        "subdomain",
        "owner",
        "serviceAccount",
        "image",
        "dataClasses",
        "secrets",
        "ports",
        "externalEgress",
    ]
    rows = [
        [
            s.namespace,
            s.name,
            s.subdomain,
            s.owner,
            s.account,
            s.image,
            " ".join(d.value for d in s.data_classes),
            " ".join(r.path for r in s.secrets),
            " ".join(f"{p.name}:{p.port}" for p in s.ports),
            " ".join(e.host for e in s.egress),
        ]
        for s in sorted(estate.services, key=lambda s: (s.namespace, s.name))
    ]
    return csv_bytes(header, rows)


def soa_csv(results: Sequence[ControlResult]) -> bytes:
    """The Statement of Applicability: every control, applicable or not, its status and why."""
    header = [
        "framework",
        "controlId",
        "title",
        "applicable",
        "status",
        "reason",
        "checks",
        "evidence",
    ]
    rows = [
        [
            r.control.framework,
            r.control.id,
            r.control.title,
            "no" if r.status == "not applicable" else "yes",
            r.status,
            r.reason,
            " ".join(c.check.id for c in r.checks),
            r.path,
        ]
        for r in results
    ]
    return csv_bytes(header, rows)


def _recipients(service: Service) -> str:
    targets = sorted({"/".join(i.target(service.namespace)) for i in service.intents})
    external = sorted({e.host for e in service.egress})
    return " ".join([*targets, *(f"external:{h}" for h in external)])


def ropa_csv(estate: Estate) -> bytes:
    """Records of processing activities (GDPR Art. 30) from services handling personal data.

    Fields the estate does not carry (purposes' legal basis, data subjects, retention) are
    written as "not declared in the estate", never guessed.
    """
    names = {n.name: n.display_name or n.name for n in estate.namespaces}
    descriptions = {d.name: d.description for d in estate.subdomains}
    header = [
        "controller",
        "processingActivity",
        "purpose",
        "personalDataCategories",
        "dataSubjects",
        "recipients",
        "thirdCountryTransfers",
        "retention",
        "securityMeasures",
        "system",
    ]
    rows = []
    for s in sorted(estate.services, key=lambda s: (s.namespace, s.name)):
        categories = [d.value for d in s.data_classes if d.value in PERSONAL_DATA]
        if not categories:
            continue
        purpose = descriptions.get(s.subdomain or "") if s.subdomain else None
        external = sorted({e.host for e in s.egress})
        rows.append(
            [
                f"{estate.organisation} ({names.get(s.namespace, s.namespace)})",
                f"{s.namespace}/{s.name}",
                purpose or NOT_DECLARED,
                " ".join(categories),
                NOT_DECLARED,
                _recipients(s) or "none",
                f"review: {' '.join(external)}" if external else "none declared",
                NOT_DECLARED,
                "see gdpr/art32-measures.csv",
                estate.cluster,
            ]
        )
    return csv_bytes(header, rows)


def art32_csv(collected: Collected) -> bytes:
    """Security of processing (Art. 32): the automated measures and their status."""
    header = ["measure", "check", "status", "reason", "controls", "evidence"]
    rows = []
    for result in sorted(collected.checks.values(), key=lambda r: r.check.id):
        if not any(ref.framework == "GDPR" for ref in result.check.controls):
            continue
        rows.append(
            [
                result.check.title,
                result.check.id,
                result.status,
                result.reason,
                " ".join(str(c) for c in result.check.controls),
                f"evidence/checks/{result.check.id}.json",
            ]
        )
    return csv_bytes(header, rows)


def exceptions_rows(suppressions: Sequence[Any], today: date) -> list[dict[str, Any]]:
    """Accepted risks (suppressions) with owner, approver, expiry and whether expired."""
    rows = [
        {
            "target": item.label(),
            "justification": item.justification,
            "owner": getattr(item, "owner", None) or "not recorded",
            "approver": item.approver,
            "expires": item.expires.isoformat(),
            "expired": item.expires < today,
        }
        for item in suppressions
    ]
    return sorted(rows, key=lambda r: (r["expires"], r["target"]))
