"""seccli's own policy library (rego/): every suite passes, and every template is complete."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from seccli.core.documents import load_documents
from seccli.policy.gatekeeper.library import load_library
from seccli.policy.gatekeeper.suite import PASS, verify
from seccli.policy.gatekeeper.template import CONTROL_ANNOTATIONS, Template

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "rego"
FOLDERS = sorted(p for p in LIBRARY.iterdir() if p.is_dir() and not p.name.startswith("_"))

# Every topic of the issue, by the template kind that covers it.
REQUIRED_KINDS = {
    "K8sPSSPrivileged",
    "K8sPSSHostNamespaces",
    "K8sPSSHostPath",
    "K8sPSSHostPorts",
    "K8sPSSCapabilities",
    "K8sPSSAllowPrivilegeEscalation",
    "K8sPSSRunAsNonRoot",
    "K8sPSSSeccomp",
    "K8sPSSAppArmor",
    "K8sPSSSELinux",
    "K8sPSSProcMount",
    "K8sPSSSysctls",
    "K8sPSSVolumeTypes",
    "K8sAllowedRepos",
    "K8sImageDigests",
    "K8sDisallowLatestTag",
    "K8sRequiredLabels",
    "K8sContainerResources",
    "K8sRequiredProbes",
    "K8sAutomountServiceAccountToken",
    "K8sDisallowDefaultServiceAccount",
    "K8sIngressTLS",
    "K8sIngressHSTS",
    "K8sBlockLoadBalancer",
    "K8sBlockNodePort",
    "K8sRequireNetworkPolicy",
    "K8sRBACNoWildcards",
    "K8sNoClusterAdminBinding",
    "K8sNoSecretsInEnv",
}


@pytest.fixture(scope="module")
def library() -> dict[str, Template]:
    return load_library([LIBRARY]).templates


def test_every_suite_of_the_library_passes() -> None:
    results = verify([LIBRARY])
    assert len(results) == len(FOLDERS) >= 30
    failures = [
        f"{suite.path} {test.name}/{case.name}: {case.reasons}"
        for suite in results
        for test in suite.tests
        for case in test.cases
        if case.status != PASS
    ] + [
        f"{suite.path} {test.name}: {test.reasons}"
        for suite in results
        for test in suite.tests
        if test.status != PASS
    ]
    assert failures == []
    cases = sum(len(t.cases) for s in results for t in s.tests)
    assert cases >= 300


def test_at_least_thirty_templates_cover_the_issue(library: dict[str, Template]) -> None:
    assert len(library) >= 30
    assert set(library) >= REQUIRED_KINDS
    assert any(t.v1 for t in library.values()), "some templates use the code[] form with v1"
    assert any(t.uses_inventory for t in library.values()), "a referential template"


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_folder_layout(folder: Path) -> None:
    for name in ("template.yaml", "constraint.yaml", "suite.yaml"):
        assert (folder / name).is_file(), name
    samples = [p.name for p in (folder / "samples").iterdir()]
    assert any(s.startswith("allowed") for s in samples)
    assert any(s.startswith("disallowed") for s in samples)


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_controls_and_metadata(folder: Path, library: dict[str, Template]) -> None:
    template = next(t for t in library.values() if Path(t.source).parent == folder)
    frameworks = {c.framework for c in template.controls}
    assert frameworks == set(CONTROL_ANNOTATIONS), template.kind
    for control in template.controls:
        if control.framework == "ISO27001:2022":
            assert re.fullmatch(r"A\.[5-8]\.\d{1,2}", control.control_id), control
        elif control.framework == "SOC2":
            assert re.fullmatch(r"(CC\d|A1|PI1|C1|P\d)\.\d{1,2}", control.control_id), control
        else:
            assert re.fullmatch(r"\d+\.\d+\.\d+", control.control_id), control
    assert template.title != template.kind and template.description
    assert template.annotations.get("seccli.io/severity") in {"low", "medium", "high", "critical"}


def _suite_cases(folder: Path) -> list[dict[str, Any]]:
    (document,) = load_documents(folder / "suite.yaml")
    return [c for t in document.data["tests"] for c in t.get("cases", [])]


def _object(folder: Path, case: dict[str, Any]) -> dict[str, Any]:
    (document,) = load_documents(folder / case["object"])
    data: dict[str, Any] = document.data
    return data


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_suites_cover_updates_deletes_and_all_container_kinds(folder: Path) -> None:
    cases = _suite_cases(folder)
    operations = {
        _object(folder, c).get("request", {}).get("operation")
        for c in cases
        if _object(folder, c).get("kind") == "AdmissionReview"
    }
    assert "UPDATE" in operations, "every template handles UPDATE reviews"
    assert "DELETE" in operations
    rego = (folder / "template.yaml").read_text()
    if "lib.containers" in rego:
        names = " ".join(c["name"] for c in cases)
        assert "init-container" in names and "ephemeral" in names
        assert any(c["name"].startswith("allowed-update") for c in cases)
        assert any(c["name"].startswith("disallowed-update") for c in cases)
    assert any(a.get("violations") not in ("no", 0) for c in cases for a in c["assertions"])
    assert any(a.get("violations") in ("no", 0) for c in cases for a in c["assertions"])


def test_zerotrust_constraints_for_the_estate_are_valid_for_the_library() -> None:
    from seccli.core.documents import Document
    from seccli.estate.loader import load_estate
    from seccli.policy.gatekeeper.constraint import parse_constraint
    from seccli.zerotrust.generate.gatekeeper import generate_constraints

    estate = load_estate(ROOT / "examples" / "claytom" / "estate.yaml").estate
    generated = generate_constraints(estate, LIBRARY)
    kinds = {c["kind"] for c in generated.constraints}
    assert {"K8sAllowedRepos", "K8sRequiredLabels", "K8sImageDigests"} <= kinds
    templates = load_library([LIBRARY]).templates
    for raw in generated.constraints:
        parse_constraint(Document("generated.yaml", 0, raw, 1, {}), templates)
