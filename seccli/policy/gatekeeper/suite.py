"""``gator verify`` suites: ``kind: Suite`` files with tests, cases and assertions.

A suite (``apiVersion: test.gatekeeper.sh/v1alpha1``) lists ``tests``; each names a
``template`` and a ``constraint`` (paths relative to the suite; absolute paths are refused),
may be ``invalid: true`` (the template or constraint must fail to load) or ``skip: true``, and
lists ``cases``: an ``object`` file holding one object (or an AdmissionReview), optional
``inventory`` files, and ``assertions`` of ``violations: yes | no | <n>`` (default yes) with an
optional ``message`` regex that selects the violations counted.

A malformed suite is an input error (exit 2).  A template, constraint or object that cannot be
loaded when it should marks the test or case as an *error* (reported like a failure, exit 2).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccli.core.documents import Document
from seccli.core.errors import DocumentInvalid, InputError, Problem, raise_if_problems
from seccli.core.location import DocPath
from seccli.policy.gatekeeper.constraint import Constraint, parse_constraint
from seccli.policy.gatekeeper.gate import Evaluator, Violation
from seccli.policy.gatekeeper.library import SUFFIXES, parse_file
from seccli.policy.gatekeeper.review import ReviewItem, objects_in, review_item
from seccli.policy.gatekeeper.template import Template, parse_template

SUITE_API_VERSION = "test.gatekeeper.sh/v1alpha1"

PASS, FAIL, SKIP, ERROR = "pass", "fail", "skip", "error"


@dataclass(frozen=True)
class Assertion:
    """``violations`` is ``"yes"``, ``"no"`` or a count; ``message`` a regex or ``None``."""

    violations: str | int
    message: re.Pattern[str] | None

    def check(self, violations: list[Violation]) -> str | None:
        """``None`` when the assertion holds, else the reason it does not."""
        matching = [v for v in violations if self.message is None or self.message.search(v.message)]
        about = f" matching {self.message.pattern!r}" if self.message is not None else ""
        got = len(matching)
        if self.violations == "yes" and got == 0:
            return f"got 0 violations{about}, want at least 1"
        if self.violations == "no" and got:
            return f"got {got} violation{'s' if got != 1 else ''}{about}, want none: " + "; ".join(
                repr(v.message) for v in matching[:3]
            )
        if isinstance(self.violations, int) and got != self.violations:
            return f"got {got} violation{'s' if got != 1 else ''}{about}, want {self.violations}"
        return None


@dataclass(frozen=True)
class CaseSpec:
    """One case of a test."""

    name: str
    object: str
    inventory: tuple[str, ...]
    assertions: tuple[Assertion, ...]
    skip: bool


@dataclass(frozen=True)
class TestSpec:
    """One test of a suite."""

    name: str
    template: str
    constraint: str | None
    invalid: bool
    skip: bool
    cases: tuple[CaseSpec, ...]


@dataclass
class CaseResult:
    """The outcome of one case."""

    name: str
    status: str
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0
    violations: list[Violation] = field(default_factory=list)


@dataclass
class TestResult:
    """The outcome of one test and its cases."""

    name: str
    status: str
    reasons: list[str] = field(default_factory=list)
    cases: list[CaseResult] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class SuiteResult:
    """The outcome of one suite file."""

    path: str
    tests: list[TestResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def status(self) -> str:
        """error > fail > pass (skips do not fail a suite)."""
        statuses = {t.status for t in self.tests} | {c.status for t in self.tests for c in t.cases}
        if ERROR in statuses:
            return ERROR
        if FAIL in statuses:
            return FAIL
        return PASS


def find_suites(paths: Iterable[Path | str]) -> list[Path]:
    """Suite files: those named, and files under the folders named declaring ``kind: Suite``.

    Folders are always searched recursively; gator's ``dir/...`` spelling is accepted.
    """
    found: list[Path] = []
    for raw in paths:
        text_path = str(raw)
        if text_path == "..." or text_path.endswith("/..."):
            text_path = text_path[: -len("...")].rstrip("/") or "."
        path = Path(text_path)
        if path.is_dir():
            found.extend(
                candidate
                for candidate in sorted(path.rglob("*"))
                if candidate.is_file()
                and candidate.suffix.lower() in SUFFIXES
                and not any(p.startswith(".") for p in candidate.relative_to(path).parts)
                and _declares_suite(candidate)
            )
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(f"{path}: file or folder not found")
    return found


def _declares_suite(path: Path) -> bool:
    """Whether a file holds a ``kind: Suite`` document, judged by parsing it (no text filter:
    ``kind`` may be quoted, an alias or a folded scalar); unparsable files are errors."""
    return any(
        isinstance(document.data, dict) and document.data.get("kind") == "Suite"
        for document in parse_file(path)
    )


def load_suite(path: Path) -> tuple[list[TestSpec], Document | None]:
    """Parse and check a suite file (``InputError``/``DocumentInvalid`` with lines, exit 2).

    Files that are not suites give no tests, as gator silently ignores them.
    """
    documents = parse_file(path)
    suites = [
        d
        for d in documents
        if isinstance(d.data, dict)
        and d.data.get("kind") == "Suite"
        and d.data.get("apiVersion") == SUITE_API_VERSION
    ]
    if not suites:
        return [], None
    problems: list[Problem] = []
    tests: list[TestSpec] = []
    for document in suites:
        tests.extend(_tests(document, problems))
    raise_if_problems(problems)
    return tests, suites[0]


def _tests(document: Document, problems: list[Problem]) -> list[TestSpec]:
    def fail(path: DocPath, message: str) -> None:
        problems.append(Problem(document.locate(path), message))

    raw_tests = document.data.get("tests")
    if raw_tests is None:
        return []
    if not isinstance(raw_tests, list):
        fail(("tests",), "tests must be a list")
        return []
    tests: list[TestSpec] = []
    for t_index, raw in enumerate(raw_tests):
        here: DocPath = ("tests", t_index)
        if not isinstance(raw, dict):
            fail(here, "a test must be a mapping")
            continue
        name = raw.get("name", f"test-{t_index}")
        template = raw.get("template")
        constraint = raw.get("constraint")
        invalid = raw.get("invalid", False)
        skip = raw.get("skip", False)
        if not isinstance(name, str):
            fail((*here, "name"), "name must be a string")
        if not isinstance(template, str) or not template:
            fail((*here, "template"), "template (a path relative to the suite) is required")
        elif Path(template).is_absolute():
            fail((*here, "template"), "absolute paths are not allowed in a suite")
        if constraint is not None and (not isinstance(constraint, str) or not constraint):
            fail((*here, "constraint"), "constraint must be a path relative to the suite")
        elif isinstance(constraint, str) and Path(constraint).is_absolute():
            fail((*here, "constraint"), "absolute paths are not allowed in a suite")
        if constraint is None and not invalid:
            fail(here, "constraint (a path relative to the suite) is required")
        for key, value in (("invalid", invalid), ("skip", skip)):
            if not isinstance(value, bool):
                fail((*here, key), f"{key} must be true or false")
        cases = _cases(document, here, raw.get("cases"), fail)
        tests.append(
            TestSpec(
                str(name),
                str(template),
                constraint if isinstance(constraint, str) else None,
                invalid is True,
                skip is True,
                tuple(cases),
            )
        )
    return tests


def _cases(document: Document, base: DocPath, raw_cases: Any, fail: Any) -> list[CaseSpec]:
    if raw_cases is None:
        return []
    if not isinstance(raw_cases, list):
        fail((*base, "cases"), "cases must be a list")
        return []
    cases: list[CaseSpec] = []
    for c_index, raw in enumerate(raw_cases):
        here: DocPath = (*base, "cases", c_index)
        if not isinstance(raw, dict):
            fail(here, "a case must be a mapping")
            continue
        name = raw.get("name", f"case-{c_index}")
        obj = raw.get("object")
        if not isinstance(obj, str) or not obj:
            fail((*here, "object"), "object (a path relative to the suite) is required")
            obj = ""
        elif Path(obj).is_absolute():
            fail((*here, "object"), "absolute paths are not allowed in a suite")
        inventory = raw.get("inventory") or []
        if not isinstance(inventory, list) or not all(isinstance(i, str) for i in inventory):
            fail((*here, "inventory"), "inventory must be a list of paths")
            inventory = []
        skip = raw.get("skip", False)
        if not isinstance(skip, bool):
            fail((*here, "skip"), "skip must be true or false")
        assertions = _assertions(raw.get("assertions"), here, fail)
        if not raw.get("assertions") and skip is not True:
            fail((*here, "assertions"), "a case needs at least one assertion")
        cases.append(CaseSpec(str(name), obj, tuple(inventory), tuple(assertions), skip is True))
    return cases


def _assertions(raw: Any, base: DocPath, fail: Any) -> list[Assertion]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        fail((*base, "assertions"), "assertions must be a list")
        return []
    out: list[Assertion] = []
    for index, entry in enumerate(raw):
        here: DocPath = (*base, "assertions", index)
        if not isinstance(entry, dict):
            fail(here, "an assertion must be a mapping")
            continue
        violations = entry.get("violations", "yes")
        if isinstance(violations, bool):
            violations = "yes" if violations else "no"
        if isinstance(violations, str) and violations.isdigit():
            violations = int(violations)
        if not (violations in ("yes", "no") or (isinstance(violations, int) and violations >= 0)):
            fail(
                (*here, "violations"),
                f"violations must be yes, no or a count >= 0, not {violations!r}",
            )
            continue
        message = entry.get("message")
        pattern: re.Pattern[str] | None = None
        if message not in (None, ""):
            if not isinstance(message, str):
                fail((*here, "message"), "message must be a regular expression string")
                continue
            try:
                pattern = re.compile(message)
            except re.error as err:
                fail((*here, "message"), f"invalid regular expression: {err}")
                continue
        out.append(Assertion(violations, pattern))
    return out


def _selected(run: re.Pattern[str] | None, test: str, case: str | None = None) -> bool:
    if run is None:
        return True
    if run.search(test):
        return True
    return case is not None and bool(run.search(f"{test}/{case}") or run.search(case))


def _problem_lines(err: Exception) -> list[str]:
    if isinstance(err, DocumentInvalid):
        return [str(p) for p in err.problems]
    return [str(err)]


def _load_one(path: Path, want: str) -> Document:
    """The single document of kind ``want`` (a template) or the single document (constraint)."""
    documents = parse_file(path)
    if want == "ConstraintTemplate":
        matching = [d for d in documents if isinstance(d.data, dict) and d.data.get("kind") == want]
        if len(matching) != 1:
            raise InputError(f"{path}: expected one ConstraintTemplate, found {len(matching)}")
        return matching[0]
    if len(documents) != 1:
        raise InputError(f"{path}: expected one constraint, found {len(documents)} documents")
    return documents[0]


def run_suite(path: Path, run: re.Pattern[str] | None = None) -> SuiteResult:
    """Run every selected test of one suite file."""
    started = time.perf_counter()
    tests, _ = load_suite(path)
    result = SuiteResult(str(path))
    base = path.parent
    for spec in tests:
        if not any(_selected(run, spec.name, c.name) for c in spec.cases) and not _selected(
            run, spec.name
        ):
            continue
        result.tests.append(_run_test(spec, base, run))
    result.seconds = time.perf_counter() - started
    return result


def _run_test(spec: TestSpec, base: Path, run: re.Pattern[str] | None) -> TestResult:
    started = time.perf_counter()
    test = TestResult(spec.name, PASS)
    if spec.skip:
        test.status = SKIP
        return test
    template: Template | None = None
    constraint: Constraint | None = None
    try:
        template = parse_template(_load_one(base / spec.template, "ConstraintTemplate"))
        if spec.constraint is not None:
            constraint = parse_constraint(
                _load_one(base / spec.constraint, "constraint"), {template.kind: template}
            )
    except (InputError, DocumentInvalid) as err:
        if spec.invalid:
            test.reasons.append("invalid as expected: " + "; ".join(_problem_lines(err)))
        else:
            test.status = ERROR
            test.reasons.extend(_problem_lines(err))
        test.seconds = time.perf_counter() - started
        return test
    if spec.invalid:
        test.status = FAIL
        test.reasons.append("expected the template or constraint to be invalid, but both loaded")
        test.seconds = time.perf_counter() - started
        return test
    assert constraint is not None
    for case in spec.cases:
        if not _selected(run, spec.name, case.name):
            continue
        outcome = _run_case(case, constraint, base)
        test.cases.append(outcome)
        if outcome.status == ERROR:
            test.status = ERROR
        elif outcome.status == FAIL and test.status != ERROR:
            test.status = FAIL
    test.seconds = time.perf_counter() - started
    return test


def _case_item(path: Path) -> ReviewItem:
    problems: list[Problem] = []
    found: list[tuple[Document, Any, DocPath]] = []
    for document in parse_file(path):
        found.extend((document, obj, where) for obj, where in objects_in(document))
    if len(found) != 1:
        raise InputError(
            f"{path}: a case's object file must hold exactly one object, found {len(found)}"
        )
    document, obj, where = found[0]
    item = review_item(document, obj, where, problems)
    raise_if_problems(problems)
    assert item is not None
    return item


def _inventory(paths: Iterable[Path]) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for path in paths:
        for document in parse_file(path):
            for obj, where in objects_in(document):
                item = review_item(document, obj, where, problems)
                if item is not None and item.object is not None:
                    objects.append(item.object)
    raise_if_problems(problems)
    return objects


def _run_case(case: CaseSpec, constraint: Constraint, base: Path) -> CaseResult:
    started = time.perf_counter()
    outcome = CaseResult(case.name, PASS)
    if case.skip:
        outcome.status = SKIP
        return outcome
    try:
        item = _case_item(base / case.object)
        inventory = _inventory(base / p for p in case.inventory)
        evaluator = Evaluator([constraint], inventory)
    except (InputError, DocumentInvalid) as err:
        outcome.status = ERROR
        outcome.reasons.extend(_problem_lines(err))
        return outcome
    violations = evaluator.review(item)
    outcome.violations = violations
    errors = [v for v in violations if v.error]
    if errors:
        outcome.status = ERROR
        outcome.reasons.extend(v.message for v in errors)
    else:
        for assertion in case.assertions:
            reason = assertion.check(violations)
            if reason is not None:
                outcome.status = FAIL
                outcome.reasons.append(reason)
    outcome.seconds = time.perf_counter() - started
    return outcome


def verify(paths: Iterable[Path | str], run: str | None = None) -> list[SuiteResult]:
    """Find and run every suite under ``paths``; ``run`` filters tests and cases by regex."""
    pattern: re.Pattern[str] | None = None
    if run:
        try:
            pattern = re.compile(run)
        except re.error as err:
            raise InputError(f"--run: invalid regular expression: {err}") from None
    suites = find_suites(paths)
    results: list[SuiteResult] = []
    for path in suites:
        result = run_suite(path, pattern)
        if result.tests:
            results.append(result)
    return results


__all__ = [
    "ERROR",
    "FAIL",
    "PASS",
    "SKIP",
    "CaseResult",
    "SuiteResult",
    "TestResult",
    "find_suites",
    "load_suite",
    "run_suite",
    "verify",
]
