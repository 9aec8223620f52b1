"""Find container image references in Kubernetes manifests, Dockerfiles, kustomizations and stdin.

Every reference keeps where it was written (file, line, document path). A reference that cannot
be parsed is still returned, with ``error`` set, so that a gate can deny it instead of skipping it.

- Manifests: any YAML/JSON document (``helm template`` output included); every mapping with a
  ``containers``, ``initContainers`` or ``ephemeralContainers`` list is a pod spec, whatever the
  kind (Pod, Deployment, CronJob, CRDs such as Argo Rollouts...). ``List`` documents are walked too.
- Kustomizations: ``images:`` entries (``name``/``newName``/``newTag``/``digest``).
- Dockerfiles: every ``FROM`` (``--platform`` flags, ``AS`` stage names, references to earlier
  stages and ``scratch`` skipped), ``COPY --from=<image>``, with ``ARG`` defaults substituted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from seccli.core.documents import Document, decode_source, parse_documents, read_source
from seccli.core.errors import InputError
from seccli.core.imageref import ImageRef, parse_image_ref
from seccli.core.location import DocPath, Location, format_doc_path

CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
_YAML_SUFFIXES = (".yaml", ".yml", ".json")
_SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__", ".tox", ".mypy_cache"}


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


def _found(text: str, location: Location, source_kind: str) -> FoundImage:
    try:
        return FoundImage(text, location, source_kind, parse_image_ref(text))
    except ValueError as exc:
        return FoundImage(text, location, source_kind, None, str(exc))


def is_dockerfile(path: Path) -> bool:
    """Dockerfile naming conventions: ``Dockerfile``, ``Dockerfile.x``, ``x.Dockerfile``,
    ``Containerfile``."""
    name = path.name.lower()
    return (
        name in {"dockerfile", "containerfile"}
        or name.startswith(("dockerfile.", "containerfile."))
        or name.endswith((".dockerfile", ".containerfile"))
    )


def iter_input_files(paths: Sequence[Path]) -> Iterator[Path]:
    """The files to read for ``paths``: files as given; folders walked (sorted, hidden skipped)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path).parts
                if any(part in _SKIP_DIRS or part.startswith(".") for part in rel):
                    continue
                if child.is_file() and (
                    child.suffix.lower() in _YAML_SUFFIXES or is_dockerfile(child)
                ):
                    yield child
        elif path.exists():
            yield path
        else:
            raise InputError(f"{path}: file not found")


def find_images(paths: Sequence[Path], stdin: IO[bytes] | None = None) -> list[FoundImage]:
    """Every image reference in ``paths`` (``-`` reads ``stdin`` as YAML)."""
    found: list[FoundImage] = []
    for path in paths:
        if str(path) == "-":
            if stdin is None:
                raise InputError("'-' given but no standard input is available")
            text = decode_source(stdin.read(), "<stdin>")
            found.extend(images_in_yaml(text, "<stdin>"))
            continue
        for file in iter_input_files([path]):
            text = read_source(file)
            if is_dockerfile(file):
                found.extend(images_in_dockerfile(text, str(file)))
            else:
                fmt = "json" if file.suffix.lower() == ".json" else "yaml"
                found.extend(images_in_yaml(text, str(file), fmt=fmt))
    return found


def images_in_yaml(text: str, source: str, *, fmt: str = "yaml") -> list[FoundImage]:
    """Image references in every document of a YAML/JSON stream."""
    docs = parse_documents(text, source, fmt="json" if fmt == "json" else "yaml")
    found: list[FoundImage] = []
    for doc in docs:
        found.extend(images_in_document(doc))
    return found


def images_in_document(doc: Document) -> list[FoundImage]:
    """Image references of one document: pod specs anywhere, and kustomization ``images:``."""
    found: list[FoundImage] = []
    data = doc.data
    if isinstance(data, dict) and _is_kustomization(doc):
        found.extend(_kustomize_images(doc, data))
    _walk(doc, data, (), found)
    found.sort(key=lambda item: item.location.line or 0)
    return found


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


def _walk(doc: Document, node: Any, path: DocPath, found: list[FoundImage]) -> None:
    if isinstance(node, dict):
        for key in CONTAINER_LISTS:
            containers = node.get(key)
            if isinstance(containers, list):
                for index, container in enumerate(containers):
                    if isinstance(container, dict) and "image" in container:
                        image_path = (*path, key, index, "image")
                        image = container["image"]
                        location = Location(
                            doc.source, doc.line_of(image_path), None, format_doc_path(image_path)
                        )
                        if isinstance(image, str):
                            found.append(_found(image, location, key[:-1]))
                        else:
                            found.append(
                                FoundImage(repr(image), location, key[:-1], None, "not a string")
                            )
        for key, value in node.items():
            if key in CONTAINER_LISTS:
                continue
            if isinstance(value, dict | list):
                _walk(doc, value, (*path, key), found)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, dict | list):
                _walk(doc, value, (*path, index), found)


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
