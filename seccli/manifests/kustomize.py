"""Building a kustomization as ``kubectl kustomize DIR`` does, for the fields seccli supports.

Supported: ``resources`` (files, and folders holding a kustomization), ``bases``, ``components``
(kind Component), ``namespace``, ``commonLabels``, ``labels`` (pairs, includeSelectors,
includeTemplates), ``commonAnnotations``, ``patches``, ``patchesStrategicMerge`` and
``patchesJson6902`` (see ``seccli.manifests.patches``), and ``sortOptions`` (order only).
Transformers run in kustomize's order: strategic-merge patches, patches, namespace, labels,
annotations, JSON 6902 patches.

Refused with exit 2, never ignored: every other field (generators, helmCharts, images,
replacements, namePrefix, ...), remote resources, a missing or non-regular file, a reference
that resolves outside the root folder, a resource file outside its kustomization's folder
(kustomize's own load restriction), reference cycles, and two objects with the same identity.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import seccli.manifests.fieldspecs as fieldspecs
from seccli.core.documents import Document, LoadLimits, detect_format, parse_documents, read_source
from seccli.core.errors import InputError
from seccli.manifests.model import (
    CLUSTER_SCOPED_KINDS,
    Build,
    ResourceId,
    SourcedObject,
    describe_id,
    resource_id,
    split_objects,
)
from seccli.manifests.patches import json_patch, strategic_merge

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KUSTOMIZATION_API = "kustomize.config.k8s.io/v1beta1"
COMPONENT_API = "kustomize.config.k8s.io/v1alpha1"

Parser = Callable[[str, str, LoadLimits], list[Document]]

_SUPPORTED = frozenset(
    {
        "apiVersion",
        "kind",
        "metadata",
        "resources",
        "bases",
        "components",
        "namespace",
        "commonLabels",
        "labels",
        "commonAnnotations",
        "patches",
        "patchesStrategicMerge",
        "patchesJson6902",
        "sortOptions",
    }
)
_KNOWN_UNSUPPORTED = frozenset(
    {
        "namePrefix",
        "nameSuffix",
        "images",
        "replicas",
        "configMapGenerator",
        "secretGenerator",
        "generatorOptions",
        "helmCharts",
        "helmGlobals",
        "helmChartInflationGenerator",
        "replacements",
        "vars",
        "crds",
        "configurations",
        "transformers",
        "generators",
        "validators",
        "openapi",
        "buildMetadata",
        "imageTags",
    }
)
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|git::|ssh:)", re.IGNORECASE)
_TARGET_KEYS = frozenset(
    {"group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector"}
)


def find_kustomization(directory: Path) -> Path | None:
    """The kustomization file of ``directory``, None if it has none; two or more is an error."""
    found = [directory / name for name in KUSTOMIZATION_NAMES if (directory / name).exists()]
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise InputError(f"{directory}: found several kustomization files ({names}); keep one")
    return found[0] if found else None


def parse_safely(text: str, source: str, limits: LoadLimits) -> list[Document]:
    """The default parser: the safe loader, by file suffix."""
    return parse_documents(text, source, fmt=detect_format(source), limits=limits)


def build_kustomization(
    directory: Path,
    *,
    root: Path | None = None,
    limits: LoadLimits | None = None,
    parser: Parser | None = None,
    build: Build | None = None,
) -> Build:
    """The objects ``kubectl kustomize directory`` emits, with the files that made them.

    ``root`` (default: ``directory``) bounds every reference: anything resolving outside it is
    refused. ``parser`` reads resource files (default: the safe loader); kustomization and patch
    files are always read by the safe loader.
    """
    out = build if build is not None else Build()
    builder = _Builder(root or directory, limits or LoadLimits(), parser or parse_safely, out)
    resmap = builder.build_dir(directory, "Kustomization", None)
    out.objects.extend(resmap.objects)
    return out


class _ResMap:
    """Objects in order, indexed by identity (kustomize refuses duplicates)."""

    def __init__(self) -> None:
        self.objects: list[SourcedObject] = []
        self.ids: dict[ResourceId, SourcedObject] = {}

    def add(self, obj: SourcedObject, where: str) -> None:
        ident = obj.ident()
        first = self.ids.get(ident)
        if first is not None:
            raise InputError(
                f"{obj.locate()}: {describe_id(ident)} is already in the build "
                f"(from {first.locate()}), reached through {where}"
            )
        self.ids[ident] = obj
        self.objects.append(obj)

    def reindex(self, why: str) -> None:
        self.ids = {}
        objects, self.objects = self.objects, []
        for obj in objects:
            self.add(obj, why)


class _Builder:
    def __init__(self, root: Path, limits: LoadLimits, parser: Parser, build: Build) -> None:
        self.root = root
        self.root_real = Path(os.path.realpath(root))
        self.limits = limits
        self.parser = parser
        self.build = build
        self.stack: list[Path] = []
        self.parsed: dict[Path, list[Document]] = {}

    # -- paths --------------------------------------------------------------------------

    def resolve(self, base: Path, entry: str, kfile: Path, field: str) -> tuple[Path, Path]:
        """(display path, real path) of ``entry`` relative to ``base``, checked."""
        if _REMOTE.match(entry):
            raise InputError(
                f"{kfile}: {field}: remote reference {entry!r} is not supported",
                hint="vendor the remote base into the repository and refer to it by path",
            )
        if not entry or os.path.isabs(entry):
            raise InputError(f"{kfile}: {field}: {entry!r} must be a relative path")
        display = Path(os.path.normpath(base / entry))
        real = Path(os.path.realpath(base / entry))
        if not real.is_relative_to(self.root_real):
            raise InputError(
                f"{kfile}: {field}: {entry!r} resolves to {real}, outside the root {self.root}",
                hint="name a folder that contains every base (seccli judges only what it was "
                "given)",
            )
        if not os.path.lexists(base / entry) or not real.exists():
            raise InputError(f"{kfile}: {field}: {entry!r} not found ({display})")
        return display, real

    def in_folder(self, real: Path, folder: Path, kfile: Path, field: str, entry: str) -> None:
        folder_real = Path(os.path.realpath(folder))
        if not real.is_relative_to(folder_real):
            raise InputError(
                f"{kfile}: {field}: file {entry!r} is not in or below {folder} (kustomize "
                "loads files only from the kustomization's own folder)"
            )

    # -- files --------------------------------------------------------------------------

    def documents(self, display: Path, real: Path, *, resource: bool) -> list[Document]:
        if not real.is_file():
            raise InputError(f"{display}: not a regular file")
        cached = self.parsed.get(real)
        if cached is None:
            text = read_source(real, self.limits)
            name = str(display)
            if resource:
                cached = self.parser(text, name, self.limits)
            else:
                cached = parse_safely(text, name, self.limits)
            self.parsed[real] = cached
        self.build.add_file(str(display))
        return cached

    def load_kustomization(self, directory: Path, expect: str) -> tuple[Path, dict[str, Any]]:
        kfile = find_kustomization(directory)
        if kfile is None:
            raise InputError(
                f"{directory}: no kustomization file (one of {', '.join(KUSTOMIZATION_NAMES)})",
                hint="a folder listed in resources, bases or components must hold a kustomization",
            )
        docs = self.documents(kfile, Path(os.path.realpath(kfile)), resource=False)
        self.build.kustomizations.append(str(kfile))
        if not docs:
            raise InputError(f"{kfile}: the kustomization is empty")
        if len(docs) > 1:
            raise InputError(f"{kfile}:{docs[1].start_line}: expected one document")
        data = docs[0].data
        if not isinstance(data, dict):
            raise InputError(f"{kfile}:{docs[0].start_line}: a kustomization must be a mapping")
        kind = data.get("kind", "Kustomization")
        api = data.get("apiVersion")
        if kind not in ("Kustomization", "Component"):
            raise InputError(
                f"{docs[0].locate(('kind',))}: kind must be Kustomization or Component"
            )
        wanted_api = KUSTOMIZATION_API if kind == "Kustomization" else COMPONENT_API
        if api is not None and api != wanted_api:
            raise InputError(
                f"{docs[0].locate(('apiVersion',))}: apiVersion for {kind} should be {wanted_api}"
            )
        if kind != expect:
            raise InputError(
                f"{kfile}: expected a {expect} here but found a {kind}",
                hint="components go in 'components', kustomizations in 'resources'",
            )
        for key, value in data.items():
            if key in _SUPPORTED:
                continue
            where = docs[0].locate((key,))
            if key in _KNOWN_UNSUPPORTED:
                if value in (None, "", [], {}):
                    continue
                raise InputError(
                    f"{where}: the kustomization field {key!r} is not supported by seccli; "
                    "it refuses to judge a build it cannot reproduce exactly",
                    hint="judge the output of 'kubectl kustomize' instead (save it to a file)",
                )
            raise InputError(f"{where}: unknown kustomization field {key!r}")
        return kfile, data

    # -- the build ----------------------------------------------------------------------

    def build_dir(self, directory: Path, expect: str, accumulated: _ResMap | None) -> _ResMap:
        real = Path(os.path.realpath(directory))
        if real in self.stack:
            chain = " -> ".join(str(p) for p in (*self.stack, real))
            raise InputError(f"{directory}: kustomization reference cycle: {chain}")
        if not real.is_relative_to(self.root_real):
            raise InputError(f"{directory}: outside the root {self.root}")
        self.stack.append(real)
        try:
            kfile, data = self.load_kustomization(directory, expect)
            resmap = accumulated if accumulated is not None else _ResMap()
            resources = _strings(data, "resources", kfile) + _strings(data, "bases", kfile)
            for entry in resources:
                self.add_resource(directory, kfile, entry, resmap)
            for entry in _strings(data, "components", kfile):
                display, target = self.resolve(directory, entry, kfile, "components")
                if not target.is_dir():
                    raise InputError(f"{kfile}: components: {entry!r} must be a folder")
                resmap = self.build_dir(display, "Component", resmap)
            self.transform(directory, kfile, data, resmap)
            return resmap
        finally:
            self.stack.pop()

    def add_resource(self, directory: Path, kfile: Path, entry: str, resmap: _ResMap) -> None:
        display, real = self.resolve(directory, entry, kfile, "resources")
        where = f"{kfile} resources {entry!r}"
        if real.is_dir():
            sub = self.build_dir(display, "Kustomization", None)
            for obj in sub.objects:
                resmap.add(obj, where)
            return
        self.in_folder(real, directory, kfile, "resources", entry)
        for document in self.documents(display, real, resource=True):
            for obj in split_objects(document, strict=True):
                resmap.add(SourcedObject(obj.data, obj.document, obj.path), where)

    # -- transformers -------------------------------------------------------------------

    def transform(
        self, directory: Path, kfile: Path, data: dict[str, Any], resmap: _ResMap
    ) -> None:
        for index, entry in enumerate(_list(data, "patchesStrategicMerge", kfile)):
            where = f"{kfile}: patchesStrategicMerge[{index}]"
            if not isinstance(entry, str):
                raise InputError(f"{where}: expected a file name or an inline patch")
            for patch in self.patch_documents(directory, kfile, entry, where, inline=None):
                self.apply_smp(resmap, patch, None, where)
        for index, entry in enumerate(_list(data, "patches", kfile)):
            where = f"{kfile}: patches[{index}]"
            target, patch = self.patch_entry(directory, kfile, entry, where, json_only=False)
            if isinstance(patch, list):
                if target is None:
                    raise InputError(f"{where}: a JSON 6902 patch needs a target")
                self.apply_json(resmap, patch, target, where)
            else:
                self.apply_smp(resmap, patch, target, where)
        namespace = data.get("namespace")
        if namespace is not None:
            if not isinstance(namespace, str):
                raise InputError(f"{kfile}: namespace must be a string")
            if namespace:
                for obj in resmap.objects:
                    fieldspecs.set_namespace(obj, namespace)
                resmap.reindex(f"the namespace {namespace!r} of {kfile}")
        common = _pairs(data, "commonLabels", kfile)
        if common:
            specs = (
                *fieldspecs.LABEL_METADATA,
                *fieldspecs.LABEL_TEMPLATES,
                *fieldspecs.LABEL_SELECTORS,
            )
            for obj in resmap.objects:
                fieldspecs.set_pairs(obj, specs, common)
        for pairs, specs in _labels(data, kfile):
            for obj in resmap.objects:
                fieldspecs.set_pairs(obj, specs, pairs)
        annotations = _pairs(data, "commonAnnotations", kfile)
        if annotations:
            for obj in resmap.objects:
                fieldspecs.set_pairs(obj, fieldspecs.ANNOTATIONS, annotations)
        for index, entry in enumerate(_list(data, "patchesJson6902", kfile)):
            where = f"{kfile}: patchesJson6902[{index}]"
            target, patch = self.patch_entry(directory, kfile, entry, where, json_only=True)
            if target is None:
                raise InputError(f"{where}: a JSON 6902 patch needs a target")
            self.apply_json(resmap, patch, target, where)

    def patch_entry(
        self, directory: Path, kfile: Path, entry: Any, where: str, *, json_only: bool
    ) -> tuple[dict[str, Any] | None, Any]:
        if not isinstance(entry, dict):
            raise InputError(f"{where}: expected a mapping with path or patch")
        unknown = set(entry) - {"path", "patch", "target", "options"}
        if unknown:
            raise InputError(f"{where}: unknown field {sorted(unknown)[0]!r}")
        options = entry.get("options") or {}
        if not isinstance(options, dict) or any(options.values()):
            raise InputError(
                f"{where}: patch options (allowNameChange, allowKindChange) are not supported"
            )
        target = entry.get("target")
        if target is not None:
            if not isinstance(target, dict) or set(target) - _TARGET_KEYS:
                raise InputError(f"{where}: target takes only {', '.join(sorted(_TARGET_KEYS))}")
            if not all(isinstance(v, str) for v in target.values()):
                raise InputError(f"{where}: target values must be strings")
        if ("path" in entry) == ("patch" in entry):
            raise InputError(f"{where}: give exactly one of path and patch")
        if "path" in entry:
            if not isinstance(entry["path"], str):
                raise InputError(f"{where}: path must be a string")
            docs = self.patch_documents(directory, kfile, entry["path"], where, inline=False)
        else:
            if not isinstance(entry["patch"], str):
                raise InputError(f"{where}: patch must be a string holding YAML or JSON")
            docs = self.patch_documents(directory, kfile, entry["patch"], where, inline=True)
        if len(docs) != 1:
            raise InputError(f"{where}: expected exactly one patch document, found {len(docs)}")
        patch = docs[0]
        if json_only and not isinstance(patch, list):
            raise InputError(f"{where}: expected a JSON 6902 patch (a list of operations)")
        if not isinstance(patch, list | dict):
            raise InputError(f"{where}: a patch must be a mapping or a list of operations")
        return target, patch

    def patch_documents(
        self, directory: Path, kfile: Path, text: str, where: str, *, inline: bool | None
    ) -> list[Any]:
        if inline is None:
            inline = "\n" in text or text.lstrip().startswith(("{", "["))
        if inline:
            docs = parse_documents(text, where, limits=self.limits)
        else:
            display, real = self.resolve(directory, text, kfile, "patch")
            self.in_folder(real, directory, kfile, "patch", text)
            docs = self.documents(display, real, resource=False)
        return [doc.data for doc in docs]

    def apply_smp(
        self, resmap: _ResMap, patch: Any, target: dict[str, Any] | None, where: str
    ) -> None:
        if not isinstance(patch, dict):
            raise InputError(f"{where}: a strategic-merge patch must be a mapping")
        if target is not None:
            matched = [o for o in resmap.objects if _selected(o.data, target, where)]
        else:
            matched = _by_identity(resmap.objects, patch, where)
        for obj in matched:
            self.replace(resmap, obj, strategic_merge(obj.data, patch, where), where)

    def apply_json(self, resmap: _ResMap, patch: Any, target: dict[str, Any], where: str) -> None:
        for obj in [o for o in resmap.objects if _selected(o.data, target, where)]:
            self.replace(resmap, obj, json_patch(obj.data, patch, where), where)

    def replace(
        self, resmap: _ResMap, obj: SourcedObject, data: dict[str, Any], where: str
    ) -> None:
        if resource_id(data) != obj.ident():
            raise InputError(
                f"{where}: a patch may not change an object's apiVersion, kind, "
                f"name or namespace ({describe_id(obj.ident())})"
            )
        obj.data = data
        obj.transformed = True


def _by_identity(
    objects: Iterable[SourcedObject], patch: dict[str, Any], where: str
) -> list[SourcedObject]:
    meta = patch.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    namespace = meta.get("namespace") if isinstance(meta, dict) else None
    kind, api = patch.get("kind"), patch.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(name, str):
        raise InputError(
            f"{where}: a strategic-merge patch without target needs kind and metadata.name"
        )
    found = [
        o
        for o in objects
        if o.kind == kind
        and o.name == name
        and (api is None or o.data.get("apiVersion") == api)
        and o.ident()[2] == ("" if kind in CLUSTER_SCOPED_KINDS else namespace or "default")
    ]
    if len(found) != 1:
        what = "no object" if not found else f"{len(found)} objects"
        raise InputError(
            f"{where}: {what} in the build match the patch {kind} {name}"
            f"{' in ' + namespace if namespace else ''}; expected exactly one"
        )
    return found


def _selected(data: dict[str, Any], target: dict[str, Any], where: str) -> bool:
    api = str(data.get("apiVersion", ""))
    group, _, version = api.rpartition("/")
    meta = data.get("metadata") or {}
    checks = (
        ("group", group),
        ("version", version),
        ("kind", str(data.get("kind", ""))),
        ("name", str(meta.get("name", ""))),
        ("namespace", str(meta.get("namespace") or "")),
    )
    for key, actual in checks:
        wanted = target.get(key)
        if not wanted:
            continue
        if key in ("name", "namespace"):
            try:
                if re.fullmatch(wanted, actual) is None:
                    return False
            except re.error:
                raise InputError(
                    f"{where}: target {key} {wanted!r} is not a valid pattern"
                ) from None
        elif wanted != actual:
            return False
    for key, field in (("labelSelector", "labels"), ("annotationSelector", "annotations")):
        if target.get(key) and not _equality_selector(target[key], meta.get(field) or {}, where):
            return False
    return True


_SELECTOR_TERM = re.compile(
    r"^\s*(!?)\s*([A-Za-z0-9./_-]+)\s*(?:(==|=|!=)\s*([A-Za-z0-9._-]*))?\s*$"
)


def _equality_selector(text: str, labels: dict[str, Any], where: str) -> bool:
    for term in text.split(","):
        match = _SELECTOR_TERM.match(term)
        if match is None or (match.group(1) and match.group(3)):
            raise InputError(
                f"{where}: selector {text!r}: only equality terms (k=v, k!=v, k, !k) are supported"
            )
        negate, key, op, value = match.groups()
        if op is None:
            if (key in labels) == bool(negate):
                return False
        elif op == "!=":
            if labels.get(key) == value:
                return False
        elif labels.get(key) != value:
            return False
    return True


def _list(data: dict[str, Any], key: str, kfile: Path) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{kfile}: {key} must be a list")
    return value


def _strings(data: dict[str, Any], key: str, kfile: Path) -> list[str]:
    values = _list(data, key, kfile)
    for value in values:
        if not isinstance(value, str):
            raise InputError(f"{kfile}: {key} must list paths (strings), found {value!r}")
    return values


def _pairs(data: dict[str, Any], key: str, kfile: Path) -> dict[str, str]:
    value = data.get(key)
    if value is None:
        return {}
    return _string_map(value, f"{kfile}: {key}")


def _string_map(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InputError(f"{where} must map strings to strings (quote numbers and booleans)")
    return dict(value)


def _labels(
    data: dict[str, Any], kfile: Path
) -> list[tuple[dict[str, str], tuple[fieldspecs.FieldSpec, ...]]]:
    out: list[tuple[dict[str, str], tuple[fieldspecs.FieldSpec, ...]]] = []
    for index, entry in enumerate(_list(data, "labels", kfile)):
        where = f"{kfile}: labels[{index}]"
        if not isinstance(entry, dict):
            raise InputError(f"{where} must be a mapping with pairs")
        unknown = set(entry) - {"pairs", "includeSelectors", "includeTemplates"}
        if unknown:
            raise InputError(f"{where}: the labels field {sorted(unknown)[0]!r} is not supported")
        pairs = _string_map(entry.get("pairs") or {}, f"{where}.pairs")
        selectors = entry.get("includeSelectors", False)
        templates = entry.get("includeTemplates", False)
        if not isinstance(selectors, bool) or not isinstance(templates, bool):
            raise InputError(f"{where}: includeSelectors and includeTemplates must be booleans")
        specs: tuple[fieldspecs.FieldSpec, ...] = fieldspecs.LABEL_METADATA
        if selectors or templates:
            specs = (*specs, *fieldspecs.LABEL_TEMPLATES)
        if selectors:
            specs = (*specs, *fieldspecs.LABEL_SELECTORS)
        out.append((pairs, specs))
    return out
