"""ConstraintTemplates: parsing (v1, v1beta1, v1alpha1), checks Gatekeeper makes, and compiling.

Both Rego forms are read: ``targets[0].rego`` + ``libs``, and the newer ``targets[0].code[]``
list where an entry with ``engine: Rego`` carries ``source.rego``, ``source.libs`` and
``source.version`` (``v1`` selects Rego v1, anything else v0).  Entries of other engines (CEL,
``K8sNativeValidation``) are reported: as a note when a Rego entry exists too, as an error when
nothing is left to evaluate.

Each template compiles on its own, so two templates may use the same package names, as in
Gatekeeper.  ``data.inventory`` is the only base data a template sees (plus its ``lib.*`` libs).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seccli.core.documents import Document
from seccli.core.errors import DocumentInvalid, Problem
from seccli.core.location import ControlRef, DocPath, Location
from seccli.core.severity import Severity

if TYPE_CHECKING:
    from seccli.policy.rego import Policy

TEMPLATE_API_GROUP = "templates.gatekeeper.sh"
TEMPLATE_API_VERSIONS = frozenset(
    f"{TEMPLATE_API_GROUP}/{v}" for v in ("v1", "v1beta1", "v1alpha1")
)
TARGET_NAME = "admission.k8s.gatekeeper.sh"
REGO_ENGINE = "Rego"

#: Annotations mapping a template to compliance controls: framework name → annotation key.
CONTROL_ANNOTATIONS: dict[str, str] = {
    "SOC2": "controls.seccli.io/soc2",
    "ISO27001:2022": "controls.seccli.io/iso27001-2022",
    "CIS-Kubernetes": "controls.seccli.io/cis-kubernetes",
}
SEVERITY_ANNOTATION = "seccli.io/severity"
TITLE_ANNOTATION = "metadata.gatekeeper.sh/title"
DESCRIPTION_ANNOTATION = "description"

_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][\w.]*)", re.MULTILINE)
_VIOLATION = re.compile(r"^\s*violation\s*(\[|contains\b|if\b|\{)", re.MULTILINE)
_DATA_REF = re.compile(r"\bdata\.([A-Za-z_]\w*)")
_DATA_INDEX = re.compile(r"\bdata\s*\[")
_INVENTORY = re.compile(r"\bdata\.inventory\b")


@dataclass(frozen=True, slots=True)
class RegoSource:
    """One Rego module of a template and where its text starts in the YAML file."""

    name: str
    text: str
    first_line: int  # the YAML line of the module's first line


@dataclass(frozen=True)
class Template:
    """A parsed, checked and compiled ConstraintTemplate."""

    name: str
    kind: str
    source: str
    line: int
    package: str
    modules: tuple[RegoSource, ...]
    v1: bool
    schema: dict[str, Any] | None
    annotations: dict[str, str]
    notes: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def uses_inventory(self) -> bool:
        """True when the Rego reads ``data.inventory`` (a referential template)."""
        return any(_INVENTORY.search(_strip_comments(m.text)) for m in self.modules)

    @property
    def query(self) -> str:
        """The entrypoint Gatekeeper evaluates: ``data.<package>.violation``."""
        return f"data.{self.package}.violation"

    @property
    def title(self) -> str:
        """A human title: the ``metadata.gatekeeper.sh/title`` annotation or the kind."""
        return self.annotations.get(TITLE_ANNOTATION) or self.kind

    @property
    def description(self) -> str:
        """The ``description`` annotation, or ``""``."""
        return self.annotations.get(DESCRIPTION_ANNOTATION, "")

    @property
    def severity(self) -> Severity:
        """The ``seccli.io/severity`` annotation (default high)."""
        try:
            return Severity.parse(self.annotations.get(SEVERITY_ANNOTATION, "high"))
        except ValueError:
            return Severity.HIGH

    @property
    def controls(self) -> tuple[ControlRef, ...]:
        """Compliance controls this template supports, from its ``controls.seccli.io/*``."""
        refs = [
            ControlRef(framework, item.strip())
            for framework, key in CONTROL_ANNOTATIONS.items()
            for item in self.annotations.get(key, "").split(",")
            if item.strip()
        ]
        return tuple(sorted(refs))

    def compile(self, inventory: Mapping[str, Any] | None = None) -> Policy:
        """Compile the template's modules with ``data.inventory`` (raises ``TemplateInvalid``).

        Without an inventory the compiled policy is cached on the template.
        """
        from seccli.policy.rego import RegoError
        from seccli.policy.rego import compile as rego_compile

        if inventory is None and "policy" in self._cache:
            cached: Policy = self._cache["policy"]
            return cached
        modules = {m.name: m.text for m in self.modules}
        data = {"inventory": dict(inventory) if inventory is not None else {}}
        try:
            policy = rego_compile(modules, data, v0=not self.v1)
        except RegoError as err:
            raise TemplateInvalid([self._rego_problem(err)]) from None
        if inventory is None:
            self._cache["policy"] = policy
        return policy

    def _rego_problem(self, err: Any) -> Problem:
        module = next((m for m in self.modules if m.name == err.file), None)
        if module is None or err.line is None:
            return Problem(Location(self.source, self.line), f"{err.message}")
        line = module.first_line + err.line - 1
        return Problem(
            Location(self.source, line, err.column, f"{module.name}:{err.line}"), err.message
        )


class TemplateInvalid(DocumentInvalid):
    """A ConstraintTemplate Gatekeeper would refuse (exit 2 outside a suite)."""


def _strip_comments(text: str) -> str:
    out: list[str] = []
    for line in text.splitlines():
        cut = _comment_start(line)
        out.append(line if cut < 0 else line[:cut])
    return "\n".join(out)


def _comment_start(line: str) -> int:
    quote = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in '"`':
            quote = ch
        elif ch == "#":
            return i
        i += 1
    return -1


def _strip_strings(text: str) -> str:
    return re.sub(r'"(?:\\.|[^"\\])*"|`[^`]*`', '""', text)


def _dig(data: Any, *path: str | int) -> Any:
    for part in path:
        if isinstance(part, int):
            if not isinstance(data, list) or part >= len(data):
                return None
        elif not isinstance(data, dict):
            return None
        data = data[part] if isinstance(part, int) else data.get(part)
    return data


def _block_start(document: Document, path: DocPath) -> int:
    """The YAML line of a block scalar's first content line (the line after its key)."""
    line = document.line_of(path)
    return line + 1


def parse_template(document: Document) -> Template:
    """Check one ConstraintTemplate document and compile it; ``TemplateInvalid`` lists problems."""
    problems: list[Problem] = []
    data = document.data

    def fail(message: str, *path: str | int) -> None:
        problems.append(Problem(document.locate(path), message))

    if not isinstance(data, dict):
        raise TemplateInvalid([Problem(document.locate(()), "a template must be a mapping")])
    if data.get("kind") != "ConstraintTemplate":
        fail(f"expected kind ConstraintTemplate, found {data.get('kind')!r}", "kind")
    if data.get("apiVersion") not in TEMPLATE_API_VERSIONS:
        fail(
            f"unsupported apiVersion {data.get('apiVersion')!r} (expected "
            + ", ".join(sorted(TEMPLATE_API_VERSIONS))
            + ")",
            "apiVersion",
        )
    name = _dig(data, "metadata", "name")
    kind = _dig(data, "spec", "crd", "spec", "names", "kind")
    if not isinstance(kind, str) or not kind:
        fail("spec.crd.spec.names.kind is required", "spec", "crd")
        kind = ""
    if not isinstance(name, str) or not name:
        fail("metadata.name is required", "metadata")
        name = ""
    elif kind and name != kind.lower():
        fail(
            f"metadata.name must be the lowercase kind {kind.lower()!r}, not {name!r}",
            "metadata",
            "name",
        )
    annotations_raw = _dig(data, "metadata", "annotations") or {}
    annotations: dict[str, str] = {}
    if not isinstance(annotations_raw, dict):
        fail("metadata.annotations must be a mapping", "metadata", "annotations")
    else:
        for key, value in annotations_raw.items():
            if not isinstance(value, str):
                fail("annotation values must be strings", "metadata", "annotations", str(key))
            else:
                annotations[str(key)] = value
    schema = _schema(document, problems)
    targets = _dig(data, "spec", "targets")
    modules: tuple[RegoSource, ...] = ()
    v1 = False
    notes: list[str] = []
    if not isinstance(targets, list) or not targets:
        fail("spec.targets must list exactly one target", "spec", "targets")
    elif len(targets) != 1:
        fail(f"spec.targets must list exactly one target, found {len(targets)}", "spec", "targets")
    else:
        modules, v1 = _target(document, targets[0], problems, notes)
    package = ""
    if modules:
        package = _check_modules(document, modules, problems)
    if problems:
        raise TemplateInvalid(problems)
    template = Template(
        name=name,
        kind=kind,
        source=document.source,
        line=document.start_line,
        package=package,
        modules=modules,
        v1=v1,
        schema=schema,
        annotations=annotations,
        notes=tuple(notes),
        raw=data,
    )
    template.compile()  # compile errors become TemplateInvalid with the YAML line
    return template


def _schema(document: Document, problems: list[Problem]) -> dict[str, Any] | None:
    path = ("spec", "crd", "spec", "validation", "openAPIV3Schema")
    schema = _dig(document.data, *path)
    if schema is None:
        return None
    if not isinstance(schema, dict):
        problems.append(Problem(document.locate(path), "openAPIV3Schema must be a mapping"))
        return None
    from seccli.policy.gatekeeper.schema import schema_problems

    for where, message in schema_problems(schema):
        problems.append(Problem(document.locate((*path, *where)), message))
    return schema


def _target(
    document: Document, target: Any, problems: list[Problem], notes: list[str]
) -> tuple[tuple[RegoSource, ...], bool]:
    base: DocPath = ("spec", "targets", 0)

    def fail(message: str, *path: str | int) -> None:
        problems.append(Problem(document.locate((*base, *path)), message))

    if not isinstance(target, dict):
        fail("a target must be a mapping")
        return (), False
    if target.get("target") != TARGET_NAME:
        fail(f"target must be {TARGET_NAME!r}, not {target.get('target')!r}", "target")
    rego = target.get("rego")
    code = target.get("code")
    if code is not None and not isinstance(code, list):
        fail("code must be a list of engine entries", "code")
        code = None
    rego_entries: list[tuple[int, dict[str, Any]]] = []
    for index, entry in enumerate(code or []):
        if not isinstance(entry, dict) or not isinstance(entry.get("engine"), str):
            fail("each code entry needs an engine and a source", "code", index)
            continue
        if entry["engine"] == REGO_ENGINE:
            rego_entries.append((index, entry))
        else:
            notes.append(
                f"{document.locate((*base, 'code', index, 'engine'))}: engine "
                f"{entry['engine']!r} (CEL) is not supported by seccli; only Rego is evaluated"
            )
    if rego is not None and rego_entries:
        fail("both rego and a code entry with engine Rego are given; use one", "rego")
        return (), False
    if len(rego_entries) > 1:
        fail("more than one code entry with engine Rego", "code", rego_entries[1][0])
        return (), False
    if rego is not None:
        if not isinstance(rego, str) or not rego.strip():
            fail("rego must be a non-empty string", "rego")
            return (), False
        libs = target.get("libs") or []
        return _sources(document, (*base,), rego, libs, problems), False
    if rego_entries:
        index, entry = rego_entries[0]
        source = entry.get("source")
        where: DocPath = (*base, "code", index, "source")
        if not isinstance(source, dict) or not isinstance(source.get("rego"), str):
            problems.append(Problem(document.locate(where), "source.rego is required"))
            return (), False
        version = source.get("version", "v0")
        if version not in ("v0", "v1"):
            problems.append(
                Problem(document.locate((*where, "version")), "version must be v0 or v1")
            )
        modules = _sources(document, where, source["rego"], source.get("libs") or [], problems)
        return modules, version == "v1"
    if code:
        fail(
            "no Rego engine entry: CEL (K8sNativeValidation) templates are not supported by seccli",
            "code",
        )
    else:
        fail("the target has no rego and no code", "target")
    return (), False


def _sources(
    document: Document, where: DocPath, rego: str, libs: Any, problems: list[Problem]
) -> tuple[RegoSource, ...]:
    modules = [RegoSource("template.rego", rego, _block_start(document, (*where, "rego")))]
    if not isinstance(libs, list) or not all(isinstance(lib, str) for lib in libs):
        problems.append(
            Problem(document.locate((*where, "libs")), "libs must be a list of strings")
        )
        return tuple(modules)
    for index, lib in enumerate(libs):
        modules.append(
            RegoSource(f"lib{index}.rego", lib, _block_start(document, (*where, "libs", index)))
        )
    return tuple(modules)


def _check_modules(
    document: Document, modules: Sequence[RegoSource], problems: list[Problem]
) -> str:
    package = ""
    for index, module in enumerate(modules):
        text = _strip_strings(_strip_comments(module.text))
        found = _PACKAGE.search(text)
        here = Location(document.source, module.first_line)
        if found is None:
            problems.append(Problem(here, f"{module.name}: no package declaration"))
            continue
        name = found.group(1)
        if index == 0:
            package = name
            if name == "lib" or name.startswith("lib."):
                problems.append(Problem(here, "the template's package must not be under lib"))
            if not _VIOLATION.search(text):
                problems.append(Problem(here, "the template's Rego must define a violation rule"))
        elif name != "lib" and not name.startswith("lib."):
            problems.append(
                Problem(here, f"{module.name}: a lib's package must start with lib., not {name}")
            )
        bad = sorted({m.group(1) for m in _DATA_REF.finditer(text)} - {"lib", "inventory"})
        if bad or _DATA_INDEX.search(text):
            shown = ", ".join(f"data.{b}" for b in bad) or "data[...]"
            problems.append(
                Problem(
                    here,
                    f"{module.name}: invalid data references: {shown} (only data.inventory "
                    "and data.lib are available)",
                )
            )
    return package
