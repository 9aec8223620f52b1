"""Core types shared by every seccli package: findings, errors, documents, hashing, redaction.

Only the standard library and pydantic are imported here; nothing of seccli.
"""
