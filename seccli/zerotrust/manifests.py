"""Reading Kubernetes manifests into the analyser's model: namespaces, workloads and policies.

Workloads come from Pods and pod-bearing controllers (Deployment, StatefulSet, DaemonSet, Job,
CronJob, ReplicaSet, ReplicationController); namespaces from Namespace objects, with the implicit
``kubernetes.io/metadata.name`` label (namespaces only referenced get that label alone).
Malformed objects raise ``DocumentInvalid`` listing every problem with file, path and line;
other kinds are ignored. What is read is what the paths deploy: ``seccli.manifests`` builds
kustomizations and walks folders; every document is parsed in full (no text pre-filter).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccli.core.documents import Document, LoadLimits, detect_format, parse_documents
from seccli.core.errors import Problem, raise_if_problems
from seccli.core.location import DocPath, Location
from seccli.manifests import SourcedObject, collect_documents
from seccli.manifests.model import typed_list_item
from seccli.manifests.walk import SkippedFile, WalkOptions
from seccli.zerotrust.fastyaml import read_dialect
from seccli.zerotrust.gcpause import without_gc
from seccli.zerotrust.selectors import LabelSelector, Requirement

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
PROTOCOLS = ("TCP", "UDP", "SCTP")
_PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class SourceRef:
    """Where an object or rule was read: file, document path and line, computed on demand."""

    __slots__ = ("_document", "_path", "_location")

    def __init__(self, document: Document, path: DocPath) -> None:
        self._document = document
        self._path = path
        self._location: Location | None = None

    def location(self) -> Location:
        """The ``Location`` (file, line, document path)."""
        if self._location is None:
            self._location = self._document.locate(self._path)
        return self._location

    def __str__(self) -> str:
        return str(self.location())

    def __repr__(self) -> str:
        return f"SourceRef({self})"


@dataclass(frozen=True, slots=True)
class ContainerPort:
    """A declared container port."""

    port: int
    protocol: str = "TCP"
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Workload:
    """Pods that share labels and ports: a Pod or a controller's pod template."""

    namespace: str
    name: str
    kind: str
    labels: tuple[tuple[str, str], ...]
    ports: tuple[ContainerPort, ...] = ()
    location: SourceRef | None = field(default=None, compare=False)
    host_network: bool = False

    @property
    def ident(self) -> str:
        """``namespace/name``."""
        return f"{self.namespace}/{self.name}"

    @property
    def display(self) -> str:
        """``namespace/name[Kind]``: the workload as ``kubectl`` users name it."""
        return f"{self.namespace}/{self.name}[{self.kind}]"

    @property
    def label_map(self) -> dict[str, str]:
        """The labels as a dict."""
        return dict(self.labels)


@dataclass(frozen=True, slots=True)
class IpBlock:
    """A CIDR with exceptions."""

    cidr: IpNetwork
    excepts: tuple[IpNetwork, ...] = ()

    def describe(self) -> str:
        """``cidr`` or ``cidr except a, b``."""
        if not self.excepts:
            return str(self.cidr)
        return f"{self.cidr} except {', '.join(str(e) for e in self.excepts)}"


@dataclass(frozen=True, slots=True)
class Peer:
    """A ``from``/``to`` entry: pods (selectors ANDed) or an ipBlock."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IpBlock | None = None


@dataclass(frozen=True, slots=True)
class PortSpec:
    """A NetworkPolicyPort: protocol (default TCP), port number or name (None: all), endPort."""

    protocol: str = "TCP"
    port: int | str | None = None
    end_port: int | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """An ingress or egress rule; ``peers``/``ports`` of None match everything."""

    index: int
    peers: tuple[Peer, ...] | None
    ports: tuple[PortSpec, ...] | None
    location: SourceRef | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Policy:
    """A NetworkPolicy with its policy types resolved."""

    namespace: str
    name: str
    pod_selector: LabelSelector
    isolates_ingress: bool
    isolates_egress: bool
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()
    location: SourceRef | None = field(default=None, compare=False)

    @property
    def ident(self) -> str:
        """``namespace/name``."""
        return f"{self.namespace}/{self.name}"


@dataclass(slots=True)
class ManifestSet:
    """Everything the analyser needs from a set of manifests."""

    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)
    workloads: list[Workload] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    workloads_seen: set[Workload] = field(default_factory=set, repr=False)

    def namespace_labels(self, name: str) -> dict[str, str]:
        """Labels of ``name`` including the implicit ``kubernetes.io/metadata.name`` label."""
        labels = dict(self.namespaces.get(name, {}))
        labels[NAMESPACE_NAME_LABEL] = name
        return labels

    def all_namespaces(self) -> list[str]:
        """Declared and referenced namespaces, sorted."""
        names = set(self.namespaces)
        names.update(w.namespace for w in self.workloads)
        names.update(p.namespace for p in self.policies)
        return sorted(names)


def _parse(text: str, source: str, limits: LoadLimits) -> list[Document]:
    """seccli's own dialect by the fast reader (same values as the safe loader), else the latter."""
    fast = read_dialect(text, source, limits.max_depth)
    if fast is not None:
        return fast
    return parse_documents(text, source, fmt=detect_format(source), limits=limits)


@without_gc
def load_manifests(
    paths: Sequence[Path],
    limits: LoadLimits | None = None,
    *,
    root: Path | None = None,
    options: WalkOptions | None = None,
) -> ManifestSet:
    """Load what ``paths`` deploy; ``DocumentInvalid`` lists every problem.

    Folders with a kustomization are built as ``kubectl kustomize`` builds them, other folders
    read as ``kubectl apply -R -f`` reads them (``seccli.manifests``); every document is parsed
    in full. ``files`` of the result names the files that made the build, ``skipped`` the
    walked files that were not manifests; ``options`` say what a folder walk leaves out.
    """
    build = collect_documents(paths, limits=limits, root=root, parser=_parse, options=options)
    result = build_objects(build.objects)
    result.files = list(build.files)
    result.skipped = list(build.skipped)
    return result


@without_gc
def build_manifest_set(documents: Iterable[Document]) -> ManifestSet:
    """Build the model from parsed documents, collecting every problem before raising."""
    objects = (
        SourcedObject(obj, document, base)
        for document in documents
        for obj, base in _objects(document.data, ())
    )
    return build_objects(objects)


@without_gc
def build_objects(objects: Iterable[SourcedObject]) -> ManifestSet:
    """Build the model from collected objects, collecting every problem before raising."""
    result = ManifestSet()
    problems: list[Problem] = []
    selectors: dict[int, tuple[Any, LabelSelector]] = {}
    for obj in objects:
        reader = _Reader(obj.document, obj.path, problems, selectors)
        reader.read(obj.data, result)
    raise_if_problems(problems)
    _check_duplicates(result, problems)
    raise_if_problems(problems)
    return result


def _objects(data: Any, base: DocPath) -> Iterator[tuple[dict[str, Any], DocPath]]:
    if not isinstance(data, dict):
        return
    kind = data.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list):
        for index, item in enumerate(data["items"]):
            yield from _objects(typed_list_item(data, item), (*base, "items", index))
        return
    if "kind" in data:
        yield data, base


def _check_duplicates(result: ManifestSet, problems: list[Problem]) -> None:
    seen: dict[tuple[str, str], Policy] = {}
    for policy in result.policies:
        key = (policy.namespace, policy.name)
        first = seen.get(key)
        if first is not None:
            where = policy.location.location() if policy.location else Location("<input>")
            problems.append(
                Problem(
                    where,
                    f"duplicate NetworkPolicy {policy.ident} (first defined at {first.location})",
                )
            )
        else:
            seen[key] = policy


class _Reader:
    """Reads one object, appending problems with their location instead of raising."""

    def __init__(
        self,
        document: Document,
        base: DocPath,
        problems: list[Problem],
        selectors: dict[int, tuple[Any, LabelSelector]] | None = None,
    ) -> None:
        self.document = document
        self.base = base
        self.problems = problems
        # Parsed selectors by the identity of their (live, read-only) source mapping: readers
        # that share identical flow values make repeated selectors free.
        # The source is kept alongside, so its identity cannot be reused while cached.
        self.selectors: dict[int, tuple[Any, LabelSelector]] = (
            {} if selectors is None else selectors
        )

    def loc(self, *path: str | int) -> Location:
        return self.document.locate((*self.base, *path))

    def ref(self, *path: str | int) -> SourceRef:
        return SourceRef(self.document, (*self.base, *path))

    def fail(self, message: str, *path: str | int) -> None:
        self.problems.append(Problem(self.loc(*path), message))

    def read(self, obj: dict[str, Any], result: ManifestSet) -> None:
        kind = obj.get("kind")
        if not isinstance(kind, str):
            self.fail("kind must be a string", "kind")
            return
        if kind == "NetworkPolicy":
            policy = self.policy(obj)
            if policy is not None:
                result.policies.append(policy)
        elif kind == "Namespace":
            name, _ = self.metadata(obj, namespaced=False)
            labels = self.labels(obj.get("metadata", {}).get("labels"), "metadata", "labels")
            if name is not None and labels is not None:
                result.namespaces[name] = labels
        elif kind == "Pod" or kind in _TEMPLATE_PATHS:
            workload = self.workload(obj, kind)
            if workload is not None and workload not in result.workloads_seen:
                # Replicas of one controller (pods read from a cluster) are one workload.
                result.workloads_seen.add(workload)
                result.workloads.append(workload)

    # -- metadata -------------------------------------------------------------------------

    def metadata(self, obj: dict[str, Any], *, namespaced: bool) -> tuple[str | None, str]:
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            self.fail("metadata must be a mapping with a name", "metadata")
            return None, "default"
        name = meta.get("name")
        if not isinstance(name, str) or not name:
            self.fail("metadata.name must be a non-empty string", "metadata", "name")
            name = None
        namespace = meta.get("namespace", "default") if namespaced else ""
        if not isinstance(namespace, str) or (namespaced and not namespace):
            self.fail("metadata.namespace must be a non-empty string", "metadata", "namespace")
            namespace = "default"
        return name, namespace

    def labels(self, value: Any, *path: str | int) -> dict[str, str] | None:
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            self.fail("labels must map strings to strings", *path)
            return None
        return dict(value)

    # -- workloads ------------------------------------------------------------------------

    def workload(self, obj: dict[str, Any], kind: str) -> Workload | None:
        name, namespace = self.metadata(obj, namespaced=True)
        path: tuple[str | int, ...] = _TEMPLATE_PATHS.get(kind, ())
        template: Any = obj
        for part in path:
            template = template.get(part) if isinstance(template, dict) else None
        if not isinstance(template, dict):
            self.fail(f"{kind} needs a pod template at {'.'.join(map(str, path))}", *path)
            return None
        meta = template.get("metadata") or {}
        if not isinstance(meta, dict):
            self.fail("metadata must be a mapping", *path, "metadata")
            return None
        labels = self.labels(meta.get("labels"), *path, "metadata", "labels")
        spec = template.get("spec")
        if not isinstance(spec, dict):
            self.fail("the pod spec must be a mapping", *path, "spec")
            return None
        ports = self.container_ports(spec, (*path, "spec"))
        if name is None or labels is None or ports is None:
            return None
        if kind == "Pod":
            kind, name = controller_of(meta, name, labels)
        return Workload(
            namespace,
            name,
            kind,
            tuple(sorted(labels.items())),
            ports,
            self.ref("metadata"),
            host_network=spec.get("hostNetwork") is True,
        )

    def container_ports(
        self, spec: dict[str, Any], path: tuple[str | int, ...]
    ) -> tuple[ContainerPort, ...] | None:
        containers = spec.get("containers")
        if not isinstance(containers, list):
            self.fail("containers must be a list", *path, "containers")
            return None
        ports: list[ContainerPort] = []
        ok = True
        for ci, container in enumerate(containers):
            if not isinstance(container, dict):
                self.fail("a container must be a mapping", *path, "containers", ci)
                ok = False
                continue
            declared = container.get("ports") or []
            if not isinstance(declared, list):
                self.fail("ports must be a list", *path, "containers", ci, "ports")
                ok = False
                continue
            for pi, entry in enumerate(declared):
                here = (*path, "containers", ci, "ports", pi)
                port = self.container_port(entry, here)
                if port is None:
                    ok = False
                else:
                    ports.append(port)
        return tuple(ports) if ok else None

    def container_port(self, entry: Any, here: tuple[str | int, ...]) -> ContainerPort | None:
        if not isinstance(entry, dict):
            self.fail("a container port must be a mapping", *here)
            return None
        number: Any = entry.get("containerPort")
        if not _is_port(number):
            self.fail("containerPort must be an integer from 1 to 65535", *here, "containerPort")
            return None
        protocol = entry.get("protocol", "TCP")
        if protocol not in PROTOCOLS:
            self.fail(f"protocol must be one of {', '.join(PROTOCOLS)}", *here, "protocol")
            return None
        name = entry.get("name")
        if name is not None and (not isinstance(name, str) or not _valid_port_name(name)):
            self.fail(f"invalid port name {name!r}", *here, "name")
            return None
        return ContainerPort(number, protocol, name)

    # -- policies -------------------------------------------------------------------------

    def policy(self, obj: dict[str, Any]) -> Policy | None:
        before = len(self.problems)
        name, namespace = self.metadata(obj, namespaced=True)
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            self.fail("spec must be a mapping", "spec")
            return None
        if "podSelector" not in spec:
            self.fail("spec.podSelector is required ({} selects every pod)", "spec")
        pod_selector = self.selector(spec.get("podSelector"), "spec", "podSelector")
        ingress = self.rules(spec, "ingress", "from")
        egress = self.rules(spec, "egress", "to")
        types = spec.get("policyTypes")
        if types is None:
            isolates_ingress, isolates_egress = True, bool(egress)
        elif isinstance(types, list) and all(t in ("Ingress", "Egress") for t in types):
            isolates_ingress, isolates_egress = "Ingress" in types, "Egress" in types
        else:
            self.fail("policyTypes must be a list of Ingress and/or Egress", "spec", "policyTypes")
            return None
        if len(self.problems) != before or name is None or pod_selector is None:
            return None
        return Policy(
            namespace=namespace,
            name=name,
            pod_selector=pod_selector,
            isolates_ingress=isolates_ingress,
            isolates_egress=isolates_egress,
            ingress=tuple(ingress) if isolates_ingress else (),
            egress=tuple(egress) if isolates_egress else (),
            location=self.ref("metadata", "name"),
        )

    def selector(self, value: Any, *path: str | int) -> LabelSelector | None:
        if value is None:
            return LabelSelector()
        known = self.selectors.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        if type(value) is dict and len(value) == 1 and type(value.get("matchLabels")) is dict:
            # The common case, {"matchLabels": {...}} with string labels: no problem possible.
            labels = value["matchLabels"]
            if all(type(k) is str and type(v) is str for k, v in labels.items()):
                selector = _match_labels(tuple(sorted(labels.items())))
                self.selectors[id(value)] = (value, selector)
                return selector
        if not isinstance(value, dict):
            self.fail("a label selector must be a mapping", *path)
            return None
        unknown = sorted(set(value) - {"matchLabels", "matchExpressions"})
        if unknown:
            self.fail(f"unknown selector field {unknown[0]!r}", *path, unknown[0])
            return None
        labels = self.labels(value.get("matchLabels"), *path, "matchLabels")
        expressions: list[Requirement] = []
        raw = value.get("matchExpressions") or []
        if not isinstance(raw, list):
            self.fail("matchExpressions must be a list", *path, "matchExpressions")
            return None
        for index, expr in enumerate(raw):
            here = (*path, "matchExpressions", index)
            requirement = self.requirement(expr, here)
            if requirement is None:
                return None
            expressions.append(requirement)
        if labels is None:
            return None
        return LabelSelector(tuple(sorted(labels.items())), tuple(expressions))

    def requirement(self, expr: Any, here: tuple[str | int, ...]) -> Requirement | None:
        if not isinstance(expr, dict) or not isinstance(expr.get("key"), str):
            self.fail("a match expression needs a key, an operator and values", *here)
            return None
        operator = expr.get("operator")
        values = expr.get("values") or []
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            self.fail(f"unknown operator {operator!r}", *here, "operator")
            return None
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            self.fail("values must be a list of strings", *here, "values")
            return None
        if operator in ("In", "NotIn") and not values:
            self.fail(f"operator {operator} needs at least one value", *here, "values")
            return None
        if operator in ("Exists", "DoesNotExist") and values:
            self.fail(f"operator {operator} takes no values", *here, "values")
            return None
        return Requirement(expr["key"], operator, frozenset(values))

    def rules(self, spec: dict[str, Any], field_name: str, peers_name: str) -> list[Rule]:
        raw = spec.get(field_name)
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.fail(f"{field_name} must be a list of rules", "spec", field_name)
            return []
        rules: list[Rule] = []
        for index, entry in enumerate(raw):
            here: tuple[str | int, ...] = ("spec", field_name, index)
            if entry is None:
                entry = {}
            if not isinstance(entry, dict):
                self.fail("a rule must be a mapping", *here)
                continue
            unknown = sorted(set(entry) - {peers_name, "ports"})
            if unknown:
                self.fail(f"unknown field {unknown[0]!r} in a {field_name} rule", *here)
                continue
            peers = self.peers(entry.get(peers_name), (*here, peers_name))
            ports = self.ports(entry.get("ports"), (*here, "ports"))
            rules.append(Rule(index, peers, ports, self.ref(*here)))
        return rules

    def peers(self, raw: Any, here: tuple[str | int, ...]) -> tuple[Peer, ...] | None:
        if raw is None or raw == []:
            return None
        if not isinstance(raw, list):
            self.fail("peers must be a list", *here)
            return ()
        peers: list[Peer] = []
        for index, entry in enumerate(raw):
            at = (*here, index)
            if not isinstance(entry, dict) or not entry:
                self.fail("a peer needs podSelector, namespaceSelector or ipBlock", *at)
                continue
            unknown = [] if entry.keys() <= _PEER_FIELDS else sorted(set(entry) - _PEER_FIELDS)
            if unknown:
                self.fail(f"unknown peer field {unknown[0]!r}", *at, unknown[0])
                continue
            if "ipBlock" in entry:
                if len(entry) > 1:
                    self.fail("ipBlock cannot be combined with selectors in one peer", *at)
                    continue
                block = self.ip_block(entry["ipBlock"], (*at, "ipBlock"))
                if block is not None:
                    peers.append(Peer(ip_block=block))
                continue
            pods = (
                self.selector(entry["podSelector"], *at, "podSelector")
                if "podSelector" in entry
                else None
            )
            namespaces = (
                self.selector(entry["namespaceSelector"], *at, "namespaceSelector")
                if "namespaceSelector" in entry
                else None
            )
            peers.append(Peer(pod_selector=pods, namespace_selector=namespaces))
        return tuple(peers)

    def ip_block(self, raw: Any, here: tuple[str | int, ...]) -> IpBlock | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("cidr"), str):
            self.fail("ipBlock needs a cidr", *here)
            return None
        try:
            cidr = ipaddress.ip_network(raw["cidr"], strict=False)
        except ValueError:
            self.fail(f"invalid CIDR {raw['cidr']!r}", *here, "cidr")
            return None
        excepts: list[IpNetwork] = []
        raw_except = raw.get("except") or []
        if not isinstance(raw_except, list):
            self.fail("except must be a list of CIDRs", *here, "except")
            return None
        for index, item in enumerate(raw_except):
            try:
                network = ipaddress.ip_network(str(item), strict=False)
            except ValueError:
                self.fail(f"invalid CIDR {item!r}", *here, "except", index)
                return None
            if (
                network.version != cidr.version
                or not network.subnet_of(cidr)  # type: ignore[arg-type]
                or network == cidr
            ):
                self.fail(
                    f"except {item} must lie strictly inside cidr {raw['cidr']}",
                    *here,
                    "except",
                    index,
                )
                return None
            excepts.append(network)
        return IpBlock(cidr, tuple(excepts))

    def ports(self, raw: Any, here: tuple[str | int, ...]) -> tuple[PortSpec, ...] | None:
        if raw is None or raw == []:
            return None
        if not isinstance(raw, list):
            self.fail("ports must be a list", *here)
            return ()
        specs: list[PortSpec] = []
        for index, entry in enumerate(raw):
            at = (*here, index)
            spec = self.port_spec(entry, at)
            if spec is not None:
                specs.append(spec)
        return tuple(specs)

    def port_spec(self, entry: Any, at: tuple[str | int, ...]) -> PortSpec | None:
        if entry is None:
            entry = {}
        if not isinstance(entry, dict):
            self.fail("a port entry must be a mapping", *at)
            return None
        unknown = sorted(set(entry) - {"protocol", "port", "endPort"})
        if unknown:
            self.fail(f"unknown port field {unknown[0]!r}", *at, unknown[0])
            return None
        protocol = entry.get("protocol", "TCP")
        if protocol not in PROTOCOLS:
            self.fail(f"protocol must be one of {', '.join(PROTOCOLS)}", *at, "protocol")
            return None
        port = entry.get("port")
        if isinstance(port, str) and port.isdigit():
            port = int(port)
        if (
            port is not None
            and not _is_port(port)
            and (not isinstance(port, str) or not _valid_port_name(port))
        ):
            self.fail("port must be a number from 1 to 65535 or a port name", *at, "port")
            return None
        end_port = entry.get("endPort")
        if end_port is not None:
            if not _is_port(end_port):
                self.fail("endPort must be an integer from 1 to 65535", *at, "endPort")
                return None
            if not isinstance(port, int):
                self.fail("endPort needs a numeric port", *at, "endPort")
                return None
            if end_port < port:
                self.fail(f"endPort {end_port} is below port {port}", *at, "endPort")
                return None
        return PortSpec(protocol, port, end_port)


_PEER_FIELDS = frozenset({"podSelector", "namespaceSelector", "ipBlock"})
_SELECTORS: dict[tuple[tuple[str, str], ...], LabelSelector] = {}


def _match_labels(items: tuple[tuple[str, str], ...]) -> LabelSelector:
    selector = _SELECTORS.get(items)
    if selector is None:
        selector = LabelSelector(items)
        if len(_SELECTORS) < 100_000:
            _SELECTORS[items] = selector
    return selector


# A CronJob names its Jobs ``<cronjob>-<scheduled time in minutes>``.
_CRONJOB_JOB = re.compile(r"^(?P<cronjob>.+)-\d{8,}$")


def controller_of(meta: dict[str, Any], name: str, labels: dict[str, str]) -> tuple[str, str]:
    """(kind, name) of the controller a pod belongs to, as ``kubectl`` users name it.

    A pod read from a cluster names its controller in ``ownerReferences``: a ReplicaSet
    ``web-5d9c7b8f4`` created by a Deployment (its ``pod-template-hash`` label) is Deployment
    ``web``; a Job created by a CronJob (a scheduled-time suffix) is that CronJob; StatefulSet,
    DaemonSet, ReplicaSet and Job pods are named by those. A bare pod stays a Pod.
    """
    owners = meta.get("ownerReferences")
    if not isinstance(owners, list):
        return "Pod", name
    controller = next(
        (
            o
            for o in owners
            if isinstance(o, dict)
            and o.get("controller") is True
            and isinstance(o.get("kind"), str)
            and isinstance(o.get("name"), str)
            and o["name"]
        ),
        None,
    )
    if controller is None:
        return "Pod", name
    kind, owner = str(controller["kind"]), str(controller["name"])
    template_hash = labels.get("pod-template-hash")
    if kind == "ReplicaSet" and template_hash and owner.endswith("-" + template_hash):
        return "Deployment", owner[: -len(template_hash) - 1]
    if kind == "Job":
        scheduled = _CRONJOB_JOB.match(owner)
        if scheduled is not None:
            return "CronJob", scheduled.group("cronjob")
    return kind, owner


def _is_port(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


def _valid_port_name(name: str) -> bool:
    return len(name) <= 15 and "--" not in name and bool(_PORT_NAME.match(name))
