"""Kubernetes consumer wiring: VSO resources with rollout restarts, or agent annotations."""

from __future__ import annotations

import yaml

from seccli.estate.model import Estate
from seccli.secrets.wiring import consumer_wiring


def _docs(text: str) -> list[dict[str, object]]:
    return [d for d in yaml.safe_load_all(text) if d]


def test_vso_wiring_for_every_consumer(example_estate: Estate) -> None:
    files = consumer_wiring(example_estate, mode="vso")
    consumers = [s for s in example_estate.services if s.secrets]
    assert len(files) == len(consumers)
    assert list(files) == sorted(files)
    docs = _docs(files["holding/payments-ledger.yaml"])
    kinds = [d["kind"] for d in docs]
    assert kinds == ["VaultAuth", "VaultDynamicSecret", "VaultStaticSecret"]
    auth, dynamic, static = docs
    assert auth["spec"]["kubernetes"] == {  # type: ignore[index]
        "role": "holding-payments-ledger",
        "serviceAccount": "payments-ledger",
        "audiences": ["vault"],
    }
    assert dynamic["spec"]["path"] == "static-creds/payments-ledger"  # type: ignore[index]
    assert dynamic["spec"]["allowStaticCreds"] is True  # type: ignore[index]
    assert static["spec"]["type"] == "kv-v2"  # type: ignore[index]
    assert static["spec"]["path"] == "holding/payments-ledger"  # type: ignore[index]
    for doc in (dynamic, static):
        spec = doc["spec"]
        assert spec["vaultAuthRef"] == "payments-ledger-vault"  # type: ignore[index]
        assert spec["rolloutRestartTargets"] == [  # type: ignore[index]
            {"kind": "Deployment", "name": "payments-ledger"}
        ]
        assert doc["metadata"]["namespace"] == "holding"  # type: ignore[index]
    names = [d["metadata"]["name"] for d in docs]  # type: ignore[index]
    assert len(set(names)) == 3


def test_agent_wiring_annotations(example_estate: Estate) -> None:
    files = consumer_wiring(example_estate, mode="agent")
    [patch] = _docs(files["holding/payments-ledger.yaml"])
    annotations = patch["spec"]["template"]["metadata"]["annotations"]  # type: ignore[index]
    assert annotations["vault.hashicorp.com/agent-inject"] == "true"
    assert annotations["vault.hashicorp.com/role"] == "holding-payments-ledger"
    injected = sorted(v for k, v in annotations.items() if "agent-inject-secret-" in k)
    assert injected == ["database/static-creds/payments-ledger", "kv/data/holding/payments-ledger"]


def test_wiring_is_deterministic(example_estate: Estate) -> None:
    reordered = example_estate.model_copy(
        update={"services": tuple(reversed(example_estate.services))}
    )
    assert consumer_wiring(example_estate) == consumer_wiring(reordered)
