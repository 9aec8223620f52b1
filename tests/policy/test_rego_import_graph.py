"""The Rego package's ``__init__`` only re-exports its API (the import graph of all of seccli,
cycles included, is checked in tests/core/test_import_graph.py)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_rego_package_init_only_reexports() -> None:
    init = ROOT / "seccli" / "policy" / "rego" / "__init__.py"
    tree = ast.parse(init.read_text(encoding="utf-8"))
    kinds = {type(node).__name__ for node in tree.body}
    assert kinds <= {"Expr", "ImportFrom", "Import", "Assign"}, kinds
    assigned = [t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets]  # type: ignore[attr-defined]
    assert assigned == ["__all__"]
    import seccli.policy.rego as rego

    for name in rego.__all__:
        assert hasattr(rego, name), name
