"""The real tools over the fixture repository: adapters, normalisation, dedupe, cache."""

from __future__ import annotations

import shutil
from pathlib import Path

from seccli.core.redaction import Redactor
from seccli.core.severity import Severity
from seccli.scan.cache import ScanCache
from seccli.scan.engine import ScanOptions, run_scan
from seccli.scan.owners import OwnerRouter
from tests.scan.conftest import Scanned


def _by_rule(scanned: Scanned) -> dict[tuple[str, str], list]:
    found: dict[tuple[str, str], list] = {}
    for finding in scanned.report.findings:
        found.setdefault((finding.tool, finding.rule_id), []).append(finding)
    return found


def test_every_tool_ran_ok_on_its_files(scanned: Scanned) -> None:
    runs = {run.tool: run for run in scanned.report.runs}
    assert {name: run.status for name, run in runs.items()} == {
        "checkov": "ok",
        "bandit": "ok",
        "semgrep": "ok",
    }
    assert set(runs["checkov"].groups) == {
        "terraform",
        "kubernetes",
        "dockerfile",
        "github_actions",
        "secrets",
    }
    assert runs["bandit"].units == 3  # the three .py files, nothing else


def test_known_vulnerabilities_are_found_with_mapped_severity(scanned: Scanned) -> None:
    found = _by_rule(scanned)
    shell = found[("bandit", "B602")][0]
    assert shell.location.file == "app/vuln.py" and shell.location.line == 12
    assert shell.severity is Severity.HIGH
    assert "CWE-78" in shell.tags and "A03:2021-Injection" in shell.tags
    assert shell.help_url and shell.help_url.startswith("https://bandit.readthedocs.io")
    assert found[("checkov", "CKV_AWS_24")][0].severity is Severity.HIGH
    assert found[("checkov", "CKV_K8S_12")][0].severity is Severity.LOW
    js_eval = found[("semgrep", "js-eval-dynamic")][0]
    assert js_eval.location.file == "web/server.js" and js_eval.severity is Severity.HIGH
    assert js_eval.help_url == "https://cwe.mitre.org/data/definitions/95.html"


def test_clean_file_has_no_high_findings(scanned: Scanned) -> None:
    clean = [f for f in scanned.report.findings if f.location.file == "app/clean.py"]
    assert all(f.severity <= Severity.LOW for f in clean)


def test_cross_tool_duplicates_are_merged(scanned: Scanned) -> None:
    found = _by_rule(scanned)
    # bandit B602 and semgrep's shell=True rule flag the same line with CWE-78: one finding.
    assert ("semgrep", "python-subprocess-shell-true") not in found
    assert "also:semgrep:python-subprocess-shell-true" in found[("bandit", "B602")][0].tags
    assert scanned.report.duplicates >= 3
    # checkov's workflow shell-injection check and our semgrep rule: one finding.
    injection = found[("checkov", "CKV_GHA_2")][0]
    assert "also:semgrep:gha-script-injection" in injection.tags
    assert ("semgrep", "gha-script-injection") not in found


def test_owners_from_codeowners(scanned: Scanned) -> None:
    owners = {f.location.file: f.owner for f in scanned.report.findings}
    assert owners["app/vuln.py"] == "@acme/payments"
    assert owners["infra/main.tf"] == "@acme/infra"
    assert owners["k8s/deploy.yaml"] == "@acme/platform"


def test_planted_secret_is_redacted_from_findings(scanned: Scanned) -> None:
    from tests.scan.conftest import PLANTED_SECRET

    assert scanned.report.redacted >= 1
    for finding in scanned.report.findings:
        assert PLANTED_SECRET not in finding.model_dump_json()
    b105 = _by_rule(scanned)[("bandit", "B105")][0]
    assert "REDACTED" in b105.message


def test_rescan_after_one_file_change_uses_cache_and_keeps_fingerprints(
    scanned: Scanned, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(scanned.root, root)
    store = tmp_path / "state.db"
    shutil.copy(scanned.store_path, store)
    before = {f.id: f for f in scanned.report.findings if f.location.file == "app/vuln.py"}
    vuln = root / "app" / "vuln.py"
    vuln.write_text("# moved down\n\n\n" + vuln.read_text())
    cache = ScanCache(store)
    try:
        report = run_scan(
            root, ScanOptions(), cache=cache, owners=OwnerRouter.for_root(root), redactor=Redactor()
        )
    finally:
        cache.close()
    runs = {run.tool: run for run in report.runs}
    assert runs["bandit"].scanned == 1 and runs["bandit"].cached == 2
    assert runs["semgrep"].scanned == 1
    # checkov reads no Python: everything it has comes from the cache.
    assert runs["checkov"].scanned == 0 and runs["checkov"].cached == runs["checkov"].units
    after = {f.id: f for f in report.findings if f.location.file == "app/vuln.py"}
    assert set(after) == set(before)  # fingerprints survive the line shift
    shifted = next(f for f in after.values() if f.rule_id == "B602")
    assert shifted.location.line == 15
    others = {f.id for f in report.findings} - set(after)
    assert others == {f.id for f in scanned.report.findings} - set(before)


def test_terraform_change_rescans_only_that_directory(scanned: Scanned, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(scanned.root, root)
    store = tmp_path / "state.db"
    shutil.copy(scanned.store_path, store)
    main_tf = root / "infra" / "main.tf"
    main_tf.write_text("# a comment above everything\n\n" + main_tf.read_text())
    cache = ScanCache(store)
    try:
        report = run_scan(root, ScanOptions(), cache=cache, redactor=Redactor())
    finally:
        cache.close()
    runs = {run.tool: run for run in report.runs}
    # The infra/ terraform unit and the secrets unit of main.tf; k8s, Dockerfile from cache.
    assert runs["checkov"].scanned == 2
    assert runs["bandit"].scanned == 0 and runs["semgrep"].scanned == 0
    before = {f.id for f in scanned.report.findings if f.location.file.startswith("infra/")}
    after = {f.id for f in report.findings if f.location.file.startswith("infra/")}
    assert after == before
    sg = next(f for f in report.findings if f.rule_id == "CKV_AWS_24")
    assert sg.location.line == 8  # moved down by two lines, same fingerprint
