"""The netpol pictures as Graphviz draws them: clusters per namespace, shared edges folded,
a proof's missing edges red and extra edges dashed, no literal ``\\n``."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import pytest

from seccli.core.documents import parse_documents
from seccli.zerotrust.analyzer import analyse
from seccli.zerotrust.graph import EVERY, to_dot, to_svg
from seccli.zerotrust.manifests import build_manifest_set
from seccli.zerotrust.portset import PortSet
from seccli.zerotrust.prove import EdgeDiff

SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


def _pod(ns: str, name: str) -> str:
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}, "
        f"labels: {{app: {name}}}}}\nspec: {{containers: [{{name: c, ports: "
        "[{containerPort: 53, protocol: UDP}, {containerPort: 8080}]}]}\n"
    )


POLICIES = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: %s}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]
    ports: [{port: 53, protocol: UDP}]
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: b}}}]
    ports: [{port: 8080}]
  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: a}}}],
             ports: [{port: 8080}]}]
"""


def _reach():  # type: ignore[no-untyped-def]
    pods = [_pod("a", n) for n in ("one", "two", "three")] + [_pod("b", "api")]
    text = "---\n".join([*pods, _pod("kube-system", "dns"), POLICIES % "a", POLICIES % "b"])
    return analyse(build_manifest_set(parse_documents(text, "p.yaml")))


def test_shared_edges_are_folded_and_nothing_is_lost() -> None:
    dot = to_dot(_reach())
    # Every workload reaches kube-dns on UDP/53: one edge from the "workloads" node.
    assert f'"{EVERY}" -> "kube-system/dns" [label="UDP/53 (4 workloads)"' in dot
    assert '"a/one" -> "kube-system/dns"' not in dot
    # Every workload of a reaches b/api on TCP/8080: one edge from a's cluster.
    assert "ltail=cluster_0" in dot and "(all 3)" in dot
    assert '"a/two" -> "b/api"' not in dot
    assert "\\\\n" not in dot


def test_differences_are_drawn_missing_red_extra_dashed() -> None:
    diffs = [
        EdgeDiff("missing", "b/api", "a/one", PortSet.single("TCP", 9090)),
        EdgeDiff("extra", "a/one", "b/api", PortSet.single("TCP", 8080)),
        EdgeDiff("extra", "a/two", "external", PortSet.single("TCP", 443), ("0.0.0.0/0",)),
    ]
    dot = to_dot(_reach(), differences=diffs)
    assert '"b/api" -> "a/one" [label="missing TCP/9090", color="#d62728"' in dot
    assert '"a/one" -> "b/api" [label="extra TCP/8080 (allowed TCP/8080)", style=dashed' in dot
    assert '"a/two" -> "ext:0.0.0.0/0" [label="extra TCP/443", style=dashed' in dot
    assert "red: missing" in dot  # the legend
    # The extra edge is not folded away into a's cluster edge.
    assert "(all 3)" not in dot


@needs_dot
def test_the_svg_has_clusters_and_styled_edges() -> None:
    diffs = [EdgeDiff("missing", "b/api", "a/one", PortSet.single("TCP", 9090))]
    svg = ET.fromstring(to_svg(to_dot(_reach(), differences=diffs)))
    texts = [t.text or "" for t in svg.iter(f"{SVG}text")]
    assert not any("\\n" in t for t in texts)
    clusters = [
        g.find(f"{SVG}text").text  # type: ignore[union-attr]
        for g in svg.iter(f"{SVG}g")
        if g.get("class") == "cluster"
    ]
    assert clusters == ["a (3)", "b (1)", "kube-system (1)"]
    edges = {g.findtext(f"{SVG}title"): g for g in svg.iter(f"{SVG}g") if g.get("class") == "edge"}
    missing = edges["b/api->a/one"]
    assert missing.find(f"{SVG}path").get("stroke") == "#d62728"  # type: ignore[union-attr]
    assert "missing TCP/9090" in [t.text for t in missing.iter(f"{SVG}text")]
    dotted = [g for title, g in edges.items() if title and "ext:" in title]
    assert dotted and all(
        g.find(f"{SVG}path").get("stroke-dasharray")
        for g in dotted  # type: ignore[union-attr]
    )
