"""Walking real trees: what a folder walk leaves out, and files that are not manifests.

Shared by every command that walks a folder of manifests (``policy test``, ``images``,
``netpol``):

- ``--exclude GLOB`` (repeatable): a pattern matches a path relative to the folder walked,
  any folder above it, or (without a ``/``) any one name in it; ``*`` crosses ``/``
  (``vendor``, ``charts/``, ``*.json``, ``docs/*/gen``);
- ignore files: ``.gitignore`` and ``.seccliignore`` in the walked folder and below, with
  gitignore syntax (``#`` comments, ``!`` negation, a trailing ``/`` for folders only, a
  leading or inner ``/`` anchoring to the ignore file's folder, ``**``); ``.git`` folders are
  never walked;
- a walked file that is not a Kubernetes manifest is skipped with a reason, never fatal: no
  document is a mapping with ``apiVersion`` and ``kind`` (Helm ``Chart.yaml``/``values.yaml``,
  CI workflows, ``tsconfig.json``), or it does not parse and is a template (``{{ }}``), JSON
  with comments, or text with no ``apiVersion``/``kind`` at all. A file that does not parse but
  reads like a manifest stays an error (exit 2), and so does every file named explicitly.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IGNORE_FILE_NAMES = (".gitignore", ".seccliignore")
NEVER_WALKED = frozenset({".git"})
_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_JSON_COMMENT = re.compile(r"^\s*(//|/\*)|[^:\"']//\s|/\*.*?\*/", re.MULTILINE)
_MANIFEST_KEYS = re.compile(r"(?:^|[\s{,])[\"']?(apiVersion|kind)[\"']?\s*:", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class WalkOptions:
    """What a folder walk leaves out (``excludes`` globs, ignore files unless
    ``ignore_files`` is off) and whether Helm charts are rendered (``helm``)."""

    excludes: tuple[str, ...] = ()
    ignore_files: bool = True
    helm: bool = False


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A walked file that was not judged, and why."""

    path: str
    reason: str

    def note(self) -> str:
        """The one-line note shown for it."""
        return f"skipped {self.path}: {self.reason}"


def excluded(relative: str, patterns: Sequence[str]) -> bool:
    """Whether ``--exclude`` patterns leave out ``relative`` (POSIX, relative to the root)."""
    if not patterns:
        return False
    parts = relative.split("/")
    prefixes = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    for raw in patterns:
        pattern = raw.strip()
        while pattern.startswith("./"):
            pattern = pattern[2:]
        pattern = pattern.rstrip("/")
        if not pattern:
            continue
        if "/" in pattern:
            if any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes):
                return True
        elif any(fnmatch.fnmatchcase(part, pattern) for part in parts):
            return True
    return False


@dataclass(frozen=True, slots=True)
class _Rule:
    regex: re.Pattern[str]
    negate: bool
    directory_only: bool


def _rule(line: str) -> _Rule | None:
    text = line.rstrip("\n").rstrip("\r")
    if not text.strip() or text.startswith("#"):
        return None
    text = text.rstrip() if not text.endswith("\\ ") else text
    negate = text.startswith("!")
    if negate:
        text = text[1:]
    if text.startswith("\\"):
        text = text[1:]
    directory_only = text.endswith("/")
    body = text.strip("/")
    if not body:
        return None
    anchored = text.startswith("/") or "/" in body
    out: list[str] = []
    index = 0
    while index < len(body):
        if body.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if body.startswith("/**", index) and index + 3 == len(body):
            out.append("/.*")
            index += 3
            continue
        char = body[index]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = body.find("]", index + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                out.append("[" + body[index + 1 : end].replace("\\", "\\\\") + "]")
                index = end
        else:
            out.append(re.escape(char))
        index += 1
    prefix = "" if anchored else "(?:.*/)?"
    return _Rule(re.compile(prefix + "".join(out) + "$"), negate, directory_only)


@dataclass
class IgnoreRules:
    """gitignore-style rules read from ignore files, each relative to its own folder."""

    layers: list[tuple[str, list[_Rule]]] = field(default_factory=list)

    def with_folder(self, folder: Path, relative: str) -> IgnoreRules:
        """These rules plus those of ``folder``'s ignore files (``relative`` to the root)."""
        from seccli.core.documents import read_source

        rules: list[_Rule] = []
        for name in IGNORE_FILE_NAMES:
            path = folder / name
            if not path.is_file():
                continue
            for line in read_source(path).splitlines():
                rule = _rule(line)
                if rule is not None:
                    rules.append(rule)
        if not rules:
            return self
        return IgnoreRules([*self.layers, (relative, rules)])

    def ignored(self, relative: str, is_dir: bool) -> bool:
        """Whether the last matching rule ignores ``relative`` (POSIX, relative to the root)."""
        verdict = False
        for base, rules in self.layers:
            if base and not relative.startswith(base + "/"):
                continue
            inner = relative[len(base) + 1 :] if base else relative
            for rule in rules:
                if rule.directory_only and not is_dir:
                    continue
                if rule.regex.match(inner):
                    verdict = not rule.negate
        return verdict


def leaves_out(relative: str, is_dir: bool, options: WalkOptions, rules: IgnoreRules) -> bool:
    """Whether the walk leaves out ``relative``: an exclude, an ignore rule, or ``.git``."""
    name = relative.rsplit("/", 1)[-1]
    if is_dir and name in NEVER_WALKED:
        return True
    if excluded(relative, options.excludes):
        return True
    return options.ignore_files and rules.ignored(relative, is_dir)


def unparsable_reason(text: str, name: str) -> str | None:
    """Why a walked file that failed to parse is not a manifest, or ``None`` when it reads
    like one (then the parse error stands)."""
    if _TEMPLATE.search(text):
        return "a template ({{ }}), not a manifest (render it first, e.g. --helm)"
    if name.lower().endswith(".json") and _JSON_COMMENT.search(text):
        return "JSON with comments, not a manifest"
    if not _MANIFEST_KEYS.search(text):
        return "not YAML/JSON with apiVersion and kind"
    return None


def is_manifest_object(data: Any) -> bool:
    """A mapping with string ``apiVersion`` and ``kind``."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("apiVersion"), str)
        and isinstance(data.get("kind"), str)
    )


NO_OBJECTS = "no document is a Kubernetes object (apiVersion and kind)"
