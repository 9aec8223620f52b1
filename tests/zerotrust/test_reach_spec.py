"""NetworkPolicy reachability as Kubernetes enforces it (the NetworkPolicy v1 API reference and
the documented netpol-analyzer behaviour), expectations computed by hand from the spec:

- every peer kind (ipBlock, podSelector, namespaceSelector, both) x every port kind (number,
  name, range with endPort, protocol only, named port of another protocol), in both
  directions; a named port always resolves on the destination pod, also for traffic from an
  ipBlock (outside the cluster);
- typed and generic ``*List`` documents, items without their own kind;
- an input without workloads is an input error, never "total isolation";
- host-network pods kept, flagged, unrestricted by default, or analysed as pods;
- workloads named by their controller.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seccli.core.documents import parse_documents
from seccli.zerotrust.analyzer import Reachability, analyse
from seccli.zerotrust.hostnet import HostNetwork
from seccli.zerotrust.manifests import build_manifest_set
from tests.capture import run_main as run

ALL = ["SCTP/*", "TCP/*", "UDP/*"]

WORLD = """
apiVersion: v1
kind: Namespace
metadata: {name: c, labels: {team: green}}
---
apiVersion: v1
kind: Namespace
metadata: {name: d, labels: {team: gold}}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: c, labels: {app: client}}
spec: {containers: [{name: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: d, labels: {app: client}}
spec: {containers: [{name: c}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: server, namespace: d}
spec:
  template:
    metadata: {labels: {app: server}}
    spec:
      containers:
      - name: c
        ports:
        - {name: http, containerPort: 8080}
        - {name: dns, containerPort: 53, protocol: UDP}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: other, namespace: d}
spec:
  template:
    metadata: {labels: {app: other}}
    spec:
      containers: [{name: c, ports: [{name: http, containerPort: 8181}]}]
"""

PEERS = {
    "ipBlock": "{ipBlock: {cidr: 0.0.0.0/0}}",
    "podSelector": "{podSelector: {matchLabels: {app: client}}}",
    "namespaceSelector": "{namespaceSelector: {matchLabels: {team: green}}}",
    "both": "{namespaceSelector: {matchLabels: {team: green}}, "
    "podSelector: {matchLabels: {app: client}}}",
}
# Which sources each ingress peer of a policy in namespace d matches.
INGRESS_SOURCES = {
    "ipBlock": set(),  # only addresses outside the cluster
    "podSelector": {"d/client"},  # a podSelector alone selects in the policy's namespace
    "namespaceSelector": {"c/client"},
    "both": {"c/client"},  # ANDed within one peer
}
PORTS = {
    "number": ("{port: 8080}", {"d/server": ["TCP/8080"], "d/other": ["TCP/8080"]}),
    "name": ("{port: http}", {"d/server": ["TCP/8080"], "d/other": ["TCP/8181"]}),
    "range": (
        "{port: 8000, endPort: 8100}",
        {"d/server": ["TCP/8000-8100"], "d/other": ["TCP/8000-8100"]},
    ),
    "udp-number": ("{protocol: UDP, port: 53}", {"d/server": ["UDP/53"], "d/other": ["UDP/53"]}),
    "udp-name": ("{protocol: UDP, port: dns}", {"d/server": ["UDP/53"], "d/other": []}),
    "name-wrong-protocol": ("{protocol: TCP, port: dns}", {"d/server": [], "d/other": []}),
    "protocol-only": ("{protocol: SCTP}", {"d/server": ["SCTP/*"], "d/other": ["SCTP/*"]}),
}
SOURCES = ("c/client", "d/client")
SERVERS = ("d/server", "d/other")


def reach(
    policies: str, world: str = WORLD, mode: HostNetwork = HostNetwork.UNRESTRICTED
) -> Reachability:
    docs = parse_documents(world + "\n---\n" + policies, "spec.yaml")
    return analyse(build_manifest_set(docs), mode)


def allowed(result: Reachability, src: str, dst: str) -> list[str]:
    return result.allowed(src, dst).labels()


def external(result: Reachability, ident: str, direction: str) -> dict[tuple[str, ...], list[str]]:
    return {
        access.cidrs: access.ports.labels()
        for workload, way, access in result.external()
        if workload.ident == ident and way == direction
    }


@pytest.mark.parametrize("port_kind", sorted(PORTS))
@pytest.mark.parametrize("peer_kind", sorted(PEERS))
def test_ingress_every_peer_kind_by_every_port_kind(peer_kind: str, port_kind: str) -> None:
    port, by_server = PORTS[port_kind]
    result = reach(
        f"""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: in, namespace: d}}
spec:
  podSelector: {{}}
  policyTypes: [Ingress]
  ingress: [{{from: [{PEERS[peer_kind]}], ports: [{port}]}}]
"""
    )
    for server in SERVERS:
        want = by_server[server]
        for source in SOURCES:
            expected = want if source in INGRESS_SOURCES[peer_kind] else []
            assert allowed(result, source, server) == expected, (source, server)
        from_outside = external(result, server, "ingress")
        if peer_kind == "ipBlock" and want:
            # The named port resolves on the destination pod, from outside the cluster too.
            assert from_outside == {("0.0.0.0/0",): want}, server
        else:
            assert from_outside == {}, server
        # Egress is not isolated: the servers reach everything.
        assert allowed(result, server, "c/client") == ALL


# Which destinations each egress peer of a policy in namespace d matches (from d/client).
EGRESS_PEERS = {
    "ipBlock": ("{ipBlock: {cidr: 203.0.113.0/24}}", set()),
    "podSelector": ("{podSelector: {matchLabels: {app: server}}}", {"d/server"}),
    "namespaceSelector": (
        "{namespaceSelector: {matchLabels: {team: gold}}}",
        {"d/server", "d/other"},
    ),
    "both": (
        "{namespaceSelector: {matchLabels: {team: gold}}, "
        "podSelector: {matchLabels: {app: other}}}",
        {"d/other"},
    ),
}


@pytest.mark.parametrize("port_kind", sorted(PORTS))
@pytest.mark.parametrize("peer_kind", sorted(EGRESS_PEERS))
def test_egress_every_peer_kind_by_every_port_kind(peer_kind: str, port_kind: str) -> None:
    port, by_server = PORTS[port_kind]
    peer, targets = EGRESS_PEERS[peer_kind]
    result = reach(
        f"""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: out, namespace: d}}
spec:
  podSelector: {{matchLabels: {{app: client}}}}
  policyTypes: [Egress]
  egress: [{{to: [{peer}], ports: [{port}]}}]
"""
    )
    for server in SERVERS:
        expected = by_server[server] if server in targets else []
        assert allowed(result, "d/client", server) == expected, server
        assert allowed(result, "c/client", server) == ALL  # not selected: not isolated
    out = external(result, "d/client", "egress")
    numeric = port_kind not in ("name", "udp-name", "name-wrong-protocol")
    if peer_kind == "ipBlock" and numeric:
        assert out == {("203.0.113.0/24",): by_server["d/server"]}
    else:
        # A named port names a port of a pod; an address outside the cluster has none.
        assert out == {}


def test_named_port_from_an_ip_block_with_except_resolves_per_destination() -> None:
    result = reach(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: in, namespace: d}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
    ports: [{port: http}, {port: 9999, protocol: UDP}]
"""
    )
    server = external(result, "d/server", "ingress")
    other = external(result, "d/other", "ingress")
    assert list(server.values()) == [["TCP/8080", "UDP/9999"]]
    assert list(other.values()) == [["TCP/8181", "UDP/9999"]]
    cidrs = next(iter(server))
    assert "10.1.0.0/16" not in cidrs and "10.0.0.0/16" in cidrs
    # d/client declares no ports: only the numeric port is open to it from that block.
    assert list(external(result, "d/client", "ingress").values()) == [["UDP/9999"]]


def test_named_port_with_no_matching_container_port_allows_nothing_there() -> None:
    result = reach(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: in, namespace: d}
spec:
  podSelector: {}
  ingress: [{ports: [{port: grpc}]}]
"""
    )
    for source in SOURCES:
        for server in SERVERS:
            assert allowed(result, source, server) == []
    assert external(result, "d/server", "ingress") == {}


# -- lists ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "state.db"))
    monkeypatch.chdir(tmp_path)


LISTS = {
    "PodList": """
apiVersion: v1
kind: PodList
items:
- metadata: {name: web, namespace: shop, labels: {app: web}}
  spec: {containers: [{name: c, ports: [{containerPort: 80, name: http}]}]}
- metadata: {name: client, namespace: shop, labels: {app: client}}
  spec: {containers: [{name: c}]}
""",
    "NamespaceList": """
apiVersion: v1
kind: NamespaceList
items:
- metadata: {name: shop, labels: {zone: inside}}
""",
    "NetworkPolicyList": """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicyList
items:
- metadata: {name: web, namespace: shop}
  spec:
    podSelector: {matchLabels: {app: web}}
    ingress: [{from: [{namespaceSelector: {matchLabels: {zone: inside}}}], ports: [{port: http}]}]
""",
}


@pytest.mark.parametrize("form", ["typed", "generic", "kubectl-json"])
def test_every_list_kind_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    import yaml

    names = []
    for index, (kind, text) in enumerate(LISTS.items()):
        document = yaml.safe_load(text)
        if form != "typed":  # kubectl get -o yaml/json: kind List, items with their own kind
            for item in document["items"]:
                item["kind"] = kind[: -len("List")]
                item["apiVersion"] = document["apiVersion"]
            document = {"apiVersion": "v1", "kind": "List", "items": document["items"]}
        name = tmp_path / (f"{index}.json" if form == "kubectl-json" else f"{index}.yaml")
        text = json.dumps(document) if form == "kubectl-json" else yaml.safe_dump(document)
        name.write_text(text)
        names.append(str(name))
    code, out, err = run(capsys, "netpol", "reach", *names, "-f", "json")
    assert code == 0, err
    payload = json.loads(out)
    assert {w["id"] for w in payload["workloads"]} == {"shop/web", "shop/client"}
    edges = {(e["src"], e["dst"]): e["ports"] for e in payload["edges"]}
    # The namespace's labels (from the NamespaceList) let the policy admit its pods, on the
    # named port resolved on web.
    assert edges[("shop/client", "shop/web")] == {"TCP": ["80"]}
    assert ("shop/web", "shop/client") in edges  # egress is not isolated


def test_deployment_list_items_without_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "deploys.yaml").write_text(
        """
apiVersion: apps/v1
kind: DeploymentList
items:
- metadata: {name: a, namespace: n}
  spec: {template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c}]}}}
- apiVersion: apps/v1
  kind: StatefulSet
  metadata: {name: b, namespace: n}
  spec: {template: {metadata: {labels: {app: b}}, spec: {containers: [{name: c}]}}}
"""
    )
    code, out, err = run(capsys, "netpol", "reach", "deploys.yaml", "-f", "json")
    assert code == 0, err
    kinds = {w["id"]: w["kind"] for w in json.loads(out)["workloads"]}
    assert kinds == {"n/a": "Deployment", "n/b": "StatefulSet"}  # an item's own kind wins


def test_a_generic_list_item_without_kind_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "list.yaml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n- metadata: {name: a}\n  spec: {containers: []}\n"
    )
    code, _, err = run(capsys, "netpol", "reach", "list.yaml")
    assert code == 2 and "kind" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "text",
    [
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
        "apiVersion: v1\nkind: PodList\nitems: []\n",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicyList\nitems:\n"
        "- metadata: {name: deny, namespace: x}\n  spec: {podSelector: {}}\n",
        "apiVersion: v1\nkind: NamespaceList\nitems:\n- metadata: {name: x}\n",
    ],
    ids=["configmap", "empty-podlist", "policies-only", "namespaces-only"],
)
def test_no_workload_is_an_input_error_not_isolation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    (tmp_path / "in.yaml").write_text(text)
    for output in ("table", "json", "dot"):
        code, out, err = run(capsys, "netpol", "reach", "in.yaml", "-f", output)
        assert code == 2, (output, out)
        assert ("no workloads" in err or "no Kubernetes manifests" in err) and out == ""


# -- host network -----------------------------------------------------------------------------

HOST = """
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: a, labels: {app: web}}
spec: {containers: [{name: c, ports: [{containerPort: 80}]}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: a}
spec:
  template:
    metadata: {labels: {app: agent}}
    spec: {hostNetwork: true, containers: [{name: c, ports: [{containerPort: 9100}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: a}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-agent, namespace: a}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {matchLabels: {app: agent}}}], ports: [{port: 80}]}]
"""


def test_host_network_pods_are_unrestricted_by_default() -> None:
    docs = parse_documents(HOST, "host.yaml")
    result = analyse(build_manifest_set(docs))
    assert allowed(result, "a/agent", "a/web") == ALL  # not governed by NetworkPolicy
    assert allowed(result, "a/web", "a/agent") == ALL
    assert external(result, "a/agent", "egress") == {("0.0.0.0/0", "::/0"): ALL}
    assert external(result, "a/agent", "ingress") == {("0.0.0.0/0", "::/0"): ALL}
    assert external(result, "a/web", "egress") == {}  # web stays isolated from the rest
    agent = next(w for w in result.workloads() if w.ident == "a/agent")
    assert agent.host_network and result.is_unrestricted(agent)


def test_host_network_as_pods_follows_the_policies() -> None:
    docs = parse_documents(HOST, "host.yaml")
    result = analyse(build_manifest_set(docs), HostNetwork.AS_PODS)
    assert allowed(result, "a/agent", "a/web") == []  # the agent's egress is denied
    assert allowed(result, "a/web", "a/agent") == []
    assert external(result, "a/agent", "egress") == {}
    agent = next(w for w in result.workloads() if w.ident == "a/agent")
    assert agent.host_network and not result.is_unrestricted(agent)
    opened = parse_documents(
        HOST
        + """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: agent-out, namespace: a}
spec:
  podSelector: {matchLabels: {app: agent}}
  policyTypes: [Egress]
  egress: [{}]
""",
        "host.yaml",
    )
    as_pods = analyse(build_manifest_set(opened), HostNetwork.AS_PODS)
    assert allowed(as_pods, "a/agent", "a/web") == ["TCP/80"]  # selected as a pod by web's rule


def test_host_network_cli_flags_and_notes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "host.yaml").write_text(HOST)
    code, out, err = run(capsys, "netpol", "reach", "host.yaml", "-f", "json")
    assert code == 0, err
    payload = json.loads(out)
    flags = {w["id"]: (w["hostNetwork"], w["unrestricted"]) for w in payload["workloads"]}
    assert flags == {"a/agent": (True, True), "a/web": (False, False)}
    assert payload["hostNetwork"] == "unrestricted"
    notes = payload["notes"]
    assert any("a/agent[DaemonSet]" in note and "host network" in note for note in notes)
    code, out, _ = run(
        capsys, "netpol", "reach", "host.yaml", "--host-network", "as-pods", "-f", "json"
    )
    as_pods = json.loads(out)
    assert as_pods["hostNetwork"] == "as-pods"
    assert not any(e["src"] == "a/agent" for e in as_pods["edges"])
    code, out, _ = run(capsys, "netpol", "reach", "host.yaml")
    assert code == 0 and "note: a/agent[DaemonSet]: host network" in out
    code, _, err = run(capsys, "netpol", "reach", "host.yaml", "--host-network", "ignore")
    assert code == 2


# -- controllers ------------------------------------------------------------------------------


def _pod(name: str, labels: str, owner: str | None) -> str:
    owners = f"\n  ownerReferences: [{owner}]" if owner else ""
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: n\n"
        f"  labels: {{{labels}}}{owners}\nspec: {{containers: [{{name: c}}]}}\n"
    )


def _owner(kind: str, name: str, controller: bool = True) -> str:
    flag = str(controller).lower()
    return f"{{apiVersion: apps/v1, kind: {kind}, name: {name}, uid: u, controller: {flag}}}"


WEB_LABELS = "app: web, pod-template-hash: 5d9c7b8f4"


def test_pods_from_a_cluster_are_named_by_their_controller() -> None:
    pods = "---\n".join(
        [
            _pod("web-5d9c7b8f4-abcde", WEB_LABELS, _owner("ReplicaSet", "web-5d9c7b8f4")),
            _pod("web-5d9c7b8f4-fghij", WEB_LABELS, _owner("ReplicaSet", "web-5d9c7b8f4")),
            _pod("db-0", "app: db", _owner("StatefulSet", "db")),
            _pod("agent-x7k2p", "app: agent", _owner("DaemonSet", "agent")),
            _pod("nightly-28900000-q2w3e", "app: nightly", _owner("Job", "nightly-28900000")),
            _pod("migrate-k8s9d", "app: migrate", _owner("Job", "migrate")),
            _pod("legacy-abc12", "app: legacy", _owner("ReplicaSet", "legacy")),
            _pod("adopted", "app: adopted", _owner("ReplicaSet", "rs", controller=False)),
            _pod("debug", "app: debug", None),
        ]
    )
    workloads = build_manifest_set(parse_documents(pods, "pods.yaml")).workloads
    named = sorted((w.kind, w.name) for w in workloads)
    assert named == [
        ("CronJob", "nightly"),
        ("DaemonSet", "agent"),
        ("Deployment", "web"),  # two replicas, one workload
        ("Job", "migrate"),
        ("Pod", "adopted"),  # an owner that is not the controller does not name it
        ("Pod", "debug"),
        ("ReplicaSet", "legacy"),  # no pod-template-hash: not known to be a Deployment's
        ("StatefulSet", "db"),
    ]
    assert {w.display for w in workloads} >= {"n/web[Deployment]", "n/debug[Pod]"}


def test_a_named_port_to_an_ip_block_is_explained(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "in.yaml").write_text(
        WORLD
        + """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: d}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 203.0.113.0/24}}]
    ports: [{port: https}, {port: 8443}]
  - to: [{podSelector: {}}]
    ports: [{port: http}]
"""
    )
    code, out, err = run(capsys, "netpol", "reach", "in.yaml", "-f", "json")
    assert code == 0, err
    payload = json.loads(out)
    notes = payload["notes"]
    assert len(notes) == 1  # the pod-selector rule's named port is resolvable: no note
    assert notes[0].startswith("d/out egress[0]") and "https" in notes[0]
    outside = [
        e for e in payload["external"] if e["workload"] == "d/client" and e["direction"] == "egress"
    ]
    assert outside == [
        {
            "workload": "d/client",
            "direction": "egress",
            "cidrs": ["203.0.113.0/24"],
            "ports": {"TCP": ["8443"]},
        }
    ]
