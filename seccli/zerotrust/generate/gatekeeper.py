"""Gatekeeper constraints for the estate, instantiated from the ``rego/`` template library.

Every ConstraintTemplate of the library (``rego/<name>/template.yaml``) gets one constraint,
scoped to the estate's namespaces (cluster-scoped kinds are matched cluster-wide), matching the
kinds of the folder's sample ``constraint.yaml`` (pod-bearing kinds when there is none), with
parameters taken from the estate where its schema asks for them:
- a ``repos``/``registries``/``allowedRegistries`` string list → the estate's registries;
- a ``labels``/``requiredLabels`` list → the label keys every service carries;
otherwise the sample constraint's parameters, or none when the schema requires none.
Templates needing parameters that neither the estate nor a sample gives are reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccli.core.documents import load_documents
from seccli.core.errors import InputError
from seccli.estate.model import Estate
from seccli.zerotrust.platform import pod_labels

_REGISTRY_PARAMS = ("repos", "registries", "allowedRegistries", "allowedRepos")
_LABEL_PARAMS = ("labels", "requiredLabels")
_CLUSTER_SCOPED = frozenset(
    {"Namespace", "ClusterRole", "ClusterRoleBinding", "Node", "PersistentVolume", "StorageClass"}
)
_POD_KINDS = [
    {"apiGroups": [""], "kinds": ["Pod"]},
    {
        "apiGroups": ["apps"],
        "kinds": ["DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"],
    },
    {"apiGroups": ["batch"], "kinds": ["CronJob", "Job"]},
]


@dataclass(frozen=True, slots=True)
class Template:
    """A ConstraintTemplate's kind, parameter schema, sample constraint and where it was found."""

    kind: str
    parameters: dict[str, Any]
    source: str
    sample: dict[str, Any] | None = None


@dataclass(slots=True)
class GatekeeperOutput:
    """Constraints generated and templates skipped."""

    constraints: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def load_templates(library: Path) -> list[Template]:
    """ConstraintTemplates under ``library`` (one folder per template), sorted by kind."""
    templates: list[Template] = []
    for path in sorted(library.glob("*/template.y*ml")):
        for document in load_documents(path):
            data = document.data
            if not isinstance(data, dict) or data.get("kind") != "ConstraintTemplate":
                continue
            kind = _dig(data, "spec", "crd", "spec", "names", "kind")
            if not isinstance(kind, str) or not kind:
                raise InputError(
                    f"{path}:{document.line_of(('spec', 'crd'))}: a ConstraintTemplate needs "
                    "spec.crd.spec.names.kind"
                )
            schema = _dig(data, "spec", "crd", "spec", "validation", "openAPIV3Schema")
            templates.append(
                Template(
                    kind,
                    schema if isinstance(schema, dict) else {},
                    str(path),
                    _sample(path.parent, kind),
                )
            )
    templates.sort(key=lambda t: t.kind)
    return templates


def _sample(folder: Path, kind: str) -> dict[str, Any] | None:
    for path in sorted(folder.glob("constraint.y*ml")):
        for document in load_documents(path):
            if isinstance(document.data, dict) and document.data.get("kind") == kind:
                return document.data
    return None


def _dig(data: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _kebab(kind: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", kind).lower()


def _registries(estate: Estate) -> list[str]:
    return sorted({f"{s.image_ref.registry}/" for s in estate.services})


def _common_labels(estate: Estate) -> list[str]:
    keys: set[str] | None = None
    for service in estate.services:
        labels = set(pod_labels(service))
        keys = labels if keys is None else keys & labels
    return sorted(keys or ())


def _parameters(template: Template, estate: Estate) -> dict[str, Any] | None:
    properties = template.parameters.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    for name in _REGISTRY_PARAMS:
        if name in properties:
            return {name: _registries(estate)}
    for name in _LABEL_PARAMS:
        if name in properties:
            items = _dig(properties[name], "items")
            keys = _common_labels(estate)
            if isinstance(items, dict) and items.get("type") == "object":
                return {name: [{"key": key} for key in keys]}
            return {name: keys}
    sample = _dig(template.sample, "spec", "parameters")
    if isinstance(sample, dict):
        return sample
    if not template.parameters.get("required"):
        return {}
    return None


def _match(template: Template, namespaces: list[str]) -> dict[str, Any]:
    kinds = _dig(template.sample, "spec", "match", "kinds")
    if not isinstance(kinds, list) or not kinds:
        kinds = _POD_KINDS
    match: dict[str, Any] = {"kinds": kinds}
    named = {k for entry in kinds if isinstance(entry, dict) for k in entry.get("kinds") or []}
    if not named & _CLUSTER_SCOPED:
        match["namespaces"] = namespaces
    return match


def generate_constraints(estate: Estate, library: Path) -> GatekeeperOutput:
    """One constraint per recognised template of ``library``."""
    output = GatekeeperOutput()
    namespaces = sorted(ns.name for ns in estate.namespaces)
    unmapped: list[str] = []
    for template in load_templates(library):
        parameters = _parameters(template, estate)
        if parameters is None:
            unmapped.append(template.kind)
            continue
        spec: dict[str, Any] = {
            "enforcementAction": "deny",
            "match": _match(template, namespaces),
        }
        if parameters:
            spec["parameters"] = parameters
        output.constraints.append(
            {
                "apiVersion": "constraints.gatekeeper.sh/v1beta1",
                "kind": template.kind,
                "metadata": {
                    "name": f"{estate.metadata.name}-{_kebab(template.kind)}",
                    "labels": {"app.kubernetes.io/managed-by": "seccli"},
                },
                "spec": spec,
            }
        )
    if unmapped:
        output.notes.append(
            f"{library}: {len(unmapped)} template(s) need parameters neither the estate nor a "
            f"sample constraint gives; no constraint generated: {', '.join(unmapped)}"
        )
    return output
