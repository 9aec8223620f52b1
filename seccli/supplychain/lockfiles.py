"""Packages a project declares or locks, read from its manifest and lock files.

Python: ``uv.lock``, ``poetry.lock``, ``requirements*.txt`` (``-r`` includes followed) and
PEP 621 ``pyproject.toml`` dependencies (``[project]``, optional dependencies and PEP 735
dependency groups); npm: ``package-lock.json`` (lockfile v1–v3); Go: ``go.mod`` (with
``go.sum`` alone as a fallback). For each ecosystem the most exact source in a folder wins:
a lock file over requirement files over ``pyproject.toml``. Every file is read through the safe
loader; a malformed one is an input error naming the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seccli.core.errors import InputError
from seccli.supplychain.purl import golang_purl, npm_purl, pypi_purl

MAX_LOCK_BYTES = 64 * 1024 * 1024
MAX_INCLUDE_DEPTH = 8


@dataclass(frozen=True, slots=True)
class Package:
    """One package: ecosystem, name, version (``None`` when only a range is declared)."""

    ecosystem: str  # pypi, npm or golang
    name: str
    version: str | None
    source: str  # the file it was read from
    licenses: tuple[str, ...] = ()
    optional: bool = False

    @property
    def purl(self) -> str:
        """Its package URL."""
        if self.ecosystem == "npm":
            return npm_purl(self.name, self.version)
        if self.ecosystem == "golang":
            return golang_purl(self.name, self.version)
        return pypi_purl(self.name, self.version)


@dataclass(frozen=True, slots=True)
class Project:
    """The project itself (the SBOM's ``metadata.component``), when a file names it."""

    name: str
    version: str | None
    ecosystem: str


@dataclass(frozen=True)
class Inventory:
    """What the project's files declare: the project, its packages and the files read."""

    project: Project | None
    packages: tuple[Package, ...]
    files: tuple[str, ...]


PYTHON_LOCKS = ("uv.lock", "poetry.lock")
_REQUIREMENTS = re.compile(r"^requirements.*\.(txt|in)$")


def is_requirements_name(name: str) -> bool:
    """``requirements.txt``, ``requirements-dev.txt``, ``requirements/base.in`` style names."""
    return bool(_REQUIREMENTS.match(name))


def project_files(folder: Path) -> list[Path]:
    """The files of ``folder`` that describe packages, most exact Python source only."""
    chosen: list[Path] = []
    python = [folder / name for name in PYTHON_LOCKS if (folder / name).is_file()]
    if not python:
        python = sorted(p for p in folder.iterdir() if p.is_file() and is_requirements_name(p.name))
    if not python and (folder / "pyproject.toml").is_file():
        python = [folder / "pyproject.toml"]
    chosen.extend(python[:1] if python and python[0].name in PYTHON_LOCKS else python)
    if (folder / "package-lock.json").is_file():
        chosen.append(folder / "package-lock.json")
    if (folder / "go.mod").is_file():
        chosen.append(folder / "go.mod")
    elif (folder / "go.sum").is_file():
        chosen.append(folder / "go.sum")
    return chosen


def readable(path: Path) -> bool:
    """Whether seccli reads this file natively (by name)."""
    return path.name in {
        "uv.lock",
        "poetry.lock",
        "pyproject.toml",
        "package-lock.json",
        "go.mod",
        "go.sum",
    } or is_requirements_name(path.name)


def read_inventory(files: Sequence[Path], root: Path | None = None) -> Inventory:
    """Read every file (a requirements file may have any name); the project comes from the
    first file that names one, else from ``pyproject.toml``/``package.json``/``go.mod``."""
    packages: dict[str, Package] = {}
    project: Project | None = None
    for path in files:
        found, named = _read(path)
        project = project or named
        for package in found:
            packages.setdefault(package.purl, package)
    folder = root if root is not None else (files[0].parent if files else None)
    if project is None and folder is not None:
        project = _project_beside(folder)
    return Inventory(project, tuple(packages.values()), tuple(str(p) for p in files))


def _read(path: Path) -> tuple[list[Package], Project | None]:
    name = path.name
    if name == "uv.lock":
        return _uv_lock(path)
    if name == "poetry.lock":
        return _poetry_lock(path), None
    if name == "pyproject.toml":
        return _pyproject(path)
    if name == "package-lock.json":
        return _package_lock(path)
    if name == "go.mod":
        return _go_mod(path)
    if name == "go.sum":
        return _go_sum(path), None
    return _requirements(path, set(), 0), None


def _project_beside(folder: Path) -> Project | None:
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        return _pyproject(pyproject)[1]
    package_json = folder / "package.json"
    if package_json.is_file():
        data = _json(package_json)
        name = data.get("name") if isinstance(data, dict) else None
        if isinstance(name, str) and name:
            version = data.get("version")
            return Project(name, version if isinstance(version, str) else None, "npm")
    go_mod = folder / "go.mod"
    if go_mod.is_file():
        return _go_mod(go_mod)[1]
    return None


# --- loaders --------------------------------------------------------------------------------


def _toml(path: Path) -> dict[str, Any]:
    from seccli.core.documents import LoadLimits, load_toml

    data = load_toml(path, LoadLimits(max_bytes=MAX_LOCK_BYTES)).data
    return data if isinstance(data, dict) else {}


def _json(path: Path) -> Any:
    from seccli.core.documents import LoadLimits, load_documents, only_document

    limits = LoadLimits(max_bytes=MAX_LOCK_BYTES)
    return only_document(load_documents(path, limits, fmt="json"), str(path)).data


def _text(path: Path) -> str:
    from seccli.core.documents import LoadLimits, read_source

    return read_source(path, LoadLimits(max_bytes=MAX_LOCK_BYTES))


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _tables(data: dict[str, Any], key: str, path: Path) -> list[dict[str, Any]]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InputError(f"{path}: {key} must be an array of tables")
    return items


def _named(path: Path, index: int, item: dict[str, Any]) -> tuple[str, str]:
    name, version = _string(item.get("name")), _string(item.get("version"))
    if name is None or version is None:
        raise InputError(f"{path}: package[{index}] needs a name and a version")
    return name, version


# --- Python ---------------------------------------------------------------------------------


def _uv_lock(path: Path) -> tuple[list[Package], Project | None]:
    data = _toml(path)
    packages: list[Package] = []
    project: Project | None = None
    for index, item in enumerate(_tables(data, "package", path)):
        name, version = _named(path, index, item)
        source = item.get("source")
        if isinstance(source, dict) and "." in (source.get("editable"), source.get("virtual")):
            project = project or Project(name, version, "pypi")
            continue
        packages.append(Package("pypi", name, version, str(path)))
    return packages, project


def _poetry_lock(path: Path) -> list[Package]:
    data = _toml(path)
    packages: list[Package] = []
    for index, item in enumerate(_tables(data, "package", path)):
        name, version = _named(path, index, item)
        optional = item.get("optional") is True or item.get("category") == "dev"
        packages.append(Package("pypi", name, version, str(path), optional=optional))
    return packages


def _pyproject(path: Path) -> tuple[list[Package], Project | None]:
    data = _toml(path)
    table = data.get("project")
    if table is not None and not isinstance(table, dict):
        raise InputError(f"{path}: [project] must be a table")
    table = table or {}
    project = None
    name = _string(table.get("name"))
    if name is not None:
        project = Project(name, _string(table.get("version")), "pypi")
    required = _requirement_list(table.get("dependencies", []), path, "project.dependencies")
    optional: list[str] = []
    extras = table.get("optional-dependencies", {})
    if not isinstance(extras, dict):
        raise InputError(f"{path}: project.optional-dependencies must be a table")
    for extra, items in extras.items():
        optional += _requirement_list(items, path, f"project.optional-dependencies.{extra}")
    groups = data.get("dependency-groups", {})
    if not isinstance(groups, dict):
        raise InputError(f"{path}: dependency-groups must be a table")
    for group, items in groups.items():
        if isinstance(items, list):  # entries may be {include-group = "..."} tables
            texts = [i for i in items if isinstance(i, str)]
            optional += _requirement_list(texts, path, f"dependency-groups.{group}")
    packages = [_requirement(text, path, False) for text in required]
    packages += [_requirement(text, path, True) for text in optional]
    return [p for p in packages if p is not None], project


def _requirement_list(items: Any, path: Path, where: str) -> list[str]:
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise InputError(f"{path}: {where} must be a list of requirement strings")
    return list(items)


def _requirement(text: str, path: Path, optional: bool, line: int | None = None) -> Package | None:
    """A PEP 508 requirement; its version only when pinned exactly (``==`` without ``*``)."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        where = f"{path}:{line}" if line else str(path)
        raise InputError(f"{where}: not a valid requirement {text!r}: {exc}") from None
    version = None
    specifiers = list(requirement.specifier)
    exact = len(specifiers) == 1 and specifiers[0].operator in {"==", "==="}
    if exact and "*" not in specifiers[0].version:
        version = specifiers[0].version
    return Package("pypi", requirement.name, version, str(path), optional=optional)


def _requirements(path: Path, seen: set[Path], depth: int) -> list[Package]:
    """A pip requirements file: comments, continuations, ``--hash`` and markers understood;
    ``-r``/``--requirement`` includes followed (relative to the file); other options, editable
    installs and bare paths or URLs skipped."""
    resolved = path.resolve()
    if resolved in seen:
        return []
    if depth > MAX_INCLUDE_DEPTH:
        raise InputError(f"{path}: requirement files include each other too deeply")
    seen.add(resolved)
    packages: list[Package] = []
    for number, line in _logical_lines(_text(path)):
        include = re.match(r"^(?:-r|--requirement)(?:\s+|=)(\S+)", line)
        if include:
            target = path.parent / include.group(1)
            if not target.is_file():
                raise InputError(f"{path}:{number}: included file {include.group(1)} not found")
            packages += _requirements(target, seen, depth + 1)
            continue
        if line.startswith("-") or line.startswith((".", "/")) or "://" in line.split(" @ ")[0]:
            continue  # options (-c, -e, --index-url, ...), local paths and bare URLs
        text = re.split(r"\s+--", line, maxsplit=1)[0].strip()
        package = _requirement(text, path, False, number)
        if package is not None:
            packages.append(package)
    return packages


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        if whole:
            yield start, whole
    if pending.strip():
        yield start, pending.strip()


# --- npm ------------------------------------------------------------------------------------


def _package_lock(path: Path) -> tuple[list[Package], Project | None]:
    data = _json(path)
    if not isinstance(data, dict):
        raise InputError(f"{path}: a package-lock.json is a JSON object")
    project = None
    root_name = _string(data.get("name"))
    if root_name:
        project = Project(root_name, _string(data.get("version")), "npm")
    entries = data.get("packages")
    if isinstance(entries, dict):
        return _lock_packages(entries, path), project
    dependencies = data.get("dependencies")
    if isinstance(dependencies, dict):
        return _lock_v1(dependencies, path, 0), project
    raise InputError(f"{path}: neither packages (lockfile v2/v3) nor dependencies (v1)")


def _lock_packages(entries: dict[str, Any], path: Path) -> list[Package]:
    packages: list[Package] = []
    for key, entry in entries.items():
        if key == "" or not isinstance(entry, dict) or entry.get("link") is True:
            continue
        if "node_modules/" not in key:
            continue  # a workspace folder; its installed copy is a link entry
        name = _string(entry.get("name")) or key.rsplit("node_modules/", 1)[1]
        version = _string(entry.get("version"))
        if version is None:
            raise InputError(f"{path}: packages[{key!r}] has no version")
        optional = entry.get("dev") is True or entry.get("optional") is True
        packages.append(Package("npm", name, version, str(path), _npm_licenses(entry), optional))
    return packages


def _lock_v1(dependencies: dict[str, Any], path: Path, depth: int) -> list[Package]:
    if depth > 64:
        raise InputError(f"{path}: dependencies nested too deeply")
    packages: list[Package] = []
    for name, entry in dependencies.items():
        if not isinstance(entry, dict):
            continue
        version = _string(entry.get("version"))
        if version is None:
            raise InputError(f"{path}: dependencies[{name!r}] has no version")
        optional = entry.get("dev") is True or entry.get("optional") is True
        packages.append(Package("npm", name, version, str(path), (), optional))
        nested = entry.get("dependencies")
        if isinstance(nested, dict):
            packages += _lock_v1(nested, path, depth + 1)
    return packages


def _npm_licenses(entry: dict[str, Any]) -> tuple[str, ...]:
    value = entry.get("license")
    if isinstance(value, str) and value:
        return (value,)
    return ()


# --- Go -------------------------------------------------------------------------------------

_GO_REQUIRE = re.compile(r"^(\S+)\s+(v\S+)(?:\s*//\s*(indirect))?\s*$")


def _go_mod(path: Path) -> tuple[list[Package], Project | None]:
    """``module`` and every ``require`` (one-line or block); ``replace`` targets win."""
    project: Project | None = None
    required: dict[str, str] = {}
    replaced: dict[str, tuple[str, str]] = {}
    block: str | None = None
    for number, raw in enumerate(_text(path).splitlines(), start=1):
        line = raw.split("//", 1)[0].strip() if "// indirect" not in raw else raw.strip()
        if not line:
            continue
        if block is not None:
            if line == ")":
                block = None
                continue
            _go_directive(block, line, path, number, required, replaced)
            continue
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        if word == "module":
            project = Project(rest.strip('"'), None, "golang")
        elif word in {"require", "replace", "exclude", "retract", "tool", "godebug", "ignore"}:
            if rest == "(":
                block = word
            else:
                _go_directive(word, rest, path, number, required, replaced)
    packages: list[Package] = []
    for module, version in required.items():
        target, target_version = replaced.get(module, (module, version))
        packages.append(Package("golang", target, target_version, str(path)))
    return packages, project


def _go_directive(
    word: str,
    line: str,
    path: Path,
    number: int,
    required: dict[str, str],
    replaced: dict[str, tuple[str, str]],
) -> None:
    if word == "require":
        found = _GO_REQUIRE.match(line)
        if found is None:
            raise InputError(f"{path}:{number}: not a require line: {line!r}")
        required[found.group(1)] = found.group(2)
    elif word == "replace":
        old, arrow, new = line.partition("=>")
        parts = new.split()
        if arrow and len(parts) == 2:  # a module replacement; a local path keeps the original
            replaced[old.split()[0]] = (parts[0], parts[1])


def _go_sum(path: Path) -> list[Package]:
    packages: dict[tuple[str, str], Package] = {}
    for number, raw in enumerate(_text(path).splitlines(), start=1):
        parts = raw.split()
        if not parts:
            continue
        if len(parts) != 3 or not parts[2].startswith("h1:"):
            raise InputError(f"{path}:{number}: not a go.sum line")
        module, version = parts[0], parts[1]
        if version.endswith("/go.mod"):
            continue
        packages.setdefault((module, version), Package("golang", module, version, str(path)))
    return list(packages.values())
