"""How each tool's severity words become a seccli ``Severity`` (the documented table).

=========  ==========================================  ==========================================
Tool       Tool says                                   seccli severity
=========  ==========================================  ==========================================
bandit     ``issue_severity`` HIGH / MEDIUM / LOW      high / medium / low; one level lower when
                                                       ``issue_confidence`` is LOW
semgrep    ``metadata.seccli-severity`` when present   that word (our rule pack sets it)
semgrep    ``extra.severity`` ERROR / WARNING / INFO   high / medium / low
checkov    ``severity`` when the platform gives one    ``Severity.parse`` of it
checkov    offline (``severity`` is null):             critical for ``CKV_SECRET_*``; the check's
                                                       entry in ``CHECKOV_SEVERITY`` below; else
                                                       ``CHECKOV_FRAMEWORK_DEFAULT`` of its
                                                       framework (medium)
any        a tool crashed, timed out or is missing     critical (rule ``seccli.tool-error``)
=========  ==========================================  ==========================================
"""

from __future__ import annotations

from seccli.core.severity import Severity

_LOWER = {
    Severity.CRITICAL: Severity.HIGH,
    Severity.HIGH: Severity.MEDIUM,
    Severity.MEDIUM: Severity.LOW,
    Severity.LOW: Severity.INFO,
    Severity.INFO: Severity.INFO,
}

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


def bandit_severity(severity: str, confidence: str) -> Severity:
    """bandit's severity, one level lower when its confidence is LOW."""
    level = Severity.parse(severity or "low")
    if (confidence or "").upper() == "LOW":
        return _LOWER[level]
    return level


def semgrep_severity(word: str, override: object = None) -> Severity:
    """semgrep's ``extra.severity``, unless the rule's metadata names a seccli severity."""
    if isinstance(override, str):
        try:
            return Severity.parse(override)
        except ValueError:
            pass
    return SEMGREP_SEVERITY.get(word.upper(), Severity.MEDIUM)


def checkov_severity(check_id: str, framework: str, given: object = None) -> Severity:
    """checkov's severity when it has one, else our table, else the framework default."""
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
