"""Zero-Trust generation from the estate and the offline NetworkPolicy reachability analyser.

- ``generate``: NetworkPolicies, SPIFFE/SPIRE, mesh mTLS and authorization, Gatekeeper
  constraints and Vault policies, as a deterministic Kustomize tree;
- ``validate``: schema and semantic checks of what is generated;
- ``analyzer``: exact Kubernetes NetworkPolicy v1 reachability, computed offline;
- ``prove``: reachability of a generated tree compared with the estate's declared traffic;
- ``graph``: Graphviz pictures of the allowed service graph.
"""
