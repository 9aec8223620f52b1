"""Find container image references in Kubernetes manifests, Dockerfiles, kustomizations and stdin.

Every reference keeps where it was written (file, line, document path). A reference that cannot
be parsed is still returned, with ``error`` set, so that a gate can deny it instead of skipping it.

- Manifests: every YAML/JSON document (``helm template`` output included), parsed in full by the
  safe loader. Container positions are recognised anywhere in any document, whatever its kind:
  the lists ``containers``, ``initContainers``, ``ephemeralContainers``, ``sidecars`` and
  ``steps``, the single containers ``container``, ``script`` and ``stepTemplate`` (Argo
  Workflows, Tekton), and image volumes (``volumes[].image.reference``). That covers every
  pod-spec-bearing kind in ``POD_SPEC_KINDS`` (core workloads, Argo Workflows/Rollouts/Events,
  Tekton, Knative, KEDA, OpenShift, ...) and embedded specs (``taskSpec``, ``pipelineSpec``,
  ``workflowSpec``, ``jobTemplate``). An object of any other kind is walked whole and every
  ``image:`` string that parses as an image reference is taken too. ``List`` items are judged
  one by one, each by its own kind.
- Kustomizations: ``images:`` entries (``name``/``newName``/``newTag``/``digest``).
- Dockerfiles: every ``FROM`` (``--platform`` flags, ``AS`` stage names, references to earlier
  stages and ``scratch`` skipped), ``COPY --from=<image>``, with ``ARG`` defaults substituted.
- Folders: walked in full by ``iter_input_files`` (dot-folders included, symbolic links to
  folders followed once); ``.git`` is skipped, since Git cannot track a path inside one, and
  so are paths ``--exclude`` globs or ``.gitignore``/``.seccliignore`` rules leave out; a file
  that does not parse and is not a manifest (Helm template, JSON with comments) is skipped
  with a reason (``seccli.manifests.walk``).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from seccli.core.documents import (
    Document,
    detect_format,
    parse_documents,
    read_source,
    read_stream,
)
from seccli.core.errors import InputError
from seccli.core.imageref import ImageRef, parse_image_ref
from seccli.core.location import DocPath, Location, format_doc_path
from seccli.core.urls import redact_urls
from seccli.manifests.helm import is_chart, render_chart
from seccli.manifests.walk import (
    IgnoreRules,
    SkippedFile,
    WalkOptions,
    leaves_out,
    unparsable_reason,
)

CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers", "sidecars", "steps")
SINGLE_CONTAINERS = ("container", "script", "stepTemplate")
_SOURCE_KIND = {
    "containers": "container",
    "initContainers": "initContainer",
    "ephemeralContainers": "ephemeralContainer",
    "sidecars": "sidecar",
    "steps": "step",
    "container": "container",
    "script": "script",
    "stepTemplate": "stepTemplate",
}
_YAML_SUFFIXES = (".yaml", ".yml", ".json")
_SKIP_DIRS = frozenset({".git"})

# Kinds whose images all sit in the container positions above, by API group ("" = core).
POD_SPEC_KINDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "Pod"),
        ("", "PodTemplate"),
        ("", "ReplicationController"),
        ("apps", "Deployment"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
        ("apps", "ReplicaSet"),
        ("batch", "Job"),
        ("batch", "CronJob"),
        ("argoproj.io", "Workflow"),
        ("argoproj.io", "WorkflowTemplate"),
        ("argoproj.io", "ClusterWorkflowTemplate"),
        ("argoproj.io", "CronWorkflow"),
        ("argoproj.io", "Rollout"),
        ("argoproj.io", "Sensor"),
        ("argoproj.io", "EventSource"),
        ("tekton.dev", "Task"),
        ("tekton.dev", "ClusterTask"),
        ("tekton.dev", "Pipeline"),
        ("tekton.dev", "PipelineRun"),
        ("tekton.dev", "TaskRun"),
        ("serving.knative.dev", "Service"),
        ("serving.knative.dev", "Configuration"),
        ("serving.knative.dev", "Revision"),
        ("keda.sh", "ScaledJob"),
        ("apps.openshift.io", "DeploymentConfig"),
    }
)
_POD_SPEC_KIND_NAMES = frozenset(kind for _, kind in POD_SPEC_KINDS)


@dataclass(frozen=True, slots=True)
class FoundImage:
    """One image reference as written, where it was written, and its parsed form (or why not)."""

    text: str
    location: Location
    source_kind: str
    ref: ImageRef | None
    error: str | None = None

    @property
    def normalised(self) -> str:
        """The normalised reference, or the text as written when it does not parse."""
        return str(self.ref) if self.ref is not None else self.text


@dataclass(frozen=True, slots=True)
class InputImages:
    """What one input (a file, a folder or stdin) held: files and documents read, images found."""

    source: str
    files: int
    documents: int
    images: list[FoundImage] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)

    @property
    def emptiness(self) -> str | None:
        """Why there is nothing to judge in this input, or ``None`` when images were found."""
        if self.images:
            return None
        if self.files == 0:
            return f"{self.source}: no manifests, Dockerfiles or kustomizations found"
        if self.documents == 0:
            return f"{self.source}: empty (no documents or instructions)"
        return f"{self.source}: {self.documents} document(s), no image references"


def _found(text: str, location: Location, source_kind: str) -> FoundImage:
    try:
        return FoundImage(text, location, source_kind, parse_image_ref(text))
    except ValueError as exc:
        # Reported as written, minus credentials of a reference written as a URL.
        return FoundImage(redact_urls(text), location, source_kind, None, str(exc))


def is_dockerfile(path: Path) -> bool:
    """Dockerfile naming conventions: ``Dockerfile``, ``Dockerfile.x``, ``x.Dockerfile``,
    ``Containerfile``."""
    name = path.name.lower()
    return (
        name in {"dockerfile", "containerfile"}
        or name.startswith(("dockerfile.", "containerfile."))
        or name.endswith((".dockerfile", ".containerfile"))
    )


def _is_input_name(path: Path) -> bool:
    return (
        path.suffix.lower() in _YAML_SUFFIXES
        or is_dockerfile(path)
        or path.name.lower() == "kustomization"
    )


def iter_input_files(paths: Sequence[Path], options: WalkOptions | None = None) -> Iterator[Path]:
    """The files to read for ``paths``: files as given; folders walked (see ``walk_folder``)."""
    for path in paths:
        if path.is_dir() and options is not None and options.helm and is_chart(path):
            yield path  # a chart named itself: rendered as a whole
        elif path.is_dir():
            yield from walk_folder(path, options)
        elif path.exists() or path.is_symlink():
            yield path
        else:
            raise InputError(f"{path}: file not found")


def walk_folder(root: Path, options: WalkOptions | None = None) -> Iterator[Path]:
    """Every manifest, Dockerfile and kustomization under ``root``, sorted by name per folder.

    Nothing is hidden: dot-folders are walked, symbolic links to folders are followed (each
    folder once, so loops end), and a matching name that is not a regular file (a FIFO, a
    dangling link) is an error rather than skipped. Only ``.git`` folders are left out: Git
    cannot track anything inside one, so nothing there is deployed from the repository.
    ``options`` (default: ignore files honoured) add ``--exclude`` globs and
    ``.gitignore``/``.seccliignore`` rules (``seccli.manifests.walk``); with ``helm`` a Helm
    chart folder is yielded itself (to be rendered), not its files.
    """
    seen: set[tuple[int, int]] = set()
    walk = options or WalkOptions()

    def rules_for(folder: Path, relative: str, rules: IgnoreRules) -> IgnoreRules:
        return rules.with_folder(folder, relative) if walk.ignore_files else rules

    def visit(folder: Path, relative: str, rules: IgnoreRules) -> Iterator[Path]:
        try:
            info = folder.stat()
        except OSError as exc:
            raise InputError(f"{folder}: cannot read folder: {exc.strerror}") from None
        key = (info.st_dev, info.st_ino)
        if key in seen:
            return
        seen.add(key)
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as exc:
            raise InputError(f"{folder}: cannot read folder: {exc.strerror}") from None
        for entry in entries:
            child = Path(entry.path)
            inner = f"{relative}/{entry.name}" if relative else entry.name
            try:
                mode = os.stat(entry.path).st_mode
            except OSError:
                mode = None
            is_dir = mode is not None and stat.S_ISDIR(mode)
            if leaves_out(inner, is_dir, walk, rules) and entry.name not in _SKIP_DIRS:
                continue
            if mode is not None and stat.S_ISDIR(mode):
                if entry.name in _SKIP_DIRS and not entry.is_symlink():
                    continue
                if walk.helm and is_chart(child):
                    yield child
                    continue
                yield from visit(child, inner, rules_for(child, inner, rules))
            elif _is_input_name(child):
                if mode is None:
                    raise InputError(f"{child}: cannot read (a dangling symbolic link?)")
                if not stat.S_ISREG(mode):
                    raise InputError(f"{child}: not a regular file")
                yield child

    yield from visit(root, "", rules_for(root, "", IgnoreRules()))


def find_images(paths: Sequence[Path], stdin: IO[bytes] | None = None) -> list[FoundImage]:
    """Every image reference in ``paths`` (``-`` reads ``stdin`` as YAML)."""
    return [image for item in scan_inputs(paths, stdin) for image in item.images]


def scan_inputs(
    paths: Sequence[Path], stdin: IO[bytes] | None = None, options: WalkOptions | None = None
) -> list[InputImages]:
    """Per input of ``paths``: how many files and documents it held and the images found.

    In a folder, a YAML/JSON file that does not parse and is not a manifest (a Helm template,
    JSON with comments) is skipped with a reason (``InputImages.skipped``); files named
    explicitly stay strict."""
    results: list[InputImages] = []
    for path in paths:
        if str(path) == "-":
            if stdin is None:
                raise InputError("'-' given but no standard input is available")
            text = read_stream(stdin, "<stdin>")
            docs = parse_documents(text, "<stdin>")
            results.append(InputImages("<stdin>", 1, len(docs), _images_in_docs(docs)))
            continue
        files = documents = 0
        found: list[FoundImage] = []
        skipped: list[SkippedFile] = []
        walked = path.is_dir()
        for file in iter_input_files([path], options):
            if file.is_dir():  # a Helm chart, with --helm
                docs = parse_documents(render_chart(file), f"{file} (helm template)")
                documents += len(docs)
                files += 1
                found.extend(_images_in_docs(docs))
                continue
            text = read_source(file)
            if is_dockerfile(file):
                images = images_in_dockerfile(text, str(file))
                documents += 1 if text.strip() else 0
            else:
                try:
                    docs = parse_documents(text, str(file), fmt=detect_format(file.name))
                except InputError:
                    reason = unparsable_reason(text, file.name) if walked else None
                    if reason is None:
                        raise
                    skipped.append(SkippedFile(str(file), reason))
                    continue
                documents += len(docs)
                images = _images_in_docs(docs)
            files += 1
            found.extend(images)
        results.append(InputImages(str(path), files, documents, found, skipped))
    return results


def images_in_yaml(text: str, source: str, *, fmt: str = "yaml") -> list[FoundImage]:
    """Image references in every document of a YAML/JSON stream."""
    return _images_in_docs(parse_documents(text, source, fmt="json" if fmt == "json" else "yaml"))


def _images_in_docs(docs: Iterable[Document]) -> list[FoundImage]:
    found: list[FoundImage] = []
    for doc in docs:
        found.extend(images_in_document(doc))
    return found


def images_in_document(doc: Document) -> list[FoundImage]:
    """Image references of one document: container positions anywhere, kustomization
    ``images:``, and for objects of unknown kinds every ``image:`` string that parses."""
    found: list[FoundImage] = []
    data = doc.data
    if isinstance(data, dict) and _is_kustomization(doc):
        found.extend(_kustomize_images(doc, data))
    _object_images(doc, data, (), found)
    found.sort(key=lambda item: item.location.line or 0)
    return found


def is_pod_spec_kind(api_version: Any, kind: Any) -> bool:
    """True for a kind listed in ``POD_SPEC_KINDS`` (any group when ``apiVersion`` is absent)."""
    if not isinstance(kind, str):
        return False
    if not isinstance(api_version, str):
        return kind in _POD_SPEC_KIND_NAMES
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    return (group, kind) in POD_SPEC_KINDS


def _object_images(doc: Document, node: Any, path: DocPath, found: list[FoundImage]) -> None:
    """One object (or the document root): ``List`` items one by one, else the container walk,
    plus the loose ``image:`` walk when the object's kind is not a known pod-spec kind."""
    if not isinstance(node, dict):
        _walk(doc, node, path, found, set())
        return
    kind = node.get("kind")
    items = node.get("items")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
        for index, item in enumerate(items):
            _object_images(doc, item, (*path, "items", index), found)
        rest = {key: value for key, value in node.items() if key != "items"}
        _walk(doc, rest, path, found, set())
        return
    strict: set[DocPath] = set()
    _walk(doc, node, path, found, strict)
    if not is_pod_spec_kind(node.get("apiVersion"), kind):
        _loose_walk(doc, node, path, found, strict)


def _is_kustomization(doc: Document) -> bool:
    data = doc.data
    if data.get("kind") == "Kustomization":
        return True
    name = Path(doc.source).name.lower()
    return name in {"kustomization.yaml", "kustomization.yml", "kustomization"}


def _kustomize_images(doc: Document, data: dict[Any, Any]) -> Iterator[FoundImage]:
    images = data.get("images")
    if not isinstance(images, list):
        return
    for index, entry in enumerate(images):
        path: DocPath = ("images", index)
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            yield FoundImage(
                repr(entry), doc.locate(path), "kustomization", None, "entry without a name"
            )
            continue
        name = entry.get("newName") or entry["name"]
        text = str(name)
        if entry.get("newTag") is not None:
            text += f":{entry['newTag']}"
        if entry.get("digest") is not None:
            text += f"@{entry['digest']}"
        yield _found(text, doc.locate(path), "kustomization")


def _strict_image(
    doc: Document, value: Any, image_path: DocPath, source_kind: str, found: list[FoundImage]
) -> None:
    """An image in a container position: taken even when it does not parse (then denied)."""
    location = Location(doc.source, doc.line_of(image_path), None, format_doc_path(image_path))
    if isinstance(value, str):
        found.append(_found(value, location, source_kind))
    else:
        found.append(FoundImage(repr(value), location, source_kind, None, "not a string"))


def _walk(
    doc: Document, node: Any, path: DocPath, found: list[FoundImage], strict: set[DocPath]
) -> None:
    """Container positions anywhere under ``node``; their image paths are added to ``strict``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in CONTAINER_LISTS and isinstance(value, list):
                for index, container in enumerate(value):
                    if isinstance(container, dict) and "image" in container:
                        image_path = (*path, key, index, "image")
                        strict.add(image_path)
                        _strict_image(doc, container["image"], image_path, _SOURCE_KIND[key], found)
            elif key in SINGLE_CONTAINERS and isinstance(value, dict) and "image" in value:
                image_path = (*path, key, "image")
                strict.add(image_path)
                _strict_image(doc, value["image"], image_path, _SOURCE_KIND[key], found)
            elif key == "volumes" and isinstance(value, list):
                for index, volume in enumerate(value):
                    image = volume.get("image") if isinstance(volume, dict) else None
                    if isinstance(image, dict) and "reference" in image:
                        image_path = (*path, key, index, "image", "reference")
                        strict.add(image_path)
                        _strict_image(doc, image["reference"], image_path, "imageVolume", found)
            if isinstance(value, dict | list):
                _walk(doc, value, (*path, key), found, strict)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, dict | list):
                _walk(doc, value, (*path, index), found, strict)


def _loose_walk(
    doc: Document, node: Any, path: DocPath, found: list[FoundImage], strict: set[DocPath]
) -> None:
    """Every ``image:`` string under ``node`` that parses as a reference, outside ``strict``."""
    if isinstance(node, dict):
        for key, value in node.items():
            child = (*path, key)
            if key == "image" and isinstance(value, str) and child not in strict:
                try:
                    ref = parse_image_ref(value)
                except ValueError:
                    continue
                location = Location(doc.source, doc.line_of(child), None, format_doc_path(child))
                found.append(FoundImage(value, location, "image field", ref))
            elif isinstance(value, dict | list):
                _loose_walk(doc, value, child, found, strict)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, dict | list):
                _loose_walk(doc, value, (*path, index), found, strict)


# --- Dockerfiles -------------------------------------------------------------------------------

_VAR = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-+])?(?P<word>[^}]*)\}"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)


_HEREDOC = re.compile(r"<<-?\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)\1")


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Join continuation lines (escape ``\\``, or a ``# escape=`` directive), skip comments and
    the bodies of here-documents (``RUN <<EOF ... EOF``)."""
    escape = "\\"
    lines = text.splitlines()
    directive = re.match(r"^#\s*escape\s*=\s*(\S)", lines[0]) if lines else None
    if directive:
        escape = directive.group(1)
    buffer: list[str] = []
    start = 0
    heredocs: list[str] = []
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if heredocs:
            if stripped == heredocs[0]:
                heredocs.pop(0)
            continue
        if stripped.startswith("#"):
            continue  # comments, also inside a continued instruction
        if not buffer:
            start = number
        if stripped.endswith(escape):
            buffer.append(stripped[: -len(escape)])
            continue
        buffer.append(stripped)
        joined = " ".join(part for part in buffer if part)
        buffer = []
        if joined:
            heredocs = [match.group(2) for match in _HEREDOC.finditer(joined)]
            yield start, joined
    if buffer:
        yield start, " ".join(part for part in buffer if part)


def _substitute(word: str, env: dict[str, str | None]) -> tuple[str, list[str]]:
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("plain")
        value = env.get(name)
        op = match.group("op")
        if op and op.endswith("-"):
            if value is None or (op == ":-" and value == ""):
                return match.group("word") or ""
            return value
        if op and op.endswith("+"):
            return (match.group("word") or "") if value else ""
        if value is None:
            missing.append(name)
            return ""
        return value

    return _VAR.sub(replace, word), missing


def _parse_arg(rest: str, env: dict[str, str | None]) -> None:
    for item in rest.split():
        if "=" in item:
            name, value = item.split("=", 1)
            value = value.strip("\"'")
            resolved, _ = _substitute(value, env)
            env[name] = resolved
        else:
            env.setdefault(item, None)


def images_in_dockerfile(text: str, source: str) -> list[FoundImage]:
    """Image references of a Dockerfile: base images of every stage and ``COPY --from`` images."""
    global_args: dict[str, str | None] = {}
    stage_args: dict[str, str | None] = {}
    stages: set[str] = set()
    in_stage = False
    found: list[FoundImage] = []
    for line, instruction in _logical_lines(text):
        keyword, _, rest = instruction.partition(" ")
        keyword = keyword.upper()
        rest = rest.strip()
        if keyword == "ARG":
            _parse_arg(rest, stage_args if in_stage else global_args)
        elif keyword == "FROM":
            in_stage = True
            stage_args = {}
            words = [w for w in rest.split() if not w.startswith("--")]
            if not words:
                found.append(
                    FoundImage(
                        "", Location(source, line), "dockerfile", None, "FROM without an image"
                    )
                )
                continue
            image_word = words[0]
            image, missing = _substitute(image_word, global_args)
            found.extend(_dockerfile_image(image_word, image, missing, stages, source, line))
            if len(words) >= 3 and words[1].lower() == "as":
                stages.add(words[2].lower())
        elif keyword in {"COPY", "ADD"}:
            match = re.search(r"--from=(\S+)", rest)
            if match is None:
                continue
            word = match.group(1)
            scope = {**global_args, **stage_args}
            image, missing = _substitute(word, scope)
            if image.isdigit():
                continue  # a stage index
            found.extend(_dockerfile_image(word, image, missing, stages, source, line))
    return found


def _dockerfile_image(
    written: str, image: str, missing: list[str], stages: set[str], source: str, line: int
) -> Iterable[FoundImage]:
    location = Location(source, line)
    if missing:
        names = ", ".join(sorted(set(missing)))
        return [
            FoundImage(written, location, "dockerfile", None, f"ARG {names} has no default value")
        ]
    if image.lower() in stages and "/" not in image and ":" not in image:
        return []
    if image == "scratch":
        return []
    return [_found(image, location, "dockerfile")]


def images_in_estate(path: Path) -> list[FoundImage]:
    """The image of every service of an estate file (validated first), with its line."""
    from seccli.estate.loader import load_estate

    loaded = load_estate(path)
    found: list[FoundImage] = []
    for index, service in enumerate(loaded.estate.services):
        doc_path: DocPath = ("services", index, "image")
        location = loaded.document.locate(doc_path)
        found.append(FoundImage(service.image, location, "estate", service.image_ref))
    return found
