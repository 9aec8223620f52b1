"""Executing the shipped playbooks against a recording HTTP server and the Vault emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from seccli.soar.engine import bind_inputs
from seccli.soar.loader import PlaybookLibrary, load_incident
from seccli.soar.records import RunState
from tests.fakes.vault import FakeVault
from tests.soar.conftest import INCIDENTS, SHIPPED, EngineFactory
from tests.soar.recording_server import RecordingServer


def _inputs(library: PlaybookLibrary, name: str) -> tuple[Any, dict[str, Any]]:
    playbook, _, _ = library.validated(name)
    fields, source = load_incident(INCIDENTS / f"{name}.json")
    return playbook, bind_inputs(playbook, fields, source)


def _approve_all(engine: Any, run_id: str) -> Any:
    result = engine.resume(run_id)
    for _ in range(5):
        if result.state != RunState.WAITING:
            return result
        for waiting in result.waiting:
            engine.records.decide(run_id, waiting["step"], "approved", "approver", "ok")
        result = engine.resume(run_id)
    return result


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_playbook_executes(
    name: str, library: PlaybookLibrary, make_engine: EngineFactory, server: RecordingServer
) -> None:
    playbook, inputs = _inputs(library, name)
    engine = make_engine()
    result = engine.start(playbook, inputs)
    result = _approve_all(engine, result.run_id)
    assert result.state == RunState.COMPLETED, result.to_json()
    assert result.exit_code == 0
    states = {s["step"]: s["state"] for s in result.steps}
    assert "started" not in states.values()
    assert server.count("/chat") >= 1  # every playbook tells a team


def test_leaked_secret_rotates_pages_and_files_a_ticket(
    library: PlaybookLibrary,
    make_engine: EngineFactory,
    server: RecordingServer,
    vault: FakeVault,
    config: Any,
) -> None:
    playbook, inputs = _inputs(library, "leaked-secret")
    before = vault.kv_secret("kv/holding/api-gateway")
    assert before is not None
    version_before = max(before.versions)
    result = make_engine().start(playbook, inputs)
    assert result.state == RunState.COMPLETED
    after = vault.kv_secret("kv/holding/api-gateway")
    assert after is not None and max(after.versions) == version_before + 1
    new_value = vault.kv_value("kv/holding/api-gateway")
    assert new_value is not None and new_value["value"] != "initial-api-gateway"
    page = next(r for r in server.received if r.path == "/pagerduty")
    body = page.json()
    assert body["event_action"] == "trigger"
    assert body["payload"]["custom_details"]["subdomain"] == "api"
    assert body["payload"]["custom_details"]["oncall"]
    assert "Authorization" not in page.headers or not page.headers["Authorization"]
    chat = next(r for r in server.received if r.path == "/chat")
    assert chat.json()["text"].startswith("[appsec]")
    assert chat.headers["Authorization"].startswith("Bearer ")
    tickets = list((config.workdir / "tickets").glob("*.json"))
    assert len(tickets) == 1
    assert json.loads(tickets[0].read_text())["labels"] == ["leaked-secret", "security"]
    # the new secret value never reaches outputs
    assert new_value["value"] not in json.dumps(result.to_json())


def test_quarantine_writes_a_schema_valid_deny_all_policy(
    library: PlaybookLibrary, make_engine: EngineFactory, config: Any
) -> None:
    import yaml

    playbook, inputs = _inputs(library, "crypto-miner")
    result = make_engine().start(playbook, inputs)
    assert result.state == RunState.COMPLETED
    policy_file = config.gitops_root() / "quarantine" / "holding" / "metrics-collector.yaml"
    (policy,) = list(yaml.safe_load_all(policy_file.read_text()))
    assert policy["kind"] == "NetworkPolicy"
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert policy["spec"]["ingress"] == [] and policy["spec"]["egress"] == []
    assert policy["spec"]["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "metrics-collector"
    }
    quarantine = next(s for s in result.steps if s["step"] == "quarantine")
    assert quarantine["output"]["isolated"] is True
    node = yaml.safe_load((config.gitops_root() / "nodes" / "node-pool-a-7.yaml").read_text())
    assert node["spec"]["unschedulable"] is True


def test_image_block_lists_digest_once(
    library: PlaybookLibrary, make_engine: EngineFactory, config: Any
) -> None:
    import yaml

    playbook, inputs = _inputs(library, "unsigned-image")
    for _ in range(2):
        result = make_engine().start(playbook, inputs)
        assert result.state == RunState.COMPLETED
        # the gate failed (no registry here): fail closed, the digest is blocked
        verify = next(s for s in result.steps if s["step"] == "verify")
        assert verify["state"] == "failed"
    deny = yaml.safe_load(
        (config.gitops_root() / "supplychain" / "denied-digests.yaml").read_text()
    )
    assert [d["digest"] for d in deny["denied"]] == [inputs["digest"]]
    constraint = yaml.safe_load(
        (config.gitops_root() / "gatekeeper" / "denied-image-digests.yaml").read_text()
    )
    assert constraint["spec"]["parameters"]["digests"] == [inputs["digest"]]


def test_gdpr_ticket_names_the_72_hour_deadline(
    library: PlaybookLibrary, make_engine: EngineFactory, config: Any
) -> None:
    playbook, inputs = _inputs(library, "data-exfiltration")
    result = make_engine().start(playbook, inputs)
    assert result.state == RunState.COMPLETED
    assert result.variables["notify_authority_by"] == "2026-03-05T09:30:00.000000Z"
    (ticket,) = list((config.workdir / "tickets").glob("*.json"))
    assert "2026-03-05T09:30:00" in json.loads(ticket.read_text())["title"]


def test_gdpr_without_personal_data_skips_the_authority_ticket(
    library: PlaybookLibrary, make_engine: EngineFactory, config: Any
) -> None:
    playbook, inputs = _inputs(library, "data-exfiltration")
    inputs["data_classes"] = ["internal"]
    result = make_engine().start(playbook, inputs)
    assert result.state == RunState.COMPLETED
    assert not (config.workdir / "tickets").exists()
    assert "dpo-ticket" not in {s["step"] for s in result.steps}


def test_while_loop_runs_two_rounds(
    library: PlaybookLibrary, make_engine: EngineFactory, server: RecordingServer
) -> None:
    playbook, inputs = _inputs(library, "ddos-edge")
    result = make_engine().start(playbook, inputs)
    assert result.state == RunState.COMPLETED
    rounds = [r.json()["round"] for r in server.received if r.path == "/edge/rate-limits"]
    assert rounds == [0, 1]
    assert result.variables["round"] == 2


def test_failure_path_is_taken_when_vault_rotation_fails(
    library: PlaybookLibrary,
    make_engine: EngineFactory,
    server: RecordingServer,
    vault: FakeVault,
) -> None:
    from tests.fakes.vault import Fault

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise Fault(403, ["permission denied"])

    vault.hook = refuse
    playbook, inputs = _inputs(library, "leaked-secret")
    result = make_engine().start(playbook, inputs)
    assert result.state == RunState.COMPLETED
    rotate = next(s for s in result.steps if s["step"] == "rotate")
    assert rotate["state"] == "failed" and rotate["attempt"] == 3  # retried, then failure path
    assert server.count("/pagerduty") == 1
    assert "urgent" not in {s["step"] for s in result.steps}


def test_dry_run_changes_nothing(tmp_path: Path, library: PlaybookLibrary, config: Any) -> None:
    from seccli.soar.engine import dry_run

    for name in SHIPPED:
        playbook, inputs = _inputs(library, name)
        plan = dry_run(playbook, inputs, config, library.resolve)
        assert {entry["step"] for entry in plan} >= set(playbook.steps)
    assert not config.workdir.exists()


def test_quarantine_fails_when_an_existing_policy_still_allows_traffic(
    library: PlaybookLibrary, make_engine: EngineFactory, config: Any, server: RecordingServer
) -> None:
    """NetworkPolicies are additive: a deny-all does not isolate past an allow rule."""
    tree = config.gitops_root() / "netpol"
    tree.mkdir(parents=True)
    (tree / "allow.yaml").write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
        "  name: allow-from-anywhere\n  namespace: holding\nspec:\n  podSelector: {}\n"
        "  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - namespaceSelector: {}\n"
    )
    playbook, inputs = _inputs(library, "crypto-miner")
    result = make_engine().start(playbook, inputs)
    quarantine = next(s for s in result.steps if s["step"] == "quarantine")
    assert quarantine["state"] == "failed"
    assert "not isolated" in quarantine["error"]
    assert "seccli-probe/seccli-probe -> holding/metrics-collector" in quarantine["error"]
    assert not (config.gitops_root() / "quarantine").exists()  # nothing written unproven


def test_page_goes_to_whoever_the_org_model_has_on_call_at_the_clock_time(
    tmp_path: Path,
    config: Any,
    org: Any,
    make_engine: EngineFactory,
    server: RecordingServer,
) -> None:
    from datetime import UTC, datetime

    from seccli.core.clock import FixedClock
    from seccli.org.oncall import OnCallIndex, who
    from tests.soar.helpers import write_playbook

    folder = tmp_path / "playbooks"
    write_playbook(
        folder,
        "page-api",
        {
            "page": {
                "type": "action",
                "action": "oncall.page",
                "args": {"subdomain": "api", "summary": "test page"},
                "onSuccess": "done",
            },
            "done": {"type": "end"},
        },
    )
    library = PlaybookLibrary((folder,), config)
    playbook, _, _ = library.validated("page-api")
    index = OnCallIndex(org)
    paged = []
    for at in (datetime(2026, 3, 2, 10, 0, tzinfo=UTC), datetime(2026, 3, 2, 22, 0, tzinfo=UTC)):
        result = make_engine(clock=FixedClock(at), lib=library).start(playbook, {})
        assert result.state == RunState.COMPLETED
        expected = who(index, "api", at).primary
        assert expected is not None
        sent = [r for r in server.received if r.path == "/pagerduty"][-1].json()
        assert sent["payload"]["custom_details"]["oncall"] == expected.person
        assert sent["payload"]["timestamp"].startswith(at.strftime("%Y-%m-%dT%H:%M"))
        assert result.steps[0]["output"]["oncall"] == expected.person
        paged.append(expected.person)
    assert paged[0] != paged[1]  # the rota moved on between the two times


def test_forensics_snapshot_folder_is_named_by_its_content_hash(
    tmp_path: Path, config: Any, make_engine: EngineFactory
) -> None:
    import hashlib

    from tests.soar.helpers import write_playbook

    evidence = tmp_path / "auth.log"
    evidence.write_bytes(b"Mar  2 10:00:01 sshd[1]: Accepted publickey for root\n")
    folder = tmp_path / "playbooks"
    write_playbook(
        folder,
        "snap",
        {
            "snap": {
                "type": "action",
                "action": "forensics.collect",
                "args": {"files": [str(evidence)], "includeFindings": False},
                "onSuccess": "done",
            },
            "done": {"type": "end"},
        },
    )
    library = PlaybookLibrary((folder,), config)
    playbook, _, _ = library.validated("snap")
    result = make_engine(lib=library).start(playbook, {})
    assert result.state == RunState.COMPLETED
    output = result.steps[0]["output"]
    snapshot = Path(output["folder"])
    manifest_bytes = (snapshot / "manifest.json").read_bytes()
    assert hashlib.sha256(manifest_bytes.rstrip(b"\n")).hexdigest() == output["sha256"]
    assert snapshot.name == output["sha256"][:32]
    manifest = json.loads(manifest_bytes)
    (name,) = manifest["files"]
    copied = (snapshot / name).read_bytes()
    assert copied == evidence.read_bytes()
    assert manifest["files"][name] == hashlib.sha256(copied).hexdigest()
    # changing the evidence changes the folder
    evidence.write_bytes(b"something else\n")
    again = make_engine(lib=library).start(playbook, {})
    assert again.steps[0]["output"]["sha256"] != output["sha256"]
