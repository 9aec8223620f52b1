"""Generators: one module per kind of control, assembled into a Kustomize tree by ``tree``."""
