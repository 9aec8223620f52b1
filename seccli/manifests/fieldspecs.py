"""Kustomize's namespace, label and annotation transformers, field by field.

Which fields each transformer touches was measured against ``kubectl kustomize`` (kustomize
v5.5): the tests compare every rule here with it. ``create`` says whether a missing field is
created or the rule skipped (``podSelector: {}`` stays empty: it is not given the labels).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seccli.core.errors import InputError
from seccli.manifests.model import CLUSTER_SCOPED_KINDS, SourcedObject

EACH = "[]"  # a path step over every element of a list

_CONTROLLERS = frozenset({"Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"})
_TEMPLATED = frozenset({"ReplicationController", *_CONTROLLERS, "Job"})
_AFFINITY_TERMS = (
    ("podAffinity", "requiredDuringSchedulingIgnoredDuringExecution", EACH),
    ("podAffinity", "preferredDuringSchedulingIgnoredDuringExecution", EACH, "podAffinityTerm"),
    ("podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", EACH),
    (
        "podAntiAffinity",
        "preferredDuringSchedulingIgnoredDuringExecution",
        EACH,
        "podAffinityTerm",
    ),
)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A field a transformer sets: for which kinds (None: all), group, version, and path."""

    kinds: frozenset[str] | None
    path: tuple[str, ...]
    create: bool
    group: str | None = None
    api_version: str | None = None

    def applies(self, data: dict[str, Any]) -> bool:
        """True when the object's kind and apiVersion fall under this spec."""
        if self.kinds is not None and data.get("kind") not in self.kinds:
            return False
        api = str(data.get("apiVersion", ""))
        if self.api_version is not None and api != self.api_version:
            return False
        return self.group is None or (api.rpartition("/")[0] == self.group)


def _spec(
    kinds: set[str] | frozenset[str] | None, *path: str, create: bool, **kw: Any
) -> FieldSpec:
    return FieldSpec(frozenset(kinds) if kinds is not None else None, path, create, **kw)


LABEL_METADATA = (_spec(None, "metadata", "labels", create=True),)
LABEL_TEMPLATES = (
    _spec(_TEMPLATED, "spec", "template", "metadata", "labels", create=True),
    _spec({"StatefulSet"}, "spec", "volumeClaimTemplates", EACH, "metadata", "labels", create=True),
    _spec({"CronJob"}, "spec", "jobTemplate", "metadata", "labels", create=True),
    _spec(
        {"CronJob"}, "spec", "jobTemplate", "spec", "template", "metadata", "labels", create=True
    ),
)
LABEL_SELECTORS = (
    _spec({"Service"}, "spec", "selector", create=True, api_version="v1"),
    _spec({"ReplicationController"}, "spec", "selector", create=True, api_version="v1"),
    _spec(_CONTROLLERS, "spec", "selector", "matchLabels", create=True),
    *(
        _spec(
            {"Deployment", "StatefulSet"},
            "spec",
            "template",
            "spec",
            "affinity",
            *term,
            "labelSelector",
            "matchLabels",
            create=False,
            group="apps",
        )
        for term in _AFFINITY_TERMS
    ),
    _spec(
        {"Deployment", "StatefulSet"},
        "spec",
        "template",
        "spec",
        "topologySpreadConstraints",
        EACH,
        "labelSelector",
        "matchLabels",
        create=False,
        group="apps",
    ),
    _spec({"Job"}, "spec", "selector", "matchLabels", create=False),
    _spec({"CronJob"}, "spec", "jobTemplate", "spec", "selector", "matchLabels", create=False),
    _spec({"PodDisruptionBudget"}, "spec", "selector", "matchLabels", create=False),
    _spec({"NetworkPolicy"}, "spec", "podSelector", "matchLabels", create=False),
    _spec(
        {"NetworkPolicy"},
        "spec",
        "ingress",
        EACH,
        "from",
        EACH,
        "podSelector",
        "matchLabels",
        create=False,
    ),
    _spec(
        {"NetworkPolicy"},
        "spec",
        "egress",
        EACH,
        "to",
        EACH,
        "podSelector",
        "matchLabels",
        create=False,
    ),
)
ANNOTATIONS = (
    _spec(None, "metadata", "annotations", create=True),
    _spec(_TEMPLATED, "spec", "template", "metadata", "annotations", create=True),
    _spec({"CronJob"}, "spec", "jobTemplate", "metadata", "annotations", create=True),
    _spec(
        {"CronJob"},
        "spec",
        "jobTemplate",
        "spec",
        "template",
        "metadata",
        "annotations",
        create=True,
    ),
)


def own(obj: SourcedObject) -> dict[str, Any]:
    """The object's data, copied on first change (parsed documents stay untouched)."""
    if not obj.transformed:
        import copy

        obj.data = copy.deepcopy(obj.data)
        obj.transformed = True
    return obj.data


def set_pairs(obj: SourcedObject, specs: tuple[FieldSpec, ...], pairs: dict[str, str]) -> None:
    """Merge ``pairs`` into every map the specs name in ``obj``."""
    if not pairs:
        return
    data = own(obj)
    for spec in specs:
        if spec.applies(data):
            for target in _maps(obj, data, spec.path, spec.create, ()):
                target.update(pairs)


def _maps(
    obj: SourcedObject, node: Any, path: tuple[str, ...], create: bool, done: tuple[str | int, ...]
) -> list[dict[str, Any]]:
    if not path:
        if not isinstance(node, dict):
            raise InputError(f"{obj.locate(*done)}: expected a mapping of strings here")
        return [node]
    step, rest = path[0], path[1:]
    if step == EACH:
        if node is None:
            return []
        if not isinstance(node, list):
            raise InputError(f"{obj.locate(*done)}: expected a list here")
        found: list[dict[str, Any]] = []
        for index, item in enumerate(node):
            found.extend(_maps(obj, item, rest, create, (*done, index)))
        return found
    if not isinstance(node, dict):
        raise InputError(f"{obj.locate(*done)}: expected a mapping here")
    child = node.get(step)
    if child is None:
        if not create or (rest and rest[0] == EACH):
            return []
        child = node[step] = {}
    return _maps(obj, child, rest, create, (*done, step))


def set_namespace(obj: SourcedObject, namespace: str) -> None:
    """Kustomize's ``namespace:``: namespaced objects move, a Namespace is renamed."""
    data = own(obj)
    kind = data.get("kind")
    meta = data.setdefault("metadata", {})
    if kind == "Namespace":
        meta["name"] = namespace
    elif kind not in CLUSTER_SCOPED_KINDS:
        meta["namespace"] = namespace
    if kind in ("RoleBinding", "ClusterRoleBinding"):
        subjects = data.get("subjects") or []
        if not isinstance(subjects, list):
            raise InputError(f"{obj.locate('subjects')}: subjects must be a list")
        for subject in subjects:
            if isinstance(subject, dict) and subject.get("name") == "default":
                subject["namespace"] = namespace
    elif kind == "CustomResourceDefinition":
        service = _dig(data, "spec", "conversion", "webhook", "clientConfig", "service")
        if isinstance(service, dict) and "namespace" in service:
            service["namespace"] = namespace
    elif kind == "APIService":
        spec = data.setdefault("spec", {})
        if isinstance(spec, dict):
            service = spec.setdefault("service", {})
            if isinstance(service, dict):
                service["namespace"] = namespace


def _dig(node: Any, *path: str) -> Any:
    for step in path:
        if not isinstance(node, dict):
            return None
        node = node.get(step)
    return node
