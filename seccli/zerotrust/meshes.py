"""The service meshes seccli generates for and proves against (one enum for every command)."""

from __future__ import annotations

from enum import StrEnum


class MeshChoice(StrEnum):
    """A service mesh: its mTLS and authorization resources are generated, and its control
    plane is expected to be reachable; ``none`` generates NetworkPolicies only."""

    ISTIO = "istio"
    LINKERD = "linkerd"
    NONE = "none"
