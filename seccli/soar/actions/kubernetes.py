"""Containment in the GitOps tree: quarantine a workload, scale it to zero, cordon a node,
block an image digest.

Nothing talks to a cluster: each action writes manifests (schema-checked) into the configured
GitOps tree, for the usual review-and-sync path. Quarantine also proves, with seccli's own
NetworkPolicy analyser, that the workload can reach nothing and nothing can reach it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from seccli.core.atomic import atomic_write_bytes, check_inside
from seccli.core.errors import SeccliError
from seccli.soar.interface import Action, ActionArgs, ActionContext, ActionFailed, SoarConfig

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
DIGEST = r"^sha256:[0-9a-f]{64}$"
GENERATED_FOLDERS = frozenset({"quarantine", "scale", "nodes", "supplychain", "gatekeeper"})
"""Folders of the GitOps tree these actions write (patches, not deployable manifests)."""


def _dump(objects: list[dict[str, Any]]) -> bytes:
    import yaml

    return "".join(
        "---\n" + yaml.safe_dump(obj, sort_keys=True, default_flow_style=False) for obj in objects
    ).encode()


def _write(ctx: ActionContext, relative: str, objects: list[dict[str, Any]]) -> Path:
    root = ctx.config.gitops_root()
    target = root / relative
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        check_inside(root, target)
        atomic_write_bytes(target, _dump(objects))
    except SeccliError as exc:
        raise ActionFailed(f"cannot write {relative}: {exc.message}") from None
    except OSError as exc:
        raise ActionFailed(f"cannot write {relative}: {exc.strerror}") from None
    return target


def _schema_problems(file: str, objects: list[dict[str, Any]]) -> list[str]:
    from seccli.zerotrust.validate import validate_objects

    report = validate_objects({file: objects})
    return [str(problem) for problem in report.problems]


def _service(config: SoarConfig, namespace: str, name: str) -> Any:
    if config.estate is None:
        return None
    for service in config.estate.services:
        if service.namespace == namespace and service.name == name:
            return service
    return None


def _estate_check(config: SoarConfig, namespace: str, workload: str) -> list[str]:
    if config.estate is None or "${" in namespace + workload:
        return []
    if namespace not in {n.name for n in config.estate.namespaces}:
        return [f"namespace {namespace!r} is not in the estate"]
    if _service(config, namespace, workload) is None:
        return [f"service {namespace}/{workload} is not in the estate"]
    return []


class WorkloadArgs(ActionArgs):
    namespace: str = Field(pattern=DNS_LABEL)
    workload: str = Field(pattern=DNS_LABEL)
    """The estate service (its pods are selected by the estate's labels)."""


def _pod_labels(config: SoarConfig, args: WorkloadArgs) -> dict[str, str]:
    from seccli.zerotrust.platform import selector_labels

    service = _service(config, args.namespace, args.workload)
    if service is None:
        return {"app.kubernetes.io/name": args.workload}
    return selector_labels(service)


class QuarantineAction(Action[WorkloadArgs]):
    name = "kubernetes.quarantine"
    summary = "write a deny-all NetworkPolicy for a workload and prove it isolated"
    args_model = WorkloadArgs

    def describe(self, args: WorkloadArgs, config: SoarConfig) -> str:
        return (
            f"write NetworkPolicy quarantine-{args.workload} (deny all ingress and egress) for "
            f"{args.namespace}/{args.workload} into {config.gitops_root()} and prove isolation"
        )

    def check(self, args: WorkloadArgs, config: SoarConfig) -> list[str]:
        return _estate_check(config, args.namespace, args.workload)

    def execute(self, args: WorkloadArgs, ctx: ActionContext) -> dict[str, Any]:
        labels = _pod_labels(ctx.config, args)
        policy = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "name": f"quarantine-{args.workload}",
                "namespace": args.namespace,
                "labels": {"seccli.io/quarantine": "true"},
                "annotations": {"seccli.io/run": ctx.run_id},
            },
            "spec": {
                "podSelector": {"matchLabels": labels},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [],
                "egress": [],
            },
        }
        relative = f"quarantine/{args.namespace}/{args.workload}.yaml"
        problems = _schema_problems(relative, [policy])
        if problems:
            raise ActionFailed(f"generated policy is not schema-valid: {problems[0]}")
        allowing = _prove_isolated(args, labels, policy, ctx.config.gitops_root())
        if allowing:
            raise ActionFailed(
                f"{args.namespace}/{args.workload} is not isolated: traffic is still allowed "
                f"({', '.join(allowing[:3])})"
            )
        path = _write(ctx, relative, [policy])
        return {"file": str(path), "isolated": True, "selector": labels}


def _prove_isolated(
    args: WorkloadArgs, labels: dict[str, str], policy: dict[str, Any], tree: Path
) -> list[str]:
    """What still reaches or leaves the workload under the tree's policies plus ``policy``.

    The workload (by its pod labels) and an unrestricted probe pod are analysed with every
    NetworkPolicy the GitOps tree already deploys (policies are additive: an existing allow
    rule defeats a deny-all) and the new one; the answer lists the allowed connections.
    """
    from seccli.core.documents import Document
    from seccli.zerotrust.analyzer import analyse
    from seccli.zerotrust.manifests import build_manifest_set, load_manifests

    def pod(name: str, pod_labels: dict[str, str], namespace: str = args.namespace) -> Any:
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": pod_labels},
            "spec": {"containers": [{"name": "c", "image": "x"}]},
        }

    probe = {"seccli.io/probe": "1"}
    objects = [
        pod(args.workload, labels),
        pod("seccli-probe", probe),  # a neighbour in the namespace
        pod("seccli-probe", probe, "seccli-probe"),  # and one in another namespace
        policy,
    ]
    documents = [
        Document(source="quarantine", index=i, data=obj, start_line=1)
        for i, obj in enumerate(objects)
    ]
    world = build_manifest_set(documents)
    existing = (
        sorted(p for p in tree.iterdir() if p.name not in GENERATED_FOLDERS)
        if tree.is_dir()
        else []
    )
    if existing:
        try:
            deployed = load_manifests(existing)
        except SeccliError as exc:
            raise ActionFailed(f"cannot read the GitOps tree to prove isolation: {exc}") from None
        ours = {(p.namespace, p.name) for p in world.policies}
        world.policies.extend(p for p in deployed.policies if (p.namespace, p.name) not in ours)
        for name, ns_labels in deployed.namespaces.items():
            world.namespaces.setdefault(name, ns_labels)
    reach = analyse(world)
    ident = f"{args.namespace}/{args.workload}"
    allowing = [
        f"{src.ident} -> {dst.ident}"
        for src, dst, ports in reach.edges()
        if ident in (src.ident, dst.ident) and src.ident != dst.ident and ports
    ]
    allowing.extend(
        f"{direction} {','.join(access.cidrs)}"
        for workload, direction, access in reach.external()
        if workload.ident == ident
    )
    return allowing


class ScaleArgs(WorkloadArgs):
    kind: str = Field(default="Deployment", pattern=r"^(Deployment|StatefulSet)$")


class ScaleToZeroAction(Action[ScaleArgs]):
    name = "kubernetes.scale-to-zero"
    summary = "write a patch scaling a workload to zero replicas"
    args_model = ScaleArgs

    def describe(self, args: ScaleArgs, config: SoarConfig) -> str:
        return f"scale {args.kind} {args.namespace}/{args.workload} to 0 replicas"

    def check(self, args: ScaleArgs, config: SoarConfig) -> list[str]:
        return _estate_check(config, args.namespace, args.workload)

    def execute(self, args: ScaleArgs, ctx: ActionContext) -> dict[str, Any]:
        patch = {
            "apiVersion": "apps/v1",
            "kind": args.kind,
            "metadata": {"name": args.workload, "namespace": args.namespace},
            "spec": {"replicas": 0},
        }
        path = _write(ctx, f"scale/{args.namespace}/{args.workload}.yaml", [patch])
        return {"file": str(path), "replicas": 0}


class CordonArgs(ActionArgs):
    node: str = Field(pattern=r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


class CordonAction(Action[CordonArgs]):
    name = "kubernetes.cordon-node"
    summary = "write a Node patch marking it unschedulable and tainted"
    args_model = CordonArgs

    def describe(self, args: CordonArgs, config: SoarConfig) -> str:
        return f"cordon node {args.node} (unschedulable, NoExecute taint seccli.io/quarantine)"

    def execute(self, args: CordonArgs, ctx: ActionContext) -> dict[str, Any]:
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": args.node},
            "spec": {
                "unschedulable": True,
                "taints": [{"key": "seccli.io/quarantine", "effect": "NoExecute", "value": "true"}],
            },
        }
        problems = _schema_problems("node.yaml", [node])
        if problems:
            raise ActionFailed(f"generated node patch is not schema-valid: {problems[0]}")
        path = _write(ctx, f"nodes/{args.node}.yaml", [node])
        return {"file": str(path), "node": args.node}


class BlockImageArgs(ActionArgs):
    digest: str = Field(pattern=DIGEST)
    reason: str


class BlockImageAction(Action[BlockImageArgs]):
    name = "image.block"
    summary = "deny an image digest (trust-policy deny list and a Gatekeeper constraint)"
    args_model = BlockImageArgs

    def describe(self, args: BlockImageArgs, config: SoarConfig) -> str:
        return f"deny image digest {args.digest}: {args.reason}"

    def execute(self, args: BlockImageArgs, ctx: ActionContext) -> dict[str, Any]:
        from seccli.core.documents import load_document

        root = ctx.config.gitops_root()
        deny_file = root / "supplychain" / "denied-digests.yaml"
        denied: dict[str, str] = {}
        if deny_file.exists():
            try:
                data = load_document(deny_file).data
            except SeccliError as exc:
                raise ActionFailed(f"cannot read the deny list: {exc.message}") from None
            entries = data.get("denied") if isinstance(data, dict) else None
            if not isinstance(entries, list):
                raise ActionFailed(f"{deny_file}: no 'denied' list")
            denied = {str(e.get("digest")): str(e.get("reason", "")) for e in entries}
        denied.setdefault(args.digest, args.reason)
        deny_list = {
            "apiVersion": "seccli.io/v1",
            "kind": "DeniedImages",
            "denied": [{"digest": d, "reason": r} for d, r in sorted(denied.items())],
        }
        constraint = {
            "apiVersion": "constraints.gatekeeper.sh/v1beta1",
            "kind": "K8sDeniedImageDigests",
            "metadata": {"name": "seccli-denied-image-digests"},
            "spec": {
                "enforcementAction": "deny",
                "match": {"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}]},
                "parameters": {"digests": sorted(denied)},
            },
        }
        _write(ctx, "supplychain/denied-digests.yaml", [deny_list])
        _write(ctx, "gatekeeper/denied-image-digests.yaml", [constraint])
        return {"digest": args.digest, "denied": len(denied)}
