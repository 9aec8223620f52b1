"""Every pod-bearing kind is a workload of ``netpol reach``.

Kubernetes NetworkPolicy selects *pods* by their labels, whatever created them (NetworkPolicy
v1 API reference: ``podSelector`` "selects the pods to which this NetworkPolicy object
applies"; peers select pods the same way). A controller kind that the reader does not know
would make its pods vanish from the analysis: nothing could reach them and they could reach
nothing, which reads as isolation a cluster does not have. ReplicationController (core/v1,
``spec.template``) was such a kind; it is read like a ReplicaSet, and a pod owned by one is
named by it, as ``kubectl`` users name it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seccli.core.documents import parse_documents
from seccli.manifests import patches
from seccli.zerotrust.analyzer import analyse
from seccli.zerotrust.manifests import _TEMPLATE_PATHS, build_manifest_set
from tests.capture import run_main as _cli

ALL = ["SCTP/*", "TCP/*", "UDP/*"]

LEGACY = """
apiVersion: v1
kind: ReplicationController
metadata: {name: legacy, namespace: shop}
spec:
  replicas: 3
  selector: {app: legacy}
  template:
    metadata: {labels: {app: legacy}}
    spec:
      containers:
      - name: web
        ports: [{name: http, containerPort: 8080}]
"""

CLIENT = """
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec: {containers: [{name: c}]}
"""


def _reach(text: str) -> tuple[list[str], dict[tuple[str, str], list[str]]]:
    manifests = build_manifest_set(parse_documents(text, "in.yaml"))
    result = analyse(manifests)
    kinds = sorted(w.display for w in result.workloads())
    edges = {(s.ident, d.ident): ports.labels() for s, d, ports in result.edges()}
    return kinds, edges


def test_a_replication_controller_is_a_workload_with_its_template_labels_and_ports() -> None:
    kinds, edges = _reach(LEGACY + "---" + CLIENT)
    assert kinds == ["shop/client[Pod]", "shop/legacy[ReplicationController]"]
    # No policy: both directions are open (pods are non-isolated by default).
    assert edges[("shop/client", "shop/legacy")] == ALL
    assert edges[("shop/legacy", "shop/client")] == ALL


def test_a_policy_selects_replication_controller_pods_and_resolves_their_named_port() -> None:
    """An ingress rule naming port ``http`` resolves on the destination pod's container port
    (8080 here); the client's egress rule selects the RC's pods by label."""
    policy = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-http, namespace: shop}
spec:
  podSelector: {matchLabels: {app: legacy}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: http}]
"""
    _, edges = _reach(LEGACY + "---" + CLIENT + "---" + policy)
    assert edges[("shop/client", "shop/legacy")] == ["TCP/8080"]
    assert ("shop/legacy", "shop/client") in edges  # the client is not isolated for ingress

    # A name the RC's containers do not declare allows nothing; a number is allowed as is.
    unknown = policy.replace("ports: [{port: http}]", "ports: [{port: grpc}]")
    _, edges = _reach(LEGACY + "---" + CLIENT + "---" + unknown)
    assert ("shop/client", "shop/legacy") not in edges
    numeric = policy.replace("ports: [{port: http}]", "ports: [{port: 9999}]")
    _, edges = _reach(LEGACY + "---" + CLIENT + "---" + numeric)
    assert edges[("shop/client", "shop/legacy")] == ["TCP/9999"]


def test_a_pod_owned_by_a_replication_controller_is_named_by_it() -> None:
    pod = """
apiVersion: v1
kind: Pod
metadata:
  name: legacy-x7k2p
  namespace: shop
  labels: {app: legacy}
  ownerReferences: [{apiVersion: v1, kind: ReplicationController, name: legacy, controller: true}]
spec: {containers: [{name: web}]}
"""
    kinds, _ = _reach(pod)
    assert kinds == ["shop/legacy[ReplicationController]"]


def test_an_input_of_only_a_replication_controller_is_judged_not_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "state.db"))
    (tmp_path / "rc.yaml").write_text(LEGACY)
    (tmp_path / "none.yaml").write_text(LEGACY.replace("ReplicationController", "ConfigMap"))
    code, out, err = _cli(capsys, "netpol", "reach", str(tmp_path / "rc.yaml"), "-f", "json")
    assert code == 0, err
    assert [w["kind"] for w in json.loads(out)["workloads"]] == ["ReplicationController"]
    code, _, err = _cli(capsys, "netpol", "reach", str(tmp_path / "none.yaml"))
    assert code == 2 and "no workloads" in err  # a ConfigMap is not a workload


def test_every_kind_with_a_pod_template_is_a_workload() -> None:
    """The kinds whose pod spec the manifest layer knows are exactly the reach workloads."""
    templated = set(patches._POD_SPEC_AT) - {"Pod"}
    assert set(_TEMPLATE_PATHS) == templated
    for kind, path in _TEMPLATE_PATHS.items():
        assert (*path, "spec") == patches._POD_SPEC_AT[kind], kind


def test_two_workloads_sharing_a_name_stay_apart() -> None:
    """A Deployment and a StatefulSet may both be called ``web`` in one namespace; their pods
    differ by labels, so a policy may admit one and not the other: the analysis keeps them
    apart by kind, never reading them as one workload."""
    both = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: w}]}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web-db}}
  template: {metadata: {labels: {app: web-db}}, spec: {containers: [{name: d}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-closed, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web-db}}
  policyTypes: [Ingress]
"""
    result = analyse(build_manifest_set(parse_documents(both + "---" + CLIENT, "in.yaml")))
    edges = {(s.display, d.display) for s, d, _ in result.edges()}
    assert ("shop/client[Pod]", "shop/web[Deployment]") in edges
    assert ("shop/client[Pod]", "shop/web[StatefulSet]") not in edges  # ingress closed
    assert ("shop/web[StatefulSet]", "shop/client[Pod]") in edges  # egress still open
