"""Slots and name scopes of compiled bodies; the unsafe-variable signal."""

from __future__ import annotations

import seccli.policy.rego.ast as syntax
from seccli.policy.rego.errors import (
    COMPILE,
    RegoCompileError,
)


class Unsafe(Exception):
    """A variable is used before anything binds it (drives safety reordering)."""

    def __init__(self, name: str, node: syntax.Node) -> None:
        super().__init__(name)
        self.name = name
        self.node = node


class Frame:
    """Slot allocation for one rule or function activation."""

    def __init__(self) -> None:
        self.n = 0

    def alloc(self) -> int:
        self.n += 1
        return self.n - 1


class Scope:
    """Name resolution for one body (comprehensions and ``every`` nest scopes)."""

    def __init__(self, parent: Scope | None, frame: Frame, body_vars: set[str]) -> None:
        self.parent = parent
        self.frame = frame
        self.declared: dict[str, int] = {}
        self.implicit: dict[str, int] = {}
        self.body_vars = body_vars

    def declare(self, name: str, node: syntax.Node, strict: bool = True) -> int:
        if name in self.declared and strict and not name.startswith("_$"):
            raise RegoCompileError(
                COMPILE, f"var {name} assigned above", line=node.line, column=node.col
            )
        s = self.frame.alloc()
        self.declared[name] = s
        return s

    def lookup_declared(self, name: str) -> int | None:
        sc: Scope | None = self
        while sc is not None:
            if name in sc.declared:
                return sc.declared[name]
            if name in sc.implicit:
                return sc.implicit[name]
            sc = sc.parent
        return None

    def implicit_slot(self, name: str) -> int:
        sc: Scope | None = self
        while sc is not None:
            if name in sc.body_vars:
                if name not in sc.implicit:
                    sc.implicit[name] = sc.frame.alloc()
                return sc.implicit[name]
            sc = sc.parent
        self.implicit[name] = self.frame.alloc()
        return self.implicit[name]
