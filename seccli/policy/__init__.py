"""Policy enforcement: the native Rego engine (``seccli.policy.rego``), engine backends
(``seccli.policy.engines``) and the conformance runner (``seccli.policy.conformance``)."""
