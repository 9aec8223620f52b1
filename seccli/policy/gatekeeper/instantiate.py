"""Constraints instantiated from a template library, with parameters from settings.

Every ConstraintTemplate of the library (``<folder>/template.yaml``) gets one constraint,
matching the kinds of the folder's sample ``constraint.yaml`` (pod-bearing kinds when there is
none), scoped to ``settings.namespaces`` (every namespace but ``kube-system`` and
``gatekeeper-system`` when ``None``; cluster-scoped kinds are matched by name), with parameters
taken from the settings where the template's schema asks for them:

- a ``repos``/``registries``/``allowedRegistries``/``allowedRepos`` string list → the allowed
  registries; without any (``registries=None``) no constraint is made, with a note;
- a ``labels``/``requiredLabels`` list → two constraints: the workload labels on pod-bearing
  kinds and the namespace labels on Namespaces (each only when the list is not empty);

otherwise the sample constraint's parameters, or none when the schema requires none.
Templates needing parameters that neither the settings nor a sample give are reported.

``generic_settings()`` are the documented defaults ``policy test`` uses without an estate;
``seccli generate`` and ``policy test --estate`` derive settings from the estate.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccli.core.documents import Document, load_documents
from seccli.core.errors import InputError

REGISTRY_PARAMS = ("repos", "registries", "allowedRegistries", "allowedRepos")
LABEL_PARAMS = ("labels", "requiredLabels")
SYSTEM_NAMESPACES = ("kube-system", "gatekeeper-system")
#: The label every workload carries in the generic defaults (Kubernetes' recommended labels).
GENERIC_WORKLOAD_LABELS = ("app.kubernetes.io/name",)
CLUSTER_SCOPED = frozenset(
    {"Namespace", "ClusterRole", "ClusterRoleBinding", "Node", "PersistentVolume", "StorageClass"}
)
POD_KINDS: list[dict[str, Any]] = [
    {"apiGroups": [""], "kinds": ["Pod"]},
    {"apiGroups": ["apps"], "kinds": ["DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"]},
    {"apiGroups": ["batch"], "kinds": ["CronJob", "Job"]},
]
NAMESPACE_KINDS: list[dict[str, Any]] = [{"apiGroups": [""], "kinds": ["Namespace"]}]
MANAGED_BY = {"app.kubernetes.io/managed-by": "seccli"}


@dataclass(frozen=True, slots=True)
class ConstraintSettings:
    """Where constraint parameters come from.

    ``registries`` are image prefixes (``registry.example/``) or ``None`` when unknown;
    ``workload_labels`` the keys every workload carries; ``namespace_labels`` the keys every
    Namespace carries; ``namespaces`` the namespaces judged (``None``: all but system ones);
    ``from_samples`` takes each template's sample constraint as it is (name, match, action)
    and sets only the registry and label parameters (else: ``deny``, the settings' match).
    """

    name_prefix: str
    registries: tuple[str, ...] | None
    workload_labels: tuple[str, ...]
    namespace_labels: tuple[str, ...] = ()
    namespaces: tuple[str, ...] | None = None
    source: str = "generic defaults"
    from_samples: bool = False


def generic_settings() -> ConstraintSettings:
    """The defaults without an estate: no registry list (that constraint is left out with a
    note), ``app.kubernetes.io/name`` on workloads, no Namespace labels, every namespace but
    ``kube-system`` and ``gatekeeper-system``."""
    return ConstraintSettings("seccli", None, GENERIC_WORKLOAD_LABELS, from_samples=True)


@dataclass(frozen=True, slots=True)
class LibraryTemplate:
    """A ConstraintTemplate's kind, parameter schema, sample constraint and where it was found."""

    kind: str
    parameters: dict[str, Any]
    source: str
    sample_document: Document | None = None

    @property
    def sample(self) -> dict[str, Any] | None:
        """The sample constraint's data, if the folder has one."""
        document = self.sample_document
        return document.data if document is not None else None


@dataclass(slots=True)
class Instantiated:
    """Constraints made (as Kubernetes objects), the template files used, and notes.

    ``origins`` holds, per constraint, the sample document it was made from (for locations
    in errors) or ``None``.
    """

    constraints: list[dict[str, Any]] = field(default_factory=list)
    origins: list[Document | None] = field(default_factory=list)
    template_files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def documents(self) -> list[Document]:
        """The constraints as documents the constraint parser reads."""
        out = []
        for index, (data, origin) in enumerate(zip(self.constraints, self.origins, strict=True)):
            if origin is None:
                out.append(Document("<generated constraints>", index, data, 1))
            else:
                out.append(
                    Document(origin.source, origin.index, data, origin.start_line, origin.lines)
                )
        return out


def load_library_templates(library: Path) -> list[LibraryTemplate]:
    """ConstraintTemplates under ``library`` (one folder per template), sorted by kind."""
    templates: list[LibraryTemplate] = []
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
                LibraryTemplate(
                    kind,
                    schema if isinstance(schema, dict) else {},
                    str(path),
                    _sample(path.parent, kind),
                )
            )
    templates.sort(key=lambda t: t.kind)
    return templates


def _sample(folder: Path, kind: str) -> Document | None:
    for path in sorted(folder.glob("constraint.y*ml")):
        for document in load_documents(path):
            if isinstance(document.data, dict) and document.data.get("kind") == kind:
                return document
    return None


def _dig(data: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def kebab(kind: str) -> str:
    """``K8sRequiredLabels`` → ``k8s-required-labels``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", kind).lower()


def _label_parameter(template: LibraryTemplate, name: str, keys: Sequence[str]) -> dict[str, Any]:
    items = _dig(template.parameters, "properties", name, "items")
    if isinstance(items, dict) and items.get("type") == "object":
        return {name: [{"key": key} for key in keys]}
    return {name: list(keys)}


def _match(
    kinds: list[Any],
    settings: ConstraintSettings,
    template: LibraryTemplate,
    *,
    by_name: bool = False,
) -> dict[str, Any]:
    match: dict[str, Any] = {"kinds": kinds}
    if settings.namespaces is None:
        excluded = _dig(template.sample, "spec", "match", "excludedNamespaces")
        valid = isinstance(excluded, list) and all(isinstance(e, str) for e in excluded)
        match["excludedNamespaces"] = list(excluded) if valid else list(SYSTEM_NAMESPACES)
        return match
    named = {k for entry in kinds if isinstance(entry, dict) for k in entry.get("kinds") or []}
    if by_name or not named & CLUSTER_SCOPED:
        match["namespaces"] = list(settings.namespaces)
    return match


def _constraint(kind: str, name: str, match: dict[str, Any], parameters: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"enforcementAction": "deny", "match": match}
    if parameters:
        spec["parameters"] = parameters
    return {
        "apiVersion": "constraints.gatekeeper.sh/v1beta1",
        "kind": kind,
        "metadata": {"name": name, "labels": dict(MANAGED_BY)},
        "spec": spec,
    }


def instantiate(library: Path, settings: ConstraintSettings) -> Instantiated:
    """One constraint per usable template of ``library`` (two for required labels)."""
    out = Instantiated()
    unmapped: list[str] = []
    for template in load_library_templates(library):
        made = _instantiate_one(template, settings, out.notes)
        if made is None:
            unmapped.append(template.kind)
            continue
        if made:
            out.template_files.append(Path(template.source))
        origin = template.sample_document if settings.from_samples else None
        out.constraints.extend(made)
        out.origins.extend([origin] * len(made))
    if unmapped:
        out.notes.append(
            f"{library}: {len(unmapped)} template(s) need parameters neither the "
            f"{settings.source} nor a sample constraint gives; no constraint made: "
            + ", ".join(unmapped)
        )
    return out


def _instantiate_one(
    template: LibraryTemplate, settings: ConstraintSettings, notes: list[str]
) -> list[dict[str, Any]] | None:
    name = f"{settings.name_prefix}-{kebab(template.kind)}"
    properties = template.parameters.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    sample_kinds = _dig(template.sample, "spec", "match", "kinds")
    kinds = sample_kinds if isinstance(sample_kinds, list) and sample_kinds else POD_KINDS
    sample = template.sample if settings.from_samples else None

    def make(
        kinds: list[Any], parameters: Any, *, suffix: str = "", by_name: bool = False
    ) -> dict[str, Any]:
        if sample is not None:
            return _from_sample(sample, kinds, parameters)
        match = _match(kinds, settings, template, by_name=by_name)
        return _constraint(template.kind, name + suffix, match, parameters)

    for param in REGISTRY_PARAMS:
        if param in properties:
            if settings.registries is None:
                notes.append(
                    f"{template.kind}: no allowed registries known ({settings.source}); "
                    "give --estate or --constraints to enforce an allow-list"
                )
                return []
            return [make(kinds, {param: list(settings.registries)})]
    for param in LABEL_PARAMS:
        if param in properties:
            made = []
            if settings.workload_labels:
                parameters = _label_parameter(template, param, settings.workload_labels)
                made.append(make(POD_KINDS, parameters))
            if settings.namespace_labels:
                parameters = _label_parameter(template, param, settings.namespace_labels)
                made.append(make(NAMESPACE_KINDS, parameters, suffix="-namespaces", by_name=True))
            return made
    given = _dig(template.sample, "spec", "parameters")
    if isinstance(given, dict):
        return [make(kinds, given)]
    if template.parameters.get("required"):
        return None
    return [make(kinds, {})]


def _from_sample(sample: dict[str, Any], kinds: list[Any], parameters: Any) -> dict[str, Any]:
    made = copy.deepcopy(sample)
    spec = made.setdefault("spec", {})
    if isinstance(spec, dict):
        match = spec.setdefault("match", {})
        if isinstance(match, dict):
            match["kinds"] = copy.deepcopy(kinds)
        if parameters:
            spec["parameters"] = parameters
    return made
