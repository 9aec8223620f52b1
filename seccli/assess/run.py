"""Running the assessment: every check on one estate, recorded, then the evidence pack of it.

``assess`` validates the estate and org (an invalid one stops everything: bad input), then
generates the Zero-Trust tree into the work folder and proves it, runs the policy library on
the tree (and on ``workloads/`` beside the estate, if there is one), verifies the images
(offline from an OCI layout when the estate ships one), audits Vault when a connection is
given (else the step is *not assessed*, never passed), scans the repository content, and
builds and verifies the signed evidence pack. Each check runs inside ``recorded_run`` under
the command name its own CLI records, so the pack's collectors see it as they would see the
command. Capability functions are called directly; nothing shells out to ``seccli``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seccli.assess.model import AssessResult, StepResult, StepStatus
from seccli.core.errors import DocumentInvalid, SeccliError

if TYPE_CHECKING:
    from seccli.evidence.period import Period
    from seccli.scan.engine import ScanOptions
    from seccli.secrets.client import VaultApi
    from seccli.store.sqlite import SqliteStore
    from seccli.supplychain.keys import PrivateKey
    from seccli.supplychain.registry import RegistryOptions

#: Files the assessment finds beside the estate when not told otherwise.
OCI_LAYOUT = Path("oci") / "layout"
DEMO_TRUST_POLICY = Path("oci") / "trust-policy.demo.yaml"
TRUST_POLICY = Path("trust-policy.yaml")
SUPPRESSIONS = Path("suppressions.yaml")
WORKLOADS = Path("workloads")
#: What the assessment writes in its work folder.
GENERATED = "generated"
PACK = "evidence-pack.zip"
SIGNING_KEY = "evidence-signing.key"
SIGNING_PUB = "evidence-signing.pub"

StepSink = Callable[[str, StepResult | None], None]


@dataclass(frozen=True, slots=True)
class AssessRequest:
    """What to assess and where to put what it makes.

    ``None`` for the trust policy, OCI layout, suppressions and scan target means: the file
    beside the estate when it exists (the example ships them), else none. ``vault`` opens a
    connection; ``None``: no Vault configured, the step is not assessed. ``key`` signs the pack;
    ``None``: a key pair kept in the work folder (made on first use).
    """

    estate: Path
    org: Path
    work: Path
    pack: Path | None = None
    key: PrivateKey | None = None
    trust_policy: Path | None = None
    oci_layout: Path | None = None
    scan_target: Path | None = None
    suppressions: Path | None = None
    scan_options: ScanOptions | None = None
    registry: RegistryOptions | None = None
    vault: Callable[[], VaultApi] | None = None
    period: Period | None = None
    source_date_epoch: int | None = None
    workers: int = 1
    frameworks: tuple[str, ...] = ()

    def beside_estate(self, given: Path | None, default: Path) -> Path | None:
        """``given``, else ``default`` relative to the estate's folder when it exists."""
        if given is not None:
            return given
        candidate = self.estate.parent / default
        return candidate if candidate.exists() else None


@dataclass
class _Run:
    """State shared by the steps of one assessment."""

    request: AssessRequest
    store: SqliteStore
    actor: str
    result: AssessResult
    tree: Path
    loaded: Any = None  # the LoadedEstate


def assess(
    request: AssessRequest,
    open_store: Callable[[], SqliteStore],
    actor: str,
    on_step: StepSink | None = None,
) -> AssessResult:
    """Run every step (see the module docstring) and return what each found.

    An estate or org that does not validate raises ``DocumentInvalid`` (nothing else runs;
    an invalid estate writes nothing). Any other failure of a step is that step's error and
    the following steps still run.
    """
    from seccli.estate.summary import validate_estate_file

    sink = on_step or (lambda _step, _result: None)
    result = AssessResult(estate=request.estate, work=request.work)
    sink("estate", None)
    started = time.monotonic()
    validation = validate_estate_file(request.estate)  # before the store: invalid writes nothing
    store = open_store()
    with store:
        run = _Run(request, store, actor, result, request.work / GENERATED)
        _record_estate(run, validation, started, sink)
        for name, step in _STEPS:
            sink(name, None)
            outcome = _guarded(name, step, run)
            result.steps.append(outcome)
            sink(name, outcome)
    return result


def _record_estate(run: _Run, validation: Any, started: float, sink: StepSink) -> None:
    from seccli.estate.loader import load_estate
    from seccli.store.runs import recorded_run

    subject = str(run.request.estate)
    with recorded_run(
        run.store, "estate validate", run.actor, subject, summary={"file": subject}
    ) as rec:
        rec.finish(
            0, summary={"counts": validation.summary.as_dict()}, audit=validation.audit_payload()
        )
    run.loaded = load_estate(run.request.estate)
    counts = validation.summary
    outcome = StepResult(
        "estate",
        StepStatus.PASSED,
        f"{validation.name}: {counts.services} services, {counts.namespaces} namespaces, "
        f"{counts.secrets} secrets",
        0,
        time.monotonic() - started,
    )
    run.result.steps.append(outcome)
    sink("estate", outcome)


def _guarded(name: str, step: Callable[[_Run], StepResult], run: _Run) -> StepResult:
    """Run one step; a failure becomes its error result (an invalid org still stops)."""
    from seccli.core.redaction import DEFAULT_REDACTOR

    started = time.monotonic()
    try:
        outcome = step(run)
    except SeccliError as exc:
        if name == "org" and isinstance(exc, DocumentInvalid):
            raise
        lines = exc.lines()
        more = f" (+{len(lines) - 1} more)" if len(lines) > 1 else ""
        detail = DEFAULT_REDACTOR.redact((lines[0] if lines else str(exc)) + more)
        outcome = _error(name, detail, int(exc.exit_code))
    except Exception as exc:  # a bug in one step must not hide the others: exit 3
        text = DEFAULT_REDACTOR.redact(str(exc)).strip().splitlines()
        outcome = _error(name, f"{type(exc).__name__}: {text[0] if text else ''}", 3)
    return StepResult(
        outcome.step, outcome.status, outcome.detail, outcome.exit_code, time.monotonic() - started
    )


def _error(step: str, detail: str, code: int) -> StepResult:
    return StepResult(step, StepStatus.ERROR, detail, code)


def _verdict(step: str, code: int, detail: str) -> StepResult:
    status = {0: StepStatus.PASSED, 1: StepStatus.FAILED}.get(code, StepStatus.ERROR)
    return StepResult(step, status, detail, code)


# --------------------------------------------------------------------------- the steps


def _org(run: _Run) -> StepResult:
    from seccli.org.summary import validate_org_file
    from seccli.store.runs import recorded_run

    subject = str(run.request.org)
    with recorded_run(
        run.store, "org validate", run.actor, subject, summary={"file": subject}
    ) as rec:
        validation = validate_org_file(run.request.org, run.request.estate)
        rec.finish(0, summary={"counts": validation.counts}, audit=validation.audit_payload())
    counts = validation.counts
    return _verdict(
        "org",
        0,
        f"{validation.organisation}: {counts['teams']} teams, {counts['squads']} squads, "
        "24x7 on-call covered",
    )


def _generate(run: _Run) -> StepResult:
    from seccli.core.errors import ExitCode
    from seccli.store.runs import recorded_run
    from seccli.zerotrust.generate.run import GenerateRequest, generate_controls, write_generated

    generated = generate_controls(GenerateRequest(run.request.estate))
    with recorded_run(
        run.store,
        "generate",
        run.actor,
        str(run.tree),
        summary={"estate": str(run.request.estate), "mesh": generated.mesh},
        action="zerotrust.generate",
    ) as rec:
        written = write_generated(generated, run.tree)
        rec.finish(ExitCode.OK, audit=written.audit_payload())
    return _verdict(
        "generate",
        0,
        f"{len(generated.tree.files)} files in {run.tree} (mesh {generated.mesh}), schema-valid",
    )


def _prove(run: _Run) -> StepResult:
    from seccli.store.runs import recorded_run
    from seccli.zerotrust.prove import prove_tree

    estate = run.request.estate
    with recorded_run(
        run.store, "netpol prove", run.actor, str(run.tree), summary={"estate": str(estate)}
    ) as rec:
        proved = prove_tree(estate, run.tree)
        rec.finish(proved.exit_code, summary=proved.audit_payload(), audit=proved.audit_payload())
    proof = proved.proof
    if proof.equal:
        detail = f"the policies allow exactly the {proof.declared_edges} declared edges"
    else:
        detail = f"{len(proof.extra)} extra and {len(proof.missing)} missing edges"
    return _verdict("prove", proved.exit_code, detail)


def _policy(run: _Run) -> StepResult:
    from seccli.policy.gatekeeper.gate_run import (
        PolicyTestRequest,
        default_library,
        judge,
        load_policy_inputs,
    )
    from seccli.store.runs import recorded_run
    from seccli.zerotrust.generate.gatekeeper import estate_settings

    paths = [str(run.tree)]
    workloads = run.request.beside_estate(None, WORKLOADS)
    if workloads is not None:
        paths.append(str(workloads))
    library = default_library()
    request = PolicyTestRequest(
        paths, library, None, estate_settings(run.loaded.estate), workers=run.request.workers
    )
    subject = "policy test:" + ",".join(sorted(paths))
    summary = {"library": str(library), "paths": paths}
    with recorded_run(run.store, "policy test", run.actor, subject, summary=summary) as rec:
        inputs = load_policy_inputs(request, None)
        judged = judge(inputs, request)
        run.store.record_findings(rec.run_id, subject, judged.findings)
        rec.finish(judged.exit_code, summary=judged.summary(), audit=judged.audit_payload())
    counts = judged.document()["summary"]["violations"]
    where = "the tree and workloads/" if workloads is not None else "the tree"
    return _verdict(
        "policy",
        int(judged.exit_code),
        f"{len(judged.report.results)} objects of {where}: {counts['deny']} deny, "
        f"{counts['warn']} warn, {counts['error']} error ({judged.verdict})",
    )


def _images(run: _Run) -> StepResult:
    from seccli.store.runs import recorded_run
    from seccli.supplychain.gate_run import gate_inputs, load_gate_policy, run_gate
    from seccli.supplychain.oci_layout import OciLayoutClient
    from seccli.supplychain.registry import RegistryClient, RegistryOptions

    layout = run.request.beside_estate(run.request.oci_layout, OCI_LAYOUT)
    default_policy = DEMO_TRUST_POLICY if layout is not None else TRUST_POLICY
    policy = run.request.beside_estate(run.request.trust_policy, default_policy)
    if policy is None:
        return StepResult(
            "images", StepStatus.NOT_ASSESSED, "no trust policy (give --trust-policy)", 0
        )
    trust = load_gate_policy(policy)
    inputs = gate_inputs([], run.request.estate)
    subject = str(policy)
    client: Any = (
        OciLayoutClient(layout)
        if layout is not None
        else RegistryClient(run.request.registry or RegistryOptions())
    )
    with (
        recorded_run(
            run.store, "images verify", run.actor, subject, summary={"policy": subject}
        ) as rec,
        client,
    ):
        gate = run_gate(trust, inputs, client)
        rec.finish(gate.exit_code, summary=gate.counts, audit=gate.audit_payload())
    counts = gate.counts
    source = f"OCI layout {layout}" if layout is not None else "registries"
    return _verdict(
        "images",
        int(gate.exit_code),
        f"{len(gate.verdicts)} images from {source}: {counts['pass']} pass, {counts['warn']} "
        f"warn, {counts['block']} blocked (policy {trust.name})",
    )


def _vault(run: _Run) -> StepResult:
    if run.request.vault is None:
        return StepResult(
            "vault",
            StepStatus.NOT_ASSESSED,
            "no Vault configured (set VAULT_ADDR and VAULT_TOKEN to audit secret ages)",
            0,
        )
    from seccli.core.clock import SystemClock
    from seccli.core.severity import Severity
    from seccli.secrets.audit_report import VaultAuditVerdict
    from seccli.secrets.inventory import audit_secrets
    from seccli.store.runs import recorded_run

    subject = str(run.request.estate)
    with recorded_run(
        run.store, "vault audit", run.actor, subject, summary={"estate": subject}
    ) as rec:
        report = audit_secrets(
            run.request.vault(),
            run.loaded.estate,
            clock=SystemClock(),
            estate_file=subject,
            locate=run.loaded.document.locate,
            workers=4,
        )
        verdict = VaultAuditVerdict(report, Severity.HIGH)
        delta = run.store.record_findings(rec.run_id, "vault", list(report.findings))
        summary = verdict.summary(len(delta.new), len(delta.resolved))
        rec.finish(verdict.exit_code, summary=summary, audit=summary)
    return _verdict(
        "vault",
        verdict.exit_code,
        f"{summary['secrets']} secrets, {summary['overdue']} overdue, "
        f"{summary['findings']} findings",
    )


def _scan(run: _Run) -> StepResult:
    from dataclasses import replace

    from seccli.scan.engine import ScanOptions
    from seccli.scan.run import ScanRequest, scan_repository

    target = run.request.scan_target or run.request.estate.parent
    options = run.request.scan_options or ScanOptions()
    layout = run.request.beside_estate(run.request.oci_layout, OCI_LAYOUT)
    # Not source: image blobs (the images step judges them) and what assess itself wrote.
    for made in (layout, run.request.work):
        if made is not None and made.resolve().is_relative_to(target.resolve()):
            rel = made.resolve().relative_to(target.resolve()).as_posix()
            if rel != ".":
                options = replace(options, exclude=(*options.exclude, rel))
    suppressions = run.request.beside_estate(run.request.suppressions, SUPPRESSIONS)
    request = ScanRequest(
        target=target,
        options=options,
        suppressions=suppressions,
        estate=run.request.estate,
        cache_path=run.store.path,
    )
    scanned = scan_repository(run.store, request, run.actor)
    gate = scanned.gate
    tools = ", ".join(f"{r.tool} {r.version}" for r in scanned.report.runs)
    return _verdict(
        "scan",
        scanned.exit_code,
        f"{target}: {len(gate.findings)} findings, {len(gate.violations)} at or above "
        f"{gate.threshold.value if gate.threshold else 'none'}, "
        f"{len(gate.outcome.suppressed)} suppressed ({tools})",
    )


def _pack(run: _Run) -> StepResult:
    from datetime import UTC, datetime

    from seccli.core.atomic import atomic_write_bytes
    from seccli.evidence.pack import BuildRequest, build_pack
    from seccli.evidence.period import resolve_period
    from seccli.evidence.verify import verify_pack

    request = run.request
    key = request.key or _work_key(request.work)
    if request.key is None:
        run.result.public_key = request.work / SIGNING_PUB
    epoch = request.source_date_epoch
    now = datetime.fromtimestamp(epoch, tz=UTC) if epoch is not None else datetime.now(UTC)
    built = build_pack(
        run.store,
        BuildRequest(
            estate_path=request.estate,
            period=request.period or resolve_period(None, None, None, now),
            frameworks=request.frameworks,
            key=key,
            source_date_epoch=epoch,
            suppressions=request.beside_estate(request.suppressions, SUPPRESSIONS),
        ),
    )
    pack = request.pack or request.work / PACK
    atomic_write_bytes(pack, built.data)
    run.result.pack = pack
    run.result.key_id = built.key_id
    run.result.pack_overall = dict(built.overall)
    run.result.pack_summary = {k: dict(v) for k, v in built.summary.items()}
    checked = verify_pack(pack, key.public())
    if not checked.ok:
        first = checked.problems[0] if checked.problems else "signature not valid"
        return _verdict("pack", 1, f"{pack} does not verify: {first}")
    overall = ", ".join(f"{name} {verdict}" for name, verdict in sorted(built.overall.items()))
    return _verdict(
        "pack",
        0,
        f"{pack}: {checked.files} files, signature by key {str(built.key_id)[:16]} valid; "
        f"{overall}",
    )


def _work_key(work: Path) -> PrivateKey:
    """The work folder's signing key (made on first use, owner-only)."""
    from seccli.core.atomic import atomic_write_bytes
    from seccli.supplychain.keys import generate_key_pair, load_private_key

    private = work / SIGNING_KEY
    if not private.exists():
        private_pem, public_pem = generate_key_pair()
        work.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(private, private_pem, mode=0o600)
        atomic_write_bytes(work / SIGNING_PUB, public_pem)
    key = load_private_key(private)
    public = work / SIGNING_PUB
    if not public.exists() or public.read_bytes() != key.public_pem():
        atomic_write_bytes(public, key.public_pem())
    return key


_STEPS: tuple[tuple[str, Callable[[_Run], StepResult]], ...] = (
    ("org", _org),
    ("generate", _generate),
    ("prove", _prove),
    ("policy", _policy),
    ("images", _images),
    ("vault", _vault),
    ("scan", _scan),
    ("pack", _pack),
)
