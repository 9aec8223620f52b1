"""Benchmark: ``seccli policy test`` end to end against the whole rego/ library.

Input: the example estate's services rendered as Namespaces, Deployments and Pods, plus N
synthetic objects (default 10,000: Deployments, Pods, CronJobs, Services, Ingresses, Roles,
RoleBindings, ConfigMaps; about one in four breaks some rule), written as one multi-document YAML
file.  Measured end to end (load the library and the manifests, match, evaluate, build findings
and the JSON report), with one worker and with two.  Printed: objects/second for each, the
speed-up, and the share of the time spent outside the Rego evaluation.

Run: ``.venv/bin/python bench/policy.py [--objects N] [--quick]``
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from _timing import Stopwatch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seccli.estate.loader import load_estate  # noqa: E402
from seccli.policy.gatekeeper.gate import to_findings  # noqa: E402
from seccli.policy.gatekeeper.library import load_library, load_objects  # noqa: E402
from seccli.policy.gatekeeper.report import test_json  # noqa: E402
from seccli.policy.gatekeeper.run import run_tests  # noqa: E402
from seccli.zerotrust.platform import pod_labels  # noqa: E402

DIGEST = "sha256:" + "ab" * 32


def _container(name: str, image: str, rng: random.Random | None = None) -> dict[str, Any]:
    sc: dict[str, Any] = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    container: dict[str, Any] = {
        "name": name,
        "image": image,
        "securityContext": sc,
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"memory": "256Mi"},
        },
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
        "livenessProbe": {"tcpSocket": {"port": 8080}},
        "ports": [{"containerPort": 8080}],
    }
    if rng is not None and rng.random() < 0.25:
        flaw = rng.randrange(6)
        if flaw == 0:
            sc["privileged"] = True
        elif flaw == 1:
            container["image"] = "docker.io/library/nginx:latest"
        elif flaw == 2:
            del container["resources"]
        elif flaw == 3:
            sc["capabilities"] = {"add": ["NET_ADMIN"]}
        elif flaw == 4:
            container["env"] = [
                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}
            ]
        else:
            container["ports"] = [{"containerPort": 8080, "hostPort": 80}]
    return container


def _pod_spec(containers: list[dict[str, Any]], account: str) -> dict[str, Any]:
    return {
        "serviceAccountName": account,
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": containers,
    }


def _labels(owner: str, team: str) -> dict[str, str]:
    return {"owner": owner, "team": team, "data-class": "internal"}


def estate_objects() -> list[dict[str, Any]]:
    """The example estate's namespaces and services as Namespaces, Deployments and Pods."""
    estate = load_estate(ROOT / "examples" / "claytom" / "estate.yaml").estate
    objects: list[dict[str, Any]] = []
    for ns in estate.namespaces:
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": ns.name, "labels": _labels("platform", ns.name)},
            }
        )
        objects.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "default-deny", "namespace": ns.name},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            }
        )
    for service in estate.services:
        labels = {**pod_labels(service), **_labels(service.owner or "platform", service.namespace)}
        spec = _pod_spec([_container(service.name, service.image)], service.account)
        objects.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {
                    "name": service.name,
                    "namespace": service.namespace,
                    "labels": labels,
                },
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": {"app.kubernetes.io/name": service.name}},
                    "template": {"metadata": {"labels": labels}, "spec": spec},
                },
            }
        )
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"{service.name}-0",
                    "namespace": service.namespace,
                    "labels": labels,
                },
                "spec": spec,
            }
        )
    return objects


def synthetic_objects(count: int, seed: int = 11) -> list[dict[str, Any]]:
    """``count`` deterministic objects of the kinds the library judges."""
    rng = random.Random(seed)
    namespaces = [f"team-{i:02d}" for i in range(20)]
    out: list[dict[str, Any]] = []
    for index in range(count):
        ns = rng.choice(namespaces)
        name = f"obj-{index:05d}"
        labels = _labels(f"owner{index % 7}", ns) if rng.random() > 0.1 else {"app": name}
        image = f"registry.claytom.systems/{ns}/{name}:1.{index % 9}.0@{DIGEST}"
        kind = rng.random()
        meta = {"name": name, "namespace": ns, "labels": labels}
        if kind < 0.35:
            spec = _pod_spec(
                [_container("app", image, rng), _container("proxy", image, rng)], "app"
            )
            out.append(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": meta,
                    "spec": {
                        "selector": {"matchLabels": {"app": name}},
                        "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
                    },
                }
            )
        elif kind < 0.55:
            spec = _pod_spec([_container("app", image, rng)], "app")
            if rng.random() < 0.3:
                spec["initContainers"] = [_container("init", image, rng)]
            out.append({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec})
        elif kind < 0.62:
            spec = _pod_spec([_container("job", image, rng)], "batch")
            spec["restartPolicy"] = "OnFailure"
            out.append(
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "metadata": meta,
                    "spec": {
                        "schedule": "0 * * * *",
                        "jobTemplate": {"spec": {"template": {"spec": spec}}},
                    },
                }
            )
        elif kind < 0.75:
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": meta,
                    "spec": {
                        "type": "NodePort" if rng.random() < 0.1 else "ClusterIP",
                        "ports": [{"port": 80, "targetPort": 8080}],
                    },
                }
            )
        elif kind < 0.82:
            host = f"{name}.claytom.systems"
            ingress: dict[str, Any] = {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {
                    **meta,
                    "annotations": {"seccli.io/hsts": "max-age=31536000; includeSubDomains"},
                },
                "spec": {
                    "rules": [{"host": host}],
                    "tls": [{"hosts": [host], "secretName": name}],
                },
            }
            if rng.random() < 0.2:
                del ingress["spec"]["tls"]
            out.append(ingress)
        elif kind < 0.9:
            verbs = ["*"] if rng.random() < 0.1 else ["get", "list"]
            out.append(
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "Role",
                    "metadata": meta,
                    "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": verbs}],
                }
            )
        elif kind < 0.95:
            role = "cluster-admin" if rng.random() < 0.05 else "view"
            out.append(
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "RoleBinding",
                    "metadata": meta,
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole",
                        "name": role,
                    },
                    "subjects": [{"kind": "Group", "name": ns}],
                }
            )
        else:
            out.append(
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"a": "b"}}
            )
    return out


def end_to_end(manifest: Path, workers: int) -> dict[str, float]:
    """Load the library and the manifests, evaluate, build findings and the JSON report."""
    watch = Stopwatch()
    library = load_library([ROOT / "rego"])
    items = load_objects([str(manifest)])
    loaded = watch.elapsed().wall
    inventory = [i.object for i in items if i.object is not None]
    report = run_tests(library.constraints, items, inventory, workers=workers)
    findings = to_findings(report.results, library.constraints)
    document = test_json(report)
    total = watch.elapsed().wall
    return {
        "objects": float(len(items)),
        "seconds": total,
        "load": loaded,
        "eval": report.eval_seconds,
        "evaluations": float(report.evaluations),
        "findings": float(len(findings)),
        "denied": float(document["summary"]["violations"]["deny"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000, help="synthetic objects")
    parser.add_argument("--quick", action="store_true", help="1,000 synthetic objects")
    args = parser.parse_args()
    count = 1_000 if args.quick else args.objects
    objects = estate_objects() + synthetic_objects(count)
    with tempfile.TemporaryDirectory() as tmp:
        manifest = Path(tmp) / "manifests.yaml"
        manifest.write_text(yaml.safe_dump_all(objects, sort_keys=False))
        size = manifest.stat().st_size
        print(
            f"{len(objects):,} objects ({size / 1e6:.1f} MB YAML) against rego/ "
            f"({len(load_library([ROOT / 'rego']).constraints)} constraints)"
        )
        results = {}
        for workers in (1, 2):
            r = end_to_end(manifest, workers)
            results[workers] = r
            rate = r["objects"] / r["seconds"]
            line = (
                f"workers={workers}: {r['seconds']:.1f} s end to end, {rate:,.0f} objects/s; "
                f"load {r['load']:.1f} s; {r['evaluations']:,.0f} Rego evaluations; "
                f"{r['findings']:,.0f} findings ({r['denied']:,.0f} deny)"
            )
            if workers == 1:
                outside = 1 - r["eval"] / r["seconds"]
                line += f"; {outside:.0%} of the time outside the Rego evaluation"
            else:
                cpu_eval = r["eval"] / workers
                outside = max(0.0, 1 - cpu_eval / r["seconds"])
                line += f"; ~{outside:.0%} of the wall time outside the Rego evaluation"
            print(line)
        speedup = results[1]["seconds"] / results[2]["seconds"]
        print(f"two workers: {speedup:.2f}x the speed of one")


if __name__ == "__main__":
    main()
