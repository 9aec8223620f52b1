"""The shared Rego conformance suites (rego-cpp and regorus) against the native engine."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from seccli.policy.conformance import FAIL, PASS, SKIP, SkipList, run_paths, summarize

ROOT = Path(__file__).resolve().parents[2]
SUITES = ROOT.parent / "shared" / "conformance" / "rego"
SKIPS = Path(__file__).with_name("conformance_skips.yaml")

pytestmark = pytest.mark.skipif(
    not SUITES.is_dir(), reason=f"shared conformance suites not found at {SUITES}"
)


@pytest.fixture(scope="module")
def results() -> list:
    return run_paths([SUITES / "rego-cpp", SUITES / "regorus"], SkipList.load(SKIPS))


def test_pass_rate_meets_the_goal(results: list) -> None:
    totals = summarize(results)
    failures = [f"{r.id}: {r.detail}" for r in results if r.status == FAIL]
    assert totals["passed"] > 600
    assert totals["pass_rate"] >= 0.95, "\n".join(failures)
    # unsupported builtins and known gaps count against us here
    assert totals["pass_rate_non_specific"] >= 0.95, "\n".join(failures)


def test_no_case_crashes_the_engine(results: list) -> None:
    crashes = [r.id for r in results if r.status == FAIL and r.detail.startswith("crash:")]
    assert crashes == []


def test_every_skip_has_a_reason_and_names_a_real_case(results: list) -> None:
    doc = yaml.safe_load(SKIPS.read_text(encoding="utf-8"))
    ids = {r.id for r in results}
    files = {r.id.split("::")[0] for r in results}
    for item in doc["skips"]:
        assert str(item.get("reason", "")).strip(), item
        assert item.get("kind", "implementation-specific") in (
            "implementation-specific",
            "unsupported",
            "limitation",
        )
        if "case" in item:
            assert item["case"] in ids, f"stale skip entry: {item['case']}"
        else:
            assert any(f == item["file"] or f.startswith(item["file"] + "/") for f in files), item


def test_skipped_cases_are_reported_with_their_reason(results: list) -> None:
    skipped = [r for r in results if r.status == SKIP]
    assert skipped and all(r.detail for r in skipped)
    assert any(r.status == PASS for r in results)


def test_dialects_and_error_expectations(tmp_path: Path) -> None:
    (tmp_path / "v0").mkdir()
    (tmp_path / "v0" / "cases.yaml").write_text(
        """cases:
- note: v0/partial-set
  modules:
  - |
    package t
    p[x] { x := input.xs[_] }
  input: {xs: [1, 2]}
  query: data.t.p = x
  want_result: [{x: [1, 2]}]
- note: v0/conflict
  modules:
  - |
    package t
    p = 1 { true }
    p = 2 { true }
  query: data.t.p = x
  want_error_code: eval_conflict_error
- note: v0/wrong-expectation
  modules: ["package t\\np = 1 { true }"]
  query: data.t.p = x
  want_result: [{x: 2}]
""",
        encoding="utf-8",
    )
    res = {r.id.split("::")[1]: r for r in run_paths([tmp_path])}
    assert res["v0/partial-set"].status == PASS
    assert res["v0/conflict"].status == PASS
    assert res["v0/wrong-expectation"].status == FAIL
