"""The semgrep adapter: our offline rule pack (``policies/semgrep``), JSON output, per-file units.

semgrep runs with ``--experimental`` (its OCaml front end: same rules and JSON, a fraction of the
start-up cost) and falls back to the classic pipeline when that fails.

semgrep must never touch the network here: the version check is disabled and metrics are off
(otherwise each run waits about 97 s for a time-out).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seccli.core.findings import Finding
from seccli.core.hashing import sha256_file, sha256_json
from seccli.core.location import Location
from seccli.core.redaction import Secret
from seccli.scan.interface import Inventory, ToolContext, ToolFailure, WorkUnit
from seccli.scan.model import RawFinding
from seccli.scan.process import run_tool
from seccli.scan.secret_match import literal_values, redact_values, secret_basis
from seccli.scan.severity_map import semgrep_severity
from seccli.scan.snippets import read_lines

# File suffixes (and names) of the languages our rule pack covers.
SUFFIXES = frozenset(
    {".py", ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".go", ".java", ".yaml", ".yml"}
)
OFFLINE_ENV = {
    "SEMGREP_ENABLE_VERSION_CHECK": "0",
    "SEMGREP_SEND_METRICS": "off",
}
_CHUNK = 2000
_MAX_SPAN = 1 << 16
_LANGUAGES = {
    ".py": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".go": "go",
    ".java": "java",
    ".yaml": "yaml",
    ".yml": "yaml",
}


def default_rules_dir() -> Path:
    """The rule pack shipped with seccli (``policies/semgrep`` in the source tree)."""
    from seccli.core.resources import bundled_path

    return bundled_path("policies/semgrep")


def rule_files(rules_dir: Path) -> list[Path]:
    """The rule files of a pack (``*.yaml``/``*.yml``), without the ``*.test.yaml`` targets."""
    found = [
        path
        for suffix in ("*.yaml", "*.yml")
        for path in rules_dir.rglob(suffix)
        if not path.name.endswith((".test.yaml", ".test.yml"))
    ]
    return sorted(found)


def is_dockerfile(path: str) -> bool:
    """True for ``Dockerfile``, ``Dockerfile.prod``, ``*.dockerfile`` and ``Containerfile``."""
    name = path.rsplit("/", 1)[-1]
    lowered = name.lower()
    return (
        lowered in {"dockerfile", "containerfile"}
        or lowered.startswith("dockerfile.")
        or lowered.endswith(".dockerfile")
    )


class SemgrepScanner:
    """semgrep with the offline rule pack, one cache unit per file."""

    name = "semgrep"
    executable_name = "semgrep"
    package = "semgrep"

    def plan(self, inventory: Inventory) -> list[WorkUnit]:
        """One unit per file in a language the rule pack covers."""
        units = []
        for path, source in sorted(inventory.files.items()):
            suffix = "." + path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
            if suffix in SUFFIXES or is_dockerfile(path):
                group = "dockerfile" if is_dockerfile(path) else _LANGUAGES.get(suffix, "")
                units.append(WorkUnit(path, (path,), source.digest, group))
        return units

    def rules_digest(self, rules_dir: Path | None) -> str:
        """Digest of every rule file's name and content."""
        base = rules_dir or default_rules_dir()
        if not base.is_dir():
            return "missing"
        return sha256_json(
            [[p.relative_to(base).as_posix(), sha256_file(p)] for p in rule_files(base)]
        )

    def scan(self, context: ToolContext, units: Sequence[WorkUnit]) -> dict[str, list[RawFinding]]:
        """Run semgrep on the units' files (in chunks, to keep command lines short)."""
        rules = context.rules_dir or default_rules_dir()
        if not rules.is_dir() or not rule_files(rules):
            raise ToolFailure(self.name, "missing", f"rule pack not found at {rules}")
        results: dict[str, list[RawFinding]] = {unit.key: [] for unit in units}
        files = [unit.files[0] for unit in units]
        for start in range(0, len(files), _CHUNK):
            chunk = files[start : start + _CHUNK]
            try:
                data = self._run(context, rules, chunk, experimental=True)
            except ToolFailure as failure:
                if failure.kind != "crash":
                    raise
                # The OCaml pipeline (--experimental) failed: fall back to the classic one.
                data = self._run(context, rules, chunk, experimental=False)
            for item in data.get("results", []):
                raw = self._finding(context.root, item)
                results.setdefault(
                    raw.finding.location.file if raw.finding.location.file in results else "*",
                    [],
                ).append(raw)
        return results

    def _run(
        self, context: ToolContext, rules: Path, files: list[str], *, experimental: bool
    ) -> dict[str, Any]:
        # --experimental runs semgrep's OCaml front end: the same rules and JSON, without
        # several seconds of Python start-up and rule validation per run.
        argv = [
            str(context.executable),
            "scan",
            *(["--experimental"] if experimental else []),
            "--config",
            str(rules),
            "--json",
            "--metrics=off",
            "--disable-version-check",
            "--quiet",
            "--no-git-ignore",
            "--x-ignore-semgrepignore-files",
            "--jobs",
            str(max(1, context.processes)),
            "--",
            *files,
        ]
        done = run_tool(
            self.name,
            argv,
            cwd=context.root,
            timeout=context.remaining(),
            env={**OFFLINE_ENV, **context.env},
        )
        try:
            data = json.loads(done.stdout)
        except (ValueError, RecursionError):
            raise ToolFailure(
                self.name,
                "crash",
                f"exit code {done.returncode}, output is not JSON: {done.stderr_tail()}",
            ) from None
        if done.returncode not in (0, 1) or not isinstance(data, dict):
            raise ToolFailure(
                self.name, "crash", f"exit code {done.returncode}: {done.stderr_tail()}"
            )
        fatal = [
            error
            for error in data.get("errors", [])
            if isinstance(error, dict)
            and str(error.get("level", "")).lower() == "error"
            and "rule" in str(error.get("type", "")).lower()
        ]
        if fatal:
            raise ToolFailure(self.name, "crash", f"rule error: {fatal[0].get('message', '')}")
        if not isinstance(data.get("results"), list):
            raise ToolFailure(self.name, "crash", "output has no results list")
        return data

    def _finding(self, root: Path, item: dict[str, Any]) -> RawFinding:
        path = str(item.get("path", ""))
        while path.startswith("./"):
            path = path[2:]
        rule_id = str(item.get("check_id", "unknown")).rsplit(".", 1)[-1]
        start = item.get("start") or {}
        end = item.get("end") or {}
        line = int(start.get("line") or 1)
        end_line = int(end.get("line") or line)
        extra = item.get("extra") or {}
        metadata = extra.get("metadata") or {}
        cwes = _cwes(metadata.get("cwe"))
        owasp = [str(entry) for entry in _as_list(metadata.get("owasp"))]
        category = metadata.get("category")
        tags = [*cwes, *owasp, *([str(category)] if category else [])]
        snippet = read_lines(root, path, line, end_line)
        help_url = metadata.get("help_url") or next(
            iter(_as_list(metadata.get("references"))), None
        )
        title = str(metadata.get("title") or rule_id)
        message = " ".join(str(extra.get("message", "")).split())
        secret = bool(metadata.get("secret"))
        matched: tuple[str, ...] = ()
        basis = snippet or rule_id
        if secret:
            whole, values = _matched_values(root, path, item)
            matched = tuple(sorted({*values, *([whole] if whole else [])}))
            title = redact_values(title, matched)
            message = redact_values(message, matched)
            # The whole match left out: the basis keeps the code around the values.
            basis = secret_basis(snippet, values) if snippet else rule_id
        finding = Finding.create(
            tool=self.name,
            rule_id=rule_id,
            title=title,
            message=message,
            severity=semgrep_severity(
                str(extra.get("severity", "")), metadata.get("seccli-severity"), rule_id
            ),
            location=Location(file=path, line=line, column=start.get("col")),
            basis=basis,
            tags=tags,
            help_url=str(help_url) if help_url else None,
        )
        return RawFinding(
            finding,
            end_line,
            cwes,
            secret=secret,
            matched=tuple(Secret(value, redactor=None) for value in matched),
        )


def _matched_values(root: Path, path: str, item: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """What a secret rule matched: the text of the match (its byte span in the file), and the
    literals and assigned values inside it plus metavariable contents when semgrep gives them
    (offline it gives neither ``lines`` nor ``metavars``)."""
    values: set[str] = set()
    text = _span(root, path, item.get("start"), item.get("end"))
    values |= literal_values(text)
    metavars = (item.get("extra") or {}).get("metavars")
    if isinstance(metavars, dict):
        for binding in metavars.values():
            if isinstance(binding, dict):
                content = str(binding.get("abstract_content") or "")
                values |= {content, content.strip("\"'`")} - {""}
                values |= literal_values(content)
                bound = _span(root, path, binding.get("start"), binding.get("end"))
                values |= {bound.strip()} - {""}
                values |= literal_values(bound)
    return text.strip(), tuple(sorted(values))


def _span(root: Path, path: str, start: object, end: object) -> str:
    """The file's text between two semgrep positions (byte offsets); "" when unknown."""
    if not isinstance(start, dict) or not isinstance(end, dict):
        return ""
    first, last = start.get("offset"), end.get("offset")
    if not isinstance(first, int) or not isinstance(last, int) or not 0 <= first < last:
        return ""
    try:
        with (root / path).open("rb") as handle:
            handle.seek(first)
            data = handle.read(min(last - first, _MAX_SPAN))
    except OSError:
        return ""
    return data.decode("utf-8", "replace")


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _cwes(value: object) -> tuple[str, ...]:
    found = []
    for entry in _as_list(value):
        text = str(entry).split(":", 1)[0].strip().upper()
        if text.startswith("CWE-"):
            found.append(text)
    return tuple(sorted(set(found)))
