"""What a build returns: each object with the document it came from, and the files read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from seccli.core.documents import Document
from seccli.core.errors import InputError
from seccli.core.location import DocPath, Location
from seccli.manifests.walk import SkippedFile

# Kinds kustomize treats as cluster-scoped: its namespace transformer leaves them alone (a
# Namespace is renamed instead). Every other kind, custom resources included, is namespaced.
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "CSIDriver",
        "CSINode",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ComponentStatus",
        "CustomResourceDefinition",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PodSecurityPolicy",
        "PriorityClass",
        "RuntimeClass",
        "StorageClass",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)


@dataclass(slots=True)
class SourcedObject:
    """A Kubernetes object as it would be deployed, and where it was written.

    ``document`` and ``path`` name the node the object was read from (``()`` for a whole
    document, ``("items", 3)`` for a List item); ``transformed`` is true when Kustomize changed
    it (namespace, labels, annotations, patches), in which case new fields are located at their
    nearest ancestor in the source. ``data`` may share structure with the parsed document:
    treat it as read-only.
    """

    data: dict[str, Any]
    document: Document
    path: DocPath = ()
    transformed: bool = False

    @property
    def source(self) -> str:
        """The file the object was read from."""
        return self.document.source

    @property
    def kind(self) -> str:
        """The object's ``kind``."""
        return str(self.data.get("kind", ""))

    @property
    def name(self) -> str:
        """``metadata.name``."""
        meta = self.data.get("metadata")
        return str(meta.get("name", "")) if isinstance(meta, dict) else ""

    @property
    def namespace(self) -> str:
        """``metadata.namespace`` as written ('' when absent)."""
        meta = self.data.get("metadata")
        value = meta.get("namespace") if isinstance(meta, dict) else None
        return value if isinstance(value, str) else ""

    def locate(self, *path: str | int) -> Location:
        """The location of ``path`` inside the object (nearest existing ancestor)."""
        return self.document.locate((*self.path, *path))

    def ident(self) -> ResourceId:
        """Kustomize's identity of the object: apiVersion, kind, namespace, name."""
        return resource_id(self.data)


@dataclass(slots=True)
class Build:
    """Every object a set of paths deploys, and the files that made it."""

    objects: list[SourcedObject] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    kustomizations: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set, repr=False)

    def add_file(self, name: str) -> None:
        """Record a file read (once, in order)."""
        if name not in self._seen:
            self._seen.add(name)
            self.files.append(name)

    def documents(self) -> Iterator[Document]:
        """One ``Document`` per object (List items and transformed objects re-rooted)."""
        for obj in self.objects:
            if obj.path == () and obj.data is obj.document.data:
                yield obj.document
            else:
                yield rerooted(obj)


def rerooted(obj: SourcedObject) -> Document:
    """A document whose root is ``obj.data``, with the lines of its source node."""
    document, base = obj.document, obj.path
    size = len(base)
    lines = {p[size:]: line for p, line in document.lines.items() if p[:size] == base}
    start = document.line_of(base)
    lines[()] = start
    return Document(document.source, document.index, obj.data, start, lines)


ResourceId = tuple[str, str, str, str]


def resource_id(data: dict[str, Any]) -> ResourceId:
    """(apiVersion, kind, effective namespace, name); cluster-scoped kinds have namespace ''."""
    meta = data.get("metadata") or {}
    kind = str(data.get("kind", ""))
    namespace = "" if kind in CLUSTER_SCOPED_KINDS else (meta.get("namespace") or "default")
    return (str(data.get("apiVersion", "")), kind, str(namespace), str(meta.get("name", "")))


def describe_id(ident: ResourceId) -> str:
    """``NetworkPolicy networking.k8s.io/v1 ns/name``."""
    api, kind, namespace, name = ident
    return f"{kind} {api or '(no apiVersion)'} {namespace + '/' if namespace else ''}{name}"


def split_objects(document: Document, *, strict: bool) -> Iterator[SourcedObject]:
    """The objects of a document, with ``*List`` kinds inlined as kustomize and kubectl do.

    ``strict`` (kustomize resources): anything that is not an object with a kind and a name is
    an error. Otherwise (loose manifests) documents without a ``kind`` are not objects and are
    not yielded; ``collect`` reports their files as ignored.
    """
    data = document.data
    if isinstance(data, dict) and _is_list(data):
        for index, item in enumerate(data["items"]):
            path: DocPath = ("items", index)
            if isinstance(item, dict) and _is_list(item):
                raise InputError(f"{document.locate(path)}: a List inside a List is not supported")
            item = typed_list_item(data, item)
            _check_object(document, path, item, strict=True)
            yield SourcedObject(item, document, path)
        return
    if not isinstance(data, dict) or "kind" not in data:
        if strict:
            _check_object(document, (), data, strict=True)
        return
    _check_object(document, (), data, strict=strict)
    yield SourcedObject(data, document, ())


def typed_list_item(container: dict[str, Any], item: Any) -> Any:
    """An item of a typed list (``PodList``, ``NetworkPolicyList``...) without its own
    ``kind``/``apiVersion`` gets the list's (the API server returns items that way);
    items of a generic ``List`` must carry their own."""
    kind = container.get("kind")
    if not isinstance(item, dict) or not isinstance(kind, str) or kind == "List":
        return item
    if "kind" in item and "apiVersion" in item:
        return item
    typed = {"apiVersion": container.get("apiVersion"), "kind": kind[: -len("List")]}
    typed.update(item)
    return typed


def _is_list(data: dict[str, Any]) -> bool:
    kind = data.get("kind")
    if not (isinstance(kind, str) and kind.endswith("List") and "items" in data):
        return False
    if not isinstance(data["items"], list):
        raise InputError(f"{kind}: items must be a list")
    return True


def _check_object(document: Document, path: DocPath, data: Any, *, strict: bool) -> None:
    where = document.locate(path)
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a Kubernetes object (a mapping)")
    kind = data.get("kind")
    if not isinstance(kind, str) or not kind:
        raise InputError(f"{document.locate((*path, 'kind'))}: kind must be a non-empty string")
    meta = data.get("metadata")
    if not isinstance(meta, dict):
        if strict:
            raise InputError(f"{where}: {kind} needs metadata with a name")
        return
    name = meta.get("name")
    if strict and (not isinstance(name, str) or not name):
        raise InputError(
            f"{document.locate((*path, 'metadata', 'name'))}: metadata.name must be a "
            "non-empty string"
        )
    namespace = meta.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        raise InputError(
            f"{document.locate((*path, 'metadata', 'namespace'))}: metadata.namespace must be "
            "a string"
        )
