"""Kubernetes consumer wiring so workloads pick up rotated values.

Two modes, one YAML file per service (``<namespace>/<service>.yaml``):

* ``vso`` — Vault Secrets Operator: a ``VaultAuth`` (Kubernetes auth with the service's role),
  a ``VaultStaticSecret`` per KV v2 secret and a ``VaultDynamicSecret`` (``allowStaticCreds``)
  per database static role, each syncing into a Kubernetes Secret and listing the service's
  Deployment in ``rolloutRestartTargets`` so a rotation restarts it.
* ``agent`` — Vault Agent injector: a strategic-merge patch for the Deployment's pod template
  with ``vault.hashicorp.com/*`` annotations (the agent re-renders files when values change).

Output is deterministic (sorted keys, sorted services and secrets).
"""

from __future__ import annotations

import re
from typing import Any, Literal

import yaml

from seccli.estate.model import Estate, SecretRef, Service
from seccli.secrets.policies import database_creds_path, kv_data_path, role_name, split_mount

WiringMode = Literal["vso", "agent"]
VSO_API = "secrets.hashicorp.com/v1beta1"
_NOT_DNS = re.compile(r"[^a-z0-9-]+")


def secret_slug(ref: SecretRef, service: Service) -> str:
    """A DNS-1123 name for a secret's Kubernetes objects: ``<service>-<last path part>``."""
    last = ref.path.rsplit("/", 1)[-1].lower()
    slug = _NOT_DNS.sub("-", last).strip("-") or "secret"
    name = service.name if slug == service.name else f"{service.name}-{slug}"
    if ref.engine == "database":
        name += "-db"
    return name[:63].rstrip("-")


def consumer_wiring(
    estate: Estate,
    *,
    mode: WiringMode = "vso",
    auth_mount: str = "kubernetes",
    refresh_after: str = "60s",
    workload_kind: str = "Deployment",
) -> dict[str, str]:
    """File name → YAML text for every service that declares secrets."""
    files: dict[str, str] = {}
    for service in sorted((s for s in estate.services if s.secrets), key=lambda s: s.key):
        if mode == "vso":
            docs = _vso(service, auth_mount, refresh_after, workload_kind)
        else:
            docs = [_agent(service, workload_kind)]
        text = "".join(
            "---\n" + yaml.safe_dump(doc, sort_keys=True, default_flow_style=False) for doc in docs
        )
        files[f"{service.namespace}/{service.name}.yaml"] = text
    return dict(sorted(files.items()))


def _vso(
    service: Service, auth_mount: str, refresh_after: str, workload_kind: str
) -> list[dict[str, Any]]:
    auth_name = f"{service.name}-vault"
    labels = {"app.kubernetes.io/managed-by": "seccli", "app.kubernetes.io/name": service.name}
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": VSO_API,
            "kind": "VaultAuth",
            "metadata": {"name": auth_name, "namespace": service.namespace, "labels": labels},
            "spec": {
                "method": "kubernetes",
                "mount": auth_mount,
                "kubernetes": {
                    "role": role_name(service),
                    "serviceAccount": service.account,
                    "audiences": ["vault"],
                },
            },
        }
    ]
    restart = [{"kind": workload_kind, "name": service.name}]
    for ref in sorted(service.secrets, key=lambda r: r.path):
        name = secret_slug(ref, service)
        mount, rest = split_mount(ref.path)
        metadata = {"name": name, "namespace": service.namespace, "labels": labels}
        destination = {"name": name, "create": True}
        if ref.engine == "database":
            creds = database_creds_path(ref.path).split("/", 1)[1]
            docs.append(
                {
                    "apiVersion": VSO_API,
                    "kind": "VaultDynamicSecret",
                    "metadata": metadata,
                    "spec": {
                        "vaultAuthRef": auth_name,
                        "mount": mount,
                        "path": creds,
                        "allowStaticCreds": True,
                        "destination": destination,
                        "rolloutRestartTargets": restart,
                    },
                }
            )
        else:
            docs.append(
                {
                    "apiVersion": VSO_API,
                    "kind": "VaultStaticSecret",
                    "metadata": metadata,
                    "spec": {
                        "vaultAuthRef": auth_name,
                        "mount": mount,
                        "type": "kv-v2",
                        "path": rest,
                        "refreshAfter": refresh_after,
                        "destination": destination,
                        "rolloutRestartTargets": restart,
                    },
                }
            )
    return docs


def _agent(service: Service, workload_kind: str) -> dict[str, Any]:
    annotations: dict[str, str] = {
        "vault.hashicorp.com/agent-inject": "true",
        "vault.hashicorp.com/role": role_name(service),
    }
    for ref in sorted(service.secrets, key=lambda r: r.path):
        name = secret_slug(ref, service)
        path = database_creds_path(ref.path) if ref.engine == "database" else kv_data_path(ref.path)
        annotations[f"vault.hashicorp.com/agent-inject-secret-{name}"] = path
    return {
        "apiVersion": "apps/v1",
        "kind": workload_kind,
        "metadata": {"name": service.name, "namespace": service.namespace},
        "spec": {
            "template": {
                "metadata": {"annotations": annotations},
                "spec": {"serviceAccountName": service.account},
            }
        },
    }
