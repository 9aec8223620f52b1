"""Gatekeeper-compatible policy gate: templates, constraints, match, input, suites.

- ``template``: ConstraintTemplates (v1/v1beta1, ``rego``+``libs`` and ``code[]``) → compiled Rego;
- ``constraint`` and ``match``: constraints with ``spec.match``, parameters checked against the
  template's ``openAPIV3Schema``, ``enforcementAction``;
- ``review``: the ``input.review`` AdmissionRequest Gatekeeper builds and ``data.inventory``;
- ``gate``: evaluation (fail closed) and conversion to findings;
- ``library``/``run``: loading folders of templates, constraints and manifests; ``policy test``;
- ``suite``: ``gator verify`` suites;
- ``report``: JSON documents of a test run and gator's text (SARIF: ``seccli.render``);
- ``instantiate``: constraints made from the library with generic or estate parameters;
- ``gate_run``: ``policy test`` and ``policy verify`` as capabilities returning results.
"""

from seccli.policy.gatekeeper.constraint import Constraint, ConstraintInvalid, parse_constraint
from seccli.policy.gatekeeper.gate import Evaluator, ItemResult, Violation, to_findings
from seccli.policy.gatekeeper.library import Library, load_library, load_objects
from seccli.policy.gatekeeper.review import (
    ReviewItem,
    input_document,
    inventory_of,
    request_for_object,
)
from seccli.policy.gatekeeper.run import TestReport, run_tests
from seccli.policy.gatekeeper.template import Template, TemplateInvalid, parse_template

__all__ = [
    "Constraint",
    "ConstraintInvalid",
    "Evaluator",
    "ItemResult",
    "Library",
    "ReviewItem",
    "Template",
    "TemplateInvalid",
    "TestReport",
    "Violation",
    "input_document",
    "inventory_of",
    "load_library",
    "load_objects",
    "parse_constraint",
    "parse_template",
    "request_for_object",
    "run_tests",
    "to_findings",
]
