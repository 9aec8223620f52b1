"""CycloneDX 1.6 JSON SBOMs for projects and environments, and their validation.

A project folder is described from its own files (see ``lockfiles``): ``uv.lock``,
``poetry.lock``, ``requirements*.txt`` or PEP 621 ``pyproject.toml`` dependencies for Python,
``package-lock.json`` for npm and ``go.mod``/``go.sum`` for Go, all of them in a mixed
repository. A folder with only ``Pipfile.lock`` or a ``.venv``, and ``--environment``, are
described by cyclonedx-bom's ``cyclonedx-py`` (4.6.1) in a subprocess.

Every SBOM is reproducible (no timestamp; a ``serialNumber`` derived from its content), has a
``metadata.component`` (the project, or the folder or environment described) and is validated
against the CycloneDX 1.6 JSON schema with cyclonedx-python-lib before it is returned.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seccli.core.errors import DependencyError, InputError
from seccli.supplychain.sbom_diff import SbomDiff as SbomDiff
from seccli.supplychain.sbom_diff import diff_sboms as diff_sboms

SPEC_VERSION = "1.6"
TIMEOUT_S = 300
NATIVE = "lockfiles"
# Namespace of the content-derived serial numbers (uuid5 of the canonical SBOM).
_SERIAL_NAMESPACE = uuid.UUID("4c1f9b4e-7f57-5a59-9a57-0c9d1f7f2a6e")


@dataclass(frozen=True, slots=True)
class SbomPlan:
    """What describes the target: seccli's own reading of lock files (``lockfiles``) or a
    cyclonedx-py builder (``poetry``, ``pipenv``, ``requirements``, ``environment``)."""

    builder: str
    target: str
    pyproject: str | None = None
    files: tuple[str, ...] = ()

    def argv(self, python: str) -> list[str]:
        """The command line."""
        args = [python, "-m", "cyclonedx_py", self.builder]
        if self.pyproject:
            args += ["--pyproject", self.pyproject]
        args += ["--sv", SPEC_VERSION, "--of", "JSON", "--output-reproducible", "-o", "-"]
        args.append(self.target)
        return args


def plan_for_path(path: Path) -> SbomPlan:
    """Choose how to describe a project folder or one manifest, lock or requirements file."""
    from seccli.supplychain.lockfiles import project_files

    if path.is_file():
        if path.name == "Pipfile.lock":
            return SbomPlan("pipenv", str(path.parent))
        # Any other file is read natively; a file of another name is a requirements file.
        return SbomPlan(NATIVE, str(path.parent), files=(str(path),))
    if not path.is_dir():
        raise InputError(f"{path}: no such file or folder")
    files = project_files(path)
    if files:
        return SbomPlan(NATIVE, str(path), files=tuple(str(f) for f in files))
    if (path / "Pipfile.lock").is_file():
        return SbomPlan("pipenv", str(path))
    for venv in (path / ".venv", path / "venv"):
        if (venv / "pyvenv.cfg").is_file():
            return SbomPlan("environment", str(venv))
    raise InputError(
        f"{path}: found nothing to describe (no pyproject.toml, uv.lock, poetry.lock, "
        "requirements*.txt, package-lock.json, go.mod, go.sum, Pipfile.lock or .venv)",
        hint="point at a requirements file, or use --environment",
    )


def plan_for_environment(python: str, pyproject: Path | None = None) -> SbomPlan:
    """An SBOM of the packages installed for the interpreter (or virtualenv) ``python``."""
    return SbomPlan("environment", python, str(pyproject) if pyproject else None)


def build_sbom(plan: SbomPlan, python: str | None = None) -> dict[str, Any]:
    """The validated SBOM for ``plan``."""
    data = _native_sbom(plan) if plan.builder == NATIVE else _cyclonedx_py(plan, python)
    finished = finish_sbom(data, Path(plan.target).name or plan.target)
    import json

    return validate_sbom(json.dumps(finished, sort_keys=True), "generated SBOM")


def _cyclonedx_py(plan: SbomPlan, python: str | None) -> dict[str, Any]:
    argv = plan.argv(python or sys.executable)
    try:
        done = subprocess.run(argv, capture_output=True, timeout=TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DependencyError(f"cyclonedx-py could not run: {exc}") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DependencyError(
            f"cyclonedx-py {plan.builder} failed: {detail[-1] if detail else done.returncode}"
        )
    from seccli.core.documents import decode_source

    source = "cyclonedx-py output"
    return validate_sbom(decode_source(done.stdout, source), source)


def _native_sbom(plan: SbomPlan) -> dict[str, Any]:
    from seccli.supplychain.lockfiles import read_inventory

    root = Path(plan.target)
    inventory = read_inventory([Path(f) for f in plan.files], root)
    components = []
    for package in sorted(inventory.packages, key=lambda p: p.purl):
        component: dict[str, Any] = {"type": "library", "bom-ref": package.purl}
        name = package.name
        if package.ecosystem == "npm" and name.startswith("@") and "/" in name:
            component["group"], _, name = name.partition("/")
        component["name"] = name
        if package.version:
            component["version"] = package.version
        component["purl"] = package.purl
        if package.licenses:
            component["licenses"] = [{"expression": text} for text in package.licenses[:1]]
        if package.optional:
            component["scope"] = "optional"
        component["properties"] = [
            {"name": "seccli:source", "value": _relative(package.source, root)}
        ]
        components.append(component)
    metadata: dict[str, Any] = {}
    if inventory.project is not None:
        project = inventory.project
        main: dict[str, Any] = {"type": "application", "name": project.name}
        if project.version:
            main["version"] = project.version
        metadata["component"] = main
    return {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": metadata,
        "components": components,
    }


def _relative(file: str, root: Path) -> str:
    try:
        return Path(file).relative_to(root).as_posix()
    except ValueError:
        return Path(file).as_posix()


def finish_sbom(data: dict[str, Any], fallback_name: str) -> dict[str, Any]:
    """``data`` with a ``metadata.component`` (``fallback_name`` when none is known), the
    tool recorded and a ``serialNumber`` derived from the content (same content, same serial)."""
    from seccli import __version__
    from seccli.core.hashing import canonical_json

    document = {k: v for k, v in data.items() if k != "serialNumber"}
    metadata = dict(document.get("metadata") or {})
    metadata.pop("timestamp", None)
    if not isinstance(metadata.get("component"), dict):
        metadata["component"] = {"type": "application", "name": fallback_name or "project"}
    component = dict(metadata["component"])
    refs = {c.get("bom-ref") for c in document.get("components") or [] if isinstance(c, dict)}
    if "bom-ref" not in component:
        reference = "seccli:root"
        while reference in refs:
            reference += "+"
        component["bom-ref"] = reference
    metadata["component"] = component
    basis = {"components": document.get("components"), "component": component}
    basis["dependencies"] = document.get("dependencies")
    serial = uuid.uuid5(_SERIAL_NAMESPACE, canonical_json(basis).decode())
    tools = metadata.get("tools")
    if not tools:
        metadata["tools"] = {
            "components": [{"type": "application", "name": "seccli", "version": __version__}]
        }
    document["metadata"] = metadata
    document["serialNumber"] = serial.urn
    return document


def validate_sbom(text: str, source: str) -> dict[str, Any]:
    """Validate CycloneDX JSON against the schema of its ``specVersion`` (1.4–1.6).

    The text is parsed by the safe loader (duplicate keys, depth, numbers) and the parsed
    document is returned.
    """
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    from seccli.core.documents import parse_documents

    (document,) = parse_documents(text, source, fmt="json")
    data = document.data
    if not isinstance(data, dict) or data.get("bomFormat") != "CycloneDX":
        raise InputError(f"{source}: not a CycloneDX SBOM (bomFormat is not 'CycloneDX')")
    versions = {
        "1.6": SchemaVersion.V1_6,
        "1.5": SchemaVersion.V1_5,
        "1.4": SchemaVersion.V1_4,
    }
    version = versions.get(str(data.get("specVersion")))
    if version is None:
        raise InputError(f"{source}: unsupported CycloneDX specVersion {data.get('specVersion')!r}")
    error = JsonStrictValidator(version).validate_str(text)
    if error is not None:
        raise InputError(f"{source}: not valid CycloneDX {data['specVersion']}: {error}")
    return data


def load_sbom(path: Path) -> dict[str, Any]:
    """Read and validate an SBOM file."""
    from seccli.core.documents import read_source

    return validate_sbom(read_source(path), str(path))
