"""Documents of a ``policy test`` run and of ``policy verify``: stable JSON and gator's text.

SARIF and the other findings formats come from ``seccli.render`` (``gate_run.findings_report``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from seccli.policy.gatekeeper.run import TestReport
from seccli.policy.gatekeeper.suite import SuiteResult


def test_json(report: TestReport, *, deny_only: bool = False) -> dict[str, Any]:
    """Objects with their violations (only objects that have some) and a summary."""
    objects: list[dict[str, Any]] = []
    counts = {"deny": 0, "warn": 0, "dryrun": 0, "error": 0}
    for result in report.results:
        shown = [v for v in result.violations if v.denies or not deny_only]
        for v in shown:
            counts["error" if v.error else v.action] += 1
        if not shown:
            continue
        item = result.item
        objects.append(
            {
                "object": {
                    "apiVersion": _api_version(item.request),
                    "kind": item.kind,
                    "namespace": item.namespace,
                    "name": item.name,
                },
                "source": {"file": item.source, "line": item.line, "path": item.path},
                "violations": [v.to_json() for v in shown],
            }
        )
    return {
        "objects": objects,
        "summary": {
            "objects": len(report.results),
            "violations": counts,
            "denied": report.denied,
        },
    }


def _api_version(request: dict[str, Any]) -> str:
    gvk = request.get("kind") or {}
    group, version = gvk.get("group", ""), gvk.get("version", "")
    return f"{group}/{version}" if group else str(version)


def verify_json(suites: Sequence[SuiteResult]) -> dict[str, Any]:
    """Suites, tests and cases with their status, reasons and times."""
    counts = {"pass": 0, "fail": 0, "skip": 0, "error": 0}
    out: list[dict[str, Any]] = []
    for suite in suites:
        tests = []
        for test in suite.tests:
            cases = []
            for case in test.cases:
                counts[case.status] += 1
                cases.append(
                    {
                        "name": case.name,
                        "status": case.status,
                        "reasons": case.reasons,
                        "seconds": round(case.seconds, 6),
                        "violations": [v.to_json() for v in case.violations],
                    }
                )
            if not test.cases:
                counts[test.status] += 1
            tests.append(
                {
                    "name": test.name,
                    "status": test.status,
                    "reasons": test.reasons,
                    "seconds": round(test.seconds, 6),
                    "cases": cases,
                }
            )
        out.append(
            {
                "path": suite.path,
                "status": suite.status,
                "seconds": round(suite.seconds, 6),
                "tests": tests,
            }
        )
    status = "pass"
    if counts["error"]:
        status = "error"
    elif counts["fail"]:
        status = "fail"
    return {"suites": out, "summary": counts, "status": status}


def verify_text(suites: Sequence[SuiteResult], run: str | None) -> str:
    """``gator verify``'s Go-test-style text: one line per test and case, reasons indented."""
    lines: list[str] = []
    failed = False
    for suite in suites:
        for test in suite.tests:
            lines.append(f"--- {_word(test.status)}: {test.name} ({test.seconds:.2f}s)")
            lines.extend(_reasons(test.status, test.reasons))
            for case in test.cases:
                lines.append(
                    f"    --- {_word(case.status)}: {test.name}/{case.name} ({case.seconds:.2f}s)"
                )
                lines.extend(_reasons(case.status, case.reasons))
        ok = suite.status == "pass"
        failed = failed or not ok
        lines.append(f"{'ok  ' if ok else 'FAIL'}\t{suite.path}\t{suite.seconds:.3f}s")
    if not suites and run:
        lines.append(f"warning: no tests to run (--run {run!r} matched nothing)")
    lines.append("FAIL" if failed else "PASS")
    return "".join(line + "\n" for line in lines)


def _reasons(status: str, reasons: Sequence[str]) -> list[str]:
    prefix = "error: " if status == "error" else ""
    return [f"        {prefix}{reason}" for reason in reasons]


def _word(status: str) -> str:
    return {"pass": "PASS", "fail": "FAIL", "skip": "SKIP", "error": "FAIL"}[status]
