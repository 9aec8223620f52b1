"""The severity/rule map: every equivalence merges exactly its pair, nothing merges by CWE
coincidence or within one tool, and every severity override names a reason."""

from __future__ import annotations

import pytest

from seccli.core.findings import Finding
from seccli.core.location import Location
from seccli.core.severity import Severity
from seccli.scan.model import RawFinding
from seccli.scan.normalise import deduplicate
from seccli.scan.semgrep import default_rules_dir, rule_files
from seccli.scan.severity_map import (
    EQUIVALENT_RULES,
    SEVERITY_OVERRIDES,
    RuleRef,
    SeverityOverride,
    bandit_severity,
    checkov_severity,
    equivalent,
    semgrep_severity,
)

PAIRS = [tuple(sorted(entry.rules)) for entry in EQUIVALENT_RULES]


def _raw(
    ref: RuleRef,
    line: int,
    end: int | None = None,
    *,
    severity: Severity = Severity.HIGH,
    cwe: str = "CWE-250",
    file: str = "k8s/job.yaml",
) -> RawFinding:
    tool, rule = ref
    finding = Finding.create(
        tool=tool,
        rule_id=rule,
        title=rule,
        message=f"{rule} message",
        severity=severity,
        location=Location(file, line),
        basis=f"{tool}{rule}{line}",
        tags=(cwe,),
    )
    return RawFinding(finding, end, (cwe,))


def _semgrep_rule_ids() -> set[str]:
    import yaml

    ids: set[str] = set()
    for path in rule_files(default_rules_dir()):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        ids.update(rule["id"] for rule in document.get("rules", []))
    return ids


def _bandit_test_ids() -> set[str]:
    from bandit.core import extension_loader

    manager = extension_loader.MANAGER
    return set(manager.plugins_by_id) | set(manager.blacklist_by_id)


def test_every_rule_of_the_table_exists_and_pairs_two_tools() -> None:
    semgrep_ids, bandit_ids = _semgrep_rule_ids(), _bandit_test_ids()
    assert len(EQUIVALENT_RULES) >= 10
    for entry in EQUIVALENT_RULES:
        assert entry.what, entry
        tools = [tool for tool, _ in entry.rules]
        assert len(tools) == len(set(tools)) >= 2, entry  # never two rules of one tool
        for tool, rule in entry.rules:
            if tool == "semgrep":
                assert rule in semgrep_ids, rule
            elif tool == "bandit":
                assert rule in bandit_ids, rule
            else:
                assert tool == "checkov" and rule.startswith(("CKV_", "CKV2_")), rule


@pytest.mark.parametrize("pair", PAIRS, ids=["+".join(r for _, r in p) for p in PAIRS])
def test_each_equivalent_pair_merges_on_overlapping_lines(pair: tuple[RuleRef, ...]) -> None:
    first, second = pair
    assert equivalent(first, second) and equivalent(second, first)
    kept, merged = deduplicate(
        [_raw(first, 10, 12, severity=Severity.MEDIUM), _raw(second, 12, 12)]
    )
    assert merged == 1 and len(kept) == 1
    keeper = kept[0].finding
    assert (keeper.tool, keeper.rule_id) == second  # the more severe one is kept
    assert f"also:{first[0]}:{first[1]}" in keeper.tags  # and lists the other tool and rule


@pytest.mark.parametrize("pair", PAIRS, ids=["+".join(r for _, r in p) for p in PAIRS])
def test_each_equivalent_pair_stays_apart_elsewhere(pair: tuple[RuleRef, ...]) -> None:
    first, second = pair
    apart, merged = deduplicate([_raw(first, 10, 11), _raw(second, 30, 30)])
    assert merged == 0 and len(apart) == 2
    other_file, merged = deduplicate([_raw(first, 10), _raw(second, 10, file="other.yaml")])
    assert merged == 0 and len(other_file) == 2


def test_a_shared_cwe_on_the_same_lines_never_merges() -> None:
    # The case: checkov's CKV_K8S_20 and CKV_K8S_23 on the Job semgrep flagged as a host
    # namespace: all CWE-250, overlapping lines, different problems.
    kept, merged = deduplicate(
        [
            _raw(("semgrep", "k8s-host-namespace"), 5, 20),
            _raw(("checkov", "CKV_K8S_20"), 1, 30, severity=Severity.MEDIUM),
            _raw(("checkov", "CKV_K8S_23"), 1, 30, severity=Severity.MEDIUM),
            _raw(("bandit", "B602"), 6, 6, cwe="CWE-78"),
            _raw(("semgrep", "python-eval-dynamic"), 6, 6, cwe="CWE-78"),
        ]
    )
    assert merged == 0
    assert len(kept) == 5


def test_two_rules_of_one_tool_never_merge_even_through_a_third() -> None:
    host = ("semgrep", "k8s-host-namespace")
    pid, network = ("checkov", "CKV_K8S_17"), ("checkov", "CKV_K8S_19")
    assert equivalent(pid, host) and equivalent(network, host)
    assert not equivalent(pid, network)
    assert not equivalent(host, host)
    kept, merged = deduplicate([_raw(pid, 5, 9), _raw(network, 5, 9), _raw(host, 6, 8)])
    assert merged == 1
    rules = sorted(r.finding.rule_id for r in kept)
    assert rules == ["CKV_K8S_17", "CKV_K8S_19"]
    absorbed = [r.finding for r in kept if "also:semgrep:k8s-host-namespace" in r.finding.tags]
    assert len(absorbed) == 1


def test_same_tool_same_rule_pair_is_not_equivalent() -> None:
    assert not equivalent(("bandit", "B602"), ("bandit", "B605"))
    assert not equivalent(("bandit", "B602"), ("semgrep", "python-weak-hash"))


def test_every_severity_override_names_a_reason() -> None:
    for (tool, rule), override in SEVERITY_OVERRIDES.items():
        assert tool in {"bandit", "checkov", "semgrep"} and rule, (tool, rule)
        assert isinstance(override, SeverityOverride)
        assert len(override.reason.split()) >= 5, (tool, rule)  # a reason, not a word


@pytest.mark.parametrize(
    ("word", "expected"),
    [("HIGH", Severity.HIGH), ("MEDIUM", Severity.MEDIUM), ("LOW", Severity.LOW)],
)
@pytest.mark.parametrize("confidence", ["HIGH", "MEDIUM", "LOW"])
def test_bandit_severity_is_bandits_own_unless_overridden(
    word: str, expected: Severity, confidence: str
) -> None:
    for rule in ("B113", "B602", "B101", "B999"):
        override = SEVERITY_OVERRIDES.get(("bandit", rule))
        want = override.severity if override else expected
        assert bandit_severity(word, confidence, rule) is want


def test_b113_request_without_timeout_is_medium() -> None:
    # bandit rates B113 MEDIUM severity with LOW confidence: seccli keeps MEDIUM.
    assert bandit_severity("MEDIUM", "LOW", "B113") is Severity.MEDIUM


def test_an_override_replaces_the_tools_severity(monkeypatch: pytest.MonkeyPatch) -> None:
    import seccli.scan.severity_map as severity_map

    table = {
        ("bandit", "B101"): SeverityOverride(Severity.INFO, "asserts are stripped under -O"),
        ("semgrep", "python-flask-debug"): SeverityOverride(Severity.CRITICAL, "reason text"),
        ("checkov", "CKV_K8S_9"): SeverityOverride(Severity.HIGH, "reason text"),
    }
    monkeypatch.setattr(severity_map, "SEVERITY_OVERRIDES", table)
    assert bandit_severity("LOW", "HIGH", "B101") is Severity.INFO
    assert bandit_severity("LOW", "HIGH", "B102") is Severity.LOW
    assert semgrep_severity("ERROR", "high", "python-flask-debug") is Severity.CRITICAL
    assert semgrep_severity("ERROR", None, "python-eval-dynamic") is Severity.HIGH
    assert checkov_severity("CKV_K8S_9", "kubernetes", "LOW") is Severity.HIGH
    assert checkov_severity("CKV_K8S_8", "kubernetes") is Severity.LOW
