"""``netpol reach`` as a capability: what the NetworkPolicies in some manifests allow, and the
JSON document describing it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccli.core.documents import LoadLimits
from seccli.core.errors import InputError
from seccli.manifests.walk import SkippedFile, WalkOptions
from seccli.zerotrust.analyzer import Reachability, analyse
from seccli.zerotrust.hostnet import HOST_NETWORK_NOTE, HostNetwork
from seccli.zerotrust.manifests import ManifestSet


@dataclass(frozen=True, slots=True)
class ReachReport:
    """The reachability of the workloads some paths deploy, and the files that made the build."""

    reachability: Reachability
    files: tuple[str, ...]
    host_network: HostNetwork = HostNetwork.UNRESTRICTED
    rule_notes: tuple[str, ...] = ()
    skipped: tuple[SkippedFile, ...] = field(default=())

    def notes(self) -> list[str]:
        """Why some connectivity is reported as it is (host-network workloads)."""
        notes = list(self.rule_notes)
        flagged = [w for w in self.reachability.workloads() if w.host_network]
        if not flagged:
            return notes
        names = ", ".join(w.display for w in flagged)
        if self.host_network is HostNetwork.AS_PODS:
            notes.append(
                f"host-network workloads analysed as pods (--host-network as-pods): {names}"
            )
        else:
            notes.append(f"{names}: {HOST_NETWORK_NOTE}")
        return notes

    def as_json(self) -> dict[str, Any]:
        """The JSON document of ``netpol reach``."""
        document = reach_json(self.reachability, self.files)
        document["hostNetwork"] = self.host_network.value
        document["notes"] = self.notes()
        return document


def reach_json(result: Reachability, files: Sequence[str] = ()) -> dict[str, Any]:
    """Workloads, allowed edges and external access as JSON; ``files``: the build's files."""
    return {
        "files": list(files),
        "workloads": [
            {
                "id": w.ident,
                "namespace": w.namespace,
                "name": w.name,
                "kind": w.kind,
                "hostNetwork": w.host_network,
                "unrestricted": result.is_unrestricted(w),
            }
            for w in result.workloads()
        ],
        "edges": [
            {"src": src.ident, "dst": dst.ident, "ports": ports.to_json()}
            for src, dst, ports in result.edges()
        ],
        "external": [
            {
                "workload": workload.ident,
                "direction": direction,
                "cidrs": list(access.cidrs),
                "ports": access.ports.to_json(),
            }
            for workload, direction, access in result.external()
        ],
    }


def reach_paths(
    paths: Sequence[Path],
    limits: LoadLimits | None = None,
    *,
    root: Path | None = None,
    host_network: HostNetwork = HostNetwork.UNRESTRICTED,
    options: WalkOptions | None = None,
) -> ReachReport:
    """Load what ``paths`` deploy and compute its reachability.

    Nothing to judge is an input error, never a clean result: no manifest at all, or no
    workload among them (an empty reachability would claim total isolation).
    """
    from seccli.zerotrust.manifests import load_manifests

    manifests = load_manifests(paths, limits, root=root, options=options)
    named = ", ".join(map(str, paths))
    if not manifests.files:
        raise InputError(
            f"{named}: no Kubernetes manifests to judge",
            hint="name manifest files, a folder of them, or a folder with a kustomization",
        )
    if not manifests.workloads:
        raise InputError(
            f"{named}: no workloads (Pods or pod controllers) in {len(manifests.files)} "
            "files: nothing to judge",
            hint="reachability is between workloads; add the Pods, Deployments, ... the "
            "policies select",
        )
    reachability = analyse(manifests, host_network)
    notes = tuple(named_ports_to_ip_blocks(manifests))
    return ReachReport(
        reachability, tuple(manifests.files), host_network, notes, tuple(manifests.skipped)
    )


def named_ports_to_ip_blocks(manifests: ManifestSet) -> list[str]:
    """A note per egress rule naming a port for ipBlock peers: outside the cluster there is no
    pod whose port the name could mean, so that part of the rule allows nothing."""
    notes = []
    for policy in manifests.policies:
        for rule in policy.egress:
            names = sorted({str(p.port) for p in rule.ports or () if isinstance(p.port, str)})
            blocks = [peer for peer in rule.peers or () if peer.ip_block is not None]
            if names and blocks:
                where = f" ({rule.location})" if rule.location else ""
                notes.append(
                    f"{policy.ident} egress[{rule.index}]{where}: named port(s) "
                    f"{', '.join(names)} allow nothing to its ipBlock peers (a port name "
                    "means a pod's port; there is no pod outside the cluster)"
                )
    return notes
