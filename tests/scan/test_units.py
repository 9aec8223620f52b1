"""Pure parts: severity table, dedupe, owners, snippets and the rule pack itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from seccli.core.findings import Finding
from seccli.core.location import Location
from seccli.core.redaction import Redactor
from seccli.core.severity import Severity
from seccli.scan.model import RawFinding
from seccli.scan.normalise import deduplicate, register_secrets, secret_spans, with_owasp
from seccli.scan.owners import OwnerRouter, estate_owners, parse_codeowners
from seccli.scan.semgrep import default_rules_dir, rule_files
from seccli.scan.severity_map import bandit_severity, checkov_severity, semgrep_severity


@pytest.mark.parametrize(
    ("severity", "confidence", "expected"),
    [
        ("HIGH", "HIGH", Severity.HIGH),
        ("HIGH", "LOW", Severity.HIGH),  # bandit's own severity: confidence is not severity
        ("MEDIUM", "MEDIUM", Severity.MEDIUM),
        ("MEDIUM", "LOW", Severity.MEDIUM),  # e.g. B113 request without a timeout
        ("LOW", "HIGH", Severity.LOW),
        ("LOW", "LOW", Severity.LOW),
    ],
)
def test_bandit_severity(severity: str, confidence: str, expected: Severity) -> None:
    assert bandit_severity(severity, confidence) is expected


def test_semgrep_and_checkov_severity() -> None:
    assert semgrep_severity("ERROR") is Severity.HIGH
    assert semgrep_severity("WARNING") is Severity.MEDIUM
    assert semgrep_severity("INFO") is Severity.LOW
    assert semgrep_severity("ERROR", "critical") is Severity.CRITICAL
    assert semgrep_severity("ERROR", "nonsense") is Severity.HIGH
    assert checkov_severity("CKV_SECRET_2", "secrets") is Severity.CRITICAL
    assert checkov_severity("CKV_K8S_16", "kubernetes") is Severity.HIGH
    assert checkov_severity("CKV_K8S_9", "kubernetes") is Severity.LOW
    assert checkov_severity("CKV_NEW_1", "terraform") is Severity.MEDIUM
    assert checkov_severity("CKV_K8S_9", "kubernetes", "CRITICAL") is Severity.CRITICAL


def _raw(tool: str, rule: str, line: int, end: int, cwe: str, severity: Severity) -> RawFinding:
    finding = Finding.create(
        tool=tool,
        rule_id=rule,
        title=rule,
        message=rule,
        severity=severity,
        location=Location("app/x.py", line),
        basis=f"{rule}{line}",
    )
    return RawFinding(finding, end, (cwe,))


def test_dedupe_merges_equivalent_rules_of_other_tools_on_overlapping_lines_only() -> None:
    shell = "python-subprocess-shell-true"
    kept, merged = deduplicate(
        [
            _raw("semgrep", shell, 10, 11, "CWE-78", Severity.MEDIUM),
            _raw("bandit", "B602", 11, 11, "CWE-78", Severity.HIGH),
            _raw("bandit", "B603", 30, 30, "CWE-78", Severity.LOW),  # other lines
            _raw("semgrep", "python-weak-hash", 11, 11, "CWE-327", Severity.MEDIUM),  # other rule
            _raw("bandit", "B604", 10, 10, "CWE-78", Severity.LOW),  # same CWE, not equivalent
        ]
    )
    assert merged == 1
    rules = sorted(r.finding.rule_id for r in kept)
    assert rules == ["B602", "B603", "B604", "python-weak-hash"]
    keeper = next(r for r in kept if r.finding.rule_id == "B602")
    assert f"also:semgrep:{shell}" in keeper.finding.tags


def test_owasp_tags_follow_cwe() -> None:
    tagged = with_owasp(_raw("bandit", "B301", 1, 1, "CWE-502", Severity.HIGH))
    assert "A08:2021-Software and Data Integrity Failures" in tagged.finding.tags


def test_fingerprint_survives_line_shift_and_reformatting_but_not_code_change() -> None:
    def make(line: int, snippet: str) -> str:
        return Finding.create(
            tool="bandit",
            rule_id="B602",
            title="t",
            message="m",
            severity=Severity.HIGH,
            location=Location("app/x.py", line),
            basis=snippet,
        ).id

    original = make(12, "subprocess.run(cmd, shell=True)")
    assert make(40, "subprocess.run(cmd,   shell=True)\n") == original
    assert make(12, "subprocess.run(other, shell=True)") != original


def test_codeowners_last_match_wins_and_patterns() -> None:
    rules = parse_codeowners(
        "# comment\n*  @org/all\n/app/ @org/app\n*.tf @org/infra\ndocs/**/*.md @org/docs\n"
        "/build/logs/ @org/ops  # trailing comment\n"
    )
    router = OwnerRouter(rules)
    assert router.owner_of("README.md") == "@org/all"
    assert router.owner_of("app/sub/x.py") == "@org/app"
    assert router.owner_of("lib/app/x.py") == "@org/all"  # /app/ is anchored at the root
    assert router.owner_of("app/main.tf") == "@org/infra"  # later rule wins
    assert router.owner_of("docs/a/b/c.md") == "@org/docs"
    assert router.owner_of("build/logs/x.log") == "@org/ops"


def test_estate_owners_service_then_namespace_and_unknown_stays_unknown() -> None:
    estate = SimpleNamespace(
        subdomains=[SimpleNamespace(name="payments", squad="squad-pay")],
        services=[
            SimpleNamespace(name="checkout", namespace="shop", subdomain="payments", owner=None),
            SimpleNamespace(name="cart", namespace="shop", subdomain="payments", owner=None),
            SimpleNamespace(name="voice", namespace="telco", subdomain="x", owner="team-voice"),
            SimpleNamespace(name="sms", namespace="telco", subdomain="y", owner="team-sms"),
        ],
    )
    router = OwnerRouter((), estate_owners(estate))
    assert router.owner_of("services/checkout/main.py") == "squad-pay"
    assert router.owner_of("k8s/shop/other.yaml") == "squad-pay"  # the namespace agrees
    assert router.owner_of("k8s/telco/x.yaml") is None  # two owners: not invented
    assert router.owner_of("services/voice/a.go") == "team-voice"
    assert router.owner_of("tools/x.py") is None


def test_secret_spans_read_flagged_lines(tmp_path: Path) -> None:
    (tmp_path / "c.py").write_text('a = 1\ntoken = "Abc123Secret!xyz"\n')
    raw = RawFinding(
        Finding.create(
            tool="semgrep",
            rule_id="r",
            title="t",
            message="m",
            severity=Severity.HIGH,
            location=Location("c.py", 2),
            basis="x",
        ),
        2,
        (),
        secret=True,
    )
    (span,) = secret_spans(tmp_path, [raw])
    assert span.values == {"Abc123Secret!xyz"}
    assert (span.file, span.start, span.end) == ("c.py", 2, 2)
    assert secret_spans(tmp_path, [RawFinding(raw.finding, 2, (), secret=False)]) == []
    # Plain words are redacted where they were matched, but not registered for every output.
    (tmp_path / "c.py").write_text('a = 1\npassword = "secret"\n')
    redactor = Redactor()
    assert register_secrets(secret_spans(tmp_path, [raw]), redactor) == 1
    assert "secret" not in redactor


def test_rule_pack_has_at_least_30_rules_each_with_a_test_target() -> None:
    import yaml

    files = rule_files(default_rules_dir())
    ids = []
    for path in files:
        rules = yaml.safe_load(path.read_text())["rules"]
        ids += [rule["id"] for rule in rules]
        targets = [p for p in path.parent.glob(path.stem + ".*") if p != path]
        assert targets, f"{path} has no test target"
        text = "\n".join(t.read_text() for t in targets)
        for rule in rules:
            assert f"ruleid: {rule['id']}" in text and f"ok: {rule['id']}" in text, rule["id"]
            assert rule["metadata"]["cwe"] and rule["metadata"]["help_url"]
    assert len(ids) == len(set(ids)) >= 30
    languages = {
        lang
        for path in files
        for r in yaml.safe_load(path.read_text())["rules"]
        for lang in r["languages"]
    }
    assert {"python", "javascript", "typescript", "go", "java", "dockerfile", "yaml"} <= languages


@pytest.mark.slow
def test_rule_pack_passes_semgrep_test() -> None:
    semgrep = Path(sys.executable).parent / "semgrep"
    result = subprocess.run(
        # --experimental: semgrep's OCaml test runner, same verdicts, a fraction of the time.
        [str(semgrep), "--test", "--experimental", "--metrics=off", str(default_rules_dir())],
        capture_output=True,
        text=True,
        env={**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0"},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    output = result.stdout + result.stderr
    assert "All tests passed" in output and "did not pass" not in output


def test_terraform_units_follow_local_module_calls(tmp_path: Path) -> None:
    from seccli.scan.checkov import CheckovScanner
    from seccli.scan.inventory import build_inventory

    (tmp_path / "app").mkdir()
    (tmp_path / "modules" / "bucket").mkdir(parents=True)
    (tmp_path / "app" / "main.tf").write_text('module "b" {\n  source = "../modules/bucket"\n}\n')
    bucket = tmp_path / "modules" / "bucket" / "main.tf"
    bucket.write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n')
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "main.tf").write_text('resource "aws_sqs_queue" "q" {}\n')

    def digests() -> dict[str, str]:
        units = CheckovScanner().plan(build_inventory(tmp_path))
        return {u.key: u.digest for u in units if u.group == "terraform"}

    first = digests()
    assert set(first) == {"terraform:app/*", "terraform:modules/bucket/*", "terraform:other/*"}
    bucket.write_text(bucket.read_text() + "# changed\n")
    second = digests()
    assert second["terraform:app/*"] != first["terraform:app/*"]  # the caller is invalidated
    assert second["terraform:modules/bucket/*"] != first["terraform:modules/bucket/*"]
    assert second["terraform:other/*"] == first["terraform:other/*"]


def test_owners_from_the_example_estate() -> None:
    from seccli.estate.loader import load_estate

    root = Path(__file__).resolve().parents[2]
    estate = load_estate(root / "examples" / "claytom" / "estate.yaml").estate
    router = OwnerRouter((), estate_owners(estate))
    gateway = estate.service("holding", "api-gateway")
    assert gateway is not None
    squads = {sub.name: sub.squad for sub in estate.subdomains}
    expected = gateway.owner or squads[gateway.subdomain]
    assert router.owner_of("deploy/api-gateway/deployment.yaml") == expected
    assert router.owner_of("unrelated/place/file.py") is None


def test_cache_hits_only_on_same_digest_and_forgets_other_versions(tmp_path: Path) -> None:
    from seccli.scan.cache import ScanCache
    from seccli.scan.interface import WorkUnit

    raw = _raw("bandit", "B602", 3, 3, "CWE-78", Severity.HIGH)
    unit = WorkUnit("app/x.py", ("app/x.py",), "d1")
    cache = ScanCache(tmp_path / "state.db")
    try:
        cache.store("bandit", "1.0", "r", [(unit, [raw])])
        hits = cache.lookup("bandit", "1.0", "r", [unit])
        assert [r.finding.id for r in hits["app/x.py"]] == [raw.finding.id]
        assert hits["app/x.py"][0].cwes == ("CWE-78",)
        changed = WorkUnit("app/x.py", ("app/x.py",), "d2")
        assert cache.lookup("bandit", "1.0", "r", [changed]) == {}
        assert cache.lookup("bandit", "1.1", "r", [unit]) == {}
        cache.store("bandit", "1.1", "r", [(unit, [])])
        assert cache.lookup("bandit", "1.0", "r", [unit]) == {}  # old version pruned
        assert cache.lookup("bandit", "1.1", "r", [unit]) == {"app/x.py": []}
    finally:
        cache.close()


def test_identical_code_twice_in_a_file_gets_two_ids_that_survive_shifts() -> None:
    from seccli.scan.normalise import distinct_ids

    def pair(offset: int) -> list[str]:
        twins = [
            RawFinding(
                Finding.create(
                    tool="bandit",
                    rule_id="B602",
                    title="t",
                    message="m",
                    severity=Severity.HIGH,
                    location=Location("app/x.py", line + offset),
                    basis="subprocess.run(cmd, shell=True)",
                ),
                line + offset,
            )
            for line in (10, 30)
        ]
        ordered = sorted(distinct_ids(twins), key=lambda r: r.finding.location.line or 0)
        return [r.finding.id for r in ordered]

    first = pair(0)
    assert len(set(first)) == 2
    assert pair(7) == first
