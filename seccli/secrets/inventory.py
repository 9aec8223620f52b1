"""Inventory and age audit of the secrets the estate declares, from Vault metadata only.

For each declared KV v2 secret: one ``GET <mount>/metadata/<path>`` (never the value); for each
database static role: one ``GET <mount>/static-roles/<name>``; optionally a recursive ``LIST``
under prefixes to find secrets nobody declared. The result is a status per secret and findings
(overdue, missing, undeclared, unsafe ``max_versions``, interrupted or failed rotations).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from seccli.core.clock import Clock, utc_iso
from seccli.core.errors import InputError
from seccli.core.findings import Finding
from seccli.core.location import ControlRef, Location, format_doc_path
from seccli.core.severity import Severity
from seccli.estate.model import Estate, SecretRef, Service
from seccli.evidence.mapping import with_controls
from seccli.secrets.client import PermissionDenied, VaultApi
from seccli.secrets.policies import split_mount

TOOL = "seccli-vault"
DEFAULT_VAULT_MAX_VERSIONS = 10
MIN_SAFE_MAX_VERSIONS = 3
"""New value + previous value (for rollback) + one spare for a concurrent writer."""

# custom_metadata keys written by rotation (and read by the audit).
STATE_KEY = "seccli-rotation-state"
FROM_KEY = "seccli-rotation-from"
TO_KEY = "seccli-rotation-to"
ID_KEY = "seccli-rotation-id"
STARTED_KEY = "seccli-rotation-started"
VALUE_VERSION_KEY = "seccli-value-version"
VALUE_SINCE_KEY = "seccli-value-since"
OWNER_KEY = "owner"

CONTROLS = (ControlRef("ISO27001:2022", "A.5.17"), ControlRef("PCI-DSS:4.0", "8.6.3"))
Locator = Callable[[Sequence[str | int]], Location]

_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@dataclass(frozen=True)
class DeclaredSecret:
    """A secret the estate declares, with its service and where it is declared."""

    ref: SecretRef
    service: Service
    doc_path: tuple[str | int, ...]
    rotation_days: int

    @property
    def path(self) -> str:
        return self.ref.path

    @property
    def mount(self) -> str:
        return split_mount(self.ref.path)[0]

    @property
    def name(self) -> str:
        return split_mount(self.ref.path)[1]

    @property
    def database_role(self) -> str:
        """The static role name of a database secret (``<mount>/static-roles/<name>``)."""
        return self.name.split("/", 1)[1] if "/" in self.name else self.name


def declared_secrets(estate: Estate) -> list[DeclaredSecret]:
    """Every secret the estate declares, sorted by path."""
    found = [
        DeclaredSecret(ref, service, ("services", i, "secrets", j), estate.rotation_days(ref))
        for i, service in enumerate(estate.services)
        for j, ref in enumerate(service.secrets)
    ]
    return sorted(found, key=lambda d: d.path)


@dataclass(frozen=True)
class SecretStatus:
    """What the audit found about one secret (no value, ever)."""

    path: str
    engine: str
    declared: bool
    exists: bool
    service: str | None = None
    owner: str | None = None
    current_version: int | None = None
    value_since: datetime | None = None
    rotation_days: int | None = None
    age_days: float | None = None
    overdue: bool = False
    max_versions: int | None = None
    rotation_state: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping (camelCase keys)."""
        return {
            "path": self.path,
            "engine": self.engine,
            "declared": self.declared,
            "exists": self.exists,
            "service": self.service,
            "owner": self.owner,
            "currentVersion": self.current_version,
            "valueSince": utc_iso(self.value_since) if self.value_since else None,
            "rotationDays": self.rotation_days,
            "ageDays": round(self.age_days, 2) if self.age_days is not None else None,
            "overdue": self.overdue,
            "maxVersions": self.max_versions,
            "rotationState": self.rotation_state,
        }


@dataclass(frozen=True)
class AuditReport:
    """Statuses of every audited secret, and the findings."""

    statuses: tuple[SecretStatus, ...]
    findings: tuple[Finding, ...]

    @property
    def overdue(self) -> list[SecretStatus]:
        return [s for s in self.statuses if s.overdue]


def parse_vault_time(text: str) -> datetime:
    """Parse Vault's RFC 3339 timestamps (nanosecond fractions, ``Z`` or an offset)."""
    match = _STAMP.match(text.strip())
    if not match:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    base, fraction, zone = match.groups()
    micro = (fraction or ".0")[1:7].ljust(6, "0")
    zone = "+00:00" if zone == "Z" else zone
    return datetime.fromisoformat(f"{base}.{micro}{zone}").astimezone(UTC)


def value_since(metadata: dict[str, Any]) -> datetime | None:
    """When the *value* of the current version was set.

    Normally the current version's ``created_time``; after a rollback (the previous value
    re-written as a new version) rotation records the original time in custom metadata.
    """
    current = int(metadata.get("current_version") or 0)
    custom = metadata.get("custom_metadata") or {}
    if custom.get(VALUE_VERSION_KEY) == str(current) and custom.get(VALUE_SINCE_KEY):
        return parse_vault_time(str(custom[VALUE_SINCE_KEY]))
    version = (metadata.get("versions") or {}).get(str(current)) or {}
    if not version.get("created_time") or version.get("deletion_time") or version.get("destroyed"):
        return None
    return parse_vault_time(str(version["created_time"]))


def effective_max_versions(metadata: dict[str, Any], mount_max: int) -> int:
    """Versions Vault keeps for this secret (its own setting, the mount's, or 10)."""
    return int(metadata.get("max_versions") or 0) or mount_max or DEFAULT_VAULT_MAX_VERSIONS


class _MountConfigs:
    """Each mount's ``max_versions``, read once; None when the token may not read it."""

    def __init__(self, api: VaultApi) -> None:
        self._api = api
        self._cache: dict[str, int | None] = {}

    def max_versions(self, mount: str) -> int | None:
        if mount not in self._cache:
            try:
                config = self._api.kv_mount_config(mount)
            except PermissionDenied:
                self._cache[mount] = None
            else:
                self._cache[mount] = int(config.get("max_versions") or 0)
        return self._cache[mount]


def audit_secrets(
    api: VaultApi,
    estate: Estate,
    *,
    clock: Clock,
    prefixes: Iterable[str] = (),
    estate_file: str = "estate",
    locate: Locator | None = None,
    min_max_versions: int = MIN_SAFE_MAX_VERSIONS,
    only: Iterable[str] = (),
    workers: int = 1,
) -> AuditReport:
    """Audit the declared secrets (and everything under ``prefixes``) against their periods.

    ``workers`` > 1 reads metadata concurrently, one client per thread (for a remote Vault,
    where each request mostly waits on the network).
    """
    now = clock.now()
    wanted = set(only)
    declared = [d for d in declared_secrets(estate) if not wanted or d.path in wanted]
    where = locate or (lambda p: Location(estate_file, None, None, format_doc_path(p)))
    mounts = _MountConfigs(api)
    if workers > 1:  # read each mount's configuration before the threads start
        for mount in sorted({d.mount for d in declared if d.ref.engine == "kv"}):
            mounts.max_versions(mount)
    local = threading.local()

    def one(item: DeclaredSecret) -> tuple[SecretStatus, list[Finding]]:
        client = api
        if workers > 1:
            client = getattr(local, "api", None) or api.clone()
            local.api = client
        if item.ref.engine == "database":
            return _audit_database(client, estate, item, now, where)
        return _audit_kv(client, estate, item, now, where, mounts, min_max_versions)

    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(one, declared))
    else:
        results = [one(item) for item in declared]
    statuses: list[SecretStatus] = [status for status, _ in results]
    findings: list[Finding] = [f for _, found in results for f in found]
    known = {d.path for d in declared_secrets(estate)}
    for prefix in prefixes:
        for path in walk_kv(api, prefix):
            if path not in known:
                known.add(path)
                statuses.append(SecretStatus(path=path, engine="kv", declared=False, exists=True))
                findings.append(
                    _finding(
                        "vault.secret.undeclared",
                        "Secret not declared in the estate",
                        f"{path} exists in Vault but no service in the estate declares it: "
                        "declare it (with an owner) or delete it",
                        Severity.MEDIUM,
                        Location(f"vault:{path}"),
                        None,
                    )
                )
    return AuditReport(
        tuple(sorted(statuses, key=lambda s: s.path)),
        tuple(sorted(findings, key=lambda f: (f.location.file, f.location.path or "", f.rule_id))),
    )


def walk_kv(api: VaultApi, prefix: str) -> list[str]:
    """Every KV v2 secret path (``<mount>/<path>``) under ``prefix``, recursively, sorted."""
    mount, start = split_mount(prefix.strip("/"))
    if not mount:
        raise InputError(f"malformed prefix {prefix!r}: expected <mount>[/<path>]")
    found: list[str] = []
    pending = [start.strip("/")]
    while pending:
        folder = pending.pop()
        for key in api.kv_list(mount, folder):
            child = f"{folder}/{key}" if folder else key
            if key.endswith("/"):
                pending.append(child.rstrip("/"))
            else:
                found.append(f"{mount}/{child}")
    return sorted(found)


def _owner(estate: Estate, item: DeclaredSecret, custom: dict[str, Any] | None) -> str | None:
    if custom and custom.get(OWNER_KEY):
        return str(custom[OWNER_KEY])
    if item.ref.owner or item.service.owner:
        return item.ref.owner or item.service.owner
    for subdomain in estate.subdomains:
        if subdomain.name == item.service.subdomain:
            return subdomain.squad
    return None


def _service_name(item: DeclaredSecret) -> str:
    return f"{item.service.namespace}/{item.service.name}"


def _finding(
    rule: str,
    title: str,
    message: str,
    severity: Severity,
    location: Location,
    owner: str | None,
) -> Finding:
    finding = Finding.create(
        tool=TOOL,
        rule_id=rule,
        title=title,
        message=message,
        severity=severity,
        location=location,
        # Every message starts with the secret's path: the fingerprint survives reordering.
        basis=message.split()[0].rstrip(":"),
        tags=("secrets", "vault"),
        controls=CONTROLS,
        owner=owner,
    )
    return with_controls(finding)


def _audit_kv(
    api: VaultApi,
    estate: Estate,
    item: DeclaredSecret,
    now: datetime,
    where: Locator,
    mounts: _MountConfigs,
    min_max_versions: int,
) -> tuple[SecretStatus, list[Finding]]:
    metadata = api.kv_metadata(item.mount, item.name)
    location = where(item.doc_path)
    if metadata is None or int(metadata.get("current_version") or 0) == 0:
        return _missing(
            item,
            "kv",
            location,
            _owner(estate, item, None),
            f"{item.path} is declared for {_service_name(item)} but does not exist in Vault",
        )
    custom = metadata.get("custom_metadata") or {}
    owner = _owner(estate, item, custom)
    since = value_since(metadata)
    age = (now - since) / timedelta(days=1) if since else None
    overdue = age is None or age > item.rotation_days
    max_keep: int | None = int(metadata.get("max_versions") or 0)
    if not max_keep:
        mount_max = mounts.max_versions(item.mount)
        max_keep = None if mount_max is None else effective_max_versions(metadata, mount_max)
    state = custom.get(STATE_KEY) or None
    status = SecretStatus(
        path=item.path,
        engine="kv",
        declared=True,
        exists=True,
        service=_service_name(item),
        owner=owner,
        current_version=int(metadata.get("current_version") or 0),
        value_since=since,
        rotation_days=item.rotation_days,
        age_days=age,
        overdue=overdue,
        max_versions=max_keep,
        rotation_state=state,
    )
    findings: list[Finding] = []
    if since is None:
        findings.append(
            _finding(
                "vault.secret.missing",
                "Declared secret missing from Vault",
                f"{item.path}: the current version is deleted or destroyed",
                Severity.HIGH,
                location,
                owner,
            )
        )
    elif overdue:
        findings.append(
            _finding(
                "vault.secret.overdue",
                "Secret overdue for rotation",
                f"{item.path}: the current value is {age:.0f} days old, over its rotation "
                f"period of {item.rotation_days} days (owner: {owner or 'unknown'})",
                Severity.HIGH,
                location,
                owner,
            )
        )
    if max_keep is not None and max_keep < min_max_versions:
        findings.append(
            _finding(
                "vault.secret.max-versions",
                "max_versions too small for safe rotation",
                f"{item.path} keeps only {max_keep} version(s); safe two-phase rotation needs "
                f"at least {min_max_versions} (new, previous for rollback, one spare)",
                Severity.MEDIUM,
                location,
                owner,
            )
        )
    if state in ("pending", "verifying"):
        findings.append(
            _finding(
                "vault.secret.rotation-incomplete",
                "Rotation interrupted",
                f"{item.path}: a rotation started at {custom.get(STARTED_KEY, '?')} is still "
                f"{state}; run seccli vault rotate to resume it",
                Severity.HIGH,
                location,
                owner,
            )
        )
    elif state == "rolled-back":
        findings.append(
            _finding(
                "vault.secret.rotation-failed",
                "Last rotation failed verification",
                f"{item.path}: the last rotation failed verification and was rolled back to "
                "the previous value",
                Severity.MEDIUM,
                location,
                owner,
            )
        )
    return status, findings


def _missing(
    item: DeclaredSecret, engine: str, location: Location, owner: str | None, message: str
) -> tuple[SecretStatus, list[Finding]]:
    """The status and finding of a declared secret that Vault does not have."""
    status = SecretStatus(
        path=item.path,
        engine=engine,
        declared=True,
        exists=False,
        service=_service_name(item),
        owner=owner,
        rotation_days=item.rotation_days,
        overdue=True,
    )
    finding = _finding(
        "vault.secret.missing",
        "Declared secret missing from Vault",
        message,
        Severity.HIGH,
        location,
        owner,
    )
    return status, [finding]


def _audit_database(
    api: VaultApi, estate: Estate, item: DeclaredSecret, now: datetime, where: Locator
) -> tuple[SecretStatus, list[Finding]]:
    role = api.static_role(item.mount, item.database_role)
    location = where(item.doc_path)
    owner = _owner(estate, item, None)
    if role is None:
        return _missing(
            item, "database", location, owner, f"{item.path}: no such database static role"
        )
    last = role.get("last_vault_rotation")
    since = parse_vault_time(str(last)) if last else None
    age = (now - since) / timedelta(days=1) if since else None
    overdue = age is None or age > item.rotation_days
    status = SecretStatus(
        path=item.path,
        engine="database",
        declared=True,
        exists=True,
        service=_service_name(item),
        owner=owner,
        value_since=since,
        rotation_days=item.rotation_days,
        age_days=age,
        overdue=overdue,
    )
    findings: list[Finding] = []
    if overdue:
        findings.append(
            _finding(
                "vault.secret.overdue",
                "Secret overdue for rotation",
                f"{item.path}: the password was last rotated "
                f"{'never' if age is None else f'{age:.0f} days ago'}, over its rotation "
                f"period of {item.rotation_days} days (owner: {owner or 'unknown'})",
                Severity.HIGH,
                location,
                owner,
            )
        )
    period = int(role.get("rotation_period") or 0)
    if period > item.rotation_days * 86400:
        findings.append(
            _finding(
                "vault.database.rotation-period",
                "Vault rotates this role less often than the estate requires",
                f"{item.path}: rotation_period is {period // 86400} days, the estate requires "
                f"{item.rotation_days}",
                Severity.MEDIUM,
                location,
                owner,
            )
        )
    return status, findings
