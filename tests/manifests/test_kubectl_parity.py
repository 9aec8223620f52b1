"""seccli's kustomize builder against the real ``kubectl kustomize`` (Debian kubectl).

Same set of objects (apiVersion/kind/namespace/name) and the same content, after both are
parsed by the safe loader: on seccli's generated tree for every mesh and on hand-made
kustomizations (nested bases, components, namespace override, labels, annotations, patches).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from seccli.core.documents import parse_documents
from seccli.estate.loader import load_estate
from seccli.manifests import collect_documents
from seccli.zerotrust.generate.tree import generate_tree

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "claytom" / "estate.yaml"
KUBECTL = shutil.which("kubectl")

pytestmark = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not installed (Debian package kubectl): no reference build"
)

Key = tuple[str, str, str, str]


def _by_id(objects: list[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    out: dict[Key, dict[str, Any]] = {}
    for obj in objects:
        meta = obj["metadata"]
        key = (obj.get("apiVersion", ""), obj["kind"], meta.get("namespace", ""), meta["name"])
        assert key not in out, key
        out[key] = obj
    return out


def kubectl_build(directory: Path) -> dict[Key, dict[str, Any]]:
    assert KUBECTL is not None
    run = subprocess.run(
        [KUBECTL, "kustomize", str(directory)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    return _by_id([d.data for d in parse_documents(run.stdout, "kubectl")])


def assert_same_build(directory: Path, root: Path | None = None) -> dict[Key, dict[str, Any]]:
    build = collect_documents([directory], root=root)
    ours = _by_id([obj.data for obj in build.objects])
    theirs = kubectl_build(directory)
    assert sorted(ours) == sorted(theirs)
    for key, obj in theirs.items():
        assert json.dumps(ours[key], sort_keys=True) == json.dumps(obj, sort_keys=True), key
    return ours


@pytest.mark.parametrize("mesh", ["istio", "linkerd", "none"])
def test_generated_tree_builds_like_kubectl(mesh: str, tmp_path: Path) -> None:
    tree = generate_tree(load_estate(EXAMPLE).estate, mesh=mesh)  # type: ignore[arg-type]
    for name, data in tree.files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    ours = assert_same_build(tmp_path)
    kinds = {key[1] for key in ours}
    assert {"Namespace", "NetworkPolicy", "ClusterSPIFFEID"} <= kinds
    assert len(ours) == sum(len(objs) for path, objs in tree.objects.items())
    build = collect_documents([tmp_path])
    assert not any("/vault/" in f for f in build.files)  # not listed: not deployed
    assert f"{tmp_path}/kustomization.yaml" in build.kustomizations


def test_overlay_with_bases_components_and_patches() -> None:
    ours = assert_same_build(FIXTURES / "overlays" / "prod", root=FIXTURES / "overlays")
    web = ours[("networking.k8s.io/v1", "NetworkPolicy", "shop-prod", "web")]
    # The component's JSON patch, the overlay's strategic merge (egress replaced), labels.
    assert len(web["spec"]["ingress"]) == 2
    assert web["spec"]["egress"] == [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]
    assert web["spec"]["podSelector"]["matchLabels"]["env"] == "prod"
    assert ("v1", "Namespace", "", "shop-prod") in ours  # the namespace override renames it


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: NAME, namespace: ns}
spec:
  podSelector: SELECTOR
  ingress:
  - from:
    - podSelector: {}
    - podSelector: {matchLabels: {app: a}}
    - namespaceSelector: {matchLabels: {team: a}}
  egress:
  - to: [{podSelector: {matchExpressions: [{key: app, operator: Exists}]}}]
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: ns, labels: {app: d}}
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
      containers:
      - {name: one, image: one:1, ports: [{containerPort: 80}]}
      - {name: two, image: two:1, env: [{name: X, value: "1"}]}
      volumes: [{name: v, emptyDir: {}}]
"""


def _policies() -> str:
    selectors = ["{}", "{matchLabels: {}}", "{matchLabels: {app: b}}", "{matchExpressions: []}"]
    return "---\n".join(
        POLICY.replace("NAME", f"p{i}").replace("SELECTOR", s) for i, s in enumerate(selectors)
    )


CASES: dict[str, dict[str, str]] = {
    "common-labels-and-selectors": {
        "kustomization.yaml": "resources: [p.yaml, d.yaml]\ncommonLabels: {team: t}\n",
        "p.yaml": _policies(),
        "d.yaml": DEPLOYMENT,
    },
    "labels-metadata-only": {
        "kustomization.yaml": "resources: [p.yaml, d.yaml]\nlabels: [{pairs: {team: t}}]\n",
        "p.yaml": _policies(),
        "d.yaml": DEPLOYMENT,
    },
    "labels-templates": {
        "kustomization.yaml": (
            "resources: [p.yaml, d.yaml]\n"
            "labels: [{pairs: {team: t}, includeTemplates: true}, "
            "{pairs: {tier: x}, includeSelectors: true}]\n"
            "commonAnnotations: {note: hello}\n"
        ),
        "p.yaml": _policies(),
        "d.yaml": DEPLOYMENT,
    },
    "namespace-override-and-nested-bases": {
        "kustomization.yaml": "resources: [mid]\nnamespace: outer\n",
        "mid/kustomization.yaml": "resources: [../base, extra.yaml]\nnamespace: middle\n",
        "mid/extra.yaml": (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb}\n"
            "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\n"
            "subjects: [{kind: ServiceAccount, name: default}, {kind: ServiceAccount, name: s}]\n"
        ),
        "base/kustomization.yaml": "resources: [p.yaml, ns.yaml]\n",
        "base/p.yaml": _policies(),
        "base/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns}\n",
    },
    "patches-second-container-and-targets": {
        "kustomization.yaml": (
            "resources: [d.yaml, p.yaml]\n"
            "patches:\n"
            "- patch: |-\n"
            "    apiVersion: apps/v1\n"
            "    kind: Deployment\n"
            "    metadata: {name: d, namespace: ns}\n"
            "    spec:\n"
            "      template:\n"
            "        spec:\n"
            "          containers:\n"
            "          - {name: two, image: two:2, env: [{name: Y, value: '2'}]}\n"
            "          volumes: [{name: w, emptyDir: {}}]\n"
            "- target: {kind: NetworkPolicy, labelSelector: 'x!=y', name: 'p[12]'}\n"
            "  patch: |-\n"
            "    kind: NetworkPolicy\n"
            "    metadata: {name: any}\n"
            "    spec:\n"
            "      ingress: []\n"
            "      policyTypes: [Ingress]\n"
            "patchesJson6902:\n"
            "- target: {version: v1, kind: NetworkPolicy, name: p0}\n"
            "  path: ops.yaml\n"
        ),
        "d.yaml": DEPLOYMENT,
        "p.yaml": _policies(),
        "ops.yaml": (
            "- {op: test, path: /spec/podSelector, value: {}}\n"
            "- {op: remove, path: /spec/egress}\n"
            "- {op: copy, from: /spec/ingress/0, path: /spec/ingress/-}\n"
            "- {op: move, from: /spec/ingress/0/from/1, path: /spec/ingress/1/from/0}\n"
            "- {op: replace, path: /metadata/namespace, value: ns}\n"
        ),
    },
    "lists-and-json": {
        "kustomization.yml": "resources: [list.yaml, p.json]\nnamespace: z\n",
        "list.yaml": (
            "apiVersion: v1\nkind: List\nitems:\n"
            "- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicyList\nitems:\n"
            "- {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: l}, "
            "spec: {podSelector: {}}}\n"
        ),
        "p.json": json.dumps(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "j"},
                "spec": {"podSelector": {}, "policyTypes": ["Egress"]},
            }
        ),
    },
    "component-adds-and-patches": {
        "Kustomization": "resources: [p.yaml]\ncomponents: [c1, c2]\n",
        "p.yaml": _policies(),
        "c1/kustomization.yaml": (
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
            "resources: [extra.yaml]\ncommonLabels: {c1: 'yes'}\n"
        ),
        "c1/extra.yaml": POLICY.replace("NAME", "extra").replace("SELECTOR", "{}"),
        "c2/kustomization.yaml": (
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
            'patches:\n- target: {name: extra}\n  patch: \'[{"op": "add", "path": '
            '"/spec/policyTypes", "value": ["Ingress", "Egress"]}]\'\n'
        ),
    },
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hand_made_kustomizations_build_like_kubectl(case: str, tmp_path: Path) -> None:
    root = _write(tmp_path, CASES[case])
    ours = assert_same_build(root)
    assert ours  # something was built
