"""How host-network pods are analysed (a leaf module: the CLI imports it at start-up)."""

from __future__ import annotations

from enum import StrEnum


class HostNetwork(StrEnum):
    """How host-network pods are analysed."""

    UNRESTRICTED = "unrestricted"  # not governed by NetworkPolicy: everything allowed
    AS_PODS = "as-pods"  # as ordinary pods (what netpol-analyzer does)


HOST_NETWORK_NOTE = (
    "host network: NetworkPolicy does not govern host-network pods on most CNIs "
    "(reported unrestricted; --host-network as-pods analyses them as pods)"
)
