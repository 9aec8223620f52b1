"""Mesh mTLS and authorization: Istio or Linkerd, from the declared intents.

Istio: a mesh-wide PeerAuthentication STRICT and an allow-nothing AuthorizationPolicy in the
root namespace, then per server an ALLOW AuthorizationPolicy listing its clients' principals
(SPIFFE IDs without ``spiffe://``) with methods and paths when the intent gives them.
Linkerd: per server port with clients a Server, a MeshTLSAuthentication naming the clients'
service accounts and an AuthorizationPolicy referring to both (Linkerd ignores a policy whose
references are missing, so the three are always emitted together).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from seccli.estate.model import Estate, Service
from seccli.zerotrust.generate.netpol import Call, resolved_calls
from seccli.zerotrust.platform import ISTIO_ROOT_NAMESPACE, selector_labels

_MANAGED = {"app.kubernetes.io/managed-by": "seccli"}
_LINKERD_PROTOCOLS = {
    "http": "HTTP/1",
    "http2": "HTTP/2",
    "grpc": "gRPC",
    "tcp": "opaque",
    "tls": "TLS",
}


def istio_principal(trust_domain: str, service: Service) -> str:
    """The Istio principal of a service: its SPIFFE ID without the scheme."""
    return f"{trust_domain}/ns/{service.namespace}/sa/{service.account}"


def _meta(name: str, namespace: str) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": dict(_MANAGED)}


def _by_server(calls: Iterable[Call]) -> dict[tuple[str, str], list[Call]]:
    grouped: dict[tuple[str, str], list[Call]] = {}
    for call in calls:
        grouped.setdefault(call.server.key, []).append(call)
    return grouped


def istio_cluster_resources() -> list[dict[str, Any]]:
    """Mesh-wide STRICT mTLS and default deny, in the Istio root namespace."""
    return [
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "AuthorizationPolicy",
            "metadata": _meta("allow-nothing", ISTIO_ROOT_NAMESPACE),
            "spec": {},
        },
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "PeerAuthentication",
            "metadata": _meta("default", ISTIO_ROOT_NAMESPACE),
            "spec": {"mtls": {"mode": "STRICT"}},
        },
    ]


def istio_authorization(estate: Estate) -> dict[str, list[dict[str, Any]]]:
    """Per namespace, an ALLOW AuthorizationPolicy per server with declared clients."""
    out: dict[str, list[dict[str, Any]]] = {}
    for (namespace, name), calls in sorted(_by_server(resolved_calls(estate)).items()):
        server = calls[0].server
        rules: list[dict[str, Any]] = []
        seen: set[str] = set()
        for call in sorted(
            calls, key=lambda c: (c.client.key, c.port, c.protocol, c.methods, c.paths)
        ):
            operation: dict[str, Any] = {"ports": [str(call.port)]}
            if call.methods:
                operation["methods"] = list(call.methods)
            if call.paths:
                operation["paths"] = list(call.paths)
            rule = {
                "from": [
                    {"source": {"principals": [istio_principal(estate.trust_domain, call.client)]}}
                ],
                "to": [{"operation": operation}],
            }
            marker = repr(rule)
            if marker not in seen:
                seen.add(marker)
                rules.append(rule)
        out.setdefault(namespace, []).append(
            {
                "apiVersion": "security.istio.io/v1",
                "kind": "AuthorizationPolicy",
                "metadata": _meta(f"svc-{name}", namespace),
                "spec": {
                    "action": "ALLOW",
                    "selector": {"matchLabels": selector_labels(server)},
                    "rules": rules,
                },
            }
        )
    return out


def linkerd_authorization(estate: Estate) -> dict[str, list[dict[str, Any]]]:
    """Per namespace, Server + MeshTLSAuthentication + AuthorizationPolicy per served port."""
    out: dict[str, list[dict[str, Any]]] = {}
    for (namespace, name), calls in sorted(_by_server(resolved_calls(estate)).items()):
        server = calls[0].server
        by_port: dict[int, list[Call]] = {}
        for call in calls:
            by_port.setdefault(call.port, []).append(call)
        for number, port_calls in sorted(by_port.items()):
            port = server.port_named(number)
            if port is None:  # pragma: no cover - resolved_calls guarantees it
                continue
            base = f"svc-{name}-{port.name}"
            accounts = sorted({(c.client.namespace, c.client.account) for c in port_calls})
            proxy_protocol = _LINKERD_PROTOCOLS.get(port.app_protocol or "", "unknown")
            out.setdefault(namespace, []).extend(
                [
                    {
                        "apiVersion": "policy.linkerd.io/v1beta3",
                        "kind": "Server",
                        "metadata": _meta(base, namespace),
                        "spec": {
                            "podSelector": {"matchLabels": selector_labels(server)},
                            "port": port.port,
                            "proxyProtocol": proxy_protocol,
                        },
                    },
                    {
                        "apiVersion": "policy.linkerd.io/v1alpha1",
                        "kind": "MeshTLSAuthentication",
                        "metadata": _meta(f"{base}-clients", namespace),
                        "spec": {
                            "identityRefs": [
                                {"kind": "ServiceAccount", "name": account, "namespace": ns}
                                for ns, account in accounts
                            ]
                        },
                    },
                    {
                        "apiVersion": "policy.linkerd.io/v1alpha1",
                        "kind": "AuthorizationPolicy",
                        "metadata": _meta(base, namespace),
                        "spec": {
                            "targetRef": {
                                "group": "policy.linkerd.io",
                                "kind": "Server",
                                "name": base,
                            },
                            "requiredAuthenticationRefs": [
                                {
                                    "group": "policy.linkerd.io",
                                    "kind": "MeshTLSAuthentication",
                                    "name": f"{base}-clients",
                                }
                            ],
                        },
                    },
                ]
            )
    return out
