"""The checkov adapter: IaC frameworks present in the tree, run serially, severities mapped.

checkov's default parallel mode forks workers repeatedly and spends its time in the kernel on
small machines, so it runs with ``CHECKOV_PARALLELIZATION_TYPE=none`` and only the frameworks
present (``--framework``). Cache units: one per file for file-local frameworks (kubernetes,
dockerfile, github_actions, secrets) and one per framework for those that resolve across files
(terraform, helm).

With ``warm`` set, checkov runs in a forked child of a worker that imported it once
(``checkov_worker``), which saves its ~3 s start-up on every re-scan; same argv, same output.
"""

from __future__ import annotations

import json
import posixpath
import re
import shutil
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seccli.core.findings import Finding
from seccli.core.hashing import sha256_hex, sha256_json
from seccli.core.location import Location
from seccli.core.redaction import REDACTED, Secret
from seccli.scan.interface import Inventory, ToolContext, ToolFailure, WorkUnit
from seccli.scan.model import RawFinding
from seccli.scan.process import Completed, run_tool
from seccli.scan.secret_match import checkov_values, literal_values, mask_literals, redact_values
from seccli.scan.semgrep import is_dockerfile
from seccli.scan.severity_map import CHECKOV_CWE, checkov_severity
from seccli.scan.snippets import read_lines

TREE_FRAMEWORKS = ("terraform", "helm")
ENV = {"CHECKOV_PARALLELIZATION_TYPE": "none", "LOG_LEVEL": "ERROR"}
_K8S_HEAD = re.compile(rb"^apiVersion:\s*\S+.*^kind:\s*\S+|^kind:\s*\S+.*^apiVersion:", re.M | re.S)
_SECRET_MAX_BYTES = 1 << 20
# checkov's secrets framework reads only these (its SUPPORTED_FILE_EXTENSIONS) and Dockerfiles
# unless told to scan every file; Python and other sources are covered by bandit and semgrep.
_SECRET_SUFFIXES = frozenset({".tf", ".yml", ".yaml", ".json", ".template", ".bicep", ".hcl"})
_MAX_FILE_ARGS = 200
_MAX_DIR_RUNS = 3
_POLICY_INDEX = "https://www.checkov.io/5.Policy%20Index/{}.html"
# checkov's mask: up to six exposed characters of the secret, then ten asterisks.
_EXPOSED_PREFIX = re.compile(r".{0,6}\*{10}")
_MODULE_SOURCE = re.compile(r'source\s*=\s*"(\.{1,2}/[^"]*)"')


@dataclass(frozen=True, slots=True)
class _Invocation:
    args: tuple[str, ...]
    frameworks: tuple[str, ...]
    base: str | None = None
    expected: frozenset[str] = frozenset()


class CheckovScanner:
    """checkov over the IaC frameworks present (and its secrets scan of IaC/config files)."""

    name = "checkov"
    executable_name = "checkov"
    package = "checkov"

    def __init__(self) -> None:
        self._planned: set[str] = set()

    def plan(self, inventory: Inventory) -> list[WorkUnit]:
        """Units per framework present: a file each, or a directory for terraform/helm."""
        units: list[WorkUnit] = []
        tf_dirs: dict[str, list[str]] = {}
        charts = {_dirname(p) for p in inventory.files if p.rsplit("/", 1)[-1] == "Chart.yaml"}
        helm_available = shutil.which("helm") is not None
        chart_files: dict[str, list[str]] = {}
        for path, source in sorted(inventory.files.items()):
            name = path.rsplit("/", 1)[-1]
            suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
            chart = next((c for c in charts if c == "." or path.startswith(c + "/")), None)
            if suffix in (".tf", ".tfvars"):
                tf_dirs.setdefault(_dirname(path), []).append(path)
            elif chart is not None and helm_available:
                chart_files.setdefault(chart, []).append(path)
            elif path.startswith(".github/workflows/") and suffix in (".yml", ".yaml"):
                units.append(self._file_unit("github_actions", path, source.digest))
            elif suffix in (".yaml", ".yml") and chart is None and _is_k8s(inventory.root / path):
                units.append(self._file_unit("kubernetes", path, source.digest))
            elif is_dockerfile(path):
                units.append(self._file_unit("dockerfile", path, source.digest))
            if (
                suffix in _SECRET_SUFFIXES or is_dockerfile(path)
            ) and source.size <= _SECRET_MAX_BYTES:
                units.append(self._file_unit("secrets", path, source.digest))
        for directory in sorted(tf_dirs):
            files = _with_local_modules(inventory, directory, tf_dirs)
            digest = sha256_json([[p, inventory.files[p].digest] for p in files])
            units.append(
                WorkUnit(
                    _tree_key("terraform", directory),
                    tuple(tf_dirs[directory]),
                    digest,
                    "terraform",
                )
            )
        for chart, files in sorted(chart_files.items()):
            digest = sha256_json([[p, inventory.files[p].digest] for p in files])
            units.append(WorkUnit(_tree_key("helm", chart), tuple(files), digest, "helm"))
        self._planned = {unit.key for unit in units}
        return units

    def _file_unit(self, framework: str, path: str, digest: str) -> WorkUnit:
        return WorkUnit(f"{framework}:{path}", (path,), digest, framework)

    def rules_digest(self, rules_dir: Path | None) -> str:
        """checkov runs its built-in checks; its version already identifies them."""
        return sha256_hex("checkov:builtin-checks")

    def scan(self, context: ToolContext, units: Sequence[WorkUnit]) -> dict[str, list[RawFinding]]:
        """Run checkov over ``units``: the whole tree at once when everything is to be scanned,
        else the changed directories and the changed files only (concurrently)."""
        results: dict[str, list[RawFinding]] = {unit.key: [] for unit in units}
        if not units:
            return results
        invocations = self._invocations(context, units)
        workers = max(1, min(context.processes, len(invocations)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outputs = list(pool.map(lambda inv: (inv, self._run(context, inv)), invocations))
        for invocation, reports in outputs:
            for report in reports:
                framework = str(report.get("check_type", ""))
                for item in (report.get("results") or {}).get("failed_checks") or []:
                    raw = self._finding(context.root, framework, item, invocation)
                    key = self._unit_key(framework, raw.finding.location.file)
                    if key in results:
                        results[key].append(raw)
                    elif key not in self._planned:
                        results.setdefault("*", []).append(raw)
        return results

    def _invocations(self, context: ToolContext, units: Sequence[WorkUnit]) -> list[_Invocation]:
        skip = tuple(
            arg
            for skipped in context.skip_dirs
            for arg in ("--skip-path", f"(^|/){re.escape(skipped)}(/|$)")
        )
        if {unit.key for unit in units} >= self._planned:
            frameworks = tuple(sorted({unit.group for unit in units}))
            return [_Invocation(("-d", ".", *skip), frameworks)]
        invocations: list[_Invocation] = []
        per_file = [u for u in units if u.group not in TREE_FRAMEWORKS]
        for framework in TREE_FRAMEWORKS:
            dirs = [_tree_dir(u.key) for u in units if u.group == framework]
            if len(dirs) > _MAX_DIR_RUNS:
                invocations.append(_Invocation(("-d", ".", *skip), (framework,)))
                continue
            for directory in dirs:
                # Changed files inside this directory ride along (one checkov start-up).
                inside = [u for u in per_file if _under(u.files[0], directory)]
                per_file = [u for u in per_file if u not in inside]
                frameworks = tuple(sorted({framework, *(u.group for u in inside)}))
                invocations.append(_Invocation(("-d", directory), frameworks, base=directory))
        if per_file:
            frameworks = tuple(sorted({u.group for u in per_file}))
            files = sorted({u.files[0] for u in per_file})
            if len(files) > _MAX_FILE_ARGS:
                invocations.append(_Invocation(("-d", ".", *skip), frameworks))
            else:
                invocations.append(
                    _Invocation(("-f", *files), frameworks, expected=frozenset(files))
                )
        return invocations

    def _run(self, context: ToolContext, invocation: _Invocation) -> list[dict[str, Any]]:
        argv = [
            str(context.executable),
            "-o",
            "json",
            "--quiet",
            "--skip-download",
            "--framework",
            ",".join(invocation.frameworks),
            *invocation.args,
        ]
        done = _warm_run(context, argv[1:]) if _worker_applies(context) else None
        if done is None:
            done = run_tool(self.name, argv, cwd=context.root, timeout=context.remaining(), env=ENV)
        if done.returncode not in (0, 1):
            raise ToolFailure(
                self.name, "crash", f"exit code {done.returncode}: {done.stderr_tail()}"
            )
        return _reports(done.stdout, done.stderr_tail())

    def _unit_key(self, framework: str, file: str) -> str:
        if framework in TREE_FRAMEWORKS:
            if framework == "helm":
                for key in self._planned:
                    if key.startswith("helm:") and (
                        _tree_dir(key) == "." or file.startswith(_tree_dir(key) + "/")
                    ):
                        return key
            return _tree_key(framework, _dirname(file))
        return f"{framework}:{file}"

    def _finding(
        self, root: Path, framework: str, item: dict[str, Any], invocation: _Invocation
    ) -> RawFinding:
        path = _relative(root, item, invocation)
        line_range = item.get("file_line_range") or [None, None]
        start = line_range[0] if line_range and line_range[0] else None
        end = line_range[-1] if line_range and line_range[-1] else start
        check_id = str(item.get("check_id", "CKV_UNKNOWN"))
        resource = str(item.get("resource") or "")
        check_name = str(item.get("check_name") or check_id)
        cwes = CHECKOV_CWE.get(check_id, ("CWE-798",) if framework == "secrets" else ())
        matched: tuple[str, ...] = ()
        message = f"{check_name}" + (
            f" ({resource})" if resource and framework != "secrets" else ""
        )
        if framework == "secrets":
            matched = _secret_values(root, path, item)
            basis = _secret_basis(item)
            message = redact_values(message, matched)
            check_name = redact_values(check_name, matched)
        else:
            basis = resource or read_lines(root, path, start, end)
        help_url = item.get("guideline") or _POLICY_INDEX.format(framework)
        finding = Finding.create(
            tool=self.name,
            rule_id=check_id,
            title=check_name,
            message=message,
            severity=checkov_severity(check_id, framework, item.get("severity")),
            # For secrets checkov's "resource" is a hash of the value: never show it.
            location=Location(
                file=path, line=start, path=None if framework == "secrets" else resource or None
            ),
            basis=basis,
            tags=(*cwes, f"checkov:{framework}"),
            help_url=str(help_url),
        )
        return RawFinding(
            finding,
            end,
            tuple(cwes),
            secret=framework == "secrets",
            matched=tuple(Secret(value, redactor=None) for value in matched),
        )


def _code_block(item: dict[str, Any]) -> list[tuple[int, str]]:
    return [
        (entry[0], str(entry[1]))
        for entry in item.get("code_block") or []
        if isinstance(entry, list | tuple) and len(entry) == 2 and isinstance(entry[0], int)
    ]


def _secret_values(root: Path, path: str, item: dict[str, Any]) -> tuple[str, ...]:
    """The secret checkov matched: its masked ``code_block`` lines set against the file's lines
    (the mask exposes a prefix and hides the rest); the line's literals when they do not
    line up (the file changed since)."""
    values: set[str] = set()
    for number, masked in _code_block(item):
        original = read_lines(root, path, number, number)
        found = checkov_values(original, masked) if original else set()
        values |= found or literal_values(original)
    return tuple(sorted(values))


def _secret_basis(item: dict[str, Any]) -> str:
    """The masked lines without the prefix checkov leaves exposed, literals masked too."""
    text = " ".join(masked for _number, masked in _code_block(item))
    return mask_literals(_EXPOSED_PREFIX.sub(REDACTED, text)) or REDACTED


def _worker_applies(context: ToolContext) -> bool:
    """A warm worker answers for the checkov installed beside this interpreter only."""
    if not context.warm or not context.version or context.version == "unknown":
        return False
    return context.executable.parent == Path(sys.executable).parent


def _warm_run(context: ToolContext, args: list[str]) -> Completed | None:
    """checkov through the warm worker; None when no worker can be used (run it directly)."""
    from seccli.scan.worker_client import run_checkov
    from seccli.scan.worker_wire import WorkerUnavailable

    try:
        return run_checkov(
            args,
            cwd=context.root,
            timeout=context.remaining(),
            env=ENV,
            checkov_version=context.version,
        )
    except WorkerUnavailable:
        return None


def _is_k8s(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError:
        return False
    return bool(_K8S_HEAD.search(head))


def _dirname(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else "."


def _under(path: str, directory: str) -> bool:
    return directory == "." or path.startswith(directory + "/")


def _tree_key(framework: str, directory: str) -> str:
    return f"{framework}:{directory}/*"


def _tree_dir(key: str) -> str:
    return key.split(":", 1)[1][: -len("/*")]


def _with_local_modules(
    inventory: Inventory, directory: str, tf_dirs: dict[str, list[str]]
) -> list[str]:
    """The directory's Terraform files and those of the local modules it calls (transitively),
    so a change in a called module invalidates its callers too."""
    seen: set[str] = set()
    pending = [directory]
    files: list[str] = []
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for path in tf_dirs.get(current, []):
            files.append(path)
            try:
                text = (inventory.root / path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            for source in _MODULE_SOURCE.findall(text):
                target = posixpath.normpath(
                    posixpath.join("" if current == "." else current, source)
                )
                pending.append(target if target not in ("", ".") else ".")
    return sorted(files)


def _reports(stdout: bytes, stderr_tail: str) -> list[dict[str, Any]]:
    """checkov's JSON: one report, a list of reports, or several documents in a row."""
    text = stdout.decode("utf-8", "replace").strip()
    decoder = json.JSONDecoder()
    reports: list[dict[str, Any]] = []
    index = 0
    while index < len(text):
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            break
        try:
            data, index = decoder.raw_decode(text, index)
        except ValueError:
            raise ToolFailure("checkov", "crash", f"output is not JSON: {stderr_tail}") from None
        if isinstance(data, dict):
            if "results" in data:
                reports.append(data)
        elif isinstance(data, list):
            reports += [report for report in data if isinstance(report, dict)]
        else:
            raise ToolFailure("checkov", "crash", "unexpected JSON output")
    return reports


def _relative(root: Path, item: dict[str, Any], invocation: _Invocation) -> str:
    """checkov's paths differ by framework and mode; resolve them against the root."""
    file_path = str(item.get("file_path") or "").lstrip("/")
    absolute = str(item.get("file_abs_path") or "")
    resolved_root = root.resolve()
    candidates: list[Path] = []
    if invocation.base:
        candidates.append(resolved_root / invocation.base / file_path)
    candidates.append(resolved_root / file_path)
    if absolute:
        candidates.append(Path(absolute))
    found: list[str] = []
    for candidate in candidates:
        try:
            relative = candidate.resolve().relative_to(resolved_root).as_posix()
        except (ValueError, OSError):
            continue
        if (resolved_root / relative).is_file():
            found.append(relative)
    if invocation.expected:
        for relative in found:
            if relative in invocation.expected:
                return relative
        for relative in invocation.expected:
            if relative.endswith("/" + file_path) or relative == file_path:
                return relative
    return found[0] if found else file_path
