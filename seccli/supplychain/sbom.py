"""CycloneDX 1.6 JSON SBOMs for Python projects and environments, their validation and diff.

Generation runs cyclonedx-bom's ``cyclonedx-py`` (4.6.1) in a subprocess of the current
interpreter, choosing its builder from what the project has:

- ``poetry.lock`` → ``poetry``; ``Pipfile.lock`` → ``pipenv``; ``requirements.txt`` (or a
  requirements file given directly) → ``requirements``; a ``.venv`` in the project → the
  ``environment`` of that virtualenv; ``--environment`` → an interpreter's environment.

The output is reproducible (no random serial number or timestamp) and validated against the
CycloneDX 1.6 JSON schema with cyclonedx-python-lib before it is returned.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccli.core.errors import DependencyError, InputError

SPEC_VERSION = "1.6"
TIMEOUT_S = 300


@dataclass(frozen=True, slots=True)
class SbomPlan:
    """Which cyclonedx-py builder runs on what."""

    builder: str
    target: str
    pyproject: str | None = None

    def argv(self, python: str) -> list[str]:
        """The command line."""
        args = [python, "-m", "cyclonedx_py", self.builder]
        if self.pyproject:
            args += ["--pyproject", self.pyproject]
        args += ["--sv", SPEC_VERSION, "--of", "JSON", "--output-reproducible", "-o", "-"]
        args.append(self.target)
        return args


def plan_for_path(path: Path) -> SbomPlan:
    """Choose the builder for a project folder or a requirements file."""
    if path.is_file():
        if path.name == "poetry.lock":
            return SbomPlan("poetry", str(path.parent))
        if path.name == "Pipfile.lock":
            return SbomPlan("pipenv", str(path.parent))
        return SbomPlan("requirements", str(path))
    if not path.is_dir():
        raise InputError(f"{path}: no such file or folder")
    pyproject = path / "pyproject.toml"
    pyproject_arg = str(pyproject) if pyproject.is_file() else None
    if (path / "poetry.lock").is_file():
        return SbomPlan("poetry", str(path))
    if (path / "Pipfile.lock").is_file():
        return SbomPlan("pipenv", str(path))
    if (path / "requirements.txt").is_file():
        return SbomPlan("requirements", str(path / "requirements.txt"), pyproject_arg)
    for venv in (path / ".venv", path / "venv"):
        if (venv / "pyvenv.cfg").is_file():
            return SbomPlan("environment", str(venv), pyproject_arg)
    raise InputError(
        f"{path}: found no poetry.lock, Pipfile.lock, requirements.txt or .venv to describe",
        hint="point at a requirements file, or use --environment",
    )


def plan_for_environment(python: str, pyproject: Path | None = None) -> SbomPlan:
    """An SBOM of the packages installed for the interpreter (or virtualenv) ``python``."""
    return SbomPlan("environment", python, str(pyproject) if pyproject else None)


def build_sbom(plan: SbomPlan, python: str | None = None) -> dict[str, Any]:
    """Run cyclonedx-py for ``plan`` and return the validated SBOM."""
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


@dataclass(frozen=True, slots=True)
class ComponentChange:
    """A component present in both SBOMs with a different version or licences."""

    name: str
    old_version: str | None
    new_version: str | None
    old_licenses: tuple[str, ...]
    new_licenses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SbomDiff:
    """What changed between two SBOMs."""

    added: tuple[tuple[str, str | None, tuple[str, ...]], ...] = ()
    removed: tuple[tuple[str, str | None, tuple[str, ...]], ...] = ()
    changed: tuple[ComponentChange, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        """True when nothing changed."""
        return not (self.added or self.removed or self.changed)

    def to_json(self) -> dict[str, Any]:
        """Stable JSON."""
        return {
            "added": [{"name": n, "version": v, "licenses": list(lic)} for n, v, lic in self.added],
            "removed": [
                {"name": n, "version": v, "licenses": list(lic)} for n, v, lic in self.removed
            ],
            "changed": [
                {
                    "name": c.name,
                    "version": {"from": c.old_version, "to": c.new_version},
                    "licenses": {"from": list(c.old_licenses), "to": list(c.new_licenses)},
                }
                for c in self.changed
            ],
        }


def _licenses(component: dict[str, Any]) -> tuple[str, ...]:
    found: set[str] = set()
    for entry in component.get("licenses") or []:
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("expression"), str):
            found.add(entry["expression"])
        lic = entry.get("license")
        if isinstance(lic, dict):
            value = lic.get("id") or lic.get("name")
            if isinstance(value, str):
                found.add(value)
    return tuple(sorted(found))


def _components(sbom: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}

    def walk(items: Any) -> None:
        for item in items or []:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            group = item.get("group")
            name = f"{group}/{item['name']}" if isinstance(group, str) and group else item["name"]
            out[name.lower().replace("_", "-")] = item
            walk(item.get("components"))

    walk(sbom.get("components"))
    return out


def diff_sboms(old: dict[str, Any], new: dict[str, Any]) -> SbomDiff:
    """Components added, removed, and changed (version or licences), sorted by name."""
    before, after = _components(old), _components(new)

    def entry(key: str, item: dict[str, Any]) -> tuple[str, str | None, tuple[str, ...]]:
        version = item.get("version")
        return key, version if isinstance(version, str) else None, _licenses(item)

    added = tuple(entry(k, after[k]) for k in sorted(after.keys() - before.keys()))
    removed = tuple(entry(k, before[k]) for k in sorted(before.keys() - after.keys()))
    changed: list[ComponentChange] = []
    for key in sorted(before.keys() & after.keys()):
        _, old_version, old_lic = entry(key, before[key])
        _, new_version, new_lic = entry(key, after[key])
        if old_version != new_version or old_lic != new_lic:
            changed.append(ComponentChange(key, old_version, new_version, old_lic, new_lic))
    return SbomDiff(added, removed, tuple(changed))
