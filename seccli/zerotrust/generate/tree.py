"""The generated Kustomize tree: what goes in which file, writing it, and drift checks.

Layout (paths relative to the output folder)::

    kustomization.yaml              resources: cluster, namespaces/<ns>...
    cluster/                        cluster-wide resources (SPIFFE IDs, SPIRE config, mesh root
                                    policies, Gatekeeper constraints) + kustomization.yaml
    gatekeeper-templates/           the ConstraintTemplates the constraints need, one file each
                                    + kustomization.yaml: apply it first (``kubectl apply -k``),
                                    wait until Gatekeeper has made their CRDs, then the tree
    namespaces/<ns>/                namespace.yaml, networkpolicies.yaml, mesh policies
                                    + kustomization.yaml
    vault/policies/<name>.hcl       Vault ACL policies (not Kubernetes resources)
    vault/roles/<name>.json         Vault Kubernetes auth roles
    .seccli-generated.json          the files seccli owns here, with their SHA-256

Output is a pure function of the inputs: sorted keys, stable order, no timestamps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from seccli.core.owned_tree import TreeDrift, TreeWrite, inspect_tree, replace_tree
from seccli.estate.model import Estate
from seccli.zerotrust.gcpause import without_gc
from seccli.zerotrust.generate.gatekeeper import generate_constraints
from seccli.zerotrust.generate.mesh import (
    istio_authorization,
    istio_cluster_resources,
    linkerd_authorization,
)
from seccli.zerotrust.generate.netpol import generate_network_policies
from seccli.zerotrust.generate.spiffe import cluster_spiffe_ids, spire_config_maps
from seccli.zerotrust.platform import check_selectable
from seccli.zerotrust.yamlout import dump_document, dump_documents

Mesh = Literal["istio", "linkerd", "none"]
NETPOL_FILE = "networkpolicies.yaml"
TEMPLATES_DIR = "gatekeeper-templates"
GENERATOR = "seccli generate"


@dataclass(slots=True)
class GeneratedTree:
    """Generated files (relative POSIX path → bytes), their objects, and notes for the user."""

    files: dict[str, bytes] = field(default_factory=dict)
    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add_manifests(self, path: str, objects: list[dict[str, Any]]) -> None:
        """Add a multi-document YAML file of Kubernetes objects."""
        self.objects[path] = objects
        self.files[path] = dump_documents(objects).encode("utf-8")

    def add_text(self, path: str, text: str) -> None:
        """Add a plain file."""
        self.files[path] = text.encode("utf-8")


def _kustomization(resources: list[str]) -> str:
    return dump_document(
        {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": resources,
        }
    )


def _namespace_object(estate: Estate, name: str, mesh: Mesh) -> dict[str, Any]:
    declared = next(ns for ns in estate.namespaces if ns.name == name)
    labels = dict(declared.labels)
    labels["app.kubernetes.io/managed-by"] = "seccli"
    labels["seccli.dev/role"] = declared.role
    metadata: dict[str, Any] = {"name": name, "labels": labels}
    if mesh == "istio":
        labels["istio-injection"] = "enabled"
    elif mesh == "linkerd":
        metadata["annotations"] = {
            "config.linkerd.io/default-inbound-policy": "deny",
            "linkerd.io/inject": "enabled",
        }
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


@without_gc
def generate_tree(
    estate: Estate,
    *,
    mesh: Mesh | None = None,
    rego_library: Path | None = None,
    include_vault: bool = True,
) -> GeneratedTree:
    """Generate the whole tree for ``estate`` (``mesh`` defaults to the estate's)."""
    check_selectable(estate)
    chosen: Mesh = mesh or estate.mesh
    tree = GeneratedTree()
    netpols = generate_network_policies(estate, chosen)
    tree.notes.extend(netpols.notes)
    mesh_policies: dict[str, list[dict[str, Any]]] = {}
    mesh_file = ""
    if chosen == "istio":
        mesh_policies, mesh_file = istio_authorization(estate), "istio-authorization.yaml"
    elif chosen == "linkerd":
        mesh_policies, mesh_file = linkerd_authorization(estate), "linkerd-policy.yaml"

    namespace_dirs: list[str] = []
    for namespace in sorted(ns.name for ns in estate.namespaces):
        folder = f"namespaces/{namespace}"
        namespace_dirs.append(folder)
        resources = ["namespace.yaml", NETPOL_FILE]
        tree.add_manifests(
            f"{folder}/namespace.yaml", [_namespace_object(estate, namespace, chosen)]
        )
        tree.add_manifests(f"{folder}/{NETPOL_FILE}", netpols.policies.get(namespace, []))
        if mesh_policies.get(namespace):
            tree.add_manifests(f"{folder}/{mesh_file}", mesh_policies[namespace])
            resources.append(mesh_file)
        tree.add_text(f"{folder}/kustomization.yaml", _kustomization(resources))

    cluster: list[str] = []
    tree.add_manifests("cluster/spiffe-ids.yaml", cluster_spiffe_ids(estate))
    tree.add_manifests("cluster/spire-config.yaml", spire_config_maps(estate))
    cluster.extend(["spiffe-ids.yaml", "spire-config.yaml"])
    if chosen == "istio":
        tree.add_manifests("cluster/istio-mesh.yaml", istio_cluster_resources())
        cluster.append("istio-mesh.yaml")
    if rego_library is not None and rego_library.is_dir():
        gatekeeper = generate_constraints(estate, rego_library)
        tree.notes.extend(gatekeeper.notes)
        if gatekeeper.constraints:
            tree.add_manifests("cluster/gatekeeper-constraints.yaml", gatekeeper.constraints)
            cluster.append("gatekeeper-constraints.yaml")
            _add_templates(tree, gatekeeper.template_files)
    tree.add_text("cluster/kustomization.yaml", _kustomization(cluster))
    tree.add_text("kustomization.yaml", _kustomization(["cluster", *namespace_dirs]))
    if include_vault:
        _add_vault(tree, estate)
    tree.files = dict(sorted(tree.files.items()))
    return tree


def _add_templates(tree: GeneratedTree, files: list[Path]) -> None:
    """Copy each template file as it is in the library (its folder name as the file name)."""
    from seccli.core.documents import read_source

    names = []
    for path in sorted(set(files), key=lambda p: p.parent.name):
        name = f"{path.parent.name}.yaml"
        tree.add_text(f"{TEMPLATES_DIR}/{name}", read_source(path))
        names.append(name)
    tree.add_text(f"{TEMPLATES_DIR}/kustomization.yaml", _kustomization(names))


def _add_vault(tree: GeneratedTree, estate: Estate) -> None:
    from seccli.secrets.policies import kubernetes_auth_roles, vault_policies

    for name, hcl in vault_policies(estate).items():
        tree.add_text(f"vault/policies/{name}.hcl", hcl if hcl.endswith("\n") else hcl + "\n")
    for name, role in kubernetes_auth_roles(estate).items():
        text = json.dumps(role, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        tree.add_text(f"vault/roles/{name}.json", text)


def check_drift(tree: GeneratedTree, root: Path) -> TreeDrift:
    """Compare the folder ``root`` with ``tree`` and its ownership manifest (writes nothing)."""
    return inspect_tree(root, tree.files, generator=GENERATOR)


def write_tree(tree: GeneratedTree, root: Path) -> TreeWrite:
    """Make ``root`` exactly ``tree``: one atomic switch of the whole folder.

    The new tree is built beside ``root`` and exchanged with it in one step
    (``seccli.core.owned_tree``), so ``root`` is always wholly the old or the new generation.
    Files the manifest says were generated but are no longer are deleted; files seccli does not
    own are kept and reported. Nothing is written when the tree is already up to date.
    """
    return replace_tree(root, tree.files, generator=GENERATOR)
