"""The shared renderers: SARIF validity and shape, lines, CSV, Markdown, JSON."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from seccli.core.findings import Finding
from seccli.core.location import ControlRef, Location
from seccli.core.severity import Severity
from seccli.render.formats import OutputFormat
from seccli.render.interface import RENDERERS, render_findings
from seccli.render.model import FindingsReport, RuleInfo, ToolInfo
from seccli.render.sarif import FINGERPRINT_KEY, artifact_uri, sarif_log

SARIF_SCHEMA = Path(__file__).resolve().parents[2].parent / "shared" / "schemas" / "sarif"


def _finding(
    file: str,
    line: int | None = 3,
    *,
    tool: str = "bandit",
    rule: str = "B101",
    message: str = "assert used",
    tags: tuple[str, ...] = (),
) -> Finding:
    return Finding.create(
        tool=tool,
        rule_id=rule,
        title="Assert used",
        message=message,
        severity=Severity.MEDIUM,
        location=Location(file, line),
        tags=tags,
        controls=[ControlRef("ISO27001:2022", "A.8.28")],
    )


def _report(*findings: Finding, root: Path | None = None) -> FindingsReport:
    tools = sorted({f.tool for f in findings}) or ["bandit"]
    return FindingsReport(findings, [ToolInfo(t, version="1.0") for t in tools], source_root=root)


FINDINGS_FORMATS = {
    OutputFormat.SARIF,
    OutputFormat.JSON,
    OutputFormat.TABLE,
    OutputFormat.LINES,
    OutputFormat.MARKDOWN,
    OutputFormat.CSV,
}


def test_every_findings_format_has_a_renderer() -> None:
    """Findings render in these six formats; the others (graphs, calendars, reports, YAML,
    JSON lines) belong to commands whose output is not a findings report."""
    assert set(RENDERERS) == FINDINGS_FORMATS
    for fmt, renderer in RENDERERS.items():
        assert renderer.format is fmt


def test_sarif_validates_against_the_schema(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema_file = SARIF_SCHEMA / "sarif-schema-2.1.0.json"
    if not schema_file.exists():
        pytest.skip("../shared/schemas/sarif is not available")
    report = _report(
        _finding("infrastructure/info-app/app.py"),
        _finding(".", None, tool="semgrep", rule="x", tags=("also:checkov:CKV_1", "cwe:250")),
        root=tmp_path,
    )
    log = json.loads(render_findings(OutputFormat.SARIF, report))
    jsonschema.validate(log, json.loads(schema_file.read_text()))
    assert [run["tool"]["driver"]["name"] for run in log["runs"]] == ["bandit", "semgrep"]


def test_sarif_uris_are_relative_to_a_declared_root(tmp_path: Path) -> None:
    absolute = str(tmp_path / "infrastructure" / "info-app" / "app.py")
    for spelling in (
        "infrastructure/info-app/app.py",
        "./infrastructure/info-app/app.py",
        absolute,
    ):
        run = sarif_log(_report(_finding(spelling), root=tmp_path))["runs"][0]
        artifact = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact == {"uri": "infrastructure/info-app/app.py", "uriBaseId": "SRCROOT"}
        assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == tmp_path.resolve().as_uri() + "/"


def test_sarif_uri_outside_the_root_is_absolute(tmp_path: Path) -> None:
    uri, relative = artifact_uri("/etc/passwd", tmp_path)
    assert (uri, relative) == ("file:///etc/passwd", False)
    assert artifact_uri("dir/a b#c.py", None) == ("dir/a%20b%23c.py", True)


def test_sarif_rules_carry_help_and_internal_tags_stay_out() -> None:
    finding = _finding("a.py", tool="semgrep", rule="x", tags=("also:checkov:CKV_1", "cwe:250"))
    tool = ToolInfo(
        "semgrep",
        rules={"x": RuleInfo("x", "Host namespace", "Do not share.", "https://example.test/x")},
    )
    log = sarif_log(FindingsReport([finding], [tool]))
    rule = log["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["help"]["text"] == "Do not share."
    assert rule["helpUri"] == "https://example.test/x"
    assert "also:checkov:CKV_1" not in rule["properties"]["tags"]
    result = log["runs"][0]["results"][0]
    assert result["properties"]["alsoReportedBy"] == ["checkov:CKV_1"]
    assert result["partialFingerprints"] == {FINGERPRINT_KEY: finding.id}
    assert result["properties"]["controls"] == ["ISO27001:2022 A.8.28"]


def test_sarif_rule_help_defaults_to_title_and_message() -> None:
    log = sarif_log(_report(_finding("a.py")))
    rule = log["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["help"]["text"].startswith("Assert used")
    assert rule["properties"]["security-severity"] == "5.5"


def test_skipped_tools_have_no_run_and_failed_tools_say_why() -> None:
    report = FindingsReport(
        [], [ToolInfo("a", status="skipped"), ToolInfo("b", status="error", detail="crashed")]
    )
    runs = sarif_log(report)["runs"]
    assert [r["tool"]["driver"]["name"] for r in runs] == ["b"]
    invocation = runs[0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == "crashed"


def test_lines_are_grep_friendly_and_most_severe_first() -> None:
    low = Finding.create(
        tool="t",
        rule_id="R1",
        title="t",
        message="low\nthing",
        severity=Severity.LOW,
        location=Location("b.yaml", 9),
    )
    text = render_findings(OutputFormat.LINES, _report(low, _finding("a.py", 3)))
    assert text.splitlines() == ["a.py:3: medium B101 assert used", "b.yaml:9: low R1 low thing"]


def test_csv_is_well_formed_with_awkward_values() -> None:
    awkward = _finding("a,b.py", message='say "hi", then\nleave')
    rows = list(csv.reader(io.StringIO(render_findings(OutputFormat.CSV, _report(awkward)))))
    assert rows[0][0] == "id" and len(rows) == 2
    assert rows[1][4] == "a,b.py" and rows[1][9] == 'say "hi", then\nleave'


def test_markdown_escapes_pipes() -> None:
    text = render_findings(OutputFormat.MARKDOWN, _report(_finding("a.py", message="x | y")))
    assert "x \\| y" in text


def test_json_counts_and_controls() -> None:
    data = json.loads(render_findings(OutputFormat.JSON, _report(_finding("a.py"))))
    assert data["summary"]["bySeverity"]["medium"] == 1
    assert data["findings"][0]["controls"][0]["controlId"] == "A.8.28"
