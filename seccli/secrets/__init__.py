"""Vault secrets: inventory and age audit, two-phase rotation, generated policies and roles.

Everything talks to Vault through ``hvac`` (imported lazily); values read or generated are
wrapped in ``seccli.core.redaction.Secret`` and never reach output, logs, findings or the store.
"""
