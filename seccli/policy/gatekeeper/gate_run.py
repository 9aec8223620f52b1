"""``policy test`` and ``policy verify`` as capabilities: inputs in, a result object out.

The CLI parses options, calls these, renders the result and exits with ``exit_code``; the
audit payload of a ``policy test`` run (objects judged, violations per template and severity,
constraints used, verdict) comes from the result too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from seccli.core.errors import ExitCode, InputError, raise_if_problems
from seccli.core.findings import Finding
from seccli.manifests.walk import SkippedFile, WalkOptions
from seccli.policy.gatekeeper.constraint import Constraint, parse_constraint
from seccli.policy.gatekeeper.gate import to_findings
from seccli.policy.gatekeeper.instantiate import ConstraintSettings, instantiate
from seccli.policy.gatekeeper.library import Library, collect_objects, load_library
from seccli.policy.gatekeeper.review import ReviewItem
from seccli.policy.gatekeeper.run import TestReport, run_tests
from seccli.policy.gatekeeper.suite import SKIP, SuiteResult

LIBRARY_DIR = Path("rego")
GATEKEEPER_URI = "https://open-policy-agent.github.io/gatekeeper/"


def default_library() -> Path:
    """``rego/`` in the current folder, else the library shipped with seccli."""
    from seccli.core.resources import default_input

    return default_input(LIBRARY_DIR)


@dataclass(frozen=True)
class PolicyTestRequest:
    """What to judge and against which constraints.

    Without ``constraints`` (a folder), constraints are instantiated from the library's
    templates with ``settings`` (generic defaults, or derived from an estate).
    """

    paths: Sequence[str]
    library: Path
    constraints: Path | None = None
    settings: ConstraintSettings | None = None
    deny_only: bool = False
    workers: int = 1
    allow_empty: bool = False
    walk: WalkOptions = field(default_factory=WalkOptions)


@dataclass
class PolicyInputs:
    """The loaded library (with its constraints), the objects to review, notes, and the
    walked files skipped as not manifests."""

    library: Library
    items: list[ReviewItem]
    constraint_source: str
    notes: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


@dataclass
class PolicyTestResult:
    """A finished ``policy test``: the report, its findings and what the CLI renders."""

    report: TestReport
    findings: list[Finding]
    constraints: Sequence[Constraint]
    constraint_source: str
    deny_only: bool
    notes: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        """3 when an object could not be judged, 1 for a denial, else 0."""
        if self.report.errored:
            return ExitCode.DEPENDENCY
        return ExitCode.VIOLATIONS if self.report.denied else ExitCode.OK

    @property
    def verdict(self) -> str:
        """``error``, ``denied`` or ``admitted``."""
        if self.report.errored:
            return "error"
        return "denied" if self.report.denied else "admitted"

    def document(self) -> dict[str, Any]:
        """The stable JSON document of the run (with the files skipped as not manifests)."""
        from seccli.policy.gatekeeper.report import test_json

        document = test_json(self.report, deny_only=self.deny_only)
        document["skipped"] = [{"file": s.path, "reason": s.reason} for s in self.skipped]
        document["summary"]["skippedFiles"] = len(self.skipped)
        return document

    def summary(self) -> dict[str, Any]:
        """What the run record keeps."""
        return {
            "objects": len(self.report.results),
            "findings": len(self.findings),
            "skippedFiles": len(self.skipped),
        }

    def audit_payload(self) -> dict[str, Any]:
        """Objects judged, violations per template and severity, constraints, verdict."""
        per_template: dict[str, Counter[str]] = {}
        for finding in self.findings:
            template = finding.rule_id.split("/", 1)[0]
            per_template.setdefault(template, Counter())[finding.severity.value] += 1
        return {
            "objects": len(self.report.results),
            "violations": {k: dict(sorted(v.items())) for k, v in sorted(per_template.items())},
            "constraints": [c.ident for c in self.constraints],
            "constraintSource": self.constraint_source,
            "skippedFiles": len(self.skipped),
            "verdict": self.verdict,
        }


def load_policy_inputs(request: PolicyTestRequest, stdin: IO[bytes] | None = None) -> PolicyInputs:
    """The library, its constraints and the objects of ``request.paths`` (exit 2 when there is
    nothing to judge, unless ``allow_empty``)."""
    notes: list[str] = []
    if request.constraints is not None:
        library = load_library([request.library], [request.constraints])
        source = str(request.constraints)
    else:
        library = load_library([request.library], [])
        settings = request.settings
        if settings is None:
            from seccli.policy.gatekeeper.instantiate import generic_settings

            settings = generic_settings()
        made = instantiate(request.library, settings)
        notes.extend(made.notes)
        library.constraints = _parse_all(made.documents(), library)
        source = settings.source
    if not library.constraints:
        raise InputError(
            f"no constraints found in {request.constraints or request.library}",
            hint="give a folder of constraints with --constraints",
        )
    notes.extend(library.notes)
    found = collect_objects(request.paths, stdin, request.walk)
    if not found.items and not request.allow_empty:
        count = len(found.skipped)
        skipped = f" ({count} file(s) skipped as not manifests)" if count else ""
        raise InputError(
            "nothing to judge: no Kubernetes objects in " + ", ".join(request.paths) + skipped,
            hint="a gate passes only what it judged; --allow-empty accepts an empty input",
        )
    return PolicyInputs(library, found.items, source, notes, found.skipped)


def _parse_all(documents: Sequence[Any], library: Library) -> list[Constraint]:
    from seccli.core.errors import DocumentInvalid, Problem

    problems: list[Problem] = []
    constraints: list[Constraint] = []
    for document in documents:
        try:
            constraints.append(parse_constraint(document, library.templates))
        except DocumentInvalid as err:
            problems.extend(err.problems)
    raise_if_problems(problems)
    return sorted(constraints, key=lambda c: c.ident)


def judge(
    inputs: PolicyInputs,
    request: PolicyTestRequest,
    progress: Callable[[int], None] | None = None,
) -> PolicyTestResult:
    """Review every object against every matching constraint."""
    constraints = inputs.library.constraints
    inventory = [item.object for item in inputs.items if item.object is not None]
    report = run_tests(
        constraints, inputs.items, inventory, workers=request.workers, progress=progress
    )
    findings = to_findings(report.results, constraints)
    if request.deny_only:
        findings = [f for f in findings if "deny" in f.tags or "error" in f.tags]
    return PolicyTestResult(
        report,
        findings,
        constraints,
        inputs.constraint_source,
        request.deny_only,
        inputs.notes,
        inputs.skipped,
    )


def findings_report(result: PolicyTestResult, version: str, root: Path | None = None) -> Any:
    """The render package's report of the run's findings (rule help from the templates)."""
    from seccli.policy.gatekeeper.gate import TOOL
    from seccli.render.model import FindingsReport, RuleInfo, ToolInfo

    rules: dict[str, RuleInfo] = {}
    for constraint in result.constraints:
        template = constraint.template
        help_text = template.description or template.title
        rules[constraint.ident] = RuleInfo(
            constraint.ident, template.title, f"{help_text} (constraint {constraint.ident})"
        )
    tool = ToolInfo(TOOL, version, information_uri=GATEKEEPER_URI, rules=rules)
    return FindingsReport(result.findings, [tool], source_root=root, title="seccli policy test")


@dataclass
class VerifyResult:
    """Suites run by ``policy verify`` and their JSON document."""

    suites: list[SuiteResult]
    document: dict[str, Any]

    @property
    def exit_code(self) -> ExitCode:
        """2 for an invalid suite, 1 for a failed case, else 0."""
        status = self.document["status"]
        if status == "error":
            return ExitCode.INPUT
        return ExitCode.VIOLATIONS if status == "fail" else ExitCode.OK


def verify_suites(paths: Sequence[str], run: str | None, allow_empty: bool) -> VerifyResult:
    """Run gator-verify suites (exit 2 when no suite or no case was found to run)."""
    from seccli.policy.gatekeeper.report import verify_json
    from seccli.policy.gatekeeper.suite import find_suites, verify

    suites = verify(paths, run)
    if not suites and not find_suites(paths) and not allow_empty:
        raise InputError(
            "nothing to judge: no suites found in " + ", ".join(paths),
            hint="a suite declares kind: Suite and apiVersion: test.gatekeeper.sh/v1alpha1 "
            "(--allow-empty accepts an empty input)",
        )
    document = verify_json(suites)
    judged = sum(1 for s in suites for t in s.tests for c in t.cases if c.status != SKIP)
    if not judged and document["status"] == "pass" and not allow_empty:
        matched = f" matching --run {run!r}" if run else ""
        raise InputError(
            f"nothing to judge: no test case{matched} ran in " + ", ".join(paths),
            hint="a gate passes only what it judged; --allow-empty accepts this",
        )
    return VerifyResult(suites, document)
