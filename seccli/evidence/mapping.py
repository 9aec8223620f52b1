"""Which controls each automated check supports: the one table of check → controls.

Every gate, scan and operation seccli automates is a ``Check`` here, with the controls it
produces evidence for and the recorded commands (``RunRecord.command``) that perform it.
Findings get their controls from ``finding_controls``: the controls the producing tool already
set (policy templates' ``controls.seccli.io/*`` annotations), plus those of their CWEs, of their
rule family, and of the check that produced them. Other packages call ``with_controls`` on
their findings before rendering them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from seccli.core.findings import Finding
from seccli.core.location import ControlRef

SOC2, ISO, GDPR = "SOC2", "ISO27001:2022", "GDPR"


def _refs(soc2: str = "", iso: str = "", gdpr: str = "") -> tuple[ControlRef, ...]:
    refs = [ControlRef(SOC2, c) for c in soc2.split()]
    refs += [ControlRef(ISO, c) for c in iso.split()]
    refs += [ControlRef(GDPR, c) for c in gdpr.split()]
    return tuple(sorted(set(refs)))


@dataclass(frozen=True, slots=True)
class Check:
    """An automated check and the controls it produces evidence for."""

    id: str
    title: str
    commands: tuple[str, ...]
    controls: tuple[ControlRef, ...]


#: Every automated check seccli runs (ids are stable: evidence files and KPIs name them).
CHECKS: dict[str, Check] = {
    check.id: check
    for check in (
        Check(
            "estate-inventory",
            "Estate validated: services, owners, data classes and images inventoried",
            ("estate validate",),
            _refs("CC3.2 CC6.1", "A.5.9 A.5.12", "Art.30"),
        ),
        Check(
            "policy-templates",
            "Gatekeeper policy library run on generated manifests and workloads",
            ("policy test", "policy verify", "gatekeeper test", "gatekeeper verify"),
            _refs("CC5.2 CC6.1 CC7.1 CC8.1", "A.8.9 A.8.32 A.8.27", "Art.25"),
        ),
        Check(
            "scan",
            "Source, IaC and secret scanning (checkov, bandit, semgrep)",
            ("scan",),
            _refs("CC7.1 CC8.1", "A.8.8 A.8.28 A.8.29 A.8.9", "Art.32"),
        ),
        Check(
            "image-gate",
            "Container images verified: digests, signatures, attestations against trust policy",
            ("images verify", "verify image", "verify attestation"),
            _refs("CC6.8 CC7.1 CC8.1 CC9.2", "A.5.21 A.8.19 A.8.32", "Art.32"),
        ),
        Check(
            "sbom",
            "Software bill of materials produced and validated",
            ("sbom", "sbom diff"),
            _refs("CC7.1 CC9.2", "A.5.9 A.5.21 A.8.8"),
        ),
        Check(
            "vault-audit",
            "Vault secrets audited for presence and rotation age",
            ("vault audit",),
            _refs("CC6.1 CC6.2", "A.5.17 A.8.24 A.8.5", "Art.32"),
        ),
        Check(
            "vault-rotation",
            "Secrets rotated in two phases with verification",
            ("vault rotate", "vault apply-policies"),
            _refs("CC6.1 CC6.3", "A.5.17 A.8.2 A.8.24", "Art.32"),
        ),
        Check(
            "netpol-proof",
            "NetworkPolicy reachability proved against declared intents",
            ("netpol prove", "prove"),
            _refs("CC6.1 CC6.6", "A.8.20 A.8.22 A.8.27", "Art.25 Art.32"),
        ),
        Check(
            "mtls-spiffe",
            "Zero-Trust tree generated: SPIFFE identities, mesh mTLS and authorisation",
            ("generate",),
            _refs("CC6.1 CC6.6 CC6.7", "A.5.14 A.8.5 A.8.20 A.8.24", "Art.25 Art.32"),
        ),
        Check(
            "org-oncall",
            "Security organisation validated: on-call coverage and escalation",
            ("org validate", "org oncall", "org coverage"),
            _refs("CC1.3 CC7.3 CC7.4", "A.5.2 A.5.24 A.6.8", "Art.33 Art.37"),
        ),
        Check(
            "drills",
            "Incident drills run and scored (MTTA/MTTR)",
            ("drill run", "drill simulate", "drill score"),
            _refs(
                "CC7.3 CC7.4 CC7.5 CC9.1 A1.3",
                "A.5.24 A.5.25 A.5.26 A.5.27 A.5.29 A.5.30",
                "Art.33 Art.34",
            ),
        ),
        Check(
            "soar-runs",
            "SOAR playbooks executed with approvals and recorded steps",
            ("playbook run", "playbook execute", "playbook approve"),
            _refs("CC7.3 CC7.4 CC7.5", "A.5.25 A.5.26 A.5.28", "Art.33 Art.34"),
        ),
        Check(
            "audit-chain",
            "Audit log hash chain and signed checkpoint verified",
            ("audit verify",),
            _refs("CC4.1 CC7.2", "A.5.28 A.5.33 A.8.15", "Art.5 Art.24 Art.30"),
        ),
    )
}

# Control sets that several CWE classes, rule families or tools share.
_CREDENTIALS = _refs("CC6.1", "A.5.17 A.8.24", "Art.32")  # secrets: storage, exposure, Vault
_PASSWORDS_IN_CODE = _refs("CC6.1", "A.5.17 A.8.24 A.8.28", "Art.32")
_IN_TRANSIT = _refs("CC6.7", "A.8.24 A.5.14", "Art.32")  # certificate checks, clear text
_WEAK_CRYPTO = _refs("CC6.1 CC6.7", "A.8.24", "Art.32")
_INJECTION = _refs("CC7.1", "A.8.28")
_OUTPUT_ENCODING = _refs("CC7.1", "A.8.28 A.8.26")
_EXHAUSTION = _refs("A1.1", "A.8.6")
_CI_PIPELINES = _refs("CC8.1 CC9.2", "A.8.25 A.5.21 A.8.32")
_CLOUD_CONFIG = _refs("CC6.1 CC7.1", "A.5.23 A.8.9")
_IMAGE_PROVENANCE = _refs("CC6.8 CC8.1", "A.5.21 A.8.19")

#: Controls of the CWE classes our scanners report most.
CWE_CONTROLS: dict[str, tuple[ControlRef, ...]] = {
    "CWE-798": _CREDENTIALS,  # hard-coded credentials
    "CWE-259": _refs("CC6.1", "A.5.17 A.8.5", "Art.32"),
    "CWE-522": _refs("CC6.1", "A.5.17", "Art.32"),
    "CWE-295": _IN_TRANSIT,  # certificate validation
    "CWE-319": _IN_TRANSIT,  # clear-text transmission
    "CWE-326": _WEAK_CRYPTO,
    "CWE-327": _WEAK_CRYPTO,
    "CWE-328": _refs("CC6.1", "A.8.24", "Art.32"),
    "CWE-347": _refs("CC6.8 CC8.1", "A.8.24 A.5.21"),
    "CWE-20": _refs("PI1.2", "A.8.26 A.8.28"),
    "CWE-22": _refs("CC6.1", "A.8.28 A.8.3"),
    "CWE-77": _INJECTION,
    "CWE-78": _INJECTION,
    "CWE-79": _OUTPUT_ENCODING,
    "CWE-89": _refs("CC7.1 PI1.3", "A.8.28"),
    "CWE-94": _INJECTION,
    "CWE-95": _INJECTION,
    "CWE-502": _refs("CC7.1 CC8.1", "A.8.28 A.8.26"),
    "CWE-250": _refs("CC6.3", "A.8.2 A.8.18"),
    "CWE-284": _refs("CC6.1 CC6.3", "A.5.15 A.8.3"),
    "CWE-269": _refs("CC6.3", "A.8.2"),
    "CWE-732": _refs("CC6.1", "A.8.3 A.5.15"),
    "CWE-377": _refs("CC6.1", "A.8.28"),
    "CWE-400": _EXHAUSTION,
    "CWE-770": _EXHAUSTION,
    "CWE-489": _refs("CC8.1", "A.8.31 A.8.9"),
    "CWE-605": _refs("CC6.6", "A.8.20"),
    "CWE-668": _refs("CC6.6", "A.8.20 A.8.22"),
    "CWE-918": _refs("CC6.6", "A.8.28 A.8.20"),
    "CWE-942": _refs("CC6.6", "A.8.9 A.8.26"),
    "CWE-1357": _refs("CC7.1 CC9.2", "A.8.8 A.5.21"),
    "CWE-703": _refs("CC7.2", "A.8.15 A.8.16"),
    "CWE-778": _refs("CC7.2", "A.8.15", "Art.30"),
    "CWE-311": _refs("CC6.1 C1.1", "A.8.24", "Art.32"),
    "CWE-312": _refs("CC6.1 C1.1", "A.8.24 A.8.11", "Art.32"),
    "CWE-359": _refs("C1.1 P4.1", "A.5.34 A.8.11", "Art.5 Art.32"),
}

#: Controls of rule families by ``tool:rule`` prefix; the first match wins (specific first).
FAMILY_CONTROLS: tuple[tuple[str, tuple[ControlRef, ...]], ...] = (
    ("checkov:CKV_SECRET", _CREDENTIALS),
    ("checkov:CKV_K8S", _refs("CC6.1 CC7.1", "A.8.9 A.8.27")),
    ("checkov:CKV_DOCKER", _refs("CC7.1 CC8.1", "A.8.9 A.8.19")),
    ("checkov:CKV_GHA", _CI_PIPELINES),
    ("checkov:CKV2_GHA", _CI_PIPELINES),
    ("checkov:CKV_AWS", _CLOUD_CONFIG),
    ("checkov:CKV2_AWS", _CLOUD_CONFIG),
    ("checkov:CKV_AZURE", _CLOUD_CONFIG),
    ("checkov:CKV_GCP", _CLOUD_CONFIG),
    ("checkov:", _refs("CC7.1", "A.8.9")),
    ("bandit:B105", _PASSWORDS_IN_CODE),  # hard-coded passwords
    ("bandit:B106", _PASSWORDS_IN_CODE),
    ("bandit:B107", _PASSWORDS_IN_CODE),
    ("bandit:B1", _INJECTION),
    ("bandit:B3", _refs("CC6.1", "A.8.24 A.8.28")),  # crypto, random, unsafe deserialisation
    ("bandit:B5", _refs("CC6.7", "A.8.24")),  # TLS and SSL
    ("bandit:B6", _INJECTION),  # injection
    ("bandit:B7", _OUTPUT_ENCODING),  # templating / XSS
    ("bandit:", _INJECTION),
    ("semgrep:", _refs("CC7.1", "A.8.28 A.8.29")),
    ("gatekeeper:", _refs("CC7.1", "A.8.9")),
    ("vault:", _CREDENTIALS),
    ("seccli-vault:", _CREDENTIALS),  # the tool name vault audit uses
    ("images:", _IMAGE_PROVENANCE),
    ("seccli-images:", _IMAGE_PROVENANCE),  # the image gate's tool name
    ("netpol:", _refs("CC6.6", "A.8.20 A.8.22", "Art.32")),
)

#: The check a finding's tool belongs to.
TOOL_CHECK: dict[str, str] = {
    "checkov": "scan",
    "bandit": "scan",
    "semgrep": "scan",
    "seccli-secrets": "scan",
    "gatekeeper": "policy-templates",
    "policy": "policy-templates",
    "vault": "vault-audit",
    "seccli-vault": "vault-audit",
    "images": "image-gate",
    "seccli-images": "image-gate",
    "netpol": "netpol-proof",
}


def check_for_command(command: str) -> Check | None:
    """The check a recorded run of ``command`` performed (``None`` for other commands)."""
    for check in CHECKS.values():
        if command in check.commands:
            return check
    return None


def rule_controls(tool: str, rule_id: str, tags: Iterable[str] = ()) -> tuple[ControlRef, ...]:
    """Controls of a rule of ``tool``: by its CWE tags, its rule family and its check."""
    found: set[ControlRef] = set()
    for tag in tags:
        found.update(CWE_CONTROLS.get(tag.upper(), ()))
    qualified = f"{tool}:{rule_id}"
    for prefix, refs in FAMILY_CONTROLS:
        if qualified.startswith(prefix):
            found.update(refs)
            break
    check = CHECKS.get(TOOL_CHECK.get(tool, ""))
    if check is not None and not found:
        found.update(check.controls)
    return tuple(sorted(found))


def finding_controls(finding: Finding) -> tuple[ControlRef, ...]:
    """Every control ``finding`` bears on: its own plus its rule's (sorted, no duplicates)."""
    return tuple(
        sorted({*finding.controls, *rule_controls(finding.tool, finding.rule_id, finding.tags)})
    )


def with_controls(finding: Finding) -> Finding:
    """``finding`` with its ``controls`` filled in (unchanged if nothing is added)."""
    controls = finding_controls(finding)
    if controls == finding.controls:
        return finding
    return finding.model_copy(update={"controls": controls})


def all_mapped_controls() -> dict[str, set[str]]:
    """Framework name → every control id some check or rule maps to."""
    result: dict[str, set[str]] = {}
    tables: list[Iterable[ControlRef]] = [c.controls for c in CHECKS.values()]
    tables += list(CWE_CONTROLS.values()) + [refs for _, refs in FAMILY_CONTROLS]
    for refs in tables:
        for ref in refs:
            result.setdefault(ref.framework, set()).add(ref.control_id)
    return result
