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
    documents: list[Document] = []
    for raw in paths:
        if raw == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            documents.extend(parse_documents(read_stream(stream, "<stdin>"), "<stdin>"))
            continue
        for path in yaml_files([Path(raw)]):
            documents.extend(parse_file(path))
    items, problems = review_items(documents)
    raise_if_problems(problems)
    return items
