"""Plan and apply the generated Vault policies and Kubernetes auth roles, diff first.

Only the policies and roles the estate generates are read and written; anything else in Vault
is left alone. Role bodies are compared on the fields seccli sets, as Vault reports them back
(``ttl`` is returned as ``token_ttl`` in seconds).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from seccli.core.hashing import sha256_hex
from seccli.estate.model import Estate
from seccli.secrets.client import VaultApi
from seccli.secrets.policies import kubernetes_auth_roles, operator_policies, vault_policies

if TYPE_CHECKING:
    from seccli.secrets.rotation import AuditSink

ChangeKind = Literal["policy", "role"]
ChangeAction = Literal["create", "update", "unchanged"]
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class PolicyChange:
    """One policy or role: what Vault has, what the estate wants, and the diff."""

    kind: ChangeKind
    name: str
    action: ChangeAction
    diff: str
    desired: str | dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping (the diff, never credentials: policies hold none)."""
        return {"kind": self.kind, "name": self.name, "action": self.action, "diff": self.diff}


def plan_policies(
    api: VaultApi,
    estate: Estate,
    *,
    kubernetes_mount: str = "kubernetes",
    operators: bool = False,
) -> list[PolicyChange]:
    """Compare the generated policies and roles with Vault's (one read each).

    With ``operators``, seccli's own least-privilege auditor and rotator policies too.
    """
    changes: list[PolicyChange] = []
    policies = vault_policies(estate)
    if operators:
        policies = dict(sorted({**policies, **operator_policies(estate)}.items()))
    for name, hcl in policies.items():
        current = api.read_policy(name)
        changes.append(_change("policy", name, current, hcl, _text_diff(name, current, hcl)))
    for name, role in kubernetes_auth_roles(estate).items():
        existing = api.read_kubernetes_role(kubernetes_mount, name)
        want = _role_view(role)
        have = _role_view(existing) if existing is not None else None
        before = _json_text(have) if have is not None else None
        changes.append(
            _change("role", name, before, role, _text_diff(name, before, _json_text(want)))
        )
    return changes


def apply_policies(
    api: VaultApi,
    changes: Sequence[PolicyChange],
    *,
    kubernetes_mount: str = "kubernetes",
    audit: AuditSink | None = None,
    actor: str = "unknown",
) -> list[PolicyChange]:
    """Write every created or updated policy and role; the changes written.

    Each write is recorded in ``audit`` right after it succeeded (``vault.<kind>.<action>``
    with the digest of what was written), so a run that fails half-way still shows what it
    changed.
    """
    from seccli.store.interface import AuditRecord

    written: list[PolicyChange] = []
    for change in changes:
        if change.action == "unchanged":
            continue
        if change.kind == "policy" and isinstance(change.desired, str):
            api.write_policy(change.name, change.desired)
        elif isinstance(change.desired, dict):
            api.write_kubernetes_role(kubernetes_mount, change.name, change.desired)
        written.append(change)
        if audit is not None:
            audit.append_audit(
                AuditRecord(
                    actor=actor,
                    action=f"vault.{change.kind}.{change.action}",
                    subject=change.name,
                    payload={"sha256": change_digest(change)},
                )
            )
    return written


def change_summary(
    changes: Sequence[PolicyChange], written: Sequence[PolicyChange]
) -> dict[str, int]:
    """Counts of planned creates, updates and unchanged items, and of the writes done."""
    return {
        "create": sum(c.action == "create" for c in changes),
        "update": sum(c.action == "update" for c in changes),
        "unchanged": sum(c.action == "unchanged" for c in changes),
        "written": len(written),
    }


def change_digest(change: PolicyChange) -> str:
    """A digest of what was written, for the audit log."""
    desired = change.desired if isinstance(change.desired, str) else _json_text(change.desired)
    return sha256_hex(desired)


def _change(
    kind: ChangeKind,
    name: str,
    current: str | None,
    desired: str | dict[str, Any],
    diff: str,
) -> PolicyChange:
    if current is None:
        action: ChangeAction = "create"
    elif not diff:
        action = "unchanged"
    else:
        action = "update"
    return PolicyChange(kind, name, action, diff, desired)


def _role_view(role: dict[str, Any]) -> dict[str, Any]:
    ttl = role.get("token_ttl", role.get("ttl", 0))
    return {
        "bound_service_account_names": sorted(_as_list(role.get("bound_service_account_names"))),
        "bound_service_account_namespaces": sorted(
            _as_list(role.get("bound_service_account_namespaces"))
        ),
        "token_policies": sorted(_as_list(role.get("token_policies", role.get("policies")))),
        "ttl_seconds": _seconds(ttl),
    }


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value or []]


def _seconds(value: Any) -> int:
    if isinstance(value, int | float):
        return int(value)
    text = str(value or "0").strip()
    if text.isdigit():
        return int(text)
    return sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)([smhd])", text))


def _json_text(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True) + "\n"


def _text_diff(name: str, before: str | None, after: str) -> str:
    lines = difflib.unified_diff(
        (before or "").splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"vault/{name}" if before is not None else "/dev/null",
        tofile=f"estate/{name}",
    )
    return "".join(lines)
