"""SPIFFE/SPIRE: a ClusterSPIFFEID per workload and the SPIRE server and agent configuration.

Every identity is ``spiffe://<trust domain>/ns/<namespace>/sa/<service account>`` with the
estate's trust domain. The server attests nodes with ``k8s_psat`` (only the agent's service
account may attest) and agents attest workloads with the ``k8s`` attestor.
"""

from __future__ import annotations

from typing import Any

from seccli.estate.model import Estate, Service
from seccli.zerotrust.platform import SPIRE_NAMESPACE, namespace_selector, selector_labels

SPIRE_AGENT_ACCOUNT = "spire-agent"
SPIRE_SERVER_PORT = 8081


def spiffe_id(trust_domain: str, namespace: str, account: str) -> str:
    """The SPIFFE ID of a service account."""
    return f"spiffe://{trust_domain}/ns/{namespace}/sa/{account}"


def cluster_spiffe_ids(estate: Estate) -> list[dict[str, Any]]:
    """One ClusterSPIFFEID per service, selecting its pods in its namespace."""
    return [
        _cluster_spiffe_id(estate, service)
        for service in sorted(estate.services, key=lambda s: s.key)
    ]


def _cluster_spiffe_id(estate: Estate, service: Service) -> dict[str, Any]:
    return {
        "apiVersion": "spire.spiffe.io/v1alpha1",
        "kind": "ClusterSPIFFEID",
        "metadata": {
            "name": f"{service.namespace}.{service.name}",
            "labels": {"app.kubernetes.io/managed-by": "seccli"},
        },
        "spec": {
            "spiffeIDTemplate": spiffe_id(estate.trust_domain, service.namespace, service.account),
            "namespaceSelector": namespace_selector(service.namespace),
            "podSelector": {"matchLabels": selector_labels(service)},
        },
    }


def _server_conf(estate: Estate) -> str:
    return "\n".join(
        [
            "server {",
            '  bind_address = "0.0.0.0"',
            f'  bind_port = "{SPIRE_SERVER_PORT}"',
            f'  trust_domain = "{estate.trust_domain}"',
            '  data_dir = "/run/spire/server/data"',
            '  log_level = "INFO"',
            '  ca_key_type = "ec-p256"',
            '  default_x509_svid_ttl = "1h"',
            "}",
            "",
            "plugins {",
            '  DataStore "sql" {',
            "    plugin_data {",
            '      database_type = "sqlite3"',
            '      connection_string = "/run/spire/server/data/datastore.sqlite3"',
            "    }",
            "  }",
            "",
            '  NodeAttestor "k8s_psat" {',
            "    plugin_data {",
            "      clusters = {",
            f'        "{estate.cluster}" = {{',
            f'          service_account_allow_list = ["{SPIRE_NAMESPACE}:{SPIRE_AGENT_ACCOUNT}"]',
            "        }",
            "      }",
            "    }",
            "  }",
            "",
            '  KeyManager "disk" {',
            "    plugin_data {",
            '      keys_path = "/run/spire/server/data/keys.json"',
            "    }",
            "  }",
            "",
            '  Notifier "k8sbundle" {',
            "    plugin_data {",
            f'      namespace = "{SPIRE_NAMESPACE}"',
            "    }",
            "  }",
            "}",
            "",
        ]
    )


def _agent_conf(estate: Estate) -> str:
    return "\n".join(
        [
            "agent {",
            '  data_dir = "/run/spire/agent/data"',
            '  log_level = "INFO"',
            f'  server_address = "spire-server.{SPIRE_NAMESPACE}"',
            f'  server_port = "{SPIRE_SERVER_PORT}"',
            '  socket_path = "/run/spire/agent-sockets/spire-agent.sock"',
            '  trust_bundle_path = "/run/spire/bundle/bundle.crt"',
            f'  trust_domain = "{estate.trust_domain}"',
            "}",
            "",
            "plugins {",
            '  NodeAttestor "k8s_psat" {',
            "    plugin_data {",
            f'      cluster = "{estate.cluster}"',
            "    }",
            "  }",
            "",
            '  KeyManager "memory" {',
            "    plugin_data {}",
            "  }",
            "",
            '  WorkloadAttestor "k8s" {',
            "    plugin_data {",
            "      skip_kubelet_verification = false",
            "    }",
            "  }",
            "}",
            "",
        ]
    )


def spire_config_maps(estate: Estate) -> list[dict[str, Any]]:
    """The SPIRE server and agent configuration as ConfigMaps in the SPIRE namespace."""
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": SPIRE_NAMESPACE},
            "data": {filename: text},
        }
        for name, filename, text in (
            ("spire-agent", "agent.conf", _agent_conf(estate)),
            ("spire-server", "server.conf", _server_conf(estate)),
        )
    ]
