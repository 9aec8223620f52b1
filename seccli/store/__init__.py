"""Persistent state: runs, findings history, exceptions and the tamper-evident audit log."""
