"""The checkov adapter: IaC frameworks present in the tree, run serially, severities mapped.

checkov's default parallel mode forks workers repeatedly and spends its time in the kernel on
small machines, so it runs with ``CHECKOV_PARALLELIZATION_TYPE=none`` and only the frameworks
present (``--framework``). Cache units: one per file for file-local frameworks (kubernetes,
dockerfile, github_actions, secrets) and one per framework for those that resolve across files
(terraform, helm).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seccli.core.findings import Finding
from seccli.core.hashing import sha256_hex, sha256_json
from seccli.core.location import Location
from seccli.scan.interface import Inventory, ToolContext, ToolFailure, WorkUnit
from seccli.scan.model import RawFinding
from seccli.scan.process import run_tool
from seccli.scan.semgrep import is_dockerfile
from seccli.scan.severity_map import CHECKOV_CWE, checkov_severity
from seccli.scan.snippets import read_lines

TREE_FRAMEWORKS = ("terraform", "helm")
ENV = {"CHECKOV_PARALLELIZATION_TYPE": "none", "LOG_LEVEL": "ERROR"}
_K8S_HEAD = re.compile(rb"^apiVersion:\s*\S+.*^kind:\s*\S+|^kind:\s*\S+.*^apiVersion:", re.M | re.S)
_SECRET_MAX_BYTES = 1 << 20
_SECRET_SUFFIXES = frozenset(
    {
        ".py",
        ".js",
        ".ts",
        ".go",
        ".java",
        ".rb",
        ".php",
        ".cs",
        ".sh",
        ".tf",
        ".tfvars",
        ".yaml",
        ".yml",
        ".json",
        ".env",
        ".ini",
        ".cfg",
        ".conf",
        ".properties",
        ".toml",
        ".xml",
        ".txt",
        ".pem",
        ".key",
    }
)
_MAX_FILE_ARGS = 200
_POLICY_INDEX = "https://www.checkov.io/5.Policy%20Index/{}.html"


class CheckovScanner:
    """checkov over the IaC frameworks present, plus secrets over every text file."""

    name = "checkov"
    executable_name = "checkov"
    package = "checkov"

    def __init__(self) -> None:
        self._planned: set[tuple[str, str]] = set()

    def plan(self, inventory: Inventory) -> list[WorkUnit]:
        """Units per framework present: a file each, or the whole tree for terraform/helm."""
        units: list[WorkUnit] = []
        tree: dict[str, list[str]] = {"terraform": [], "helm": []}
        charts = {
            p.rsplit("/", 1)[0] if "/" in p else ""
            for p in inventory.files
            if p.rsplit("/", 1)[-1] == "Chart.yaml"
        }
        helm_available = shutil.which("helm") is not None
        for path, source in sorted(inventory.files.items()):
            name = path.rsplit("/", 1)[-1]
            suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
            in_chart = any(path.startswith(chart + "/") or chart == "" for chart in charts)
            if suffix in (".tf", ".tfvars"):
                tree["terraform"].append(path)
            elif in_chart and helm_available and suffix in (".yaml", ".yml", ".tpl"):
                tree["helm"].append(path)
            elif path.startswith(".github/workflows/") and suffix in (".yml", ".yaml"):
                units.append(self._file_unit("github_actions", path, source.digest))
            elif suffix in (".yaml", ".yml") and not in_chart and _is_k8s(inventory.root / path):
                units.append(self._file_unit("kubernetes", path, source.digest))
            elif is_dockerfile(path):
                units.append(self._file_unit("dockerfile", path, source.digest))
            if (
                suffix in _SECRET_SUFFIXES or is_dockerfile(path)
            ) and source.size <= _SECRET_MAX_BYTES:
                units.append(self._file_unit("secrets", path, source.digest))
        for framework, paths in tree.items():
            if paths:
                digest = sha256_json([[p, inventory.files[p].digest] for p in paths])
                units.append(WorkUnit(f"{framework}:*", tuple(paths), digest, framework))
        self._planned = {(u.group, u.files[0]) for u in units if not u.key.endswith(":*")}
        return units

    def _file_unit(self, framework: str, path: str, digest: str) -> WorkUnit:
        return WorkUnit(f"{framework}:{path}", (path,), digest, framework)

    def rules_digest(self, rules_dir: Path | None) -> str:
        """checkov runs its built-in checks; its version already identifies them."""
        return sha256_hex("checkov:builtin-checks")

    def scan(self, context: ToolContext, units: Sequence[WorkUnit]) -> dict[str, list[RawFinding]]:
        """One checkov run over the frameworks of ``units``: whole tree or the listed files."""
        results: dict[str, list[RawFinding]] = {unit.key: [] for unit in units}
        if not units:
            return results
        frameworks = sorted({unit.group for unit in units})
        whole_tree = any(unit.key.endswith(":*") for unit in units) or len(units) > _MAX_FILE_ARGS
        argv = [
            str(context.executable),
            "-o",
            "json",
            "--quiet",
            "--skip-download",
            "--framework",
            ",".join(frameworks),
        ]
        if whole_tree:
            argv += ["-d", "."]
            for skipped in context.skip_dirs:
                argv += ["--skip-path", skipped]
        else:
            argv += ["-f", *sorted({unit.files[0] for unit in units})]
        done = run_tool(self.name, argv, cwd=context.root, timeout=context.timeout, env=ENV)
        if done.returncode not in (0, 1):
            raise ToolFailure(
                self.name, "crash", f"exit code {done.returncode}: {done.stderr_tail()}"
            )
        reports = _reports(done.stdout, done.stderr_tail())
        by_file = {
            (unit.group, unit.files[0]): unit.key for unit in units if not unit.key.endswith(":*")
        }
        tree_keys = {unit.group: unit.key for unit in units if unit.key.endswith(":*")}
        for report in reports:
            framework = str(report.get("check_type", ""))
            for item in (report.get("results") or {}).get("failed_checks") or []:
                raw = self._finding(context.root, framework, item)
                file = raw.finding.location.file
                if framework in tree_keys:
                    results[tree_keys[framework]].append(raw)
                elif (framework, file) in by_file:
                    results[by_file[(framework, file)]].append(raw)
                elif (framework, file) not in self._planned:
                    results.setdefault("*", []).append(raw)
        return results

    def _finding(self, root: Path, framework: str, item: dict[str, Any]) -> RawFinding:
        path = _relative(root, item)
        line_range = item.get("file_line_range") or [None, None]
        start = line_range[0] if line_range and line_range[0] else None
        end = line_range[-1] if line_range and line_range[-1] else start
        check_id = str(item.get("check_id", "CKV_UNKNOWN"))
        resource = str(item.get("resource") or "")
        check_name = str(item.get("check_name") or check_id)
        cwes = CHECKOV_CWE.get(check_id, ("CWE-798",) if framework == "secrets" else ())
        if framework == "secrets":
            # checkov masks the value in code_block; hash the masked line only.
            basis = " ".join(str(line[1]) for line in item.get("code_block") or [])
        else:
            basis = resource or read_lines(root, path, start, end)
        help_url = item.get("guideline") or _POLICY_INDEX.format(framework)
        finding = Finding.create(
            tool=self.name,
            rule_id=check_id,
            title=check_name,
            message=f"{check_name}"
            + (f" ({resource})" if resource and framework != "secrets" else ""),
            severity=checkov_severity(check_id, framework, item.get("severity")),
            location=Location(file=path, line=start, path=resource or None),
            basis=basis,
            tags=(*cwes, f"checkov:{framework}"),
            help_url=str(help_url),
        )
        return RawFinding(finding, end, tuple(cwes), secret=framework == "secrets")


def _is_k8s(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError:
        return False
    return bool(_K8S_HEAD.search(head))


def _reports(stdout: bytes, stderr_tail: str) -> list[dict[str, Any]]:
    text = stdout.decode("utf-8", "replace").strip()
    if not text:
        return []
    try:
        data = json.loads(text)
    except ValueError:
        raise ToolFailure("checkov", "crash", f"output is not JSON: {stderr_tail}") from None
    if isinstance(data, dict):
        return [data] if "results" in data else []
    if isinstance(data, list):
        return [report for report in data if isinstance(report, dict)]
    raise ToolFailure("checkov", "crash", "unexpected JSON output")


def _relative(root: Path, item: dict[str, Any]) -> str:
    """checkov's paths differ by framework; resolve them against the root."""
    candidates = [str(item.get("file_path") or ""), str(item.get("file_abs_path") or "")]
    resolved_root = root.resolve()
    for candidate in candidates:
        if not candidate:
            continue
        path = Path(candidate)
        full = (
            path if path.is_absolute() and path.exists() else resolved_root / candidate.lstrip("/")
        )
        try:
            return full.resolve().relative_to(resolved_root).as_posix()
        except (ValueError, OSError):
            continue
    return candidates[0].lstrip("/")
