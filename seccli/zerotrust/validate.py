"""Validation of generated manifests: schemas, then the rules schemas cannot express.

- Core kinds (NetworkPolicy, Namespace, ConfigMap) against the strict Kubernetes JSON schemas
  bundled by ``kubernetes-validate``;
- custom resources against CRD schemas from a folder (``<group>/<kind>_<version>.json`` files,
  or CRD YAML files with ``openAPIV3Schema``), when one is given;
- NetworkPolicy semantics: ipBlock ``except`` strictly inside ``cidr``, ``endPort`` only with a
  numeric ``port`` and not below it, named ports that exist on the pods they target;
- Linkerd: an AuthorizationPolicy's Server and authentications exist in its namespace (Linkerd
  silently ignores a policy whose references are missing).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccli.core.documents import Document, load_documents
from seccli.core.errors import DependencyError, DocumentInvalid, Problem
from seccli.core.location import Location, format_doc_path
from seccli.zerotrust.analyzer import Analyzer
from seccli.zerotrust.gcpause import without_gc
from seccli.zerotrust.manifests import ManifestSet, build_manifest_set

KUBERNETES_VERSION = "1.33"
CORE_GROUPS = ("v1", "networking.k8s.io/v1", "apps/v1", "batch/v1", "rbac.authorization.k8s.io/v1")
_MAX_ERRORS_PER_OBJECT = 5


@dataclass(slots=True)
class ValidationReport:
    """Problems found, and how many objects were checked against which schema source."""

    problems: list[Problem] = field(default_factory=list)
    core_checked: int = 0
    crd_checked: int = 0
    unchecked_kinds: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


class SchemaValidator:
    """Caches one compiled validator per (apiVersion, kind)."""

    def __init__(self, crd_schemas: Path | None = None) -> None:
        self._validators: dict[tuple[str, str], Any] = {}
        self._crds: dict[tuple[str, str], dict[str, Any]] = {}
        if crd_schemas is not None:
            self._crds = load_crd_schemas(crd_schemas)

    def validator_for(self, api_version: str, kind: str) -> tuple[Any, str] | None:
        """A jsonschema validator and its source ("core" or "crd"), or None if unknown."""
        key = (api_version, kind)
        if key in self._validators:
            cached = self._validators[key]
            return cached if cached is not None else None
        found: tuple[Any, str] | None = None
        if api_version in CORE_GROUPS:
            core = _core_validator(api_version, kind)
            if core is not None:
                found = (core, "core")
        if found is None and (api_version, kind.lower()) in self._crds:
            import jsonschema  # type: ignore[import-untyped,unused-ignore]

            schema = self._crds[(api_version, kind.lower())]
            found = (jsonschema.Draft7Validator(schema), "crd")
        self._validators[key] = found
        return found


class _CoreValidator:
    """A compiled (fastjsonschema) check; jsonschema only to list the errors of a failure."""

    def __init__(self, schema: dict[str, Any], definitions: dict[str, Any]) -> None:
        import fastjsonschema  # type: ignore[import-untyped,unused-ignore]

        self._schema = schema
        self._definitions = definitions
        self._fast = fastjsonschema.compile(_self_contained(schema, definitions))
        self._slow: Any = None

    def iter_errors(self, obj: Any) -> list[Any]:
        import fastjsonschema

        try:
            self._fast(obj)
        except fastjsonschema.JsonSchemaValueException:
            return list(self._full().iter_errors(obj))
        return []

    def _full(self) -> Any:
        if self._slow is None:
            import jsonschema  # type: ignore[import-untyped,unused-ignore]
            from referencing import Registry, Resource

            registry: Registry[Any] = Resource.from_contents(self._schema) @ Registry()
            registry = Resource.from_contents(self._definitions) @ registry
            self._slow = jsonschema.Draft202012Validator(self._schema, registry=registry)
        return self._slow


_DEFS_REF = "/api/_definitions.json#/$defs/"


def _self_contained(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """The schema with the definitions it reaches embedded and its refs made local."""
    all_defs: dict[str, Any] = definitions.get("$defs", {})
    needed: set[str] = set()
    pending = [schema]
    while pending:
        node = pending.pop()
        for ref in _refs(node):
            name = ref.removeprefix(_DEFS_REF).removeprefix("#/$defs/")
            if name not in needed and name in all_defs:
                needed.add(name)
                pending.append(all_defs[name])
    root: dict[str, Any] = json.loads(json.dumps(schema).replace(f'"{_DEFS_REF}', '"#/$defs/'))
    embedded = {name: all_defs[name] for name in sorted(needed)}
    root["$defs"] = json.loads(json.dumps(embedded).replace(f'"{_DEFS_REF}', '"#/$defs/'))
    root["$schema"] = "http://json-schema.org/draft-07/schema#"
    root.pop("$id", None)
    return root


def _refs(node: Any) -> list[str]:
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str):
                found.append(ref)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _core_validator(api_version: str, kind: str) -> _CoreValidator | None:
    try:
        from kubernetes_validate import utils as kv  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise DependencyError(
            f"kubernetes-validate is not installed ({exc})",
            hint="pip install kubernetes-validate",
        ) from None
    versions = [v for v in kv.all_versions() if kv.major_minor(v) <= KUBERNETES_VERSION]
    version = versions[-1]
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    try:
        schema = kv.schema_contents(f"{folder}/{kind.lower()}-{group}.json", version)
    except FileNotFoundError:
        return None
    definitions = kv.schema_contents(f"{folder}/_definitions.json", version)
    return _CoreValidator(schema, definitions)


def load_crd_schemas(folder: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, lower-case kind) → JSON schema, from a folder of CRD schemas."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(folder.rglob("*.json")):
        group = path.parent.name
        stem = path.stem
        if "_" not in stem:
            continue
        kind, version = stem.rsplit("_", 1)
        (schema_document,) = load_documents(path, fmt="json")
        out[(f"{group}/{version}", kind.lower())] = schema_document.data
    for path in sorted([*folder.rglob("*.yaml"), *folder.rglob("*.yml")]):
        for document in load_documents(path):
            data = document.data
            if not isinstance(data, dict) or data.get("kind") != "CustomResourceDefinition":
                continue
            spec = data.get("spec") or {}
            kind = str((spec.get("names") or {}).get("kind", "")).lower()
            for version in spec.get("versions") or []:
                schema = ((version.get("schema") or {}).get("openAPIV3Schema")) or None
                if isinstance(schema, dict):
                    out[(f"{spec.get('group')}/{version.get('name')}", kind)] = schema
    return out


def _where(file: str, index: int, path: Iterable[str | int]) -> Location:
    return Location(file, None, None, f"[{index}] " + (format_doc_path(list(path)) or "(root)"))


@without_gc
def validate_objects(
    objects: Mapping[str, list[dict[str, Any]]],
    *,
    crd_schemas: Path | None = None,
    validator: SchemaValidator | None = None,
    world: ManifestSet | None = None,
) -> ValidationReport:
    """Schema-validate every object (file → objects) and check NetworkPolicy semantics.

    ``world`` (the workloads the policies apply to) enables the named-port check.
    """
    schemas = validator or SchemaValidator(crd_schemas)
    report = ValidationReport()
    for file, items in objects.items():
        for index, obj in enumerate(items):
            api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
            found = schemas.validator_for(api_version, kind)
            if found is None:
                report.unchecked_kinds.add(f"{api_version}/{kind}")
                continue
            checker, source = found
            if source == "core":
                report.core_checked += 1
            else:
                report.crd_checked += 1
            errors = sorted(checker.iter_errors(obj), key=lambda e: list(map(str, e.path)))
            for error in errors[:_MAX_ERRORS_PER_OBJECT]:
                report.problems.append(
                    Problem(_where(file, index, error.path), f"{kind}: {error.message}")
                )
    report.problems.extend(check_semantics(objects, world))
    return report


def _documents(objects: Mapping[str, list[dict[str, Any]]]) -> list[Document]:
    return [
        Document(file, index, obj, 0)
        for file, items in objects.items()
        for index, obj in enumerate(items)
    ]


def check_semantics(
    objects: Mapping[str, list[dict[str, Any]]], world: ManifestSet | None = None
) -> list[Problem]:
    """Rules beyond the schemas; ``world`` supplies the pods named ports must exist on."""
    problems: list[Problem] = []
    try:
        parsed = build_manifest_set(_documents(objects))
    except DocumentInvalid as exc:
        problems.extend(
            Problem(Location(p.location.file, None, None, p.location.path), p.message)
            for p in exc.problems
        )
        return problems
    problems.extend(_linkerd_references(objects))
    if world is not None:
        problems.extend(check_named_ports(parsed, world))
    return problems


def check_named_ports(policies: ManifestSet, world: ManifestSet) -> list[Problem]:
    """Named ports in policy rules must exist on at least one pod they apply to."""
    if not any(
        isinstance(spec.port, str)
        for policy in policies.policies
        for rule in (*policy.ingress, *policy.egress)
        for spec in rule.ports or ()
    ):
        return []
    combined = ManifestSet(
        namespaces={**policies.namespaces, **world.namespaces},
        workloads=list(world.workloads),
        policies=list(policies.policies),
    )
    analyzer = Analyzer(combined)
    problems: list[Problem] = []
    for policy in combined.policies:
        selected = analyzer.select_pods(policy.namespace, policy.pod_selector)
        for direction, rules in (("ingress", policy.ingress), ("egress", policy.egress)):
            for rule in rules:
                names = [
                    (spec.port, spec.protocol)
                    for spec in rule.ports or ()
                    if isinstance(spec.port, str)
                ]
                if not names:
                    continue
                if direction == "ingress":
                    targets = selected
                elif rule.peers is None:
                    targets = list(range(len(analyzer.classes)))
                else:
                    targets = sorted(
                        {
                            c
                            for peer in rule.peers
                            if peer.ip_block is None
                            for c in analyzer.peer_classes(policy.namespace, peer)
                        }
                    )
                for name, protocol in names:
                    if not any(
                        p.name == name and p.protocol == protocol
                        for c in targets
                        for p in analyzer.classes[c].ports
                    ):
                        ref = rule.location or policy.location
                        where = ref.location() if ref else Location("<generated>")
                        problems.append(
                            Problem(
                                where,
                                f"{policy.ident} {direction}[{rule.index}]: named port "
                                f"{name!r} ({protocol}) exists on none of the pods it targets",
                            )
                        )
    return problems


def _linkerd_references(objects: Mapping[str, list[dict[str, Any]]]) -> list[Problem]:
    present: set[tuple[str, str, str]] = set()
    policies: list[tuple[str, int, dict[str, Any]]] = []
    for file, items in objects.items():
        for index, obj in enumerate(items):
            if not str(obj.get("apiVersion", "")).startswith("policy.linkerd.io/"):
                continue
            meta = obj.get("metadata") or {}
            present.add((str(meta.get("namespace")), str(obj.get("kind")), str(meta.get("name"))))
            if obj.get("kind") == "AuthorizationPolicy":
                policies.append((file, index, obj))
    problems: list[Problem] = []
    for file, index, obj in policies:
        namespace = str((obj.get("metadata") or {}).get("namespace"))
        spec = obj.get("spec") or {}
        refs = [("targetRef", spec.get("targetRef") or {})]
        refs.extend(
            (f"requiredAuthenticationRefs[{i}]", ref)
            for i, ref in enumerate(spec.get("requiredAuthenticationRefs") or [])
        )
        for label, ref in refs:
            key = (str(ref.get("namespace", namespace)), str(ref.get("kind")), str(ref.get("name")))
            if key[1] in ("Namespace", "ServiceAccount"):
                continue
            if key not in present:
                problems.append(
                    Problem(
                        Location(file, None, None, f"[{index}] spec.{label}"),
                        f"AuthorizationPolicy refers to missing {key[1]} {key[0]}/{key[2]} "
                        "(Linkerd would ignore the policy)",
                    )
                )
    return problems
