"""``seccli scan`` output formats (warm cache, so no tool runs): SARIF validity, Markdown,
JSON, exit codes, baselines, and the planted secret absent from every output and the store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scan.conftest import PLANTED_SECRET, Scanned

ROOT = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif" / "sarif-schema-2.1.0.json"


def seccli(scanned: Scanned, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seccli", "--store", str(scanned.store_path), *args],
        cwd=scanned.root,
        capture_output=True,
        text=True,
        env={**os.environ, "SECCLI_ACTOR": "tester", "PYTHONPATH": str(ROOT)},
        timeout=120,
    )


@pytest.fixture(scope="module")
def outputs(scanned: Scanned) -> dict[str, subprocess.CompletedProcess[str]]:
    return {
        fmt: seccli(scanned, "scan", ".", "--format", fmt)
        for fmt in ("table", "json", "sarif", "markdown")
    }


def test_every_format_exits_1_on_high_findings(
    outputs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    for fmt, result in outputs.items():
        assert result.returncode == 1, (fmt, result.stderr)


def test_planted_secret_never_appears_in_any_output_or_the_store(
    scanned: Scanned, outputs: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    assert PLANTED_SECRET in (scanned.root / "app" / "settings.py").read_text()
    for fmt, result in outputs.items():
        assert PLANTED_SECRET not in result.stdout, fmt
        assert PLANTED_SECRET not in result.stderr, fmt
    assert "***REDACTED***" in outputs["json"].stdout
    for path in scanned.store_path.parent.glob("state.db*"):
        assert PLANTED_SECRET.encode() not in path.read_bytes(), path


def test_sarif_is_valid_with_one_run_per_tool(
    outputs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    import jsonschema

    log = json.loads(outputs["sarif"].stdout)
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    assert [run["tool"]["driver"]["name"] for run in log["runs"]] == [
        "checkov",
        "bandit",
        "semgrep",
    ]
    bandit = log["runs"][1]
    rule_ids = [rule["id"] for rule in bandit["tool"]["driver"]["rules"]]
    assert "B602" in rule_ids
    result = next(r for r in bandit["results"] if r["ruleId"] == "B602")
    assert bandit["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "B602"
    assert result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/vuln.py"
    assert result["partialFingerprints"]["seccliFingerprint/v1"]
    # The merged semgrep finding is named in the result's properties, not in the rule's tags.
    assert "semgrep:python-subprocess-shell-true" in result["properties"]["alsoReportedBy"]
    for run in log["runs"]:
        for rule in run["tool"]["driver"]["rules"]:
            assert not [tag for tag in rule["properties"]["tags"] if tag.startswith("also:")]
            assert rule["help"]["text"] and rule["fullDescription"]["text"]


def test_sarif_with_a_failed_tool_is_still_valid(scanned: Scanned) -> None:
    import jsonschema

    from seccli.render.model import FindingsReport
    from seccli.render.sarif import sarif_log
    from seccli.scan.model import ToolRun
    from seccli.scan.rule_help import tool_infos

    runs = (*scanned.report.runs[:2], ToolRun("semgrep", "", "error", detail="timeout: 1 s"))
    report = FindingsReport(
        scanned.report.findings, tool_infos(runs, scanned.report.findings), scanned.root
    )
    log = sarif_log(report)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(log)
    assert log["runs"][2]["invocations"][0]["executionSuccessful"] is False


def test_json_and_markdown_content(outputs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    document = json.loads(outputs["json"].stdout)
    assert document["schemaVersion"] == "1" and document["kind"] == "ScanReport"
    assert document["gate"]["passed"] is False and document["gate"]["threshold"] == "high"
    counts = document["summary"]["bySeverity"]
    assert sum(counts.values()) == document["summary"]["total"] == len(document["findings"])
    assert {t["tool"]: t["cached"] > 0 for t in document["tools"]} == {
        "checkov": True,
        "bandit": True,
        "semgrep": True,
    }
    markdown = outputs["markdown"].stdout
    assert markdown.startswith("## seccli scan") and "**Gate: failed**" in markdown
    assert "| critical |" in markdown
    table = outputs["table"].stdout
    assert "CRITICAL (" in table and "HIGH (" in table and "gate (--fail-on high): FAILED" in table


def test_baseline_round_trip_and_fail_on(scanned: Scanned, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    first = seccli(scanned, "scan", ".", "--write-baseline", str(baseline), "-f", "json")
    assert first.returncode == 0 and baseline.is_file()  # writing a baseline is not a gate
    again = seccli(scanned, "scan", ".", "--baseline", str(baseline), "-f", "json")
    assert again.returncode == 0, again.stdout[-500:]
    assert json.loads(again.stdout)["summary"]["total"] == 0
    bad = seccli(scanned, "scan", ".", "--fail-on", "catastrophic")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "--fail-on" in bad.stderr


def test_findings_age_command(scanned: Scanned) -> None:
    result = seccli(scanned, "findings", "age", "--severity", "critical", "-f", "json")
    # Findings were first seen moments ago: nothing is older than 24 h yet.
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["count"] == 0
    result = seccli(scanned, "findings", "age", "--older-than", "0s", "-f", "json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["count"] >= 1


def test_estate_owners_on_the_command_line(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "services" / "api-gateway").mkdir(parents=True)
    (tree / "tools").mkdir()
    vulnerable = "import pickle\n\n\ndef load(blob):\n    return pickle.loads(blob)\n"
    (tree / "services" / "api-gateway" / "app.py").write_text(vulnerable)
    (tree / "tools" / "x.py").write_text(vulnerable)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "seccli",
            "--store",
            str(tmp_path / "s.db"),
            "scan",
            ".",
            "-t",
            "bandit",
            "-f",
            "json",
            "--estate",
            str(ROOT / "examples" / "claytom" / "estate.yaml"),
        ],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SECCLI_ACTOR": "tester", "PYTHONPATH": str(ROOT)},
    )
    document = json.loads(result.stdout)
    owners = {f["location"]["file"]: f["owner"] for f in document["findings"]}
    assert owners["services/api-gateway/app.py"] == "squad-api"
    assert owners["tools/x.py"] is None  # unknown stays unknown
    assert document["summary"]["unowned"] >= 1


def test_suppressions_through_the_cli_are_applied_and_audited(
    scanned: Scanned, tmp_path: Path
) -> None:
    target = next(f for f in scanned.report.findings if f.rule_id == "CKV_AWS_24")
    suppressions = tmp_path / "suppressions.yaml"
    suppressions.write_text(
        "apiVersion: seccli.dev/v1alpha1\nkind: Suppressions\nsuppressions:\n"
        f"  - fingerprint: {target.id}\n"
        "    justification: bastion subnet only, tracked in SEC-42\n"
        "    approver: alice@example.com\n"
        "    expires: 2999-12-31\n"
        "  - rule: B602\n"
        "    path: 'app/*'\n"
        "    justification: expired acceptance that must not apply\n"
        "    approver: bob@example.com\n"
        "    expires: 2020-01-01\n"
    )
    result = seccli(scanned, "scan", ".", "-f", "json", "--suppressions", str(suppressions))
    document = json.loads(result.stdout)
    ids = {f["id"] for f in document["findings"]}
    assert target.id not in ids
    assert any(f["rule_id"] == "B602" for f in document["findings"])  # expired: still reported
    assert [s["id"] for s in document["gate"]["suppressed"]] == [target.id]
    assert document["gate"]["expiredSuppressions"][0]["approver"] == "bob@example.com"
    log = seccli(scanned, "audit", "log", "-f", "json")
    assert log.returncode == 0, log.stderr
    text = log.stdout
    assert "scan.suppression.used" in text and target.id in text
    assert "scan.suppression.expired" in text
