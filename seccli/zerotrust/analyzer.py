"""Offline NetworkPolicy v1 reachability with exact Kubernetes semantics.

A connection from pod A to pod B on a protocol/port is allowed when A's egress allows it and
B's ingress allows it:
- a pod is isolated for a direction when a policy selecting it has that policy type; an
  isolated pod allows only what the union of the rules of its selecting policies allows, a
  pod that is not isolated allows everything in that direction;
- a rule with no (or empty) peers matches every peer, including external addresses; with no
  (or empty) ports it matches every port of every protocol;
- within a peer, podSelector and namespaceSelector are ANDed; peers of a rule are ORed; a peer
  with only a podSelector selects in the policy's namespace;
- ipBlock (CIDR minus ``except``) matches addresses outside the cluster only;
- named ports are resolved on the destination pod (name and protocol must match);
  ``endPort`` makes a range.

Pods are grouped into classes of identical namespace, labels and container ports, so the cost
follows the number of distinct classes and allowed edges, not the number of pods.

Outside the model, as in Kubernetes: a pod can always reach itself (a pair of a workload with
itself means between two of its pods) and traffic with the pod's own node is always allowed.

Host-network pods share their node's address, so on most CNIs NetworkPolicy neither selects
nor isolates them and pod selectors do not match them: by default (``HostNetwork.UNRESTRICTED``)
they are kept, flagged, and every connection to or from them is reported as allowed (the
safe over-approximation for a gate). ``HostNetwork.AS_PODS`` analyses them as ordinary pods.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from seccli.zerotrust.gcpause import without_gc
from seccli.zerotrust.hostnet import HOST_NETWORK_NOTE, HostNetwork
from seccli.zerotrust.manifests import (
    ContainerPort,
    IpBlock,
    ManifestSet,
    Peer,
    Policy,
    PortSpec,
    Rule,
    Workload,
)
from seccli.zerotrust.portset import PortSet
from seccli.zerotrust.selectors import LabelSelector

_ALL = PortSet.all()


@dataclass(slots=True)
class WorkloadClass:
    """Workloads indistinguishable to NetworkPolicies."""

    index: int
    namespace: str
    labels: dict[str, str]
    ports: tuple[ContainerPort, ...]
    members: list[Workload] = field(default_factory=list)
    host_network: bool = False


@dataclass(frozen=True, slots=True)
class ExternalAccess:
    """External addresses (as CIDRs) and the ports allowed to or from them."""

    cidrs: tuple[str, ...]
    ports: PortSet

    def to_json(self) -> dict[str, object]:
        """JSON form."""
        return {"cidrs": list(self.cidrs), "ports": self.ports.to_json()}


@dataclass(frozen=True, slots=True)
class RuleRef:
    """A rule (or the absence of isolation) that allows part of a connection."""

    policy: Policy | None
    direction: str
    rule: Rule | None
    ports: PortSet
    note: str | None = None

    def describe(self) -> str:
        """``ns/policy egress[2] (file:line)`` or ``not isolated for egress``."""
        if self.note is not None:
            return self.note
        if self.policy is None or self.rule is None:
            return f"not isolated for {self.direction} (no policy selects it)"
        where = f" ({self.rule.location})" if self.rule.location else ""
        return f"{self.policy.ident} {self.direction}[{self.rule.index}]{where}"


@dataclass(slots=True)
class _RuleInfo:
    policy: Policy
    rule: Rule
    classes: frozenset[int] | None  # None: every class
    blocks: tuple[IpBlock, ...] | None  # None: every external address
    fixed: PortSet | None = None  # the ports when they do not depend on the destination


@dataclass(slots=True)
class Reachability:
    """What is allowed: per ordered pair of workload classes, and to/from external addresses."""

    classes: list[WorkloadClass]
    pairs: dict[tuple[int, int], PortSet]
    egress_external: dict[int, list[ExternalAccess]]
    ingress_external: dict[int, list[ExternalAccess]]
    class_of: dict[str, int]
    unrestricted: frozenset[int] = frozenset()  # host-network classes reported unrestricted

    def is_unrestricted(self, workload: Workload) -> bool:
        """Whether ``workload`` is a host-network workload reported as unrestricted."""
        index = self.class_of.get(workload.ident)
        return index is not None and index in self.unrestricted and workload.host_network

    def workloads(self) -> list[Workload]:
        """Every workload, sorted by identity."""
        return sorted((w for c in self.classes for w in c.members), key=lambda w: (w.ident, w.kind))

    def allowed(self, src: str, dst: str) -> PortSet:
        """Ports allowed from workload ``src`` to ``dst`` (``namespace/name``)."""
        return self.pairs.get((self.class_of[src], self.class_of[dst]), PortSet.empty())

    def edges(self) -> Iterator[tuple[Workload, Workload, PortSet]]:
        """Every ordered pair of workloads with something allowed, sorted."""
        out: list[tuple[Workload, Workload, PortSet]] = []
        for (s, d), ports in self.pairs.items():
            out.extend(
                (src, dst, ports)
                for src in self.classes[s].members
                for dst in self.classes[d].members
            )
        out.sort(key=lambda e: (e[0].ident, e[1].ident, e[0].kind, e[1].kind))
        yield from out

    def external(self) -> Iterator[tuple[Workload, str, ExternalAccess]]:
        """(workload, "egress"|"ingress", access) for external addresses, sorted."""
        out: list[tuple[Workload, str, ExternalAccess]] = []
        for direction, table in (
            ("egress", self.egress_external),
            ("ingress", self.ingress_external),
        ):
            for index, accesses in table.items():
                for workload in self.classes[index].members:
                    out.extend((workload, direction, access) for access in accesses)
        out.sort(key=lambda e: (e[0].ident, e[1], e[2].cidrs))
        yield from out


class Analyzer:
    """Computes reachability for a ``ManifestSet``."""

    @without_gc
    def __init__(
        self, manifests: ManifestSet, host_network: HostNetwork = HostNetwork.UNRESTRICTED
    ) -> None:
        self.manifests = manifests
        self.host_network = host_network
        self.classes: list[WorkloadClass] = []
        self.class_of: dict[str, int] = {}
        keyed: dict[
            tuple[str, tuple[tuple[str, str], ...], tuple[ContainerPort, ...], bool], int
        ] = {}
        apart = host_network is HostNetwork.UNRESTRICTED
        for workload in sorted(manifests.workloads, key=lambda w: (w.ident, w.kind)):
            flagged = apart and workload.host_network
            key = (workload.namespace, workload.labels, workload.ports, flagged)
            index = keyed.get(key)
            if index is None:
                index = len(self.classes)
                keyed[key] = index
                self.classes.append(
                    WorkloadClass(
                        index,
                        workload.namespace,
                        dict(workload.labels),
                        workload.ports,
                        host_network=flagged,
                    )
                )
            self.classes[index].members.append(workload)
            self.class_of.setdefault(workload.ident, index)
        self.unrestricted = frozenset(c.index for c in self.classes if c.host_network)
        self._by_ns: dict[str, list[int]] = {}
        self._by_label: dict[tuple[str, str, str], set[int]] = {}
        for cls in self.classes:
            if cls.host_network:
                continue  # on the node's address: no pod selector matches, no policy selects
            self._by_ns.setdefault(cls.namespace, []).append(cls.index)
            for key_, value in cls.labels.items():
                self._by_label.setdefault((cls.namespace, key_, value), set()).add(cls.index)
        self._ns_labels = {ns: manifests.namespace_labels(ns) for ns in manifests.all_namespaces()}
        self._ns_cache: dict[int, tuple[LabelSelector, tuple[str, ...]]] = {}
        self._peer_cache: dict[
            tuple[str, int, int], tuple[LabelSelector | None, LabelSelector | None, frozenset[int]]
        ] = {}
        self._port_cache: dict[tuple[int, int], tuple[object, object, PortSet]] = {}
        self._spec_cache: dict[tuple[PortSpec, ...], PortSet] = {}
        self._pods_cache: dict[tuple[str, int], tuple[LabelSelector, list[int]]] = {}
        self.ingress_rules: dict[int, list[_RuleInfo]] = {}
        self.egress_rules: dict[int, list[_RuleInfo]] = {}
        self.ingress_isolated: set[int] = set()
        self.egress_isolated: set[int] = set()
        self.selected_by: dict[int, list[Policy]] = {}
        self._index_policies()

    # -- selection ------------------------------------------------------------------------

    def select_pods(self, namespace: str, selector: LabelSelector) -> list[int]:
        """Classes in ``namespace`` selected by ``selector``."""
        key = (namespace, id(selector))
        hit = self._pods_cache.get(key)
        if hit is not None and hit[0] is selector:
            return hit[1]
        found = self._select_pods(namespace, selector)
        self._pods_cache[key] = (selector, found)
        return found

    def _select_pods(self, namespace: str, selector: LabelSelector) -> list[int]:
        candidates: Sequence[int] | set[int]
        if selector.match_labels:
            sets = [self._by_label.get((namespace, k, v), set()) for k, v in selector.match_labels]
            smallest = min(sets, key=len)
            candidates = set(smallest)
            for other in sets:
                if other is not smallest:
                    candidates &= other
        else:
            candidates = self._by_ns.get(namespace, [])
        if not selector.expressions:
            return sorted(candidates)
        return sorted(i for i in candidates if selector.matches(self.classes[i].labels))

    def select_namespaces(self, selector: LabelSelector) -> tuple[str, ...]:
        """Namespaces selected by ``selector``."""
        hit = self._ns_cache.get(id(selector))
        if hit is not None and hit[0] is selector:
            return hit[1]
        found = tuple(ns for ns, labels in self._ns_labels.items() if selector.matches(labels))
        self._ns_cache[id(selector)] = (selector, found)
        return found

    def peer_classes(self, namespace: str, peer: Peer) -> frozenset[int]:
        """Classes a pod peer matches, for a policy in ``namespace``."""
        # Keyed by the selectors' identities (parsed selectors are shared), kept alive alongside.
        key = (namespace, id(peer.pod_selector), id(peer.namespace_selector))
        hit = self._peer_cache.get(key)
        if hit is not None and hit[0] is peer.pod_selector and hit[1] is peer.namespace_selector:
            return hit[2]
        pods = peer.pod_selector or LabelSelector()
        if peer.namespace_selector is None:
            spaces: tuple[str, ...] = (namespace,)
        else:
            spaces = self.select_namespaces(peer.namespace_selector)
        found: set[int] = set()
        for ns in spaces:
            found.update(self.select_pods(ns, pods))
        result = frozenset(found)
        self._peer_cache[key] = (peer.pod_selector, peer.namespace_selector, result)
        return result

    def _index_policies(self) -> None:
        for policy in sorted(self.manifests.policies, key=lambda p: p.ident):
            selected = self.select_pods(policy.namespace, policy.pod_selector)
            if not selected:
                continue
            infos_in = [self._rule_info(policy, rule) for rule in policy.ingress]
            infos_out = [self._rule_info(policy, rule) for rule in policy.egress]
            for index in selected:
                self.selected_by.setdefault(index, []).append(policy)
                if policy.isolates_ingress:
                    self.ingress_isolated.add(index)
                    self.ingress_rules.setdefault(index, []).extend(infos_in)
                if policy.isolates_egress:
                    self.egress_isolated.add(index)
                    self.egress_rules.setdefault(index, []).extend(infos_out)

    def _fixed_ports(self, specs: tuple[PortSpec, ...] | None) -> PortSet | None:
        if specs is None:
            return _ALL
        if any(isinstance(spec.port, str) for spec in specs):
            return None
        cached = self._spec_cache.get(specs)
        if cached is None:
            cached = self.resolve_ports(specs, ())
            self._spec_cache[specs] = cached
        return cached

    def _ports_for(self, info: _RuleInfo, ports: tuple[ContainerPort, ...] | None) -> PortSet:
        return info.fixed if info.fixed is not None else self.resolve_ports(info.rule.ports, ports)

    def _rule_info(self, policy: Policy, rule: Rule) -> _RuleInfo:
        fixed = self._fixed_ports(rule.ports)
        if rule.peers is None:
            return _RuleInfo(policy, rule, None, None, fixed)
        classes: set[int] = set()
        blocks: list[IpBlock] = []
        for peer in rule.peers:
            if peer.ip_block is not None:
                blocks.append(peer.ip_block)
            else:
                classes.update(self.peer_classes(policy.namespace, peer))
        return _RuleInfo(policy, rule, frozenset(classes), tuple(blocks), fixed)

    # -- ports ----------------------------------------------------------------------------

    def resolve_ports(
        self, specs: tuple[PortSpec, ...] | None, ports: tuple[ContainerPort, ...] | None
    ) -> PortSet:
        """The ports ``specs`` allow on a destination with container ``ports``.

        ``ports`` of None is an external destination: named ports match nothing there.
        """
        if specs is None:
            return _ALL
        # Named ports depend on the destination; numeric ones do not.
        target: object = ports if any(isinstance(spec.port, str) for spec in specs) else None
        key = (id(specs), id(target))
        hit = self._port_cache.get(key)
        if hit is not None and hit[0] is specs and hit[1] is target:
            return hit[2]
        result = PortSet.empty()
        for spec in specs:
            if spec.port is None:
                result = result.union(PortSet.whole(spec.protocol))
            elif isinstance(spec.port, int):
                result = result.union(PortSet.single(spec.protocol, spec.port, spec.end_port))
            elif ports is not None:
                for declared in ports:
                    if declared.name == spec.port and declared.protocol == spec.protocol:
                        result = result.union(PortSet.single(declared.protocol, declared.port))
        self._port_cache[key] = (specs, target, result)
        return result

    # -- reachability ---------------------------------------------------------------------

    def _ingress_by_source(self, dst: int) -> dict[int, PortSet] | None:
        """For an ingress-isolated class: allowed ports per source class (None: everything)."""
        if dst not in self.ingress_isolated:
            return None
        ports = self.classes[dst].ports
        table: dict[int, PortSet] = {}
        every: PortSet = PortSet.empty()
        for info in self.ingress_rules.get(dst, []):
            allowed = self._ports_for(info, ports)
            if not allowed:
                continue
            if info.classes is None:
                every = every.union(allowed)
                continue
            for src in info.classes:
                previous = table.get(src)
                table[src] = allowed if previous is None else previous.union(allowed)
        if every:
            for src in range(len(self.classes)):
                previous = table.get(src)
                table[src] = every if previous is None else previous.union(every)
        return table

    def _egress_by_destination(self, src: int) -> dict[int, PortSet] | None:
        """For an egress-isolated class: allowed ports per destination class (None: all)."""
        if src not in self.egress_isolated:
            return None
        table: dict[int, PortSet] = {}
        for info in self.egress_rules.get(src, []):
            targets = range(len(self.classes)) if info.classes is None else info.classes
            for dst in targets:
                allowed = self._ports_for(info, self.classes[dst].ports)
                if not allowed:
                    continue
                previous = table.get(dst)
                table[dst] = allowed if previous is None else previous.union(allowed)
        return table

    @without_gc
    def run(self) -> Reachability:
        """Compute every allowed pair and external access."""
        count = len(self.classes)
        ingress = [self._ingress_by_source(d) for d in range(count)]
        pairs: dict[tuple[int, int], PortSet] = {}
        for src in range(count):
            if src in self.unrestricted:
                pairs.update(((src, dst), _ALL) for dst in range(count))
                continue
            egress = self._egress_by_destination(src)
            targets = egress.items() if egress is not None else ((d, _ALL) for d in range(count))
            for dst, out_ports in targets:
                table = ingress[dst]
                if table is None:
                    allowed = out_ports
                else:
                    in_ports = table.get(src)
                    if in_ports is None:
                        continue
                    allowed = out_ports.intersection(in_ports)
                if allowed:
                    pairs[(src, dst)] = allowed
            pairs.update(((src, dst), _ALL) for dst in self.unrestricted)
        egress_ext: dict[int, list[ExternalAccess]] = {}
        ingress_ext: dict[int, list[ExternalAccess]] = {}
        for index in range(count):
            out = self._external(index, self.egress_isolated, self.egress_rules)
            if out:
                egress_ext[index] = out
            inc = self._external(index, self.ingress_isolated, self.ingress_rules)
            if inc:
                ingress_ext[index] = inc
        return Reachability(
            self.classes, pairs, egress_ext, ingress_ext, dict(self.class_of), self.unrestricted
        )

    def _external(
        self, index: int, isolated: set[int], rules: dict[int, list[_RuleInfo]]
    ) -> list[ExternalAccess]:
        if index not in isolated or index in self.unrestricted:
            return external_partition([(None, _ALL)])
        # Ingress: named ports resolve on this pod (the destination); egress: the destination
        # is outside the cluster, where a named port names nothing.
        own = self.classes[index].ports if rules is self.ingress_rules else None
        pieces: list[tuple[IpBlock | None, PortSet]] = []
        for info in rules.get(index, []):
            allowed = self._ports_for(info, own)
            if not allowed:
                continue
            if info.blocks is None:
                pieces.append((None, allowed))
            else:
                pieces.extend((block, allowed) for block in info.blocks)
        return external_partition(pieces)

    # -- explanations ---------------------------------------------------------------------

    def explain(self, src: int, dst: int) -> tuple[list[RuleRef], list[RuleRef]]:
        """The egress rules at ``src`` and ingress rules at ``dst`` that allow something."""
        if src in self.unrestricted or dst in self.unrestricted:
            note = RuleRef(None, "egress", None, _ALL, HOST_NETWORK_NOTE)
            return [note], [RuleRef(None, "ingress", None, _ALL, HOST_NETWORK_NOTE)]
        out_refs: list[RuleRef] = []
        if src not in self.egress_isolated:
            out_refs.append(RuleRef(None, "egress", None, _ALL))
        else:
            for info in self.egress_rules.get(src, []):
                if info.classes is None or dst in info.classes:
                    ports = self.resolve_ports(info.rule.ports, self.classes[dst].ports)
                    if ports:
                        out_refs.append(RuleRef(info.policy, "egress", info.rule, ports))
        in_refs: list[RuleRef] = []
        if dst not in self.ingress_isolated:
            in_refs.append(RuleRef(None, "ingress", None, _ALL))
        else:
            for info in self.ingress_rules.get(dst, []):
                if info.classes is None or src in info.classes:
                    ports = self.resolve_ports(info.rule.ports, self.classes[dst].ports)
                    if ports:
                        in_refs.append(RuleRef(info.policy, "ingress", info.rule, ports))
        return out_refs, in_refs

    def explain_external(self, index: int, direction: str) -> list[RuleRef]:
        """The rules letting ``index`` reach (egress) or be reached from (ingress) outside."""
        isolated = self.egress_isolated if direction == "egress" else self.ingress_isolated
        rules = self.egress_rules if direction == "egress" else self.ingress_rules
        if index in self.unrestricted:
            return [RuleRef(None, direction, None, _ALL, HOST_NETWORK_NOTE)]
        if index not in isolated:
            return [RuleRef(None, direction, None, _ALL)]
        own = self.classes[index].ports if direction == "ingress" else None
        refs: list[RuleRef] = []
        for info in rules.get(index, []):
            if info.blocks is None or len(info.blocks) > 0:
                ports = self.resolve_ports(info.rule.ports, own)
                if ports:
                    refs.append(RuleRef(info.policy, direction, info.rule, ports))
        return refs


@without_gc
def analyse(
    manifests: ManifestSet, host_network: HostNetwork = HostNetwork.UNRESTRICTED
) -> Reachability:
    """Reachability of the workloads in ``manifests`` under its NetworkPolicies."""
    return Analyzer(manifests, host_network).run()


# -- external address partitions -----------------------------------------------------------

_FAMILIES = ((4, 2**32 - 1), (6, 2**128 - 1))


def _intervals(block: IpBlock | None, version: int, top: int) -> list[tuple[int, int]]:
    if block is None:
        return [(0, top)]
    if block.cidr.version != version:
        return []
    lo, hi = int(block.cidr.network_address), int(block.cidr.broadcast_address)
    pieces = [(lo, hi)]
    for hole in sorted(block.excepts, key=lambda n: int(n.network_address)):
        hlo, hhi = int(hole.network_address), int(hole.broadcast_address)
        next_pieces: list[tuple[int, int]] = []
        for a, b in pieces:
            if hhi < a or hlo > b:
                next_pieces.append((a, b))
                continue
            if hlo > a:
                next_pieces.append((a, hlo - 1))
            if hhi < b:
                next_pieces.append((hhi + 1, b))
        pieces = next_pieces
    return pieces


def _family_segments(
    pieces: Sequence[tuple[IpBlock | None, PortSet]], version: int, top: int
) -> list[tuple[int, int, PortSet]]:
    spans: list[tuple[int, int, PortSet]] = []
    for block, ports in pieces:
        spans.extend((a, b, ports) for a, b in _intervals(block, version, top))
    if not spans:
        return []
    cuts = sorted({a for a, _, _ in spans} | {b + 1 for _, b, _ in spans})
    segments: list[tuple[int, int, PortSet]] = []
    for lo, nxt in zip(cuts, cuts[1:], strict=False):
        hi = nxt - 1
        ports = PortSet.empty()
        for a, b, p in spans:
            if a <= lo and hi <= b:
                ports = ports.union(p)
        if ports:
            segments.append((lo, hi, ports))
    return segments


def _group(
    segments_by_family: Sequence[tuple[int, list[tuple[int, int, PortSet]]]],
) -> list[ExternalAccess]:
    grouped: dict[PortSet, list[str]] = {}
    for version, segments in segments_by_family:
        merged: list[tuple[int, int, PortSet]] = []
        for lo, hi, ports in segments:
            if merged and merged[-1][1] + 1 == lo and merged[-1][2] == ports:
                merged[-1] = (merged[-1][0], hi, ports)
            else:
                merged.append((lo, hi, ports))
        address = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
        for lo, hi, ports in merged:
            for network in ipaddress.summarize_address_range(address(lo), address(hi)):
                grouped.setdefault(ports, []).append(str(network))
    result = [ExternalAccess(tuple(cidrs), ports) for ports, cidrs in grouped.items()]
    result.sort(key=lambda e: (e.cidrs, e.ports.labels()))
    return result


def external_partition(pieces: Sequence[tuple[IpBlock | None, PortSet]]) -> list[ExternalAccess]:
    """Normalise (address block, ports) pieces into disjoint CIDR groups with equal ports.

    A block of None means every external address. The result is canonical: two inputs that
    allow the same ports to the same addresses give equal lists.
    """
    return _group([(v, _family_segments(pieces, v, top)) for v, top in _FAMILIES])


def _pieces(accesses: Sequence[ExternalAccess]) -> list[tuple[IpBlock | None, PortSet]]:
    return [
        (IpBlock(ipaddress.ip_network(cidr)), access.ports)
        for access in accesses
        for cidr in access.cidrs
    ]


def external_difference(
    left: Sequence[ExternalAccess], right: Sequence[ExternalAccess]
) -> list[ExternalAccess]:
    """What ``left`` allows to external addresses that ``right`` does not."""
    out: list[tuple[int, list[tuple[int, int, PortSet]]]] = []
    for version, top in _FAMILIES:
        a = _family_segments(_pieces(left), version, top)
        b = _family_segments(_pieces(right), version, top)
        cuts = sorted({s[0] for s in a + b} | {s[1] + 1 for s in a + b})
        segments: list[tuple[int, int, PortSet]] = []
        for lo, nxt in zip(cuts, cuts[1:], strict=False):
            hi = nxt - 1
            mine = next((p for x, y, p in a if x <= lo and hi <= y), PortSet.empty())
            theirs = next((p for x, y, p in b if x <= lo and hi <= y), PortSet.empty())
            rest = mine.difference(theirs)
            if rest:
                segments.append((lo, hi, rest))
        out.append((version, segments))
    return _group(out)
