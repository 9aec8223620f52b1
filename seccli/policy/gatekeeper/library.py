"""Loading templates and constraints from folders, and objects to review from manifests."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from seccli.core.documents import (
    Document,
    detect_format,
    parse_documents,
    read_source,
    read_stream,
)
from seccli.core.errors import DocumentInvalid, InputError, Problem, raise_if_problems
from seccli.manifests.helm import is_chart, render_chart
from seccli.manifests.walk import (
    NO_OBJECTS,
    IgnoreRules,
    SkippedFile,
    WalkOptions,
    is_manifest_object,
    leaves_out,
    unparsable_reason,
)
from seccli.policy.gatekeeper.constraint import Constraint, constraint_kind, parse_constraint
from seccli.policy.gatekeeper.review import ReviewItem, review_items
from seccli.policy.gatekeeper.template import Template, parse_template

SUFFIXES = (".yaml", ".yml", ".json")
SAMPLE_CONSTRAINT_NAMES = frozenset({"constraint.yaml", "constraint.yml"})
_TEMPLATE_HINT = re.compile(r"ConstraintTemplate")
_CONSTRAINT_HINT = re.compile(r"constraints\.gatekeeper\.sh/")


def yaml_files(paths: Iterable[Path]) -> list[Path]:
    """The files named and the YAML/JSON files under the folders named (sorted, no dot-files)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and p.suffix.lower() in SUFFIXES
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        elif path.exists():
            files.append(path)
        else:
            raise InputError(f"{path}: file or folder not found")
    return files


def parse_file(path: Path) -> list[Document]:
    """Every document of one YAML/JSON file."""
    text = read_source(path)
    return parse_documents(text, str(path), fmt=detect_format(str(path)))


@dataclass
class Library:
    """Templates by kind, constraints, and notes (e.g. CEL code that is not evaluated)."""

    templates: dict[str, Template] = field(default_factory=dict)
    constraints: list[Constraint] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def load_library(
    template_paths: Sequence[Path], constraint_paths: Sequence[Path] | None = None
) -> Library:
    """Templates under ``template_paths``; constraints under ``constraint_paths``.

    Without ``constraint_paths`` the library's sample constraints are used: the files named
    ``constraint.yaml`` (one per template folder), not the other constraints suites use.
    Every invalid template or constraint is reported at once (exit 2).
    """
    library = Library()
    problems: list[Problem] = []
    constraint_docs: list[Document] = []
    constraint_files = set(yaml_files(constraint_paths)) if constraint_paths is not None else None
    files = yaml_files(template_paths)
    seen = set(files)
    if constraint_files is not None:
        files += sorted(constraint_files - seen)
    for path in files:
        text = read_source(path)
        if constraint_files is None:
            wants_constraints = path.name in SAMPLE_CONSTRAINT_NAMES
        else:
            wants_constraints = path in constraint_files
        if not _TEMPLATE_HINT.search(text) and not (
            wants_constraints and _CONSTRAINT_HINT.search(text)
        ):
            continue
        for document in parse_documents(text, str(path), fmt=detect_format(str(path))):
            data = document.data
            if isinstance(data, dict) and data.get("kind") == "ConstraintTemplate":
                try:
                    template = parse_template(document)
                except DocumentInvalid as err:
                    problems.extend(err.problems)
                    continue
                if template.kind in library.templates:
                    problems.append(
                        Problem(
                            document.locate(("spec", "crd")),
                            f"kind {template.kind} is already defined by "
                            f"{library.templates[template.kind].source}",
                        )
                    )
                    continue
                library.templates[template.kind] = template
                library.notes.extend(template.notes)
            elif wants_constraints and constraint_kind(document) is not None:
                constraint_docs.append(document)
    raise_if_problems(problems)
    names: dict[str, Constraint] = {}
    for document in constraint_docs:
        try:
            constraint = parse_constraint(document, library.templates)
        except DocumentInvalid as err:
            problems.extend(err.problems)
            continue
        if constraint.ident in names:
            problems.append(
                Problem(
                    document.locate(("metadata", "name")),
                    f"constraint {constraint.ident} is already defined in "
                    f"{names[constraint.ident].source}",
                )
            )
            continue
        names[constraint.ident] = constraint
        library.constraints.append(constraint)
    raise_if_problems(problems)
    library.constraints.sort(key=lambda c: c.ident)
    return library


def load_objects(paths: Sequence[str], stdin: IO[bytes] | None = None) -> list[ReviewItem]:
    """Review items for every object in ``paths`` (files, folders, ``-`` for stdin)."""
    return collect_objects(paths, stdin).items


@dataclass
class FoundObjects:
    """The objects to review, and the walked files skipped as not manifests."""

    items: list[ReviewItem]
    skipped: list[SkippedFile] = field(default_factory=list)


def collect_objects(
    paths: Sequence[str], stdin: IO[bytes] | None = None, options: WalkOptions | None = None
) -> FoundObjects:
    """Review items for every object in ``paths`` (files, folders, ``-`` for stdin).

    Files named (and stdin) are strict: anything that is not a manifest is an error. Folders
    are walked as ``seccli.manifests.walk`` describes: excludes and ignore files apply, files
    that are not manifests are skipped with a reason, and with ``options.helm`` a chart
    folder is rendered with ``helm template`` instead of walked.
    """
    options = options or WalkOptions()
    documents: list[Document] = []
    skipped: list[SkippedFile] = []
    for raw in paths:
        if raw == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            documents.extend(parse_documents(read_stream(stream, "<stdin>"), "<stdin>"))
            continue
        path = Path(raw)
        if path.is_dir():
            walker = _Walker(path, options, documents, skipped)
            walker.folder(path, "", walker.rules_for(path, "", IgnoreRules()))
        elif path.exists():
            documents.extend(parse_file(path))
        else:
            raise InputError(f"{path}: file or folder not found")
    items, problems = review_items(documents)
    raise_if_problems(problems)
    return FoundObjects(items, skipped)


@dataclass
class _Walker:
    root: Path
    options: WalkOptions
    documents: list[Document]
    skipped: list[SkippedFile]

    def rules_for(self, folder: Path, relative: str, rules: IgnoreRules) -> IgnoreRules:
        return rules.with_folder(folder, relative) if self.options.ignore_files else rules

    def folder(self, folder: Path, relative: str, rules: IgnoreRules) -> None:
        if self.options.helm and is_chart(folder):
            self.chart(folder)
            return
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if entry.name.startswith("."):
                continue  # dot-files and dot-folders are not read (as before)
            inner = f"{relative}/{entry.name}" if relative else entry.name
            is_dir = entry.is_dir()
            if leaves_out(inner, is_dir, self.options, rules):
                continue
            if is_dir:
                self.folder(entry, inner, self.rules_for(entry, inner, rules))
            elif entry.is_file() and entry.suffix.lower() in SUFFIXES:
                self.file(entry)

    def file(self, path: Path) -> None:
        text = read_source(path)
        try:
            documents = parse_documents(text, str(path), fmt=detect_format(str(path)))
        except InputError:
            reason = unparsable_reason(text, path.name)
            if reason is None:
                raise
            self.skipped.append(SkippedFile(str(path), reason))
            return
        if not any(is_manifest_object(document.data) for document in documents):
            self.skipped.append(SkippedFile(str(path), NO_OBJECTS))
            return
        self.documents.extend(documents)

    def chart(self, folder: Path) -> None:
        rendered = render_chart(folder)
        self.documents.extend(
            d for d in parse_documents(rendered, f"{folder} (helm template)") if d.data is not None
        )
