"""Generation from the estate: content, validity, determinism, drift; prove with mutations."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from seccli.core.documents import parse_documents
from seccli.estate.loader import load_estate, validate_estate_document
from seccli.estate.model import Estate
from seccli.zerotrust.generate.tree import check_drift, generate_tree, write_tree
from seccli.zerotrust.manifests import build_manifest_set, load_manifests
from seccli.zerotrust.platform import estate_workloads
from seccli.zerotrust.prove import prove, prove_manifests
from seccli.zerotrust.validate import check_semantics, validate_objects

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "claytom" / "estate.yaml"
CRDS = ROOT.parent / "shared" / "schemas" / "crds"
FIXTURES = Path(__file__).parent / "fixtures"


def crd_schemas() -> Path:
    if not CRDS.is_dir():
        pytest.skip("../shared/schemas/crds is absent")
    return CRDS


@pytest.fixture(scope="module")
def example() -> Estate:
    return load_estate(EXAMPLE).estate


@pytest.fixture(scope="module")
def mini() -> Estate:
    return load_estate(FIXTURES / "mini-estate.yaml").estate


def estate_with(mini: Estate, change: Any) -> Estate:
    data = mini.model_dump(by_alias=True, exclude_none=True, mode="json")
    change(data)
    text = yaml.safe_dump(data)
    return validate_estate_document(parse_documents(text, "mutated.yaml")[0]).estate


def policies_of(tree_objects: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [o for objs in tree_objects.values() for o in objs if o["kind"] == "NetworkPolicy"]


def proof_of(estate: Estate, objects: dict[str, list[dict[str, Any]]], mesh: str | None = None):
    docs = parse_documents(yaml.safe_dump_all(policies_of(objects)), "tree.yaml")
    return prove_manifests(estate, build_manifest_set(docs), mesh)


@pytest.mark.parametrize("mesh", ["istio", "linkerd", "none"])
def test_example_estate_generates_valid_and_proven(example: Estate, mesh: str) -> None:
    tree = generate_tree(example, mesh=mesh)  # type: ignore[arg-type]
    report = validate_objects(
        tree.objects, crd_schemas=crd_schemas(), world=estate_workloads(example, mesh)
    )
    assert report.ok, [str(p) for p in report.problems[:5]]
    assert report.core_checked > 36 and report.crd_checked >= 73
    assert not report.unchecked_kinds
    proof = proof_of(example, tree.objects, mesh)
    assert proof.equal, [d.describe() for d in proof.differences[:5]]
    # 161 intents (some deduplicated into one edge), DNS (and mesh) for all 73 services.
    assert proof.declared_edges >= 73 * (2 if mesh != "none" else 1) + 100


def test_netpol_content(mini: Estate) -> None:
    tree = generate_tree(mini)
    policies = {
        (p["metadata"]["namespace"], p["metadata"]["name"]): p["spec"]
        for p in policies_of(tree.objects)
    }
    deny = policies[("core", "default-deny")]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = policies[("subs-a", "allow-dns")]["egress"][0]
    assert dns["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert dns["ports"] == [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
    shop = policies[("subs-a", "svc-shop")]
    # Ingress from the gateway on the container port; one peer with both selectors.
    assert shop["ingress"] == [
        {
            "from": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "core"}},
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}},
                }
            ],
            "ports": [{"port": 8081, "protocol": "TCP"}],
        }
    ]
    cidrs = [
        peer["ipBlock"]["cidr"]
        for rule in shop["egress"]
        for peer in rule["to"]
        if "ipBlock" in peer
    ]
    assert cidrs == ["203.0.113.0/25"]
    assert any("mail.example.com has no CIDRs" in note for note in tree.notes)
    text = b"".join(tree.files.values()).decode()
    assert "mail.example.com" not in text
    assert "cluster.local" not in text


def test_spiffe_mesh_and_vault(mini: Estate) -> None:
    tree = generate_tree(mini)
    ids = tree.objects["cluster/spiffe-ids.yaml"]
    worker = next(o for o in ids if o["metadata"]["name"] == "subs-a.worker")
    assert worker["spec"]["spiffeIDTemplate"] == "spiffe://mini.example/ns/subs-a/sa/worker-sa"
    server_conf = tree.objects["cluster/spire-config.yaml"][1]["data"]["server.conf"]
    assert 'trust_domain = "mini.example"' in server_conf
    assert 'NodeAttestor "k8s_psat"' in server_conf and "spire-system:spire-agent" in server_conf
    agent_conf = tree.objects["cluster/spire-config.yaml"][0]["data"]["agent.conf"]
    assert 'WorkloadAttestor "k8s"' in agent_conf
    mesh = {o["kind"]: o for o in tree.objects["cluster/istio-mesh.yaml"]}
    assert mesh["PeerAuthentication"]["spec"] == {"mtls": {"mode": "STRICT"}}
    assert mesh["PeerAuthentication"]["metadata"]["namespace"] == "istio-system"
    authz = tree.objects["namespaces/subs-a/istio-authorization.yaml"][0]
    rule = authz["spec"]["rules"][0]
    assert rule["from"][0]["source"]["principals"] == ["mini.example/ns/core/sa/gateway"]
    assert rule["to"][0]["operation"] == {
        "ports": ["8081"],
        "methods": ["GET"],
        "paths": ["/v1/*"],
    }
    assert "vault/policies/seccli-subs-a-worker.hcl" in tree.files
    assert b"kv/data/subs-a/worker" in tree.files["vault/policies/seccli-subs-a-worker.hcl"]
    assert b'"worker-sa"' in tree.files["vault/roles/subs-a-worker.json"]


def test_linkerd_objects_come_together_and_missing_refs_are_caught(mini: Estate) -> None:
    tree = generate_tree(mini, mesh="linkerd")
    objects = tree.objects["namespaces/core/linkerd-policy.yaml"]
    kinds = sorted(o["kind"] for o in objects)
    assert kinds.count("Server") == kinds.count("AuthorizationPolicy") > 0
    assert kinds.count("MeshTLSAuthentication") == kinds.count("Server")
    assert check_semantics(tree.objects) == []
    broken = copy.deepcopy(tree.objects)
    broken["namespaces/core/linkerd-policy.yaml"] = [
        o for o in objects if o["kind"] != "MeshTLSAuthentication"
    ]
    problems = check_semantics(broken)
    assert problems and "missing MeshTLSAuthentication" in problems[0].message


def test_named_ports_must_exist_on_targets(mini: Estate) -> None:
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "p", "namespace": "core"},
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "audit"}},
            "ingress": [{"ports": [{"port": "ingest"}]}, {"ports": [{"port": "nope"}]}],
        },
    }
    problems = check_semantics({"p.yaml": [policy]}, estate_workloads(mini))
    assert len(problems) == 1 and "'nope'" in problems[0].message


def test_schema_validation_catches_invalid_objects(mini: Estate) -> None:
    tree = generate_tree(mini)
    broken = copy.deepcopy(tree.objects)
    broken["namespaces/core/networkpolicies.yaml"][0]["spec"]["policyTypes"] = "Ingress"
    broken["cluster/istio-mesh.yaml"][1]["spec"]["mtls"]["mode"] = "SOMETIMES"
    report = validate_objects(broken, crd_schemas=crd_schemas())
    messages = " ".join(str(p) for p in report.problems)
    assert "NetworkPolicy" in messages and "SOMETIMES" in messages


def test_determinism_and_drift(mini: Estate, tmp_path: Path) -> None:
    first, second = generate_tree(mini), generate_tree(mini)
    assert first.files == second.files
    assert write_tree(first, tmp_path).written == tuple(sorted(first.files))
    assert write_tree(second, tmp_path).written == ()  # nothing changed
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert (tmp_path / "kustomization.yaml").stat().st_mode & 0o777 == 0o644
    assert check_drift(second, tmp_path).clean
    (tmp_path / "namespaces/core/networkpolicies.yaml").write_text("changed")
    (tmp_path / "namespaces/core/stale.yaml").write_text("old")
    (tmp_path / "kustomization.yaml").unlink()
    drift = check_drift(second, tmp_path)
    assert drift.changed == ("namespaces/core/networkpolicies.yaml",)
    assert drift.edited == ("namespaces/core/networkpolicies.yaml",)
    assert drift.foreign == ("namespaces/core/stale.yaml",)
    assert drift.missing == ("kustomization.yaml",)
    assert not drift.clean


def test_kustomization_lists_every_folder(mini: Estate) -> None:
    tree = generate_tree(mini)
    root = yaml.safe_load(tree.files["kustomization.yaml"])
    assert root["resources"] == ["cluster", "namespaces/core", "namespaces/subs-a"]
    for folder in root["resources"]:
        listed = yaml.safe_load(tree.files[f"{folder}/kustomization.yaml"])["resources"]
        for name in listed:
            assert f"{folder}/{name}" in tree.files


# -- mutations: each caught by prove --------------------------------------------------------


def test_prove_on_disk(mini: Estate, tmp_path: Path) -> None:
    write_tree(generate_tree(mini), tmp_path)
    assert prove(mini, [tmp_path]).equal


def test_mutation_delete_one_rule_is_missing(mini: Estate) -> None:
    tree = generate_tree(mini)
    objects = copy.deepcopy(tree.objects)
    shop = next(
        p
        for p in objects["namespaces/subs-a/networkpolicies.yaml"]
        if p["metadata"]["name"] == "svc-shop"
    )
    shop["spec"]["ingress"].pop(0)
    proof = proof_of(mini, objects)
    assert not proof.equal and not proof.extra
    [missing] = proof.missing
    assert (missing.src, missing.dst, str(missing.ports)) == (
        "core/gateway",
        "subs-a/shop",
        "TCP/8081",
    )
    assert "ingress at subs-a/shop does not allow TCP/8081" in missing.responsible[0]
    assert "subs-a/svc-shop" in missing.responsible[0]


def test_mutation_widen_one_selector_is_extra(mini: Estate) -> None:
    tree = generate_tree(mini)
    objects = copy.deepcopy(tree.objects)
    shop = next(
        p
        for p in objects["namespaces/subs-a/networkpolicies.yaml"]
        if p["metadata"]["name"] == "svc-shop"
    )
    shop["spec"]["podSelector"] = {}  # every pod of subs-a gets shop's rules
    proof = proof_of(mini, objects)
    assert not proof.missing
    extra = {(d.src, d.dst, str(d.ports), d.cidrs) for d in proof.extra}
    assert ("subs-a/worker", "external", "TCP/443", ("203.0.113.0/25",)) in extra
    assert all(any("subs-a/svc-shop egress" in r for r in d.responsible) for d in proof.extra)


def test_mutation_widen_one_port_is_extra(mini: Estate) -> None:
    tree = generate_tree(mini)
    objects = copy.deepcopy(tree.objects)
    dns = next(
        p
        for p in objects["namespaces/core/networkpolicies.yaml"]
        if p["metadata"]["name"] == "allow-dns"
    )
    del dns["spec"]["egress"][0]["ports"]
    proof = proof_of(mini, objects)
    dsts = {(d.kind, d.src, d.dst) for d in proof.differences}
    assert dsts == {
        ("extra", "core/audit", "kube-system/kube-dns"),
        ("extra", "core/gateway", "kube-system/kube-dns"),
    }
    assert all("core/allow-dns egress[0]" in d.responsible[0] for d in proof.differences)


def test_mutation_add_an_intent_is_missing(mini: Estate) -> None:
    tree = generate_tree(mini)

    def add(data: dict[str, Any]) -> None:
        audit = next(s for s in data["services"] if s["name"] == "audit")
        audit["intents"] = [{"to": "subs-a/worker", "port": "stats"}]

    grown = estate_with(mini, add)
    proof = proof_of(grown, tree.objects)
    assert [(d.kind, d.src, d.dst, str(d.ports)) for d in proof.differences] == [
        ("missing", "core/audit", "subs-a/worker", "UDP/8125")
    ]
    assert proof_of(grown, generate_tree(grown).objects).equal


def test_gatekeeper_constraints_from_template_library(mini: Estate, tmp_path: Path) -> None:
    assert "cluster/gatekeeper-constraints.yaml" not in generate_tree(mini).files
    tree = generate_tree(mini, rego_library=FIXTURES / "rego")
    constraints = {c["kind"]: c for c in tree.objects["cluster/gatekeeper-constraints.yaml"]}
    assert sorted(constraints) == ["K8sAllowedRegistries", "K8sNoClusterAdmin", "K8sRequireDigest"]
    registries = constraints["K8sAllowedRegistries"]["spec"]
    assert registries["parameters"]["repos"] == ["registry.mini.example/"]
    assert registries["match"]["namespaces"] == ["core", "subs-a"]
    assert {
        "apiGroups": ["apps"],
        "kinds": ["DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"],
    } in registries["match"]["kinds"]
    digest = constraints["K8sRequireDigest"]["spec"]
    assert digest["match"] == {
        "kinds": [{"apiGroups": [""], "kinds": ["Pod"]}],  # from the sample constraint
        "namespaces": ["core", "subs-a"],
    }
    assert "parameters" not in digest
    admin = constraints["K8sNoClusterAdmin"]["spec"]
    assert admin["parameters"] == {"allowedSubjects": ["system:masters"]}  # the sample's
    assert "namespaces" not in admin["match"]  # ClusterRoleBinding is cluster-scoped
    # A template needing parameters nobody can give is reported, not guessed.
    assert any("K8sUnrelated" in note and "need parameters" in note for note in tree.notes)
    kustomization = yaml.safe_load(tree.files["cluster/kustomization.yaml"])
    assert "gatekeeper-constraints.yaml" in kustomization["resources"]


def test_ambiguous_selectors_are_refused(mini: Estate) -> None:
    from seccli.core.errors import InputError

    def clash(data: dict[str, Any]) -> None:
        worker = next(s for s in data["services"] if s["name"] == "worker")
        worker["labels"] = {"app.kubernetes.io/name": "shop"}

    with pytest.raises(InputError, match="could not tell them apart"):
        generate_tree(estate_with(mini, clash))


def test_load_manifests_reads_the_written_tree(mini: Estate, tmp_path: Path) -> None:
    write_tree(generate_tree(mini), tmp_path)
    manifests = load_manifests([tmp_path])
    assert {p.ident for p in manifests.policies} >= {"core/default-deny", "subs-a/svc-shop"}
    assert manifests.namespaces["subs-a"]["istio-injection"] == "enabled"


@pytest.mark.parametrize("mesh", ["istio", "linkerd"])
def test_yaml_output_reads_back_identically(example: Estate, mesh: str) -> None:
    tree = generate_tree(example, mesh=mesh)  # type: ignore[arg-type]
    for path, objects in tree.objects.items():
        text = tree.files[path].decode("utf-8")
        assert [d.data for d in parse_documents(text, path)] == objects, path
        assert list(yaml.safe_load_all(text)) == objects, path


def test_yaml_writer_quotes_what_readers_would_retype() -> None:
    from seccli.zerotrust.yamlout import dump_document

    tricky = {
        "ports": ["8080", "yes", "no", "on", "null", "~", "1e3", "0x1F", "1:20", ".inf", ""],
        "text": ["a: b", "#x", "- y", "*z", "&a", "!t", "x:", "é", "two\nlines\n", " lead\n"],
    }
    text = dump_document(tricky)
    assert yaml.safe_load(text) == tricky
    assert parse_documents(text, "t")[0].data == tricky


def test_bytes_do_not_depend_on_the_hash_seed() -> None:
    import os
    import subprocess
    import sys

    script = (
        "import sys; from pathlib import Path; from seccli.core.hashing import sha256_json; "
        "from seccli.estate.loader import load_estate; "
        "from seccli.zerotrust.generate.tree import generate_tree; "
        "t = generate_tree(load_estate(Path(sys.argv[1])).estate, rego_library=Path(sys.argv[2])); "
        "print(sha256_json({p: d.decode() for p, d in t.files.items()}))"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script, str(EXAMPLE), str(FIXTURES / "rego")],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1 and len(next(iter(digests)).strip()) == 64


def test_compiled_schema_check_agrees_with_jsonschema(mini: Estate) -> None:
    from seccli.zerotrust.validate import SchemaValidator

    policy = next(
        p for p in policies_of(generate_tree(mini).objects) if p["metadata"]["name"] == "svc-shop"
    )
    mutations = [
        lambda p: None,
        lambda p: p["spec"].update(bogus=1),
        lambda p: p["metadata"].update(name=7),
        lambda p: p["spec"]["ingress"][0]["ports"][0].update(port=[80]),
        lambda p: p["spec"]["ingress"][0].update(sources=[]),
        lambda p: p["spec"]["podSelector"].update(matchLabels={"a": 1}),
        lambda p: p.update(status={"x": 1}),
        lambda p: p["spec"].update(policyTypes=[1]),
    ]
    validator = SchemaValidator().validator_for("networking.k8s.io/v1", "NetworkPolicy")
    assert validator is not None
    checker = validator[0]
    verdicts = []
    for mutate in mutations:
        candidate = copy.deepcopy(policy)
        mutate(candidate)
        full = list(checker._full().iter_errors(candidate))
        fast = checker.iter_errors(candidate)
        assert bool(full) == bool(fast), candidate
        verdicts.append(bool(full))
    assert verdicts[0] is False and all(verdicts[1:])
