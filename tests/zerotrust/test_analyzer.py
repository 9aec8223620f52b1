"""NetworkPolicy v1 semantics, one edge case per test, with expectations computed by hand."""

from __future__ import annotations

import pytest

from seccli.core.documents import parse_documents
from seccli.core.errors import DocumentInvalid
from seccli.zerotrust.analyzer import Analyzer, Reachability, analyse, external_partition
from seccli.zerotrust.manifests import IpBlock, build_manifest_set
from seccli.zerotrust.portset import PortSet

PODS = """
apiVersion: v1
kind: Namespace
metadata: {name: a, labels: {team: red}}
---
apiVersion: v1
kind: Namespace
metadata: {name: b, labels: {team: blue}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: a, labels: {app: web, tier: front}}
spec:
  containers:
  - name: c
    ports: [{name: http, containerPort: 8080}, {name: dns, containerPort: 53, protocol: UDP}]
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: a, labels: {app: db}}
spec:
  containers:
  - name: c
    ports: [{name: http, containerPort: 9000}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: b}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: c, ports: [{name: http, containerPort: 7000}]}]
"""


def reach(policies: str, pods: str = PODS) -> Reachability:
    docs = parse_documents(pods + "\n---\n" + policies, "test.yaml")
    return analyse(build_manifest_set(docs))


def allowed(result: Reachability, src: str, dst: str) -> list[str]:
    return result.allowed(src, dst).labels()


ALL = ["SCTP/*", "TCP/*", "UDP/*"]


def test_no_policies_allow_everything_including_external() -> None:
    result = reach("")
    assert allowed(result, "a/web", "b/api") == ALL
    assert allowed(result, "b/api", "a/db") == ALL
    assert [(w.ident, d, a.cidrs) for w, d, a in result.external()][0] == (
        "a/db",
        "egress",
        ("0.0.0.0/0", "::/0"),
    )


def test_empty_pod_selector_default_deny_ingress_leaves_egress_open() -> None:
    result = reach(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: a}
spec: {podSelector: {}}
"""
    )
    assert allowed(result, "b/api", "a/web") == []
    assert allowed(result, "a/db", "a/web") == []
    assert allowed(result, "a/web", "b/api") == ALL  # egress not isolated by default
    ingress = [a for w, d, a in result.external() if w.ident == "a/web" and d == "ingress"]
    assert ingress == []


def test_egress_rules_without_policy_types_isolate_egress() -> None:
    result = reach(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: a}
spec:
  podSelector: {matchLabels: {app: web}}
  egress:
  - to: [{namespaceSelector: {matchLabels: {team: blue}}}]
    ports: [{port: 7000}]
"""
    )
    assert allowed(result, "a/web", "b/api") == ["TCP/7000"]
    assert allowed(result, "a/web", "a/db") == []
    # Ingress is also isolated (always in the default), with no ingress rules.
    assert allowed(result, "a/db", "a/web") == []


def test_empty_egress_list_does_not_isolate_egress_but_listed_type_does() -> None:
    not_listed = reach(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec: {podSelector: {}, egress: []}
"""
    )
    assert allowed(not_listed, "a/web", "b/api") == ALL
    listed = reach(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec: {podSelector: {}, policyTypes: [Egress]}
"""
    )
    assert allowed(listed, "a/web", "b/api") == []
    assert allowed(listed, "b/api", "a/web") == ALL  # ingress not listed: open


def test_rules_of_an_unlisted_type_are_ignored() -> None:
    result = reach(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Egress]
  ingress: [{from: [{podSelector: {matchLabels: {app: nothing}}}]}]
"""
    )
    assert allowed(result, "b/api", "a/web") == ALL


def test_ingress_empty_rule_allows_all() -> None:
    result = reach(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: all, namespace: a}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{}]
"""
    )
    assert allowed(result, "b/api", "a/db") == ALL
    ingress = [a for w, d, a in result.external() if w.ident == "a/db" and d == "ingress"]
    assert ingress[0].cidrs == ("0.0.0.0/0", "::/0")


def test_and_within_a_peer_or_across_peers() -> None:
    anded = reach(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: blue}}
      podSelector: {matchLabels: {app: web}}
"""
    )
    # web is in team red, api is not app=web: nobody matches both.
    assert allowed(anded, "a/web", "a/db") == []
    assert allowed(anded, "b/api", "a/db") == []
    ored = reach(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: blue}}
    - podSelector: {matchLabels: {app: web}}
"""
    )
    assert allowed(ored, "a/web", "a/db") == ALL
    assert allowed(ored, "b/api", "a/db") == ALL


def test_pod_selector_only_peer_is_the_policy_namespace() -> None:
    result = reach(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: b}
spec:
  podSelector: {}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]
"""
    )
    assert allowed(result, "a/web", "b/api") == []  # web is in a, the policy in b


def test_implicit_namespace_name_label_and_match_expressions() -> None:
    result = reach(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {matchExpressions: [{key: app, operator: In, values: [db]}]}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: b}}
    - podSelector:
        matchExpressions:
        - {key: tier, operator: Exists}
        - {key: app, operator: NotIn, values: [db]}
        - {key: legacy, operator: DoesNotExist}
"""
    )
    assert allowed(result, "b/api", "a/db") == ALL
    assert allowed(result, "a/web", "a/db") == ALL
    assert allowed(result, "a/db", "a/db") == []  # no tier label
    assert allowed(result, "a/db", "a/web") == ALL  # web is not selected


def test_ip_block_except_and_ports_to_external() -> None:
    result = reach(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
    ports: [{port: 443}]
  - to: [{ipBlock: {cidr: 10.1.2.0/24}}]
    ports: [{port: 443}, {protocol: UDP, port: 53}]
"""
    )
    external = {
        access.ports.labels()[0] if len(access.ports.labels()) == 1 else "both": access.cidrs
        for w, d, access in result.external()
        if w.ident == "a/web" and d == "egress"
    }
    assert external["both"] == ("10.1.2.0/24",)
    # 10.0.0.0/8 minus 10.1.0.0/16, as the smallest list of CIDRs.
    assert external["TCP/443"] == (
        "10.0.0.0/16",
        "10.2.0.0/15",
        "10.4.0.0/14",
        "10.8.0.0/13",
        "10.16.0.0/12",
        "10.32.0.0/11",
        "10.64.0.0/10",
        "10.128.0.0/9",
    )
    # ipBlock matches no pod: egress to pods is closed.
    assert allowed(result, "a/web", "b/api") == []


def test_protocols_default_tcp_and_named_ports_resolve_on_destination() -> None:
    result = reach(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports: [{port: http}, {port: dns, protocol: UDP}, {port: dns}, {protocol: SCTP, port: 99}]
"""
    )
    # web: http=8080 TCP, dns=53 UDP (TCP dns has no match); db: http=9000; api: http=7000.
    assert allowed(result, "a/db", "a/web") == ["SCTP/99", "TCP/8080", "UDP/53"]
    assert allowed(result, "a/web", "a/db") == ["SCTP/99", "TCP/9000"]
    assert allowed(result, "a/web", "b/api") == ["SCTP/99", "TCP/7000"]
    # Named ports never match external addresses.
    ext = [a for w, d, a in result.external() if w.ident == "a/web" and d == "egress"]
    assert [a.ports.labels() for a in ext] == [["SCTP/99"]]


def test_end_port_ranges() -> None:
    result = reach(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: b}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 7000, endPort: 7010}, {protocol: UDP, port: 5000, endPort: 5000}]}]
"""
    )
    assert allowed(result, "a/web", "b/api") == ["TCP/7000-7010", "UDP/5000"]


def test_connection_needs_egress_at_source_and_ingress_at_destination() -> None:
    result = reach(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: a}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress: [{ports: [{port: 7000}, {port: 7001}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: in, namespace: b}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 7001}, {port: 7002}]}]
"""
    )
    assert allowed(result, "a/web", "b/api") == ["TCP/7001"]
    assert allowed(result, "a/db", "b/api") == ["TCP/7001-7002"]


def test_policies_are_additive() -> None:
    result = reach(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: b}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow, namespace: b}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{from: [{namespaceSelector: {}}], ports: [{port: 7000}]}]
"""
    )
    assert allowed(result, "a/web", "b/api") == ["TCP/7000"]
    assert allowed(result, "b/api", "a/web") == []


def test_controllers_and_host_network_and_grouping() -> None:
    pods = (
        PODS
        + """
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: b}
spec:
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: api}}
        spec: {containers: [{name: c, ports: [{name: http, containerPort: 7000}]}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: b}
spec:
  template:
    metadata: {labels: {app: agent}}
    spec: {hostNetwork: true, containers: [{name: c}]}
"""
    )
    docs = parse_documents(pods, "pods.yaml")
    analyzer = Analyzer(build_manifest_set(docs))
    idents = sorted(c.members[0].ident for c in analyzer.classes)
    # The host-network DaemonSet is kept, flagged, in a class of its own (it used
    # to disappear from the analysis).
    agent = next(c for c in analyzer.classes if c.members[0].ident == "b/agent")
    assert agent.host_network and agent.members[0].host_network
    # nightly has the same labels and ports as the api Deployment: one class.
    assert len(analyzer.classes) == 4 and idents == ["a/db", "a/web", "b/agent", "b/api"]
    result = analyzer.run()
    assert allowed(result, "b/nightly", "a/web") == ALL
    assert allowed(result, "b/agent", "a/web") == ALL


def test_external_partition_is_canonical() -> None:
    import ipaddress

    tcp443 = PortSet.single("TCP", 443)
    a = external_partition(
        [
            (IpBlock(ipaddress.ip_network("10.0.0.0/25")), tcp443),
            (IpBlock(ipaddress.ip_network("10.0.0.128/25")), tcp443),
        ]
    )
    b = external_partition([(IpBlock(ipaddress.ip_network("10.0.0.0/24")), tcp443)])
    assert a == b and a[0].cidrs == ("10.0.0.0/24",)


def test_portset_algebra() -> None:
    a = PortSet.of({"TCP": [(1, 10), (20, 30)], "UDP": [(53, 53)]})
    b = PortSet.of({"TCP": [(5, 25)]})
    assert a.intersection(b).labels() == ["TCP/5-10", "TCP/20-25"]
    assert a.difference(b).labels() == ["TCP/1-4", "TCP/26-30", "UDP/53"]
    assert a.union(b).labels() == ["TCP/1-30", "UDP/53"]
    assert not PortSet.single("TCP", 1).difference(PortSet.whole("TCP"))


@pytest.mark.parametrize(
    ("snippet", "message", "line"),
    [
        ("ports: [{port: http, endPort: 90}]", "endPort needs a numeric port", 7),
        ("ports: [{port: 100, endPort: 90}]", "endPort 90 is below port 100", 7),
        ("ports: [{protocol: ICMP}]", "protocol must be one of", 7),
        ("from: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}}]", "strictly inside", 7),
        ("from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]", "cannot be combined", 7),
        (
            "from: [{podSelector: {matchExpressions: [{key: a, operator: In}]}}]",
            "needs at least",
            7,
        ),
    ],
)
def test_malformed_policies_are_located(snippet: str, message: str, line: int) -> None:
    text = f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: p, namespace: a}}
spec:
  podSelector: {{}}
  ingress:
  - {snippet}
"""
    with pytest.raises(DocumentInvalid) as info:
        build_manifest_set(parse_documents(text, "bad.yaml"))
    problem = info.value.problems[0]
    assert message in problem.message
    assert problem.location.file == "bad.yaml" and problem.location.line == line


def test_identical_pods_are_analysed_once() -> None:
    pods = "\n---\n".join(
        f"""apiVersion: v1
kind: Pod
metadata: {{name: p{i}, namespace: a, labels: {{app: {"web" if i % 2 else "db"}}}}}
spec: {{containers: [{{name: c}}]}}"""
        for i in range(2000)
    )
    policy = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]
"""
    analyzer = Analyzer(build_manifest_set(parse_documents(pods + "\n---\n" + policy, "x.yaml")))
    assert len(analyzer.classes) == 2
    result = analyzer.run()
    # web->web and db->web are open, web->db only on 5432, db->db is closed.
    assert len(result.pairs) == 3
    assert result.allowed("a/p1", "a/p2").labels() == ["TCP/5432"]
    assert result.allowed("a/p2", "a/p4").labels() == []
    assert result.allowed("a/p2", "a/p1").labels() == ALL


def test_empty_from_and_ports_lists_match_everything() -> None:
    result = reach(
        """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [], ports: []}]
"""
    )
    assert allowed(result, "b/api", "a/db") == ALL
    ingress = [a.cidrs for w, d, a in result.external() if w.ident == "a/db" and d == "ingress"]
    assert ingress == [("0.0.0.0/0", "::/0")]


def test_namespace_without_object_has_only_its_name_label() -> None:
    pods = """
apiVersion: v1
kind: Pod
metadata: {name: x, namespace: orphan, labels: {app: x}}
spec: {containers: [{name: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: y, namespace: target, labels: {app: y}}
spec: {containers: [{name: c}]}
"""
    policy = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: target}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: orphan}}}]
    ports: [{port: 80}]
  - from: [{namespaceSelector: {matchLabels: {team: red}}}]
"""
    result = reach(policy, pods)
    assert allowed(result, "orphan/x", "target/y") == ["TCP/80"]  # not the team=red rule
