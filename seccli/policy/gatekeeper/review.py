"""The input document Gatekeeper builds, and ``data.inventory`` for referential templates.

``input.review`` is the JSON of a Kubernetes ``admission/v1`` AdmissionRequest as Go encodes it:
``uid``, ``kind`` and ``resource`` (zero structs when unknown), ``operation`` (``""`` for objects
reviewed outside admission, as gator and audit do), ``userInfo`` (``{}``), ``object``,
``oldObject`` and ``options`` (``null`` when absent); ``name`` and ``namespace`` only when
non-empty (``omitempty``).  ``namespaceObject`` is added when the object's Namespace is known.
An ``AdmissionReview`` is reviewed as its ``request``; a DELETE request without ``object`` is
reviewed with its ``oldObject`` as ``object``, as the Gatekeeper webhook does.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from seccli.core.documents import Document
from seccli.core.errors import Problem
from seccli.core.location import DocPath, Location, format_doc_path

ADMISSION_REVIEW = "AdmissionReview"


def split_api_version(api_version: str) -> tuple[str, str]:
    """``apps/v1`` → (``apps``, ``v1``); ``v1`` → (``""``, ``v1``)."""
    if "/" in api_version:
        group, _, version = api_version.partition("/")
        return group, version
    return "", api_version


@dataclass(frozen=True)
class ReviewItem:
    """One thing to review: a request and where it came from."""

    request: dict[str, Any]
    source: str
    line: int
    path: str = ""

    @property
    def object(self) -> dict[str, Any] | None:
        """The object under review (``object``, else ``oldObject``)."""
        for key in ("object", "oldObject"):
            value = self.request.get(key)
            if isinstance(value, dict):
                return value
        return None

    @property
    def kind(self) -> str:
        """The request's kind."""
        gvk = self.request.get("kind")
        return str(gvk.get("kind", "")) if isinstance(gvk, dict) else ""

    @property
    def namespace(self) -> str:
        """The request's namespace or ``""``."""
        return str(self.request.get("namespace") or "")

    @property
    def name(self) -> str:
        """The request's name or ``""``."""
        return str(self.request.get("name") or "")

    @property
    def ident(self) -> str:
        """``Kind ns/name`` for reports."""
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}".strip()

    def location(self) -> Location:
        """Where the object is."""
        return Location(self.source, self.line, None, self.path or None)


def _zero_gvk() -> dict[str, str]:
    return {"group": "", "version": "", "kind": ""}


def request_for_object(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The AdmissionRequest gator builds for a plain object."""
    group, version = split_api_version(str(obj.get("apiVersion") or ""))
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    request: dict[str, Any] = {
        "uid": "",
        "kind": {"group": group, "version": version, "kind": str(obj.get("kind") or "")},
        "resource": {"group": "", "version": "", "resource": ""},
        "operation": "",
        "userInfo": {},
        "object": dict(obj),
        "oldObject": None,
        "options": None,
    }
    name = meta.get("name") if isinstance(meta, dict) else None
    namespace = meta.get("namespace") if isinstance(meta, dict) else None
    if isinstance(name, str) and name:
        request["name"] = name
    if isinstance(namespace, str) and namespace:
        request["namespace"] = namespace
    return request


def request_from_admission_review(review: Mapping[str, Any], fail: Any) -> dict[str, Any] | None:
    """Normalise ``AdmissionReview.request`` with Go zero values; ``fail(path, msg)`` on errors."""
    raw = review.get("request")
    if not isinstance(raw, dict):
        fail(("request",), "an AdmissionReview needs a request mapping")
        return None
    request = copy.deepcopy(raw)
    obj = request.get("object")
    old = request.get("oldObject")
    for key, value in (("object", obj), ("oldObject", old)):
        if value is not None and not isinstance(value, dict):
            fail(("request", key), f"request.{key} must be a mapping")
            return None
    if obj is None and old is None:
        fail(("request",), "the request has neither object nor oldObject")
        return None
    if str(request.get("operation") or "") == "DELETE" and obj is None:
        request["object"] = old
        obj = old
    subject = obj if isinstance(obj, dict) else old
    assert isinstance(subject, dict)
    kind = request.get("kind")
    if not isinstance(kind, dict):
        # An API server always sends the kind; a hand-written review may leave it to the object.
        group, version = split_api_version(str(subject.get("apiVersion") or ""))
        kind = {"group": group, "version": version, "kind": str(subject.get("kind") or "")}
    request["kind"] = {**_zero_gvk(), **kind}
    resource = request.get("resource")
    request["resource"] = {
        "group": "",
        "version": "",
        "resource": "",
        **(resource if isinstance(resource, dict) else {}),
    }
    request.setdefault("uid", "")
    request["operation"] = str(request.get("operation") or "")
    if not isinstance(request.get("userInfo"), dict):
        request["userInfo"] = {}
    request.setdefault("object", None)
    request.setdefault("oldObject", None)
    request.setdefault("options", None)
    meta = subject.get("metadata") if isinstance(subject.get("metadata"), dict) else {}
    for key in ("name", "namespace"):
        if not request.get(key):
            value = meta.get(key) if isinstance(meta, dict) else None
            if isinstance(value, str) and value:
                request[key] = value
            else:
                request.pop(key, None)
    return request


def _is_list(data: Mapping[str, Any]) -> bool:
    kind = data.get("kind")
    return (
        isinstance(kind, str)
        and kind.endswith("List")
        and isinstance(data.get("items"), list)
        and "apiVersion" in data
    )


def objects_in(document: Document) -> Iterator[tuple[dict[str, Any], DocPath]]:
    """Every object of a document, expanding ``List`` kinds (their paths in the document)."""

    def walk(data: Any, base: DocPath) -> Iterator[tuple[dict[str, Any], DocPath]]:
        if isinstance(data, dict) and _is_list(data):
            for index, item in enumerate(data["items"]):
                yield from walk(item, (*base, "items", index))
            return
        yield data, base

    yield from walk(document.data, ())


def review_items(documents: Iterable[Document]) -> tuple[list[ReviewItem], list[Problem]]:
    """Review items for every object in ``documents``, and the problems of malformed ones."""
    items: list[ReviewItem] = []
    problems: list[Problem] = []
    for document in documents:
        for obj, base in objects_in(document):
            item = review_item(document, obj, base, problems)
            if item is not None:
                items.append(item)
    return items, problems


def review_item(
    document: Document, obj: Any, base: DocPath, problems: list[Problem]
) -> ReviewItem | None:
    """One review item, or ``None`` with a problem when ``obj`` is not a Kubernetes object."""

    def fail(path: DocPath, message: str) -> None:
        problems.append(Problem(document.locate((*base, *path)), message))

    if not isinstance(obj, dict):
        fail((), "expected a Kubernetes object (a mapping with apiVersion and kind)")
        return None
    kind = obj.get("kind")
    api = obj.get("apiVersion")
    if not isinstance(kind, str) or not kind:
        fail(("kind",), "the object has no kind")
        return None
    if kind == ADMISSION_REVIEW:
        request = request_from_admission_review(obj, fail)
    else:
        if not isinstance(api, str) or not api:
            fail(("apiVersion",), "the object has no apiVersion")
            return None
        meta = obj.get("metadata")
        if meta is not None and not isinstance(meta, dict):
            fail(("metadata",), "metadata must be a mapping")
            return None
        request = request_for_object(obj)
    if request is None:
        return None
    path = format_doc_path(base)
    return ReviewItem(request, document.source, document.line_of(base), path)


def inventory_of(objects: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``data.inventory``: ``cluster[apiVersion][kind][name]`` and
    ``namespace[ns][apiVersion][kind][name]`` (later objects replace earlier ones)."""
    cluster: dict[str, Any] = {}
    namespaced: dict[str, Any] = {}
    for obj in objects:
        api = obj.get("apiVersion")
        kind = obj.get("kind")
        meta = obj.get("metadata")
        if not isinstance(api, str) or not isinstance(kind, str) or not isinstance(meta, dict):
            continue
        name = meta.get("name")
        if not isinstance(name, str) or not name:
            continue
        namespace = meta.get("namespace")
        if isinstance(namespace, str) and namespace:
            tree = namespaced.setdefault(namespace, {})
        else:
            tree = cluster
        tree.setdefault(api, {}).setdefault(kind, {})[name] = obj
    inventory: dict[str, Any] = {}
    if cluster:
        inventory["cluster"] = cluster
    if namespaced:
        inventory["namespace"] = namespaced
    return inventory


def namespaces_of(objects: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Namespace objects by name."""
    found: dict[str, dict[str, Any]] = {}
    for obj in objects:
        if (
            obj.get("kind") == "Namespace"
            and split_api_version(str(obj.get("apiVersion")))[0] == ""
        ):
            meta = obj.get("metadata")
            name = meta.get("name") if isinstance(meta, dict) else None
            if isinstance(name, str) and name:
                found[name] = dict(obj)
    return found


def input_document(
    request: Mapping[str, Any],
    parameters: Any,
    namespace_object: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``{"review": <request (+ namespaceObject)>, "parameters": <spec.parameters>}``."""
    review = dict(request)
    if namespace_object is not None and "namespaceObject" not in review:
        review["namespaceObject"] = dict(namespace_object)
    return {"review": review, "parameters": parameters}
