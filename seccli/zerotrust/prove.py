"""``prove``: the generated NetworkPolicies allow exactly the estate's declared traffic.

The estate's services become workloads (one per service, with its pod labels and container
ports) next to the platform workloads (kube-dns, the mesh control plane); the policies are what
the tree deploys (its ``kubectl kustomize`` build, see ``seccli.manifests``); reachability is
computed offline and compared, pair by pair and port by port, with what the estate declares:
every intent, DNS to kube-dns, the mesh control plane, and external egress with CIDRs. Pairs
between platform workloads are out of scope. Every extra and every missing edge is listed with
the policies responsible.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seccli.core.documents import LoadLimits
from seccli.estate.model import Estate
from seccli.manifests.walk import SkippedFile, WalkOptions
from seccli.zerotrust.analyzer import (
    Analyzer,
    ExternalAccess,
    Reachability,
    RuleRef,
    external_difference,
    external_partition,
)
from seccli.zerotrust.gcpause import without_gc
from seccli.zerotrust.generate.netpol import resolved_calls
from seccli.zerotrust.manifests import IpBlock, ManifestSet, load_manifests
from seccli.zerotrust.platform import estate_workloads, platform_targets, service_ident
from seccli.zerotrust.portset import PortSet

EXTERNAL = "external"


@dataclass(frozen=True, slots=True)
class EdgeDiff:
    """An edge allowed but not declared (extra) or declared but not allowed (missing)."""

    kind: str  # "extra" | "missing"
    src: str
    dst: str
    ports: PortSet
    cidrs: tuple[str, ...] = ()
    responsible: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line: ``extra a -> b TCP/80``."""
        target = self.dst if not self.cidrs else f"{self.dst} {', '.join(self.cidrs)}"
        return f"{self.kind} {self.src} -> {target} {self.ports}"

    def to_json(self) -> dict[str, object]:
        """JSON form."""
        return {
            "kind": self.kind,
            "src": self.src,
            "dst": self.dst,
            "cidrs": list(self.cidrs),
            "ports": self.ports.to_json(),
            "responsible": list(self.responsible),
        }


@dataclass(slots=True)
class Proof:
    """The outcome of ``prove``."""

    declared_edges: int = 0
    allowed_edges: int = 0
    differences: list[EdgeDiff] = field(default_factory=list)
    reachability: Reachability | None = None
    files: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        """True when the policies allow exactly the declared traffic."""
        return not self.differences

    @property
    def extra(self) -> list[EdgeDiff]:
        """Allowed but not declared."""
        return [d for d in self.differences if d.kind == "extra"]

    @property
    def missing(self) -> list[EdgeDiff]:
        """Declared but not allowed."""
        return [d for d in self.differences if d.kind == "missing"]


def declared_traffic(
    estate: Estate, mesh: str
) -> tuple[dict[tuple[str, str], PortSet], dict[str, list[ExternalAccess]]]:
    """What the estate declares: ports per (client, server) and external egress per client."""
    pairs: dict[tuple[str, str], PortSet] = {}

    def add(src: str, dst: str, ports: PortSet) -> None:
        previous = pairs.get((src, dst))
        pairs[(src, dst)] = ports if previous is None else previous.union(ports)

    for call in resolved_calls(estate):
        add(
            service_ident(call.client),
            service_ident(call.server),
            PortSet.single(call.protocol, call.port),
        )
    targets = platform_targets(mesh)
    external: dict[str, list[ExternalAccess]] = {}
    for service in estate.services:
        ident = service_ident(service)
        for target in targets:
            ports = PortSet.empty()
            for port in target.ports:
                ports = ports.union(PortSet.single(port.protocol, port.port))
            add(ident, f"{target.namespace}/{target.key}", ports)
        pieces: list[tuple[IpBlock | None, PortSet]] = []
        for egress in service.egress:
            ports = PortSet.empty()
            for number in egress.ports:
                ports = ports.union(PortSet.single(egress.protocol, number))
            pieces.extend(
                (IpBlock(ipaddress.ip_network(cidr, strict=False)), ports) for cidr in egress.cidrs
            )
        if pieces:
            external[ident] = external_partition(pieces)
    return pairs, external


@without_gc
def prove_manifests(estate: Estate, policies: ManifestSet, mesh: str | None = None) -> Proof:
    """Compare the reachability that ``policies`` allow over the estate with its declarations."""
    chosen = mesh or estate.mesh
    world = estate_workloads(estate, chosen)
    for name, labels in policies.namespaces.items():
        if name in world.namespaces:
            merged = dict(labels)
            merged.update(world.namespaces[name])
            world.namespaces[name] = merged
    world.policies = list(policies.policies)
    analyzer = Analyzer(world)
    reach = analyzer.run()
    services = {service_ident(s) for s in estate.services}
    expected, expected_external = declared_traffic(estate, chosen)
    proof = Proof(declared_edges=len(expected), reachability=reach)
    actual: dict[tuple[str, str], PortSet] = {}
    for src, dst, ports in reach.edges():
        if src.ident in services or dst.ident in services:
            # two workloads may share a name (a Deployment and a StatefulSet "web"): what
            # either is allowed counts, never only the last one read
            key = (src.ident, dst.ident)
            actual[key] = actual[key].union(ports) if key in actual else ports
    proof.allowed_edges = len(actual)
    for key in sorted(set(actual) | set(expected)):
        have = actual.get(key, PortSet.empty())
        want = expected.get(key, PortSet.empty())
        extra = have.difference(want)
        missing = want.difference(have)
        src_id, dst_id = key
        if extra:
            refs = _explain(analyzer, reach, src_id, dst_id, extra)
            proof.differences.append(EdgeDiff("extra", src_id, dst_id, extra, (), refs))
        if missing:
            refs = _explain_missing(analyzer, reach, src_id, dst_id, missing)
            proof.differences.append(EdgeDiff("missing", src_id, dst_id, missing, (), refs))
    _compare_external(analyzer, reach, services, expected_external, proof)
    return proof


@without_gc
def prove(
    estate: Estate,
    tree: Sequence[Path],
    mesh: str | None = None,
    limits: LoadLimits | None = None,
    *,
    root: Path | None = None,
    options: WalkOptions | None = None,
) -> Proof:
    """Load the NetworkPolicies ``tree`` deploys (its kustomize build) and prove them;
    ``options`` say what a folder walk leaves out."""
    manifests = load_manifests(tree, limits, root=root, options=options)
    proof = prove_manifests(estate, manifests, mesh)
    proof.files = list(manifests.files)
    proof.skipped = list(manifests.skipped)
    return proof


def _compare_external(
    analyzer: Analyzer,
    reach: Reachability,
    services: set[str],
    expected: dict[str, list[ExternalAccess]],
    proof: Proof,
) -> None:
    for ident in sorted(services):
        index = reach.class_of[ident]
        have = reach.egress_external.get(index, [])
        want = expected.get(ident, [])
        for access in external_difference(have, want):
            refs = tuple(
                r.describe()
                for r in analyzer.explain_external(index, "egress")
                if r.ports.intersection(access.ports)
            )
            proof.differences.append(
                EdgeDiff("extra", ident, EXTERNAL, access.ports, access.cidrs, refs)
            )
        for access in external_difference(want, have):
            proof.differences.append(
                EdgeDiff(
                    "missing",
                    ident,
                    EXTERNAL,
                    access.ports,
                    access.cidrs,
                    (_selected_by(analyzer, index, "egress"),),
                )
            )
        for access in reach.ingress_external.get(index, []):
            refs = tuple(
                r.describe()
                for r in analyzer.explain_external(index, "ingress")
                if r.ports.intersection(access.ports)
            )
            proof.differences.append(
                EdgeDiff("extra", EXTERNAL, ident, access.ports, access.cidrs, refs)
            )


def _explain(
    analyzer: Analyzer, reach: Reachability, src: str, dst: str, ports: PortSet
) -> tuple[str, ...]:
    out_refs, in_refs = analyzer.explain(reach.class_of[src], reach.class_of[dst])
    return tuple(r.describe() for r in (*out_refs, *in_refs) if r.ports.intersection(ports))


def _explain_missing(
    analyzer: Analyzer, reach: Reachability, src: str, dst: str, ports: PortSet
) -> tuple[str, ...]:
    s, d = reach.class_of[src], reach.class_of[dst]
    out_refs, in_refs = analyzer.explain(s, d)
    reasons: list[str] = []
    out_allowed = _union(out_refs)
    in_allowed = _union(in_refs)
    if ports.difference(out_allowed):
        reasons.append(
            f"egress at {src} does not allow {ports.difference(out_allowed)} "
            f"({_selected_by(analyzer, s, 'egress')})"
        )
    if ports.difference(in_allowed):
        reasons.append(
            f"ingress at {dst} does not allow {ports.difference(in_allowed)} "
            f"({_selected_by(analyzer, d, 'ingress')})"
        )
    return tuple(reasons)


def _union(refs: Sequence[RuleRef]) -> PortSet:
    total = PortSet.empty()
    for ref in refs:
        total = total.union(ref.ports)
    return total


def _selected_by(analyzer: Analyzer, index: int, direction: str) -> str:
    policies = [
        p
        for p in analyzer.selected_by.get(index, [])
        if (p.isolates_egress if direction == "egress" else p.isolates_ingress)
    ]
    if not policies:
        return f"no policy isolates it for {direction}"
    names = ", ".join(f"{p.ident} ({p.location})" if p.location else p.ident for p in policies)
    return f"{direction} policies: {names}"


@dataclass(frozen=True, slots=True)
class ProofRun:
    """A proof of the tree at ``tree`` against the estate at ``estate`` (what the CLI needs)."""

    estate: str
    estate_name: str
    tree: str
    proof: Proof

    def as_json(self) -> dict[str, object]:
        """The JSON document of ``netpol prove``."""
        return {
            "estate": self.estate,
            "tree": self.tree,
            "equal": self.proof.equal,
            "declaredEdges": self.proof.declared_edges,
            "allowedEdges": self.proof.allowed_edges,
            "differences": [d.to_json() for d in self.proof.differences],
            "files": self.proof.files,
        }

    def audit_payload(self) -> dict[str, object]:
        """What the audit log records: the verdict and how many edges differ."""
        return {
            "estate": self.estate,
            "equal": self.proof.equal,
            "extra": len(self.proof.extra),
            "missing": len(self.proof.missing),
        }

    @property
    def exit_code(self) -> int:
        """0 when proven, 1 when any edge differs."""
        return 0 if self.proof.equal else 1


def prove_tree(
    estate_path: Path,
    tree: Path,
    mesh: str | None = None,
    *,
    root: Path | None = None,
    options: WalkOptions | None = None,
) -> ProofRun:
    """Load the estate and prove the NetworkPolicies the generated ``tree`` deploys."""
    from seccli.core.errors import InputError
    from seccli.estate.loader import load_estate

    if not tree.is_dir():
        raise InputError(f"{tree}: folder not found (the generated tree)")
    estate = load_estate(estate_path).estate
    proof = prove(estate, [tree], mesh, root=root, options=options)
    return ProofRun(str(estate_path), estate.metadata.name, str(tree), proof)
