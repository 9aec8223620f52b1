"""How estate services appear in the cluster, and the platform workloads every pod needs.

A service's pods carry its estate labels plus ``app.kubernetes.io/name: <service>`` (unless
the estate sets that label); generated policies select a service by that one label, so it must
be unique within a namespace. Platform workloads (kube-dns, the mesh control plane) are what
the generated egress rules allow besides the declared intents.
"""

from __future__ import annotations

from dataclasses import dataclass

from seccli.core.errors import InputError
from seccli.estate.model import Estate, Service
from seccli.zerotrust.manifests import (
    NAMESPACE_NAME_LABEL,
    ContainerPort,
    ManifestSet,
    Workload,
)

NAME_LABEL = "app.kubernetes.io/name"
ISTIO_ROOT_NAMESPACE = "istio-system"
LINKERD_NAMESPACE = "linkerd"
SPIRE_NAMESPACE = "spire-system"


@dataclass(frozen=True, slots=True)
class PlatformTarget:
    """A platform workload every meshed pod must reach: where, which pods, which ports."""

    key: str
    namespace: str
    labels: tuple[tuple[str, str], ...]
    ports: tuple[ContainerPort, ...]

    def selector(self) -> dict[str, str]:
        """The pod selector's matchLabels."""
        return dict(self.labels)


DNS = PlatformTarget(
    "kube-dns",
    "kube-system",
    (("k8s-app", "kube-dns"),),
    (ContainerPort(53, "UDP", "dns"), ContainerPort(53, "TCP", "dns-tcp")),
)
ISTIOD = PlatformTarget(
    "istiod",
    ISTIO_ROOT_NAMESPACE,
    (("app", "istiod"),),
    (ContainerPort(15012, "TCP", "grpc-xds"),),
)
LINKERD_CONTROL_PLANE = PlatformTarget(
    "linkerd-control-plane",
    LINKERD_NAMESPACE,
    (("linkerd.io/control-plane-ns", LINKERD_NAMESPACE),),
    (
        ContainerPort(8080, "TCP", "ident-grpc"),
        ContainerPort(8086, "TCP", "dest-grpc"),
        ContainerPort(8090, "TCP", "policy-grpc"),
    ),
)


def platform_targets(mesh: str) -> tuple[PlatformTarget, ...]:
    """DNS always; the mesh control plane when a mesh is used."""
    if mesh == "istio":
        return (DNS, ISTIOD)
    if mesh == "linkerd":
        return (DNS, LINKERD_CONTROL_PLANE)
    return (DNS,)


def pod_labels(service: Service) -> dict[str, str]:
    """The labels a service's pods carry."""
    labels = dict(service.labels)
    labels.setdefault(NAME_LABEL, service.name)
    return labels


def selector_labels(service: Service) -> dict[str, str]:
    """The matchLabels selecting exactly this service's pods within its namespace."""
    return {NAME_LABEL: pod_labels(service)[NAME_LABEL]}


def namespace_selector(namespace: str) -> dict[str, dict[str, str]]:
    """A namespaceSelector for one namespace by its implicit name label."""
    return {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}}


def check_selectable(estate: Estate) -> None:
    """Refuse estates where two services of a namespace would share a selector."""
    seen: dict[tuple[str, str], str] = {}
    for service in estate.services:
        key = (service.namespace, selector_labels(service)[NAME_LABEL])
        other = seen.get(key)
        if other is not None:
            raise InputError(
                f"services {other} and {service.name} in namespace {service.namespace} both "
                f"carry {NAME_LABEL}={key[1]}; policies could not tell them apart",
                hint=f"give each service its own {NAME_LABEL} label",
            )
        seen[key] = service.name


def service_ident(service: Service) -> str:
    """``namespace/name``."""
    return f"{service.namespace}/{service.name}"


def estate_workloads(estate: Estate, mesh: str | None = None) -> ManifestSet:
    """The estate's services as workloads (one Deployment each), its namespaces, and the
    platform workloads (kube-dns, mesh control plane); no policies."""
    result = ManifestSet()
    for namespace in estate.namespaces:
        result.namespaces[namespace.name] = dict(namespace.labels)
    for service in estate.services:
        ports = tuple(ContainerPort(p.port, p.protocol, p.name) for p in service.ports)
        result.workloads.append(
            Workload(
                service.namespace,
                service.name,
                "Deployment",
                tuple(sorted(pod_labels(service).items())),
                ports,
            )
        )
    for target in platform_targets(mesh or estate.mesh):
        result.namespaces.setdefault(target.namespace, {})
        result.workloads.append(
            Workload(target.namespace, target.key, "Deployment", target.labels, target.ports)
        )
    return result
