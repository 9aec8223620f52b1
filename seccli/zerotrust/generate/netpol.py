"""NetworkPolicies from the estate: default deny, DNS, mesh control plane, intents, egress.

Per namespace: ``default-deny`` (ingress and egress, both listed in ``policyTypes`` because
egress is only isolated when listed), ``allow-dns`` (UDP and TCP 53 to kube-dns in
kube-system), ``allow-mesh-control-plane`` when a mesh is used, and one policy per service
holding an ingress rule per declared client and an egress rule per declared call or external
destination. Peers name the namespace and the pods in one peer (ANDed); ports are container
ports. External hosts without CIDRs are reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from seccli.estate.model import Estate, Service
from seccli.zerotrust.platform import (
    DNS,
    PlatformTarget,
    namespace_selector,
    platform_targets,
    selector_labels,
)

API_VERSION = "networking.k8s.io/v1"


@dataclass(frozen=True, slots=True)
class Call:
    """A resolved intent: client service, server service, container port and protocol."""

    client: Service
    server: Service
    port: int
    protocol: str
    methods: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()


@dataclass(slots=True)
class NetpolOutput:
    """Generated policies per namespace, and what could not be expressed."""

    policies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def resolved_calls(estate: Estate) -> list[Call]:
    """Every intent resolved to services and a numeric container port, in estate order."""
    calls: list[Call] = []
    for client in estate.services:
        for intent in client.intents:
            namespace, name = intent.target(client.namespace)
            server = estate.service(namespace, name)
            if server is None:
                continue  # the estate loader already refuses unknown targets
            port = server.port_named(intent.port)
            if port is None:
                continue
            calls.append(
                Call(client, server, port.port, port.protocol, intent.methods, intent.paths)
            )
    return calls


def _peer(service: Service) -> dict[str, Any]:
    return {
        "namespaceSelector": namespace_selector(service.namespace),
        "podSelector": {"matchLabels": selector_labels(service)},
    }


def _platform_peer(target: PlatformTarget) -> dict[str, Any]:
    return {
        "namespaceSelector": namespace_selector(target.namespace),
        "podSelector": {"matchLabels": target.selector()},
    }


def _policy(namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "NetworkPolicy",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/managed-by": "seccli"},
        },
        "spec": spec,
    }


def _unique_calls(calls: Iterable[Call], key: Callable[[Call], Hashable]) -> list[Call]:
    """Calls with distinct keys, sorted by key (the first of each key is kept)."""
    chosen: dict[Any, Call] = {}
    for call in calls:
        chosen.setdefault(key(call), call)
    return [chosen[k] for k in sorted(chosen)]


def generate_network_policies(estate: Estate, mesh: str) -> NetpolOutput:
    """All NetworkPolicies for ``estate`` with ``mesh`` (istio, linkerd or none)."""
    output = NetpolOutput()
    calls = resolved_calls(estate)
    inbound: dict[tuple[str, str], list[Call]] = {}
    outbound: dict[tuple[str, str], list[Call]] = {}
    for call in calls:
        inbound.setdefault(call.server.key, []).append(call)
        outbound.setdefault(call.client.key, []).append(call)
    for namespace in sorted(ns.name for ns in estate.namespaces):
        output.policies[namespace] = _namespace_baseline(namespace, mesh)
    for service in sorted(estate.services, key=lambda s: s.key):
        policy = _service_policy(
            service, inbound.get(service.key, []), outbound.get(service.key, []), output.notes
        )
        if policy is not None:
            output.policies[service.namespace].append(policy)
    for policies in output.policies.values():
        policies.sort(key=lambda p: str(p["metadata"]["name"]))
    return output


def _namespace_baseline(namespace: str, mesh: str) -> list[dict[str, Any]]:
    policies = [
        _policy(
            namespace, "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        ),
        _policy(
            namespace,
            "allow-dns",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [_platform_peer(DNS)],
                        "ports": [{"protocol": p.protocol, "port": p.port} for p in DNS.ports],
                    }
                ],
            },
        ),
    ]
    for target in platform_targets(mesh):
        if target is DNS:
            continue
        policies.append(
            _policy(
                namespace,
                "allow-mesh-control-plane",
                {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [_platform_peer(target)],
                            "ports": [
                                {"protocol": p.protocol, "port": p.port} for p in target.ports
                            ],
                        }
                    ],
                },
            )
        )
    return policies


def _service_policy(
    service: Service, inbound: list[Call], outbound: list[Call], notes: list[str]
) -> dict[str, Any] | None:
    ingress = [
        {"from": [_peer(call.client)], "ports": [{"protocol": call.protocol, "port": call.port}]}
        for call in _unique_calls(inbound, lambda c: (c.client.key, c.port, c.protocol))
    ]
    egress: list[dict[str, Any]] = [
        {"to": [_peer(call.server)], "ports": [{"protocol": call.protocol, "port": call.port}]}
        for call in _unique_calls(outbound, lambda c: (c.server.key, c.port, c.protocol))
    ]
    for destination in service.egress:
        if not destination.cidrs:
            notes.append(
                f"{service.namespace}/{service.name}: egress to {destination.host} has no CIDRs; "
                "no rule generated (declare the provider's published ranges to allow it)"
            )
            continue
        egress.append(
            {
                "to": [{"ipBlock": {"cidr": cidr}} for cidr in destination.cidrs],
                "ports": [
                    {"protocol": destination.protocol, "port": port} for port in destination.ports
                ],
            }
        )
    if not ingress and not egress:
        return None
    spec: dict[str, Any] = {
        "podSelector": {"matchLabels": selector_labels(service)},
        "policyTypes": [t for t, rules in (("Ingress", ingress), ("Egress", egress)) if rules],
    }
    if ingress:
        spec["ingress"] = ingress
    if egress:
        spec["egress"] = egress
    return _policy(service.namespace, f"svc-{service.name}", spec)
