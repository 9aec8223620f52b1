"""The bandit adapter: Python files, JSON output, files split across processes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from seccli.core.findings import Finding
from seccli.core.hashing import sha256_hex
from seccli.core.location import Location
from seccli.core.redaction import REDACTED, Secret
from seccli.core.severity import Severity
from seccli.scan.interface import Inventory, ToolContext, ToolFailure, WorkUnit
from seccli.scan.model import RawFinding
from seccli.scan.process import run_tool
from seccli.scan.secret_match import (
    bandit_message,
    bandit_value,
    literal_values,
    redact_values,
    secret_basis,
)
from seccli.scan.severity_map import bandit_severity
from seccli.scan.snippets import read_lines

# bandit's hard-coded password tests: their lines hold a credential.
SECRET_TESTS = frozenset({"B105", "B106", "B107"})
_MIN_FILES_PER_PROCESS = 20


class BanditScanner:
    """bandit on every ``*.py`` file, one cache unit per file."""

    name = "bandit"
    executable_name = "bandit"
    package = "bandit"

    def plan(self, inventory: Inventory) -> list[WorkUnit]:
        """One unit per Python file."""
        return [
            WorkUnit(key=path, files=(path,), digest=source.digest, group="python")
            for path, source in sorted(inventory.files.items())
            if path.endswith(".py")
        ]

    def rules_digest(self, rules_dir: Path | None) -> str:
        """bandit runs its default test set; its version already identifies it."""
        return sha256_hex("bandit:default-tests")

    def scan(self, context: ToolContext, units: Sequence[WorkUnit]) -> dict[str, list[RawFinding]]:
        """Run bandit over the units' files, split across ``context.processes`` processes."""
        results: dict[str, list[RawFinding]] = {unit.key: [] for unit in units}
        files = [unit.files[0] for unit in units]
        if not files:
            return results
        workers = max(1, min(context.processes, len(files) // _MIN_FILES_PER_PROCESS))
        chunks = [files[index::workers] for index in range(workers)]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outputs = list(pool.map(lambda chunk: self._run(context, chunk), chunks))
        for output in outputs:
            for error in output.get("errors", []):
                raw = _unscanned(error)
                results.setdefault(
                    raw.finding.location.file if raw.finding.location.file in results else "*", []
                ).append(raw)
            for item in output.get("results", []):
                raw = self._finding(context.root, item)
                if raw.finding.location.file in results:
                    results[raw.finding.location.file].append(raw)
                else:
                    results.setdefault("*", []).append(raw)
        return results

    def _run(self, context: ToolContext, files: list[str]) -> dict[str, Any]:
        argv = [str(context.executable), "-f", "json", "-q", "--exit-zero", "--", *files]
        done = run_tool(self.name, argv, cwd=context.root, timeout=context.remaining())
        if done.returncode != 0:
            raise ToolFailure(
                self.name, "crash", f"exit code {done.returncode}: {done.stderr_tail()}"
            )
        try:
            data = json.loads(done.stdout)
        except (ValueError, RecursionError):
            raise ToolFailure(
                self.name, "crash", f"output is not JSON: {done.stderr_tail()}"
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise ToolFailure(self.name, "crash", "output has no results list")
        return data

    def _finding(self, root: Path, item: dict[str, Any]) -> RawFinding:
        path = _relative(str(item.get("filename", "")))
        line = int(item.get("line_number") or 1)
        line_range = item.get("line_range") or [line]
        end = int(max(line_range)) if line_range else line
        test_id = str(item.get("test_id", "B000"))
        cwe = (item.get("issue_cwe") or {}).get("id")
        cwes = (f"CWE-{cwe}",) if cwe else ()
        snippet = read_lines(root, path, line, end)
        column = item.get("col_offset")
        message = str(item.get("issue_text", ""))
        secret = test_id in SECRET_TESTS
        matched: tuple[str, ...] = ()
        basis = snippet or message
        if secret:
            value = bandit_value(message)
            matched = (value,) if value else tuple(sorted(literal_values(snippet)))
            message = bandit_message(message, value) if value else message
            message = redact_values(message, matched)
            basis = secret_basis(snippet, matched) if snippet else REDACTED
        finding = Finding.create(
            tool=self.name,
            rule_id=test_id,
            title=str(item.get("test_name", test_id)),
            message=message,
            severity=bandit_severity(
                str(item.get("issue_severity", "")), str(item.get("issue_confidence", "")), test_id
            ),
            location=Location(
                file=path,
                line=line,
                column=int(column) + 1 if isinstance(column, int) else None,
            ),
            basis=basis,
            tags=cwes,
            help_url=item.get("more_info") or None,
        )
        return RawFinding(
            finding,
            end,
            cwes,
            secret=secret,
            matched=tuple(Secret(value, redactor=None) for value in matched),
        )


def _relative(path: str) -> str:
    while path.startswith("./"):
        path = path[2:]
    return path


def _unscanned(error: dict[str, Any]) -> RawFinding:
    """A file bandit could not read or parse was not checked: say so instead of passing it."""
    path = _relative(str(error.get("filename", "")))
    reason = " ".join(str(error.get("reason", "unknown error")).split())[:300]
    finding = Finding.create(
        tool="bandit",
        rule_id="seccli.not-scanned",
        title="File not scanned by bandit",
        message=f"bandit could not scan this file: {reason}",
        severity=Severity.LOW,
        location=Location(file=path),
        basis="not-scanned",
    )
    return RawFinding(finding)
