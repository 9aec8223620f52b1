"""How each tool's severity words become a seccli ``Severity`` (the documented table).

=========  ==========================================  ==========================================
Tool       Tool says                                   seccli severity
=========  ==========================================  ==========================================
bandit     ``issue_severity`` HIGH / MEDIUM / LOW      high / medium / low (its confidence does
                                                       not change the severity)
semgrep    ``metadata.seccli-severity`` when present   that word (our rule pack sets it)
semgrep    ``extra.severity`` ERROR / WARNING / INFO   high / medium / low
checkov    ``severity`` when the platform gives one    ``Severity.parse`` of it
checkov    offline (``severity`` is null):             critical for ``CKV_SECRET_*``; the check's
                                                       entry in ``CHECKOV_SEVERITY`` below; else
                                                       ``CHECKOV_FRAMEWORK_DEFAULT`` of its
                                                       framework (medium)
any        a tool crashed, timed out or is missing     critical (rule ``seccli.tool-error``)
any        a rule listed in ``SEVERITY_OVERRIDES``     the override (each with its reason)
=========  ==========================================  ==========================================

Each tool's own severity is kept; ``SEVERITY_OVERRIDES`` is the only place seccli departs from
it, and every entry says why. ``EQUIVALENT_RULES`` names the rules of different tools that
detect the same problem: only those are merged when they flag overlapping lines of one file
(never on a shared CWE alone, never two rules of one tool).
"""

from __future__ import annotations

from dataclasses import dataclass

from seccli.core.severity import Severity

RuleRef = tuple[str, str]  # (tool, rule id)


@dataclass(frozen=True, slots=True)
class SeverityOverride:
    """seccli's severity for one tool's rule instead of the tool's, and why."""

    severity: Severity
    reason: str


# Empty today: no tool's rating is overridden. An entry needs a reason a reviewer can check
# (tests/scan/test_rule_map.py fails on an entry without one, or on a rule no tool has).
SEVERITY_OVERRIDES: dict[RuleRef, SeverityOverride] = {}


@dataclass(frozen=True, slots=True)
class Equivalence:
    """Rules of different tools that detect the same problem (merged on overlapping lines)."""

    rules: frozenset[RuleRef]
    what: str


def _same(what: str, *rules: RuleRef) -> Equivalence:
    return Equivalence(frozenset(rules), what)


EQUIVALENT_RULES: tuple[Equivalence, ...] = (
    _same(
        "subprocess with shell=True",
        ("bandit", "B602"),
        ("semgrep", "python-subprocess-shell-true"),
    ),
    _same("os.system with a shell", ("bandit", "B605"), ("semgrep", "python-os-system-dynamic")),
    _same("pickle deserialisation", ("bandit", "B301"), ("semgrep", "python-pickle-load")),
    _same(
        "yaml.load without a safe loader",
        ("bandit", "B506"),
        ("semgrep", "python-yaml-unsafe-load"),
    ),
    _same("eval of dynamic input", ("bandit", "B307"), ("semgrep", "python-eval-dynamic")),
    _same("exec of dynamic input", ("bandit", "B102"), ("semgrep", "python-eval-dynamic")),
    _same("Flask debug mode", ("bandit", "B201"), ("semgrep", "python-flask-debug")),
    _same("TLS verification off", ("bandit", "B501"), ("semgrep", "python-tls-verify-disabled")),
    _same(
        "unverified SSL context",
        ("bandit", "B323"),
        ("semgrep", "python-ssl-unverified-context"),
    ),
    _same("weak hash (MD5/SHA-1)", ("bandit", "B303"), ("semgrep", "python-weak-hash")),
    _same("weak hash via hashlib", ("bandit", "B324"), ("semgrep", "python-weak-hash")),
    _same("weak cipher", ("bandit", "B304"), ("semgrep", "python-weak-cipher")),
    _same("SQL built from strings", ("bandit", "B608"), ("semgrep", "python-sql-string-building")),
    _same(
        "privileged container",
        ("checkov", "CKV_K8S_16"),
        ("semgrep", "k8s-privileged-container"),
    ),
    _same(
        "privilege escalation allowed",
        ("checkov", "CKV_K8S_20"),
        ("semgrep", "k8s-allow-privilege-escalation"),
    ),
    _same("host PID namespace", ("checkov", "CKV_K8S_17"), ("semgrep", "k8s-host-namespace")),
    _same("host IPC namespace", ("checkov", "CKV_K8S_18"), ("semgrep", "k8s-host-namespace")),
    _same("host network namespace", ("checkov", "CKV_K8S_19"), ("semgrep", "k8s-host-namespace")),
    _same("image tag latest", ("checkov", "CKV_K8S_14"), ("semgrep", "k8s-image-latest")),
    _same(
        "base image tag latest",
        ("checkov", "CKV_DOCKER_7"),
        ("semgrep", "dockerfile-latest-base-image"),
    ),
    _same("USER root", ("checkov", "CKV_DOCKER_8"), ("semgrep", "dockerfile-user-root")),
    _same(
        "workflow script injection",
        ("checkov", "CKV_GHA_2"),
        ("semgrep", "gha-script-injection"),
    ),
)


def equivalent(a: RuleRef, b: RuleRef) -> bool:
    """Whether the equivalence table says rules ``a`` and ``b`` detect the same problem."""
    if a[0] == b[0]:
        return False  # never two rules of one tool
    return any(a in entry.rules and b in entry.rules for entry in EQUIVALENT_RULES)


def overridden(tool: str, rule: str, severity: Severity) -> Severity:
    """``severity`` (the tool's), unless ``SEVERITY_OVERRIDES`` names the rule."""
    override = SEVERITY_OVERRIDES.get((tool, rule))
    return severity if override is None else override.severity


SEMGREP_SEVERITY = {
    "ERROR": Severity.HIGH,
    "WARNING": Severity.MEDIUM,
    "INFO": Severity.LOW,
    "INVENTORY": Severity.INFO,
    "EXPERIMENT": Severity.INFO,
}

# Offline checkov gives no severities: our own reading of the checks we see most.
CHECKOV_SEVERITY: dict[str, Severity] = {
    # Terraform / AWS
    "CKV_AWS_20": Severity.HIGH,  # S3 bucket public READ ACL
    "CKV_AWS_57": Severity.HIGH,  # S3 bucket public WRITE ACL
    "CKV_AWS_24": Severity.HIGH,  # security group: 0.0.0.0/0 to port 22
    "CKV_AWS_25": Severity.HIGH,  # security group: 0.0.0.0/0 to port 3389
    "CKV_AWS_260": Severity.HIGH,  # security group: 0.0.0.0/0 to port 80
    "CKV_AWS_41": Severity.HIGH,  # hard-coded AWS keys in the provider block
    "CKV_AWS_19": Severity.MEDIUM,  # S3 encryption at rest
    "CKV_AWS_145": Severity.LOW,  # S3 KMS encryption
    "CKV_AWS_18": Severity.LOW,  # S3 access logging
    "CKV_AWS_21": Severity.LOW,  # S3 versioning
    "CKV_AWS_144": Severity.LOW,  # S3 cross-region replication
    "CKV2_AWS_6": Severity.MEDIUM,  # S3 public access block
    "CKV2_AWS_61": Severity.LOW,  # S3 lifecycle
    "CKV2_AWS_62": Severity.LOW,  # S3 event notifications
    "CKV_AWS_23": Severity.LOW,  # security group descriptions
    "CKV_AWS_382": Severity.MEDIUM,  # security group: egress to 0.0.0.0/0
    "CKV2_AWS_5": Severity.LOW,  # security group attached
    # Kubernetes
    "CKV_K8S_16": Severity.HIGH,  # privileged container
    "CKV_K8S_17": Severity.HIGH,  # hostPID
    "CKV_K8S_18": Severity.HIGH,  # hostIPC
    "CKV_K8S_19": Severity.HIGH,  # hostNetwork
    "CKV_K8S_20": Severity.MEDIUM,  # allowPrivilegeEscalation
    "CKV_K8S_23": Severity.MEDIUM,  # admission of root containers
    "CKV_K8S_14": Severity.MEDIUM,  # image tag latest / missing
    "CKV_K8S_43": Severity.LOW,  # image digest
    "CKV_K8S_10": Severity.LOW,  # CPU requests
    "CKV_K8S_11": Severity.LOW,  # CPU limits
    "CKV_K8S_12": Severity.LOW,  # memory requests
    "CKV_K8S_13": Severity.LOW,  # memory limits
    "CKV_K8S_8": Severity.LOW,  # liveness probe
    "CKV_K8S_9": Severity.LOW,  # readiness probe
    "CKV_K8S_15": Severity.LOW,  # image pull policy
    "CKV_K8S_21": Severity.LOW,  # default namespace
    "CKV_K8S_31": Severity.LOW,  # seccomp profile
    "CKV_K8S_35": Severity.LOW,  # secrets as env vars
    "CKV_K8S_40": Severity.LOW,  # high UID
    # Dockerfile
    "CKV_DOCKER_7": Severity.MEDIUM,  # base image tag latest
    "CKV_DOCKER_2": Severity.LOW,  # HEALTHCHECK
    "CKV_DOCKER_3": Severity.MEDIUM,  # no USER: runs as root
    "CKV_DOCKER_8": Severity.MEDIUM,  # USER root
    # GitHub Actions
    "CKV_GHA_2": Severity.HIGH,  # run step open to shell injection
    "CKV_GHA_7": Severity.HIGH,  # workflow_dispatch inputs in build output
    "CKV2_GHA_1": Severity.MEDIUM,  # top-level permissions write-all
}

CHECKOV_CWE: dict[str, tuple[str, ...]] = {
    "CKV_AWS_41": ("CWE-798",),
    "CKV_GHA_2": ("CWE-78",),
    "CKV_AWS_20": ("CWE-284",),
    "CKV_AWS_57": ("CWE-284",),
    "CKV_AWS_24": ("CWE-284",),
    "CKV_AWS_25": ("CWE-284",),
    "CKV_K8S_16": ("CWE-250",),
    "CKV_K8S_20": ("CWE-250",),
    "CKV_K8S_23": ("CWE-250",),
    "CKV_K8S_14": ("CWE-1357",),
    "CKV_DOCKER_7": ("CWE-1357",),
    "CKV_DOCKER_3": ("CWE-250",),
    "CKV_DOCKER_8": ("CWE-250",),
}

CHECKOV_FRAMEWORK_DEFAULT: dict[str, Severity] = {
    "secrets": Severity.CRITICAL,
}


def bandit_severity(severity: str, confidence: str = "", test_id: str = "") -> Severity:
    """bandit's own severity (its confidence is kept apart), unless overridden for the test."""
    del confidence  # reported by bandit, not a severity: a LOW-confidence HIGH stays high
    try:
        level = Severity.parse(severity or "low")
    except ValueError:
        level = Severity.MEDIUM
    return overridden("bandit", test_id, level)


def semgrep_severity(word: str, override: object = None, rule: str = "") -> Severity:
    """semgrep's ``extra.severity``, unless the rule's metadata names a seccli severity (our
    rule pack's own rating) or ``SEVERITY_OVERRIDES`` names the rule."""
    if isinstance(override, str):
        try:
            return overridden("semgrep", rule, Severity.parse(override))
        except ValueError:
            pass
    return overridden("semgrep", rule, SEMGREP_SEVERITY.get(word.upper(), Severity.MEDIUM))


def checkov_severity(check_id: str, framework: str, given: object = None) -> Severity:
    """checkov's severity when it has one, else our table, else the framework default."""
    if ("checkov", check_id) in SEVERITY_OVERRIDES:
        return SEVERITY_OVERRIDES[("checkov", check_id)].severity
    if isinstance(given, str) and given:
        try:
            return Severity.parse(given)
        except ValueError:
            pass
    if check_id.startswith("CKV_SECRET_") or framework == "secrets":
        return Severity.CRITICAL
    if check_id in CHECKOV_SEVERITY:
        return CHECKOV_SEVERITY[check_id]
    return CHECKOV_FRAMEWORK_DEFAULT.get(framework, Severity.MEDIUM)
