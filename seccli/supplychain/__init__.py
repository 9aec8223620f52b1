"""Supply-chain gate: image references, an OCI registry client, cosign and Sigstore verification
against a trust policy, DSSE/in-toto attestations, signing, and CycloneDX SBOMs.

Modules:
- ``refs``: find image references in manifests, Dockerfiles, kustomizations and stdin.
- ``registry``: a small pooled OCI Distribution v2 client (auth, manifests, blobs, referrers).
- ``policy``: the ``kind: TrustPolicy`` document.
- ``keys``: key generation, loading and signature checks (``cryptography``).
- ``dsse``: DSSE envelopes and in-toto statements.
- ``bundles``: Sigstore bundle verification (keyless via ``sigstore``, key-based ourselves).
- ``cosign``: cosign's key-based "simple signing" image signatures.
- ``signing``: signing images and pushing attestations (for users without cosign, and tests).
- ``verify``: the gate: each image against the trust policy, with a verdict and its reasons.
- ``cache``: verification results cached in the store by (image, digest, policy hash).
- ``sbom``: CycloneDX SBOMs via cyclonedx-bom, validation and diff.
"""
