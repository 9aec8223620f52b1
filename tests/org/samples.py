"""A small valid org as data, and helpers to turn it into YAML and load it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from seccli.core.documents import parse_documents
from seccli.org.loader import LoadedOrg, validate_org_document

SUBDOMAINS = ["payments", "booking"]


def minimal_org() -> dict[str, Any]:
    """A valid org: 30 security + 30 API people, two squads, two schedules, a holding."""
    utc_day = {
        "name": "utc",
        "timeZone": "UTC",
        "rotationStart": "2026-01-05T00:00:00",
        "turn": "12h",
        "members": ["appsec-0005", "api-sec-0006"],
    }
    return copy.deepcopy(
        {
            "apiVersion": "seccli.dev/v1alpha1",
            "kind": "SecurityOrg",
            "metadata": {"name": "tiny-security"},
            "organisation": "Tiny Corp",
            "totals": {"security": 30, "api": 30},
            "levels": [
                {"id": "L4", "title": "director", "per30": 5},
                {"id": "L3", "title": "coordinator", "per30": 10},
                {"id": "L2", "title": "specialist", "per30": 10},
                {"id": "L1", "title": "innovator", "per30": 5},
            ],
            "regions": [
                {"id": "emea", "timeZone": "Europe/Madrid", "weight": 1},
                {"id": "americas", "timeZone": "America/New_York", "weight": 1},
            ],
            "roster": {"seed": 7},
            "coverageCheck": {"start": "2026-01-06T00:00:00Z", "days": 371},
            "teams": [
                {
                    "id": "ciso-office",
                    "name": "CISO office",
                    "track": "security",
                    "headcount": 6,
                    "lead": "ciso-office-0001",
                    "skills": ["risk", "budget"],
                },
                {
                    "id": "appsec",
                    "name": "Application Security",
                    "track": "security",
                    "headcount": 24,
                    "lead": "appsec-0001",
                    "reportsTo": "ciso-office",
                    "skills": ["sast", "dast", "threat-modelling", "code-review"],
                },
                {
                    "id": "api-sec",
                    "name": "Security (API)",
                    "track": "api",
                    "headcount": 30,
                    "lead": "api-sec-0001",
                    "reportsTo": "ciso-office",
                    "niceRoles": ["PD-WRL-001"],
                    "skills": ["oauth2", "gateway", "rate-limits"],
                },
            ],
            "squads": [
                {
                    "id": "squad-payments",
                    "subdomains": ["payments"],
                    "allocation": 50,
                    "escalationPolicy": "ep-payments",
                    "members": [f"appsec-{n:04d}" for n in range(5, 10)]
                    + [f"api-sec-{n:04d}" for n in range(6, 11)],
                },
                {
                    "id": "squad-booking",
                    "subdomains": ["booking"],
                    "allocation": 50,
                    "escalationPolicy": "ep-booking",
                    "members": [f"appsec-{n:04d}" for n in range(10, 15)]
                    + [f"api-sec-{n:04d}" for n in range(11, 16)],
                },
            ],
            "schedules": [
                {"id": "payments-primary", "squad": "squad-payments", "layers": [utc_day]},
                {
                    "id": "booking-primary",
                    "squad": "squad-booking",
                    "layers": [
                        {
                            "name": "emea",
                            "timeZone": "Europe/Madrid",
                            "rotationStart": "2026-01-05T08:00:00",
                            "turn": "1w",
                            "members": ["appsec-0010", "api-sec-0011"],
                            "restrictions": [{"type": "daily", "start": "08:00", "end": "20:00"}],
                        },
                        {
                            "name": "americas",
                            "timeZone": "UTC",
                            "rotationStart": "2026-01-04T00:00:00",
                            "turn": "1w",
                            "members": ["appsec-0011", "api-sec-0012"],
                            "restrictions": [{"type": "daily", "start": "17:00", "end": "08:00"}],
                        },
                    ],
                },
            ],
            "escalationPolicies": [
                {
                    "id": "ep-payments",
                    "loops": 1,
                    "levels": [
                        {"delayMinutes": 10, "targets": [{"schedule": "payments-primary"}]},
                        {"delayMinutes": 20, "targets": [{"person": "appsec-0001"}]},
                    ],
                },
                {
                    "id": "ep-booking",
                    "loops": 0,
                    "levels": [
                        {"delayMinutes": 15, "targets": [{"schedule": "booking-primary"}]},
                        {"delayMinutes": 15, "targets": [{"schedule": "payments-primary"}]},
                    ],
                },
            ],
            "routing": {
                "defaultTeam": "appsec",
                "categoryTeams": {"secrets": "ciso-office", "api": "api-sec"},
                "rules": [
                    {"path": "infra/**", "team": "api-sec"},
                    {"subdomain": "payments", "category": ["dep*"], "team": "ciso-office"},
                ],
            },
            "raci": [
                {
                    "family": "access-control",
                    "responsible": ["appsec", "api-sec"],
                    "accountable": "ciso-office",
                    "consulted": ["api-sec"],
                    "informed": ["ciso-office"],
                },
                {"family": "privacy", "responsible": ["api-sec"], "accountable": "ciso-office"},
            ],
            "holding": {
                "subsidiaries": ["alpha", "beta", "gamma"],
                "agentsPerSubsidiary": 30,
                "training": {
                    "trainers": 3,
                    "operators": 6,
                    "trainerLevel": "L3",
                    "operatorLevels": ["L1", "L2"],
                },
            },
        }
    )


def to_yaml(data: dict[str, Any]) -> str:
    """Block-style YAML, keys in document order."""
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def load_text(text: str, subdomains: list[str] | None = None) -> LoadedOrg:
    """Parse and validate org text as ``org.yaml``."""
    docs = parse_documents(text, "org.yaml")
    return validate_org_document(docs[0], SUBDOMAINS if subdomains is None else subdomains)


def load_data(data: dict[str, Any], subdomains: list[str] | None = None) -> LoadedOrg:
    """Validate org data (via YAML text, so lines exist)."""
    return load_text(to_yaml(data), subdomains)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line containing ``needle``."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not found")


ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_ORG = ROOT / "examples" / "claytom" / "org.yaml"
EXAMPLE_ESTATE = ROOT / "examples" / "claytom" / "estate.yaml"
